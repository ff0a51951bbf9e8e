//! Reports as pages: `/productions/{id}/reports/{kind}` (daily, meeting, incident, people,
//! compliance; `?date=YYYY-MM-DD`, `?incident=N`) for the production's members, the same
//! report `setguard report --html` writes, stamped with the ledger checkpoint it was made from.

use super::pages::{PageError, to_sign_in};
use crate::api::ApiError;
use crate::app::App;
use crate::auth::{Signed, member};
use crate::reports::{self, Kind, Stamp, build::Options};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

/// The report's options, from the query string.
#[derive(Debug, Default, Deserialize)]
pub struct Params {
    pub date: Option<chrono::NaiveDate>,
    pub incident: Option<u32>,
}

pub async fn page(
    State(app): State<App>,
    signed: Option<Signed>,
    Path((id, kind)): Path<(String, String)>,
    Query(params): Query<Params>,
) -> Result<Response, PageError> {
    let Some(signed) = signed else {
        return Ok(to_sign_in(&format!("/productions/{id}/reports/{kind}")));
    };
    let m = member(&app, &signed, &id).await?;
    let kind = Kind::parse(&kind).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!(
                "there is no report {kind:?}; the reports are: {}",
                Kind::ALL.map(Kind::as_str).join(", ")
            ),
        )
    })?;
    let mut records = app.productions.records(&m.production, 1).await?;
    let head = records.last().map_or(0, |r| r.seq);
    let stamp = app
        .productions
        .checkpoints(&m.production)
        .await?
        .into_iter()
        .filter(|c| c.seq <= head)
        .max_by_key(|c| c.seq)
        .map(|c| Stamp::from_checkpoint(&c))
        .ok_or_else(|| ApiError::internal("the production has no signed checkpoint"))?;
    records.retain(|r| r.seq <= stamp.seq);
    // The state as of the checkpoint: the live one when it is there, else rebuilt.
    let live = app
        .productions
        .view(&m.production, |state, h| {
            (h.seq == stamp.seq).then(|| state.clone())
        })
        .await?;
    let state = live.unwrap_or_else(|| {
        let mut s = setguard_core::State::new();
        for r in &records {
            s.apply(&r.event);
        }
        s
    });
    let report = reports::build(
        kind,
        &state,
        &records,
        stamp,
        Options {
            // A people report is as of today on the production's clock.
            date: params
                .date
                .or_else(|| (kind == Kind::People).then(|| crate::clock::now_for(&state).date())),
            incident: params.incident,
        },
    )
    .map_err(|e| ApiError::new(StatusCode::NOT_FOUND, e))?;
    Ok(Html(reports::html::render(&report)).into_response())
}
