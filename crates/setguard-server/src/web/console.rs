//! The armorer's console: every item with the actions its custody allows, as large buttons for a
//! tablet beside the cart. A pressed button is a form whose fields are a command; the answer is
//! the console again, with what was recorded (or the refusal, every rule and its sentence) shown
//! in the pressed item's own box. A performer's `confirm-check`, the first AD's `second-check`
//! and a performer handing an item back are given with that person's PIN on this tablet.

use super::act::{Notice, act, member_page};
use super::board::{self, ItemRow};
use super::forms;
use super::pages::PageError;
use crate::app::App;
use crate::auth::{Signed, member};
use crate::clock;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use setguard_core::state::Custody;
use setguard_core::{Role, State as Production};

/// One item on the console.
#[derive(Debug, Serialize)]
struct ConsoleItem {
    row: ItemRow,
    /// `storage`, `mine` (held by the signed-in person), `held` (by someone else), `set-down`.
    custody: &'static str,
    holder: Option<String>,
    holder_name: Option<String>,
    loaded: bool,
}

#[derive(Debug, Serialize)]
struct Person {
    id: String,
    name: String,
}

#[derive(Debug, Serialize)]
struct Console {
    production: String,
    name: String,
    now: String,
    csrf: String,
    me: Option<String>,
    me_name: String,
    /// Whether the signed-in person is a handler: only a handler takes an item back.
    me_handler: bool,
    items: Vec<ConsoleItem>,
    lots: Vec<String>,
    people: Vec<Person>,
    performers: Vec<Person>,
    checkers: Vec<Person>,
    stop_work: Option<String>,
    notice: Option<Notice>,
    /// What was scanned or typed to find an item, and the item it found (only it is shown).
    find: String,
    focus: Option<String>,
    find_error: Option<String>,
}

fn console(state: &Production, me: Option<&str>, csrf: &str, notice: Option<Notice>) -> Console {
    let now = clock::now_for(state);
    let people = |keep: &dyn Fn(&setguard_core::state::Person) -> bool| {
        state
            .people
            .values()
            .filter(|p| keep(p))
            .map(|p| Person {
                id: p.id.to_string(),
                name: p.name.to_string(),
            })
            .collect::<Vec<_>>()
    };
    let items = state
        .items
        .values()
        .filter_map(|item| {
            let row = board::find_item(state, item.spec.id.as_str(), now)?;
            let (custody, holder) = match &item.custody {
                Custody::InStorage => ("storage", None),
                Custody::Held { by, .. } if Some(by.as_str()) == me => ("mine", Some(by)),
                Custody::Held { by, .. } => ("held", Some(by)),
                Custody::SetDown { by, .. } => ("set-down", Some(by)),
            };
            Some(ConsoleItem {
                row,
                custody,
                holder: holder.map(|h| h.to_string()),
                holder_name: holder.map(|h| state.name_of(h)),
                loaded: item.loaded_rounds() > 0,
            })
        })
        .collect();
    Console {
        production: state
            .production
            .as_ref()
            .map(|p| p.id.to_string())
            .unwrap_or_default(),
        name: state
            .production
            .as_ref()
            .map(|p| p.name.clone())
            .unwrap_or_default(),
        now: now.clock(),
        csrf: csrf.to_owned(),
        me: me.map(str::to_owned),
        me_name: me
            .and_then(|m| setguard_core::PersonId::parse(m).ok())
            .map(|m| state.name_of(&m))
            .unwrap_or_else(|| "an administrator (not on the crew list)".to_owned()),
        me_handler: me
            .and_then(|m| setguard_core::PersonId::parse(m).ok())
            .is_some_and(|m| state.is_handler(&m)),
        items,
        lots: state.lots.keys().map(|l| l.to_string()).collect(),
        people: people(&|_| true),
        performers: people(&|p| p.has(Role::Performer)),
        checkers: people(&|p| p.has(Role::FirstAd) || p.has(Role::SafetySupervisor)),
        stop_work: state
            .stop_work
            .as_ref()
            .map(|s| format!("STOP WORK since {}: {}", s.since.clock(), s.reason)),
        notice,
        find: String::new(),
        focus: None,
        find_error: None,
    }
}

/// The item a scanned label or typed text names: a label's QR holds the item's page path
/// (`/productions/P/items/ITEM`), a person types the id or reads the serial off the frame.
fn find_item(state: &Production, text: &str) -> Option<String> {
    let text = text.trim();
    let wanted = text.rsplit_once("/items/").map_or(text, |(_, rest)| {
        rest.split(['/', '?', '#']).next().unwrap_or(rest)
    });
    state
        .items
        .values()
        .find(|i| {
            i.spec.id.as_str() == wanted
                || i.spec
                    .serial
                    .as_ref()
                    .is_some_and(|s| s.as_str().eq_ignore_ascii_case(wanted))
        })
        .map(|i| i.spec.id.to_string())
}

async fn page(
    app: &App,
    signed: &Signed,
    id: &str,
    notice: Option<Notice>,
    find: Option<String>,
) -> Result<String, PageError> {
    member_page(app, signed, id, ("console.html", "c"), |state, m, csrf| {
        let me = m.caller.person.as_ref().map(|p| p.to_string());
        let mut c = console(state, me.as_deref(), csrf, notice);
        if let Some(text) = find.filter(|t| !t.trim().is_empty()) {
            c.focus = find_item(state, &text);
            if c.focus.is_none() {
                c.find_error = Some(format!(
                    "no item of this production matches {:?}: type its id or the serial on it",
                    text.trim()
                ));
            }
            c.find = text;
        }
        c
    })
    .await
}

#[derive(Debug, serde::Deserialize)]
pub struct FindQuery {
    /// A scanned label's text or a typed id or serial.
    find: Option<String>,
}

pub async fn show(
    State(app): State<App>,
    signed: Option<Signed>,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<FindQuery>,
) -> Result<Response, PageError> {
    let Some(signed) = signed else {
        return Ok(super::pages::to_sign_in(&format!(
            "/productions/{id}/console"
        )));
    };
    Ok(axum::response::Html(page(&app, &signed, &id, None, q.find).await?).into_response())
}

/// A button pressed: the command in the form, given by the signed-in person or, with a PIN, by
/// the person whose PIN it is. The console comes back with the outcome in that item's box.
pub async fn press(
    State(app): State<App>,
    signed: Signed,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    signed.check_csrf(forms::field(&fields, "csrf"))?;
    let m = member(&app, &signed, &id).await?;
    let item = forms::field(&fields, "item").unwrap_or("").to_owned();
    let (status, notice) = act(&app, &m, &fields, item).await?;
    let html = page(&app, &signed, &id, Some(notice), None).await?;
    Ok((status, axum::response::Html(html)).into_response())
}
