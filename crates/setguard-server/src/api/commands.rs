//! Giving commands: the body is a command in the vocabulary of `SCENARIOS.md` (`{"do": ...}`),
//! judged by the same core as replay. Recorded: 200. Refused: 409 with every broken rule's id and
//! sentence (the refusal itself is recorded, as evidence). Nothing is recorded for a malformed
//! command (400 naming the field), an unknown id (404), or a command this person may not give
//! (403).

use super::ApiError;
use crate::accounts::PinError;
use crate::app::App;
use crate::auth::{Signed, blocking, member};
use crate::live::{Caller, Executed};
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use setguard_core::{Command, Event, PersonId};

/// What a command came to.
#[derive(Debug, Serialize)]
pub struct Outcome {
    /// `recorded` or `refused`.
    pub outcome: &'static str,
    /// Every event recorded, with its seq: alarms that time raised first, then the command's
    /// own events (or its `refused` event).
    pub recorded: Vec<Recorded>,
    /// The rules broken, each with the sentence for the set; empty when recorded.
    pub refused: Vec<Broken>,
}

#[derive(Debug, Serialize)]
pub struct Recorded {
    pub seq: u64,
    pub event: Event,
}

#[derive(Debug, Serialize)]
pub struct Broken {
    pub rule: String,
    pub sentence: String,
}

/// 200 with what was recorded, or 409 with the rules broken.
pub fn answer(done: Executed) -> Response {
    let refused: Vec<Broken> = done
        .refused
        .iter()
        .map(|v| Broken {
            rule: v.rule.to_string(),
            sentence: v.message.clone(),
        })
        .collect();
    let status = if refused.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::CONFLICT
    };
    let body = Outcome {
        outcome: if refused.is_empty() {
            "recorded"
        } else {
            "refused"
        },
        recorded: done
            .recorded
            .into_iter()
            .map(|(seq, event)| Recorded { seq, event })
            .collect(),
        refused,
    };
    (status, Json(body)).into_response()
}

/// The command in a JSON body, or a 400 naming the field at fault. Serde reports a wrong value
/// inside a tagged command without its field, so the field is found by taking each out in turn:
/// the one whose absence changes the complaint is the one complained of.
pub fn parse_command(value: serde_json::Value) -> Result<Command, ApiError> {
    let bad = |m: String| ApiError::new(StatusCode::BAD_REQUEST, m);
    let first = match serde_json::from_value::<Command>(value.clone()) {
        Ok(cmd) => {
            // serde lets a command without fields (`start-day`) through with any extra ones
            // (serde-rs/serde#2123); the vocabulary refuses unknown fields everywhere.
            if matches!(
                cmd,
                Command::StartDay | Command::Wrap | Command::Resume | Command::Advance
            ) && let Some(extra) = value
                .as_object()
                .and_then(|o| o.keys().find(|k| *k != "do"))
            {
                return Err(bad(format!(
                    "{extra}: unknown field: `{}` takes no fields",
                    cmd.name()
                )));
            }
            return Ok(cmd);
        }
        Err(e) => e.to_string(),
    };
    let serde_json::Value::Object(fields) = &value else {
        return Err(bad(format!("the body must be a command object: {first}")));
    };
    if !fields.contains_key("do") {
        return Err(bad(
            "do: missing: say which command, e.g. {\"do\": \"check-out\", \"item\": \"colt-1\"}"
                .to_owned(),
        ));
    }
    if first.contains("`do`") || first.contains("unknown variant") {
        return Err(bad(format!("do: {first}")));
    }
    if first.starts_with("missing field") || first.starts_with("unknown field") {
        return Err(bad(first));
    }
    for key in fields.keys().filter(|k| *k != "do") {
        let mut without = fields.clone();
        without.remove(key);
        let after = serde_json::from_value::<Command>(serde_json::Value::Object(without));
        if after.is_ok() || after.is_err_and(|e| e.to_string() != first) {
            return Err(bad(format!("{key}: {first}")));
        }
    }
    Err(bad(first))
}

fn not_here(cmd: &Command) -> Result<(), ApiError> {
    if matches!(cmd, Command::OpenProduction { .. }) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "do: a production is opened with POST /api/v1/productions",
        ));
    }
    Ok(())
}

/// `POST /api/v1/productions/{id}/commands`: a command given by the signed-in person.
pub async fn give(
    State(app): State<App>,
    signed: Signed,
    Path(id): Path<String>,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<Response, ApiError> {
    // Who is asking comes first: another production's crew learns nothing from a body's errors.
    let m = member(&app, &signed, &id).await?;
    let Json(value) = body?;
    let cmd = parse_command(value)?;
    not_here(&cmd)?;
    let done = app
        .productions
        .execute_as(&m.production, &m.caller, &cmd)
        .await?;
    Ok(answer(done))
}

/// A command given by someone else on this device, confirmed with their PIN: the performer's
/// `confirm-check` on the armorer's tablet.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Confirmation {
    person: String,
    pin: String,
    command: serde_json::Value,
}

/// `POST /api/v1/productions/{id}/confirmations`.
pub async fn confirm(
    State(app): State<App>,
    signed: Signed,
    Path(id): Path<String>,
    body: Result<Json<Confirmation>, JsonRejection>,
) -> Result<Response, ApiError> {
    let m = member(&app, &signed, &id).await?;
    if m.caller.person.is_none() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "confirmations are taken on a device of someone on this production's crew list",
        ));
    }
    let Json(c) = body?;
    let command = parse_command(c.command)
        .map_err(|e| ApiError::new(e.status, format!("command.{}", e.message)))?;
    not_here(&command)?;
    let caller = pin_holder(&app, &m.production, &c.person, c.pin).await?;
    let done = app
        .productions
        .execute_as(&m.production, &caller, &command)
        .await?;
    Ok(answer(done))
}

/// The caller a PIN proves: `person` of `production`, if `pin` is theirs. A wrong PIN is a 403,
/// a locked one a 429; either way nothing is recorded.
pub async fn pin_holder(
    app: &App,
    production: &setguard_core::ProductionId,
    person: &str,
    pin: String,
) -> Result<Caller, ApiError> {
    let id = PersonId::parse(person)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("person: {e}")))?;
    let (accounts, stream, who) = (
        app.accounts.clone(),
        production.to_string(),
        person.to_owned(),
    );
    let now = chrono::Utc::now().timestamp();
    let checked = blocking(move || {
        Ok::<_, std::convert::Infallible>(accounts.check_pin(&stream, &who, &pin, now))
    })
    .await?;
    match checked {
        Ok(()) => Ok(Caller {
            person: Some(id),
            administrator: false,
        }),
        Err(PinError::NoAccount) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!("{person} has no account to confirm with a PIN"),
        )),
        Err(PinError::Wrong) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!("that is not {person}'s PIN"),
        )),
        Err(PinError::Locked { until_unix }) => Err(super::session::locked(
            &format!("too many wrong PINs: {person}'s PIN is locked"),
            until_unix,
            now,
        )),
        Err(PinError::Store(e)) => Err(ApiError::internal(e)),
    }
}
