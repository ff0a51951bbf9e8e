//! A button pressed on a page: the command in its form, given by the signed-in person or, with a
//! PIN, by the person whose PIN it is, and what it came to, for the page to show beside the
//! button (`target` names the box it belongs in).

use super::forms;
use super::pages::PageError;
use crate::api::ApiError;
use crate::api::commands::pin_holder;
use crate::app::App;
use crate::auth::Member;
use crate::live::Executed;
use axum::http::StatusCode;
use serde::Serialize;

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
