//! The pages people open: the list of their productions, the set board (and its live updates),
//! and signing in and out. A page that needs a session sends the browser to the sign-in page.

use super::templates;
use crate::api::session::{cleared_cookie, secure, session_cookie, start};
use crate::api::{ApiError, production_id};
use crate::app::App;
use crate::auth::{Signed, member};
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::convert::Infallible;
use tokio_stream::{Stream, StreamExt, wrappers::BroadcastStream};

/// A page failed: the error as a short page rather than JSON.
#[derive(Debug)]
pub struct PageError(pub ApiError);

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        PageError(e)
    }
}

impl From<crate::live::LiveError> for PageError {
    fn from(e: crate::live::LiveError) -> Self {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let html = format!(
            "<!doctype html><meta charset=utf-8><meta name=viewport content=\"width=device-width\">\
             <title>setguard</title><h1>{}</h1><p>{}</p><p><a href=\"/\">Your productions</a></p>",
            self.0.status.as_u16(),
            escape(&self.0.message)
        );
        (self.0.status, Html(html)).into_response()
    }
}

fn escape(s: &str) -> String {
    minijinja::HtmlEscape(s).to_string()
}

pub fn render(name: &str, ctx: minijinja::Value) -> Result<Html<String>, PageError> {
    templates()
        .get_template(name)
        .and_then(|t| t.render(ctx))
        .map(Html)
        .map_err(|e| PageError(ApiError::internal(format!("rendering {name}: {e}"))))
}

/// To the sign-in page, coming back to `next` afterwards.
pub fn to_sign_in(next: &str) -> Response {
    let next: String = url_escape(next);
    Redirect::to(&format!("/sign-in?next={next}")).into_response()
}

fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Only paths of this server are followed after sign-in (never another site).
fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next
    } else {
        "/"
    }
}

pub async fn index(State(app): State<App>, signed: Option<Signed>) -> Result<Response, PageError> {
    let Some(signed) = signed else {
        return Ok(to_sign_in("/"));
    };
    let list = crate::api::productions::visible(&app, &signed).await?;
    if let [only] = list.as_slice() {
        let to = format!("/productions/{}/board", only.id);
        return Ok(Redirect::to(&to).into_response());
    }
    let mut html = String::from(
        "<!doctype html><meta charset=utf-8><meta name=viewport content=\"width=device-width\">\
         <title>setguard</title><h1>Productions</h1><ul>",
    );
    for p in &list {
        html.push_str(&format!(
            "<li><a href=\"/productions/{0}/board\">{1}</a> ({2} events)</li>",
            escape(&p.id),
            escape(&p.name),
            p.events
        ));
    }
    if list.is_empty() {
        html.push_str(
            "<li>You are on no production yet: ask the producer to give you your account on \
             theirs.</li>",
        );
    }
    html.push_str(&format!(
        "</ul><form method=post action=/sign-out><input type=hidden name=csrf value=\"{}\">\
         <button>Sign out {}</button></form>",
        escape(&signed.session.csrf),
        escape(&signed.session.username)
    ));
    Ok(Html(html).into_response())
}

#[derive(Debug, Deserialize)]
pub struct BoardQuery {
    /// `body`: only the part that changes, for the page's live update.
    part: Option<String>,
}

pub async fn board(
    State(app): State<App>,
    signed: Option<Signed>,
    Path(id): Path<String>,
    Query(q): Query<BoardQuery>,
) -> Result<Response, PageError> {
    let Some(signed) = signed else {
        return Ok(to_sign_in(&format!("/productions/{id}/board")));
    };
    let m = member(&app, &signed, &id).await?;
    let b = crate::api::productions::board_of(&app, &m.production).await?;
    let name = match q.part.as_deref() {
        Some("body") => "board_body.html",
        _ => "board.html",
    };
    Ok(render(name, minijinja::context! { b => b })?.into_response())
}

/// Server-sent events: a `change` event whenever the production records something.
pub async fn board_events(
    State(app): State<App>,
    signed: Signed,
    Path(id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let m = member(&app, &signed, &id).await?;
    let id = production_id(m.production.as_str())?;
    // 404 for a production that does not exist, before the stream starts.
    app.productions.view(&id, |_, _| ()).await?;
    let changes = BroadcastStream::new(app.productions.subscribe()).filter_map(move |c| {
        match c {
            Ok(c) if c.production == id => Some(Ok(SseEvent::default()
                .event("change")
                .data(c.seq.to_string()))),
            Ok(_) => None,
            // Missed some: a redraw catches up with all of them.
            Err(_) => Some(Ok(SseEvent::default().event("change").data("lagged"))),
        }
    });
    Ok(Sse::new(changes).keep_alive(KeepAlive::default()))
}

#[derive(Debug, Deserialize)]
pub struct SignInQuery {
    #[serde(default)]
    next: String,
}

pub async fn sign_in_page(Query(q): Query<SignInQuery>) -> Result<Html<String>, PageError> {
    render(
        "sign_in.html",
        minijinja::context! { next => safe_next(&q.next), error => "", username => "" },
    )
}

#[derive(Debug, Deserialize)]
pub struct SignInForm {
    username: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// The sign-in form: a session cookie and back to where the person was going.
pub async fn sign_in(
    State(app): State<App>,
    headers: HeaderMap,
    Form(f): Form<SignInForm>,
) -> Result<Response, PageError> {
    if !same_origin(&headers) {
        return Err(PageError(ApiError::new(
            StatusCode::FORBIDDEN,
            "this sign-in came from another site",
        )));
    }
    match start(&app, f.username.clone(), f.password).await {
        Ok(session) => Ok((
            [(
                header::SET_COOKIE,
                session_cookie(&session, secure(&headers)),
            )],
            Redirect::to(safe_next(&f.next)),
        )
            .into_response()),
        Err(e) if e.status.is_client_error() => {
            let page = render(
                "sign_in.html",
                minijinja::context! {
                    next => safe_next(&f.next), error => e.message, username => f.username
                },
            )?;
            Ok((e.status, page).into_response())
        }
        Err(e) => Err(PageError(e)),
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn sign_out(
    State(app): State<App>,
    signed: Signed,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PageError> {
    signed.check_csrf(Some(&f.csrf))?;
    let (accounts, token) = (app.accounts.clone(), signed.session.token.clone());
    crate::auth::blocking(move || accounts.sign_out(&token)).await?;
    Ok((
        [(header::SET_COOKIE, cleared_cookie())],
        Redirect::to("/sign-in"),
    )
        .into_response())
}

/// A form post from a page of this server: a browser's `Origin`, when it sends one, names our
/// own host (a sign-in forged by another site is refused).
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    origin
        .split_once("://")
        .is_some_and(|(_, rest)| rest == host)
}
