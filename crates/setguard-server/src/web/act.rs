//! A button pressed on a page: the command in its form, given by the signed-in person or, with a
//! PIN, by the person whose PIN it is, and what it came to, for the page to show beside the
//! button (`target` names the box it belongs in).

use super::forms;
use super::pages::{PageError, render};
use crate::api::ApiError;
use crate::api::commands::pin_holder;
use crate::app::App;
use crate::auth::{Member, Signed, member};
use crate::live::Executed;
use axum::http::StatusCode;
use serde::Serialize;
use setguard_core::State as Production;

/// A production's page for one of its members (404 for anyone else): what `build` makes of the
/// production's state, given the member and the session's CSRF token for the page's forms,
/// rendered by `template` under the name `name`.
pub async fn member_page<T: Serialize>(
    app: &App,
    signed: &Signed,
    id: &str,
    (template, name): (&str, &str),
    build: impl FnOnce(&Production, &Member, &str) -> T,
) -> Result<String, PageError> {
    let m = member(app, signed, id).await?;
    let csrf = &signed.session.csrf;
    let view = app
        .productions
        .view(&m.production, |state, _| build(state, &m, csrf))
        .await?;
    let ctx = minijinja::Value::from_iter([(name, minijinja::Value::from_serialize(&view))]);
    Ok(render(template, ctx)?.0)
}

/// What happened to the last button pressed.
#[derive(Debug, Serialize)]
pub struct Notice {
    /// The box it is shown in (an item's id, `incident-3`, ...).
    pub target: String,
    /// `recorded`, `refused` or `error`.
    pub kind: &'static str,
    pub lines: Vec<String>,
}

/// Gives the form's command and says what it came to. A fault of the server is an error page;
/// everything else (a refusal, a wrong PIN, a bad value) is a notice with its status.
pub async fn act(
    app: &App,
    m: &Member,
    fields: &[(String, String)],
    target: String,
) -> Result<(StatusCode, Notice), PageError> {
    let outcome: Result<Executed, ApiError> = async {
        let cmd = forms::command(fields)?;
        let caller = match forms::field(fields, "as_person") {
            Some(person) => {
                let pin = forms::field(fields, "pin").unwrap_or("").to_owned();
                pin_holder(app, &m.production, person, pin).await?
            }
            None => m.caller.clone(),
        };
        Ok(app
            .productions
            .execute_as(&m.production, &caller, &cmd)
            .await?)
    }
    .await;
    Ok(match outcome {
        Ok(done) if done.refused.is_empty() => (
            StatusCode::OK,
            Notice {
                target,
                kind: "recorded",
                lines: done
                    .recorded
                    .iter()
                    .map(|(seq, e)| format!("recorded #{seq}: {}", what(e)))
                    .collect(),
            },
        ),
        Ok(done) => (
            StatusCode::CONFLICT,
            Notice {
                target,
                kind: "refused",
                lines: done
                    .refused
                    .iter()
                    .map(|v| format!("REFUSED [{}] {}", v.rule, v.message))
                    .collect(),
            },
        ),
        Err(e) if e.status.is_server_error() => return Err(e.into()),
        Err(e) => (
            e.status,
            Notice {
                target,
                kind: "error",
                lines: vec![e.message],
            },
        ),
    })
}

/// An event's kind in words ("item checked out"), from its record type.
fn what(e: &setguard_core::Event) -> String {
    serde_json::to_value(e)
        .ok()
        .and_then(|v| v["type"].as_str().map(|t| t.replace('-', " ")))
        .unwrap_or_default()
}
