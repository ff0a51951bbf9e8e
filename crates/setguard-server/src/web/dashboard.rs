//! The producer's and studio's dashboard: for each production the caller answers for, the risk a
//! person should see at a glance (open incidents and their age, overdue concerns, stop-work and
//! walkouts, red flags acknowledged, refused attempts by rule) and the last two weeks as a chart
//! drawn from the record.
//!
//! Who sees a production here: an administrator (the studio's safety office) every one; a
//! producer or safety supervisor theirs.

use super::pages::{PageError, render, to_sign_in};
use crate::app::App;
use crate::auth::Signed;
use crate::clock;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use chrono::NaiveDate;
use serde::Serialize;
use setguard_core::{PersonId, ProductionId, Role, State as Production};
use std::collections::BTreeMap;

/// Days shown on each production's chart.
const DAYS: i64 = 14;

#[derive(Debug, Serialize)]
struct Day {
    date: String,
    refused: u32,
    incidents: u32,
    concerns: u32,
}

#[derive(Debug, Serialize)]
struct Row {
    id: String,
    name: String,
    stop_work: Option<String>,
    walkout: Option<String>,
    open_incidents: usize,
    oldest_incident: Option<String>,
    escalated_incidents: usize,
    overdue_concerns: usize,
    open_concerns: usize,
    red_flags: Vec<String>,
    refusals: Vec<(String, u64)>,
    days: Vec<Day>,
    /// The tallest bar, for the chart's scale.
    peak: u32,
    /// "high", "watch" or "calm": the one word a producer reads first.
    risk: &'static str,
}

fn row(state: &Production, records: &[setguard_ledger::Record]) -> Row {
    let now = clock::now_for(state);
    let p = &state.policy;
    let open: Vec<_> = state.open_incidents().collect();
    let oldest = open.iter().map(|i| now.minutes_since(i.reported_at)).max();
    let escalated = open
        .iter()
        .filter(|i| now.minutes_since(i.reported_at) >= i64::from(p.incident_escalation_hours) * 60)
        .count();
    let unanswered: Vec<_> = state
        .concerns
        .values()
        .filter(|c| c.answered.is_none())
        .collect();
    let overdue = unanswered
        .iter()
        .filter(|c| {
            let hours = if c.urgent {
                p.urgent_concern_hours
            } else {
                p.concern_hours
            };
            now >= c.raised_at.plus_minutes(hours * 60)
        })
        .count();
    let today = now.date();
    let first = today - chrono::Duration::days(DAYS - 1);
    let mut by_day: BTreeMap<NaiveDate, Day> = (0..DAYS)
        .map(|d| {
            let date = first + chrono::Duration::days(d);
            (
                date,
                Day {
                    date: date.format("%m-%d").to_string(),
                    refused: 0,
                    incidents: 0,
                    concerns: 0,
                },
            )
        })
        .collect();
    for r in records {
        let Some(day) = by_day.get_mut(&r.event.at.date()) else {
            continue;
        };
        match &r.event.body {
            setguard_core::EventBody::Refused { .. } => day.refused += 1,
            setguard_core::EventBody::IncidentReported { .. } => day.incidents += 1,
            setguard_core::EventBody::ConcernRaised { .. } => day.concerns += 1,
            _ => {}
        }
    }
    let days: Vec<Day> = by_day.into_values().collect();
    let peak = days
        .iter()
        .map(|d| d.refused.max(d.incidents).max(d.concerns))
        .max()
        .unwrap_or(0)
        .max(1);
    let mut refusals: Vec<(String, u64)> = state
        .refusals
        .iter()
        .map(|(rule, n)| (rule.to_string(), *n))
        .collect();
    refusals.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let red_flags = state
        .people
        .values()
        .filter(|p| !p.prior_incidents.is_empty() && p.red_flag_acknowledged)
        .map(|p| {
            let roles: Vec<&str> = p.roles.iter().map(|r| r.title()).collect();
            format!("{} ({})", p.name, roles.join(", "))
        })
        .collect();
    let risk =
        if state.stop_work.is_some() || state.walkout.is_some() || escalated > 0 || overdue > 0 {
            "high"
        } else if !open.is_empty() || !unanswered.is_empty() {
            "watch"
        } else {
            "calm"
        };
    Row {
        id: state
            .production
            .as_ref()
            .map(|p| p.id.to_string())
            .unwrap_or_default(),
        name: state
            .production
            .as_ref()
            .map(|p| p.name.clone())
            .unwrap_or_default(),
        stop_work: state.stop_work.as_ref().map(|s| s.reason.clone()),
        walkout: state.walkout.as_ref().map(|s| s.reason.clone()),
        open_incidents: open.len(),
        oldest_incident: oldest.map(|m| format!("{} h {:02} min", m / 60, m % 60)),
        escalated_incidents: escalated,
        overdue_concerns: overdue,
        open_concerns: unanswered.len(),
        red_flags,
        refusals,
        days,
        peak,
        risk,
    }
}

/// Whether someone who is `person` on a production answers for it here.
fn answers_for(state: &Production, person: &PersonId) -> bool {
    state.has_role(person, Role::Producer) || state.has_role(person, Role::SafetySupervisor)
}

pub async fn show(State(app): State<App>, signed: Option<Signed>) -> Result<Response, PageError> {
    let Some(signed) = signed else {
        return Ok(to_sign_in("/dashboard"));
    };
    let listed = crate::api::productions::visible(&app, &signed).await?;
    let mut rows = Vec::new();
    for p in listed {
        let Ok(id) = ProductionId::parse(&p.id) else {
            continue;
        };
        let person = p.person.as_deref().and_then(|x| PersonId::parse(x).ok());
        let admin = signed.session.admin;
        let allowed = app
            .productions
            .view(&id, |state, _| {
                admin || person.as_ref().is_some_and(|who| answers_for(state, who))
            })
            .await?;
        if !allowed {
            continue;
        }
        let first = app
            .productions
            .view(&id, |state, _| {
                clock::now_for(state).date() - chrono::Duration::days(DAYS - 1)
            })
            .await?;
        let records = app.productions.records_since(&id, first).await?;
        rows.push(
            app.productions
                .view(&id, |state, _| row(state, &records))
                .await?,
        );
    }
    // The riskiest first.
    rows.sort_by_key(|r| match r.risk {
        "high" => 0,
        "watch" => 1,
        _ => 2,
    });
    let html = render("dashboard.html", minijinja::context! { rows, days => DAYS })?;
    Ok(Html(html.0).into_response())
}
