//! Signing in and out. A browser keeps the session in a cookie (HttpOnly, SameSite=Strict, Secure
//! behind TLS); a program asks for the token and sends it as a bearer token.

use super::ApiError;
use crate::accounts::{Session, SignInError};
use crate::app::App;
use crate::auth::{COOKIE, Signed, blocking};
use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    username: String,
    password: String,
    /// Return the session token in the body, for a program to send as `Authorization: Bearer`.
    #[serde(default)]
    token: bool,
}

/// The signed-in account, as its client needs it.
#[derive(Debug, Serialize)]
pub struct SessionInfo {
    username: String,
    administrator: bool,
    /// Send it back in the `X-CSRF-Token` header with every change made by cookie.
    csrf: String,
    expires: String,
    productions: Vec<Membership>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
}

#[derive(Debug, Serialize)]
struct Membership {
    production: String,
    person: String,
}

async fn info(app: &App, s: &Session, with_token: bool) -> Result<SessionInfo, ApiError> {
    let (accounts, username) = (app.accounts.clone(), s.username.clone());
    let memberships = blocking(move || accounts.memberships(&username)).await?;
    Ok(SessionInfo {
        username: s.username.clone(),
        administrator: s.admin,
        csrf: s.csrf.clone(),
        expires: chrono::DateTime::from_timestamp(s.expires_unix, 0)
            .map(|t| t.to_rfc3339())
            .unwrap_or_default(),
        productions: memberships
            .into_iter()
            .map(|(production, person)| Membership { production, person })
            .collect(),
        token: with_token.then(|| s.token.clone()),
    })
}

/// Signs in with a username and password: the session, as a cookie and in the body.
pub async fn sign_in(
    State(app): State<App>,
    headers: HeaderMap,
    body: Result<Json<SignIn>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(req) = body?;
    let session = start(&app, req.username, req.password).await?;
    let body = info(&app, &session, req.token).await?;
    let cookie = session_cookie(&session, secure(&headers));
    Ok(([(header::SET_COOKIE, cookie)], Json(body)).into_response())
}

/// Checks the password and starts a session; a wrong one and a locked account answer as such.
pub async fn start(app: &App, username: String, password: String) -> Result<Session, ApiError> {
    let accounts = app.accounts.clone();
    let now = chrono::Utc::now().timestamp();
    let outcome = tokio::task::spawn_blocking(move || accounts.sign_in(&username, &password, now))
        .await
        .map_err(|e| ApiError::internal(format!("a sign-in task failed: {e}")))?;
    match outcome {
        Ok(s) => Ok(s),
        Err(SignInError::Wrong) => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "that username and password do not match",
        )),
        Err(SignInError::Locked { until_unix }) => Err(locked(
            "too many failed sign-ins: this account is locked",
            until_unix,
            now,
        )),
        Err(SignInError::Store(e)) => Err(ApiError::internal(e)),
    }
}

/// 429 with the time it unlocks, for a locked sign-in or PIN.
pub fn locked(what: &str, until_unix: i64, now: i64) -> ApiError {
    let until = chrono::DateTime::from_timestamp(until_unix, 0)
        .map(|t| t.format("%H:%M UTC").to_string())
        .unwrap_or_default();
    let mut e = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        format!("{what} until {until}"),
    );
    e.retry_after = Some(until_unix - now);
    e
}

/// Whether the request came over TLS (a proxy in front says so): then the cookie is `Secure`.
pub fn secure(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// The session cookie: never readable by scripts, never sent with another site's request.
pub fn session_cookie(s: &Session, secure: bool) -> HeaderValue {
    let max_age = (s.expires_unix - chrono::Utc::now().timestamp()).max(0);
    let v = format!(
        "{COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{}",
        s.token,
        if secure { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// A cookie that ends the session in the browser.
pub fn cleared_cookie() -> HeaderValue {
    HeaderValue::from_static("setguard_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
}

pub async fn current(
    State(app): State<App>,
    signed: Signed,
) -> Result<Json<SessionInfo>, ApiError> {
    Ok(Json(info(&app, &signed.session, false).await?))
}

pub async fn sign_out(State(app): State<App>, signed: Signed) -> Result<Response, ApiError> {
    let (accounts, token) = (app.accounts.clone(), signed.session.token.clone());
    blocking(move || accounts.sign_out(&token)).await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, cleared_cookie())],
    )
        .into_response())
}
