//! Incidents, concerns and stop-work on one page: what is open and how long it has been, what is
//! overdue (an escalation), and the forms to report, answer, close, stop and resume. Who may do
//! each is the catalogue's business: a refusal shows in the box of the button pressed.

use super::act::{Notice, act, member_page};
use super::forms;
use super::pages::{PageError, to_sign_in};
use crate::app::App;
use crate::auth::{Signed, member};
use crate::clock;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;
use setguard_core::{At, State as Production};

#[derive(Debug, Serialize)]
struct IncidentRow {
    id: u64,
    kind: String,
    summary: String,
    items: String,
    reported: String,
    age: String,
    /// Open past the escalation time: it has gone to the studio.
    escalated: bool,
}

#[derive(Debug, Serialize)]
struct ConcernRow {
    id: u64,
    text: String,
    urgent: bool,
    /// "anonymous" or "named"; a named concern's sender is in the record, never shown here.
    who: &'static str,
    age: String,
    due: String,
    overdue: bool,
}

#[derive(Debug, Serialize)]
struct Safety {
    production: String,
    name: String,
    now: String,
    csrf: String,
    stop_work: Option<String>,
    walkout: Option<String>,
    incidents: Vec<IncidentRow>,
    concerns: Vec<ConcernRow>,
    answered: usize,
    closed: usize,
    items: Vec<String>,
    lots: Vec<String>,
    notice: Option<Notice>,
}

/// "2 h 05 min", "12 min".
fn age(now: At, since: At) -> String {
    let m = now.minutes_since(since);
    if m >= 60 {
        format!("{} h {:02} min", m / 60, m % 60)
    } else {
        format!("{m} min")
    }
}

fn safety(state: &Production, csrf: &str, notice: Option<Notice>) -> Safety {
    let now = clock::now_for(state);
    let p = &state.policy;
    let incidents = state
        .incidents
        .values()
        .filter(|i| i.closed.is_none())
        .map(|i| IncidentRow {
            id: i.id.0.into(),
            kind: i.kind.to_string(),
            summary: i.summary.clone(),
            items: i
                .items
                .iter()
                .map(|x| x.to_string())
                .chain(i.lots.iter().map(|l| l.to_string()))
                .collect::<Vec<_>>()
                .join(", "),
            reported: format!(
                "{} by {}",
                i.reported_at.clock(),
                i.reported_by
                    .as_ref()
                    .map_or_else(|| "setguard (an alarm)".to_owned(), |b| state.name_of(b))
            ),
            age: age(now, i.reported_at),
            escalated: now.minutes_since(i.reported_at)
                >= i64::from(p.incident_escalation_hours) * 60,
        })
        .collect();
    let concerns = state
        .concerns
        .values()
        .filter(|c| c.answered.is_none())
        .map(|c| {
            let hours = if c.urgent {
                p.urgent_concern_hours
            } else {
                p.concern_hours
            };
            let due = c.raised_at.plus_minutes(hours * 60);
            ConcernRow {
                id: c.id.0.into(),
                text: c.text.clone(),
                urgent: c.urgent,
                who: if c.anonymous { "anonymous" } else { "named" },
                age: age(now, c.raised_at),
                due: due.clock(),
                overdue: now >= due,
            }
        })
        .collect();
    Safety {
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
        stop_work: state
            .stop_work
            .as_ref()
            .map(|s| format!("STOP WORK since {}: {}", s.since.clock(), s.reason)),
        walkout: state
            .walkout
            .as_ref()
            .map(|s| format!("WALKOUT since {}: {}", s.since.clock(), s.reason)),
        incidents,
        concerns,
        answered: state
            .concerns
            .values()
            .filter(|c| c.answered.is_some())
            .count(),
        closed: state
            .incidents
            .values()
            .filter(|i| i.closed.is_some())
            .count(),
        items: state.items.keys().map(|i| i.to_string()).collect(),
        lots: state.lots.keys().map(|l| l.to_string()).collect(),
        notice,
    }
}

async fn page(
    app: &App,
    signed: &Signed,
    id: &str,
    notice: Option<Notice>,
) -> Result<String, PageError> {
    member_page(app, signed, id, ("safety.html", "s"), |state, _, csrf| {
        safety(state, csrf, notice)
    })
    .await
}

pub async fn show(
    State(app): State<App>,
    signed: Option<Signed>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let Some(signed) = signed else {
        return Ok(to_sign_in(&format!("/productions/{id}/safety")));
    };
    Ok(Html(page(&app, &signed, &id, None).await?).into_response())
}

pub async fn press(
    State(app): State<App>,
    signed: Signed,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    signed.check_csrf(forms::field(&fields, "csrf"))?;
    let m = member(&app, &signed, &id).await?;
    let target = forms::field(&fields, "_box").unwrap_or("top").to_owned();
    let (status, notice) = act(&app, &m, &fields, target).await?;
    let html = page(&app, &signed, &id, Some(notice)).await?;
    Ok((status, Html(html)).into_response())
}
