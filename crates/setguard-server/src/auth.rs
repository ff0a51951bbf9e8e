//! Who is asking: the session behind a request (a cookie for people in a browser, a bearer token
//! for programs), the CSRF check that a cookie needs, and what the caller may see of a production.
//!
//! A production the caller is not on answers exactly as one that does not exist (404), so its ids
//! tell nothing to someone of another production.

use crate::accounts::{Accounts, Session};
use crate::api::ApiError;
use crate::app::App;
use crate::live::Caller;
use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::{HeaderMap, Method, StatusCode, header, request::Parts};
use setguard_core::{PersonId, ProductionId};
use std::sync::Arc;

/// The session cookie's name.
pub const COOKIE: &str = "setguard_session";
/// The header a browser's script sends with the session's CSRF token on every change.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The signed-in account of a request, and how it proved it.
#[derive(Debug, Clone)]
pub struct Signed {
    pub session: Arc<Session>,
    /// By cookie (a browser, which sends it to any site's request: CSRF must be checked) or by
    /// bearer token (a program, which sends it only where it means to).
    pub by_cookie: bool,
}

impl Signed {
    /// A change sent with the session cookie must carry the session's CSRF token.
    pub fn check_csrf(&self, given: Option<&str>) -> Result<(), ApiError> {
        if !self.by_cookie || given.is_some_and(|g| constant_time_eq(g, &self.session.csrf)) {
            return Ok(());
        }
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "this form or request is stale or came from another site (its CSRF token does not \
             match your session); reload the page and try again",
        ))
    }
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The token a request carries: a bearer token, else the session cookie.
fn token(headers: &HeaderMap) -> Option<(&str, bool)> {
    if let Some(v) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        && let Some(t) = v.strip_prefix("Bearer ")
    {
        return Some((t.trim(), false));
    }
    cookie_in(headers, COOKIE).map(|t| (t, true))
}

/// One cookie's value from the request's `Cookie` headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    cookie_in(headers, name).map(str::to_owned)
}

fn cookie_in<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Looks the request's session up; `None` when it carries none or it has expired.
async fn lookup(parts: &Parts, accounts: &Accounts) -> Result<Option<Signed>, ApiError> {
    let Some((token, by_cookie)) = token(&parts.headers) else {
        return Ok(None);
    };
    let now = chrono::Utc::now().timestamp();
    if let Some(session) = accounts.recent_session(token, now) {
        return Ok(Some(Signed { session, by_cookie }));
    }
    let (accounts, token) = (accounts.clone(), token.to_owned());
    let session = blocking(move || accounts.session(&token, now)).await?;
    Ok(session.map(|session| Signed {
        session: Arc::new(session),
        by_cookie,
    }))
}

/// Runs account work (argon2, the account store) off the async threads.
pub async fn blocking<T: Send + 'static, E: std::fmt::Display + Send + 'static>(
    f: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(format!("an account task failed: {e}")))?
        .map_err(|e| ApiError::internal(format!("the account store: {e}")))
}

impl FromRequestParts<App> for Signed {
    type Rejection = ApiError;

    /// A signed-in caller; a change sent by cookie must also carry the CSRF header (forms check
    /// their hidden field instead, through [`Signed::check_csrf`]).
    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, ApiError> {
        let signed = lookup(parts, &app.accounts).await?.ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "sign in first (POST /api/v1/session, or the sign-in page)",
            )
        })?;
        let unsafe_method = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        let is_form = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if unsafe_method && !is_form {
            let given = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
            signed.check_csrf(given)?;
        }
        Ok(signed)
    }
}

impl OptionalFromRequestParts<App> for Signed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Option<Self>, ApiError> {
        lookup(parts, &app.accounts).await
    }
}

/// What a caller is on one production.
#[derive(Debug, Clone)]
pub struct Member {
    pub production: ProductionId,
    pub caller: Caller,
}

/// The caller's place on `production`: the person their account is there, or an administrator.
/// 404 (as for a production that does not exist) when they have neither.
pub async fn member(app: &App, signed: &Signed, raw_id: &str) -> Result<Member, ApiError> {
    let production = crate::api::production_id(raw_id)?;
    let administrator = signed.session.admin;
    let person = match app
        .accounts
        .recent_person_in(&signed.session.username, production.as_str())
    {
        Some(known) => known,
        None => {
            let (accounts, username, stream) = (
                app.accounts.clone(),
                signed.session.username.clone(),
                production.to_string(),
            );
            blocking(move || accounts.person_in(&username, &stream)).await?
        }
    };
    let person = match person {
        Some(p) => Some(PersonId::parse(&p).map_err(|e| ApiError::internal(e.to_string()))?),
        None if administrator => None,
        None => return Err(ApiError::no_production(raw_id)),
    };
    Ok(Member {
        production,
        caller: Caller {
            person,
            administrator,
        },
    })
}
