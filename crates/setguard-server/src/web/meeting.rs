//! The safety meeting: today's scenes with what each one's meeting covered (who was there, who
//! was briefed late, and who of the roster is still missing), attendance checked in by each
//! person's PIN on the device running the meeting, and late briefings.
//!
//! The PINs only prove presence at the moment the meeting is recorded: the record holds the
//! meeting (`safety-meeting`, by whoever ran it) with the attendees whose PIN was right. A wrong
//! PIN records nothing and says whose it was.

use super::act::{Notice, act, member_page};
use super::forms;
use super::pages::{PageError, to_sign_in};
use crate::app::App;
use crate::auth::{Signed, blocking, member};
use crate::clock;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;
use setguard_core::State as Production;
use std::collections::BTreeSet;

#[derive(Debug, Serialize)]
struct SceneRow {
    id: String,
    kind: String,
    firearms: bool,
    held: bool,
    present: Vec<String>,
    briefed: Vec<String>,
    missing: Vec<String>,
}

#[derive(Debug, Serialize)]
struct PersonRow {
    id: String,
    name: String,
}

#[derive(Debug, Serialize)]
struct Meeting {
    production: String,
    name: String,
    day: String,
    csrf: String,
    scenes: Vec<SceneRow>,
    people: Vec<PersonRow>,
    notice: Option<Notice>,
}

fn meeting(state: &Production, csrf: &str, notice: Option<Notice>) -> Meeting {
    let now = clock::now_for(state);
    let day = state.shooting_day(now);
    let name = |p: &setguard_core::PersonId| state.name_of(p);
    let scenes = state
        .scenes
        .values()
        .filter(|s| s.spec.date == day)
        .map(|s| {
            let coverage = state.meetings.get(&(day, s.spec.id.clone()));
            let current = coverage.filter(|c| c.version == s.version);
            let covered: BTreeSet<_> = current
                .map(|c| c.present.union(&c.briefed).cloned().collect())
                .unwrap_or_default();
            let needed: BTreeSet<_> = s
                .spec
                .roster
                .iter()
                .chain(s.spec.performers.iter())
                .cloned()
                .collect();
            SceneRow {
                id: s.spec.id.to_string(),
                kind: s.spec.kind.to_string(),
                firearms: s.is_firearm_scene(&state.items),
                held: current.is_some_and(|c| c.held),
                present: current
                    .map(|c| c.present.iter().map(name).collect())
                    .unwrap_or_default(),
                briefed: current
                    .map(|c| c.briefed.iter().map(name).collect())
                    .unwrap_or_default(),
                missing: needed.difference(&covered).map(name).collect(),
            }
        })
        .collect();
    Meeting {
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
        day: day.to_string(),
        csrf: csrf.to_owned(),
        scenes,
        people: state
            .people
            .values()
            .map(|p| PersonRow {
                id: p.id.to_string(),
                name: p.name.to_string(),
            })
            .collect(),
        notice,
    }
}

async fn page(
    app: &App,
    signed: &Signed,
    id: &str,
    notice: Option<Notice>,
) -> Result<String, PageError> {
    member_page(app, signed, id, ("meeting.html", "m"), |state, _, csrf| {
        meeting(state, csrf, notice)
    })
    .await
}

pub async fn show(
    State(app): State<App>,
    signed: Option<Signed>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let Some(signed) = signed else {
        return Ok(to_sign_in(&format!("/productions/{id}/meeting")));
    };
    Ok(Html(page(&app, &signed, &id, None).await?).into_response())
}

/// The meeting (attendees = those whose PIN was typed and right) or a late briefing (the
/// briefed person's PIN confirms they were there).
pub async fn press(
    State(app): State<App>,
    signed: Signed,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    signed.check_csrf(forms::field(&fields, "csrf"))?;
    let m = member(&app, &signed, &id).await?;
    let target = forms::field(&fields, "_box")
        .unwrap_or("meeting")
        .to_owned();
    let word = forms::field(&fields, "do").unwrap_or_default().to_owned();
    // Every PIN typed, by person: `pin_<person>` at a meeting; the briefed person's at a briefing.
    let typed: Vec<(String, String)> = if word == "brief" {
        let who = forms::field(&fields, "person").unwrap_or_default();
        let pin = forms::field(&fields, "brief_pin").unwrap_or_default();
        vec![(who.to_owned(), pin.to_owned())]
    } else {
        fields
            .iter()
            .filter_map(|(k, v)| {
                let who = k.strip_prefix("pin_")?;
                (!v.trim().is_empty()).then(|| (who.to_owned(), v.trim().to_owned()))
            })
            .collect()
    };
    let mut wrong = Vec::new();
    let mut present = Vec::new();
    for (who, pin) in typed {
        let (accounts, production, person) =
            (app.accounts.clone(), m.production.to_string(), who.clone());
        let checked = blocking(move || {
            Ok::<_, std::convert::Infallible>(accounts.check_pin(
                &production,
                &person,
                &pin,
                chrono::Utc::now().timestamp(),
            ))
        })
        .await?;
        match checked {
            Ok(()) => present.push(who),
            Err(e) => wrong.push(format!("{who}: {}", pin_words(&e))),
        }
    }
    let (status, notice) = if !wrong.is_empty() {
        (
            StatusCode::FORBIDDEN,
            Notice {
                target,
                kind: "error",
                lines: std::iter::once(
                    "nothing was recorded; check these PINs and try again:".to_owned(),
                )
                .chain(wrong)
                .collect(),
            },
        )
    } else {
        // The command: the form's fields, with the people whose PINs were right.
        let mut command: Vec<(String, String)> = fields
            .iter()
            .filter(|(k, _)| !k.starts_with("pin_") && k != "attendees" && k != "brief_pin")
            .cloned()
            .collect();
        if word == "safety-meeting" {
            command.extend(present.into_iter().map(|p| ("attendees".to_owned(), p)));
        }
        act(&app, &m, &command, target).await?
    };
    let html = page(&app, &signed, &id, Some(notice)).await?;
    Ok((status, Html(html)).into_response())
}

fn pin_words(e: &crate::accounts::PinError) -> String {
    use crate::accounts::PinError;
    match e {
        PinError::Wrong => "wrong PIN".to_owned(),
        PinError::NoAccount => "has no account to check in with".to_owned(),
        PinError::Locked { .. } => "PIN locked for a while after wrong tries".to_owned(),
        PinError::Store(_) => "could not be checked".to_owned(),
    }
}
