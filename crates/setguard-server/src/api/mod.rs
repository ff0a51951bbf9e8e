//! The JSON API under `/api/v1`: sign-in, the productions a caller is on, their views, and every
//! command of the core. Handlers are thin: who is asking (`auth`), then [`Productions`], which
//! judges through the same core as replay.
//!
//! [`Productions`]: crate::live::Productions

pub mod commands;
mod error;
mod openapi;
pub mod productions;
pub mod session;

pub use error::ApiError;

use crate::app::App;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use setguard_core::ProductionId;

/// The API's routes.
pub fn routes() -> Router<App> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi::serve))
        .route(
            "/api/v1/session",
            get(session::current)
                .post(session::sign_in)
                .delete(session::sign_out),
        )
        .route(
            "/api/v1/productions",
            get(productions::list).post(productions::open),
        )
        .route("/api/v1/productions/{id}/board", get(productions::board))
        .route(
            "/api/v1/productions/{id}/items/{item}",
            get(productions::item),
        )
        .route(
            "/api/v1/productions/{id}/items/{item}/history",
            get(crate::web::history::api),
        )
        .route(
            "/api/v1/productions/{id}/people/{person}/account",
            post(productions::link_account),
        )
        .route("/api/v1/productions/{id}/commands", post(commands::give))
        .route(
            "/api/v1/productions/{id}/confirmations",
            post(commands::confirm),
        )
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no such API path") })
}

/// A production id from the path; one that cannot be an id names no production.
pub fn production_id(raw: &str) -> Result<ProductionId, ApiError> {
    ProductionId::parse(raw).map_err(|_| ApiError::no_production(raw))
}
