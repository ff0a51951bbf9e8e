//! The anonymous concern form. It is reached through a per-production link posted on set as a
//! QR code (`/concern/TOKEN`), works without an account, and records nothing that identifies the
//! sender: no session is read or made, no cookie is set, the core records the concern with no
//! `by`, and nothing here logs the request.

use super::pages::{PageError, render};
use crate::api::ApiError;
use crate::app::App;
use crate::auth::{Signed, blocking, member};
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use setguard_core::{Command, EventBody, ProductionId};

/// The production a link is for; 404 for anything else (a guessed or stale link).
async fn production_of(app: &App, token: &str) -> Result<(ProductionId, String), PageError> {
    let (accounts, t) = (app.accounts.clone(), token.to_owned());
    let found = blocking(move || accounts.concern_production(&t)).await?;
    let missing = || {
        PageError(ApiError::new(
            StatusCode::NOT_FOUND,
            "this concern link is not (or no longer) in use: ask for the poster on set",
        ))
    };
    let id = found
        .and_then(|p| ProductionId::parse(&p).ok())
        .ok_or_else(missing)?;
    let name = app
        .productions
        .view(&id, |s, _| {
            s.production
                .as_ref()
                .map(|p| p.name.clone())
                .unwrap_or_default()
        })
        .await
        .map_err(|_| missing())?;
    Ok((id, name))
}

/// Pages that must not be kept by a shared phone's browser or told to the next site.
fn private(html: Html<String>, status: StatusCode) -> Response {
    (
        status,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        html,
    )
        .into_response()
}

pub async fn form(
    State(app): State<App>,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let (_, name) = production_of(&app, &token).await?;
    let here = format!("/concern/{token}");
    let html = render(
        "concern.html",
        minijinja::context! { name, here, text => "", error => "", recorded => "" },
    )?;
    Ok(private(html, StatusCode::OK))
}

#[derive(Debug, Deserialize)]
pub struct ConcernForm {
    #[serde(default)]
    text: String,
    #[serde(default)]
    urgent: Option<String>,
}

pub async fn send(
    State(app): State<App>,
    Path(token): Path<String>,
    Form(f): Form<ConcernForm>,
) -> Result<Response, PageError> {
    let (id, name) = production_of(&app, &token).await?;
    let here = format!("/concern/{token}");
    let urgent = f.urgent.is_some();
    let text = f.text.trim().to_owned();
    if text.is_empty() {
        let html = render(
            "concern.html",
            minijinja::context! {
                name, here, text, recorded => "",
                error => "text: write what is unsafe (nothing was sent)"
            },
        )?;
        return Ok(private(html, StatusCode::BAD_REQUEST));
    }
    let cmd = Command::RaiseConcern {
        text: text.clone(),
        urgent,
        anonymous: true,
    };
    // No one gives it: the core records an anonymous concern without a sender.
    let done = app.productions.execute(&id, None, &cmd).await?;
    let number = done.recorded.iter().find_map(|(_, e)| match &e.body {
        EventBody::ConcernRaised { concern, .. } => Some(concern.0.to_string()),
        _ => None,
    });
    let Some(number) = number else {
        return Err(PageError(ApiError::internal(
            "an anonymous concern was not recorded as one",
        )));
    };
    let html = render(
        "concern.html",
        minijinja::context! { name, here, text => "", error => "", recorded => number, urgent },
    )?;
    Ok(private(html, StatusCode::OK))
}

/// The poster for the set: the production's concern link and its QR code, for anyone on the
/// crew to print.
pub async fn poster(
    State(app): State<App>,
    signed: Option<Signed>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let Some(signed) = signed else {
        return Ok(super::pages::to_sign_in(&format!(
            "/productions/{id}/concern-poster"
        )));
    };
    let m = member(&app, &signed, &id).await?;
    let name = app
        .productions
        .view(&m.production, |s, _| {
            s.production
                .as_ref()
                .map(|p| p.name.clone())
                .unwrap_or_default()
        })
        .await?;
    let (accounts, production) = (app.accounts.clone(), m.production.to_string());
    let token = blocking(move || accounts.concern_link(&production)).await?;
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    let scheme = if crate::api::session::secure(&headers) {
        "https"
    } else {
        "http"
    };
    let link = format!("{scheme}://{host}/concern/{token}");
    let svg = qr_svg(&link)?;
    let html = render(
        "concern_poster.html",
        minijinja::context! { name, link, svg, production => m.production.to_string() },
    )?;
    Ok(html.into_response())
}

/// A QR code of `text` as an SVG element.
pub fn qr_svg(text: &str) -> Result<String, PageError> {
    let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M)
        .map_err(|e| PageError(ApiError::internal(format!("a QR code of {text}: {e}"))))?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build())
}
