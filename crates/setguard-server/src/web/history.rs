//! An item's history: its whole chain of custody, loads, checks, announcements and refused
//! attempts, as a timeline read from the record itself (not the live state), so it shows what
//! an investigator would find.

use super::pages::{PageError, render, to_sign_in};
use crate::api::ApiError;
use crate::app::App;
use crate::auth::{Signed, member};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;
use setguard_core::{ItemId, State as Production};

/// One line of the timeline.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub seq: u64,
    pub at: String,
    pub by: String,
    /// The record's kind in words: "item checked out", "refused".
    pub what: String,
    /// The rest of the record, as `field: value` pairs in words.
    pub detail: String,
    /// A refused attempt or an alarm: shown so that it stands out.
    pub flagged: bool,
}

/// Whether a record (as JSON) is about `item`.
fn about(v: &Value, item: &str) -> bool {
    let is = |x: &Value| x.as_str() == Some(item);
    (v["type"] == "item-registered" && is(&v["id"]))
        || is(&v["item"])
        || v["items"].as_array().is_some_and(|a| a.iter().any(is))
        || is(&v["about"]["item"])
        || about_attempt(&v["attempted"], item)
}

fn about_attempt(cmd: &Value, item: &str) -> bool {
    cmd.is_object() && about(cmd, item)
}

const STRUCTURAL: &[&str] = &["v", "at", "by", "type", "item", "attempted", "violations"];

fn words(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().map(words).collect::<Vec<_>>().join(", "),
        Value::Object(o) => o
            .iter()
            .map(|(k, v)| format!("{}: {}", k.replace('_', " "), words(v)))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

/// The entries of `records` about `item`, oldest first.
pub fn timeline(
    state: &Production,
    records: &[setguard_ledger::Record],
    item: &ItemId,
) -> Vec<Entry> {
    records
        .iter()
        .filter_map(|r| {
            let v = serde_json::to_value(&r.event).ok()?;
            if !about(&v, item.as_str()) {
                return None;
            }
            let kind = v["type"].as_str().unwrap_or_default();
            let mut detail = Vec::new();
            if kind == "refused" {
                detail.push(format!("tried: {}", words(&v["attempted"])));
                if let Some(vs) = v["violations"].as_array() {
                    detail.extend(
                        vs.iter()
                            .map(|x| format!("[{}] {}", words(&x["rule"]), words(&x["message"]))),
                    );
                }
            }
            if let Value::Object(o) = &v {
                detail.extend(
                    o.iter()
                        .filter(|(k, _)| !STRUCTURAL.contains(&k.as_str()))
                        .map(|(k, v)| format!("{}: {}", k.replace('_', " "), words(v))),
                );
            }
            Some(Entry {
                seq: r.seq,
                at: r.event.at.to_string().replace('T', " "),
                by: r
                    .event
                    .by
                    .as_ref()
                    .map_or_else(|| "setguard".to_owned(), |b| state.name_of(b)),
                what: kind.replace('-', " "),
                detail: detail.join(" · "),
                flagged: kind == "refused" || r.event.alarm().is_some(),
            })
        })
        .collect()
}

/// The item's label and its timeline; 404 for an item the production does not have.
async fn history(
    app: &App,
    signed: &Signed,
    id: &str,
    raw_item: &str,
) -> Result<(String, Vec<Entry>), ApiError> {
    let m = member(app, signed, id).await?;
    let missing = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("there is no item {raw_item:?} on this production"),
        )
    };
    let item = ItemId::parse(raw_item).map_err(|_| missing())?;
    // Only the records that name the item are kept (its id in the payload first, as a cheap
    // sieve; `timeline` then reads each one properly).
    let needle = format!("\"{item}\"").into_bytes();
    let records = app
        .productions
        .records_where(&m.production, move |r| {
            r.payload
                .windows(needle.len())
                .any(|w| w == needle.as_slice())
        })
        .await?;
    let found = app
        .productions
        .view(&m.production, |state, _| {
            state
                .items
                .get(&item)
                .map(|i| (i.label(), timeline(state, &records, &item)))
        })
        .await?;
    found.ok_or_else(missing)
}

pub async fn api(
    State(app): State<App>,
    signed: Signed,
    Path((id, item)): Path<(String, String)>,
) -> Result<Json<Vec<Entry>>, ApiError> {
    Ok(Json(history(&app, &signed, &id, &item).await?.1))
}

pub async fn page(
    State(app): State<App>,
    signed: Option<Signed>,
    Path((id, item)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let Some(signed) = signed else {
        return Ok(to_sign_in(&format!("/productions/{id}/items/{item}")));
    };
    let (label, entries) = history(&app, &signed, &id, &item).await?;
    let html = render(
        "history.html",
        minijinja::context! { production => id, item, label, entries },
    )?;
    Ok(Html(html.0).into_response())
}
