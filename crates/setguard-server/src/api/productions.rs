//! Productions and their views: the ones a caller is on, opening one, the set board, one item,
//! and giving a crew member their account on a production.

use super::ApiError;
use super::commands::answer;
use crate::app::App;
use crate::auth::{Signed, blocking, member};
use crate::clock;
use crate::web::board::{self, Board, ItemRow};
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use setguard_core::{Command, Giver, PersonId, ProductionId, Role, may_give};

#[derive(Debug, Serialize)]
pub struct ProductionSummary {
    pub id: String,
    pub name: String,
    pub events: u64,
    /// Who the caller is on it; none for an administrator who is not on its crew.
    pub person: Option<String>,
}

/// The productions `signed` may see: those they are on, or every one for an administrator.
pub async fn visible(app: &App, signed: &Signed) -> Result<Vec<ProductionSummary>, ApiError> {
    let (accounts, username) = (app.accounts.clone(), signed.session.username.clone());
    let memberships = blocking(move || accounts.memberships(&username)).await?;
    let ids: Vec<ProductionId> = if signed.session.admin {
        app.productions.ids().await?
    } else {
        memberships
            .iter()
            .filter_map(|(p, _)| ProductionId::parse(p).ok())
            .collect()
    };
    let mut out = Vec::new();
    for id in ids {
        let person = memberships
            .iter()
            .find(|(p, _)| p == id.as_str())
            .map(|(_, person)| person.clone());
        // A production linked but no longer in the ledger (another database) is left out.
        let Ok(s) = app
            .productions
            .view(&id, |state, head| ProductionSummary {
                id: id.to_string(),
                name: state
                    .production
                    .as_ref()
                    .map(|p| p.name.clone())
                    .unwrap_or_default(),
                events: head.seq,
                person: person.clone(),
            })
            .await
        else {
            continue;
        };
        out.push(s);
    }
    Ok(out)
}

pub async fn list(
    State(app): State<App>,
    signed: Signed,
) -> Result<Json<Vec<ProductionSummary>>, ApiError> {
    Ok(Json(visible(&app, &signed).await?))
}

/// `POST /api/v1/productions` with an `open-production` command: administrators only.
pub async fn open(
    State(app): State<App>,
    signed: Signed,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(value) = body?;
    let cmd = super::commands::parse_command(value)?;
    let Command::OpenProduction { id, timezone, .. } = &cmd else {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "do: this path opens a production: send {\"do\": \"open-production\", ...}",
        ));
    };
    let giver = Giver {
        person: None,
        administrator: signed.session.admin,
    };
    may_give(&cmd, giver).map_err(|f| ApiError::new(StatusCode::FORBIDDEN, f.0))?;
    if !timezone.is_empty() && !clock::is_zone(timezone) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("timezone: {timezone:?} is not a time zone (say e.g. \"America/Denver\")"),
        ));
    }
    let zone = if timezone.is_empty() { "UTC" } else { timezone };
    let now = clock::local_now(zone);
    let done = app.productions.open(id, cmd.clone(), now).await?;
    let mut res = answer(done);
    if res.status() == StatusCode::OK {
        *res.status_mut() = StatusCode::CREATED;
    }
    Ok(res)
}

/// The set board of a production, as data.
pub async fn board_of(app: &App, id: &ProductionId) -> Result<Board, ApiError> {
    Ok(app
        .productions
        .view(id, |state, head| {
            board::board(state, head, clock::now_for(state))
        })
        .await?)
}

pub async fn board(
    State(app): State<App>,
    signed: Signed,
    Path(id): Path<String>,
) -> Result<Json<Board>, ApiError> {
    let m = member(&app, &signed, &id).await?;
    Ok(Json(board_of(&app, &m.production).await?))
}

/// One item's status, as on the board.
pub async fn item(
    State(app): State<App>,
    signed: Signed,
    Path((id, item)): Path<(String, String)>,
) -> Result<Json<ItemRow>, ApiError> {
    let m = member(&app, &signed, &id).await?;
    let row = app
        .productions
        .view(&m.production, |state, _| {
            board::find_item(state, &item, clock::now_for(state))
        })
        .await?;
    row.map(Json).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("there is no item {item:?} on this production"),
        )
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    username: String,
}

/// Gives the person `person` of a production their account: the producer's or an
/// administrator's.
pub async fn link_account(
    State(app): State<App>,
    signed: Signed,
    Path((id, person)): Path<(String, String)>,
    body: Result<Json<Link>, JsonRejection>,
) -> Result<Response, ApiError> {
    let m = member(&app, &signed, &id).await?;
    let Json(link) = body?;
    let target = PersonId::parse(&person)
        .map_err(|e| ApiError::new(StatusCode::NOT_FOUND, format!("person: {e}")))?;
    let caller = m.caller.clone();
    let (allowed, exists) = app
        .productions
        .view(&m.production, |state, _| {
            let producer = caller
                .person
                .as_ref()
                .is_some_and(|p| state.has_role(p, Role::Producer));
            (
                caller.administrator || producer,
                state.person(&target).is_some(),
            )
        })
        .await?;
    if !allowed {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "only the producer gives people their accounts on a production",
        ));
    }
    if !exists {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("{person:?} is not on this production's crew list"),
        ));
    }
    let (accounts, production, who) = (app.accounts.clone(), m.production.to_string(), person);
    let linked = blocking(move || {
        Ok::<_, std::convert::Infallible>(accounts.link(&link.username, &production, &who))
    })
    .await?;
    match linked {
        Ok(()) => Ok(StatusCode::NO_CONTENT.into_response()),
        Err(crate::accounts::AccountError::Exists(what)) => Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("already taken: {what}"),
        )),
        Err(crate::accounts::AccountError::NoAccount(u)) => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("there is no account {u:?}"),
        )),
        Err(e) => Err(ApiError::internal(e)),
    }
}
