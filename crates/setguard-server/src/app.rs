//! The HTTP side: the router (thin handlers over [`Productions`]) and `serve`.
//!
//! This first slice serves what can be read safely by anyone on the set's network: the set
//! board (a page and its JSON), its live updates, and the health check. Commands over HTTP
//! come with sign-in; until then they are given through `setguard replay --db`.

use crate::clock;
use crate::config::Config;
use crate::live::{LiveError, Productions};
use crate::web::{board, templates};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use setguard_core::ProductionId;
use setguard_ledger::{NodeKey, Store};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio_stream::{Stream, StreamExt, wrappers::BroadcastStream};

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct App {
    pub productions: Arc<Productions>,
}

/// The routes. Bodies are limited to 64 KiB: no command is larger.
pub fn router(app: App) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/", get(index))
        .route("/productions/{id}/board", get(board_page))
        .route("/productions/{id}/board/events", get(board_events))
        .route("/api/v1/productions", get(api_productions))
        .route("/api/v1/productions/{id}/board", get(api_board))
        .layer(DefaultBodyLimit::max(64 * 1024))
        .with_state(app)
}

/// Opens the ledger, loads the demo if asked, starts the ticker and serves until Ctrl-C.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let key = NodeKey::load_or_create(&config.data_dir)
        .with_context(|| format!("loading the node key in {}", config.data_dir.display()))?;
    let (url, k) = (config.db.clone(), key.clone());
    let store: Box<dyn Store> = tokio::task::spawn_blocking(move || setguard_ledger::open(&url, k))
        .await
        .context("opening the ledger")?
        .with_context(|| format!("opening the ledger {}", place(&config.db)))?;
    let productions = Arc::new(Productions::new(Arc::from(store), key.clone()));
    if config.demo && crate::demo::load_if_absent(&productions).await? {
        println!("loaded the demo production {}", crate::demo::DEMO);
    }
    if config.db.starts_with("postgres://") || config.db.starts_with("postgresql://") {
        tokio::spawn(crate::follow::run(productions.clone(), config.db.clone()));
    }
    tokio::spawn(crate::ticker::run(
        productions.clone(),
        Duration::from_secs(config.tick_seconds),
    ));
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    let addr = listener.local_addr()?;
    println!("setguard is serving http://{addr}/");
    println!("  ledger {}", place(&config.db));
    println!(
        "  node key {} (publish it: bundles and reports are checked against it)",
        key.public_hex()
    );
    axum::serve(listener, router(App { productions }))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("serving")?;
    Ok(())
}

/// A ledger URL without its credentials, for messages.
fn place(url: &str) -> String {
    match (url.split_once("://"), url.rsplit_once('@')) {
        (Some((scheme, _)), Some((_, rest))) => format!("{scheme}://{rest}"),
        _ => url.to_owned(),
    }
}

async fn healthz() -> &'static str {
    "ok\n"
}

/// An error as the client sees it: what was wrong, never the server's insides.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl From<LiveError> for ApiError {
    fn from(e: LiveError) -> Self {
        match e {
            LiveError::NoProduction(_) => ApiError {
                status: StatusCode::NOT_FOUND,
                message: e.to_string(),
            },
            LiveError::Invalid(inv) => ApiError {
                status: match inv.kind {
                    setguard_core::InvalidKind::NotFound => StatusCode::NOT_FOUND,
                    setguard_core::InvalidKind::Conflict => StatusCode::CONFLICT,
                    setguard_core::InvalidKind::BadRequest => StatusCode::BAD_REQUEST,
                },
                message: inv.message,
            },
            LiveError::Busy => ApiError {
                status: StatusCode::SERVICE_UNAVAILABLE,
                message: e.to_string(),
            },
            LiveError::Ledger(_) | LiveError::Internal(_) => {
                tracing::error!(error = %e, "request failed");
                ApiError {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    message: "the server could not complete this; it is in the server's log"
                        .to_owned(),
                }
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(serde_json::json!({ "error": self.message })),
        )
            .into_response()
    }
}

/// A production id from the path; one that cannot be an id names no production.
fn production_id(raw: &str) -> Result<ProductionId, ApiError> {
    ProductionId::parse(raw).map_err(|_| ApiError {
        status: StatusCode::NOT_FOUND,
        message: format!("there is no production {raw:?}"),
    })
}

async fn board_of(app: &App, id: &ProductionId) -> Result<board::Board, ApiError> {
    Ok(app
        .productions
        .view(id, |state, head| {
            board::board(state, head, clock::now_for(state))
        })
        .await?)
}

async fn api_board(
    State(app): State<App>,
    Path(id): Path<String>,
) -> Result<Json<board::Board>, ApiError> {
    let id = production_id(&id)?;
    Ok(Json(board_of(&app, &id).await?))
}

#[derive(Debug, serde::Serialize)]
struct ProductionSummary {
    id: String,
    name: String,
    events: u64,
}

async fn summaries(app: &App) -> Result<Vec<ProductionSummary>, ApiError> {
    let mut out = Vec::new();
    for id in app.productions.ids().await? {
        let s = app
            .productions
            .view(&id, |state, head| ProductionSummary {
                id: id.to_string(),
                name: state
                    .production
                    .as_ref()
                    .map(|p| p.name.clone())
                    .unwrap_or_default(),
                events: head.seq,
            })
            .await?;
        out.push(s);
    }
    Ok(out)
}

async fn api_productions(State(app): State<App>) -> Result<Json<Vec<ProductionSummary>>, ApiError> {
    Ok(Json(summaries(&app).await?))
}

async fn index(State(app): State<App>) -> Result<Response, ApiError> {
    let list = summaries(&app).await?;
    if let [only] = list.as_slice() {
        let to = format!("/productions/{}/board", only.id);
        return Ok((StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response());
    }
    let mut html = String::from(
        "<!doctype html><meta charset=utf-8><meta name=viewport content=\"width=device-width\">\
         <title>setguard</title><h1>Productions</h1><ul>",
    );
    for p in &list {
        html.push_str(&format!(
            "<li><a href=\"/productions/{0}/board\">{1}</a> ({2} events)</li>",
            html_escape(&p.id),
            html_escape(&p.name),
            p.events
        ));
    }
    if list.is_empty() {
        html.push_str("<li>No production yet. Start with <code>setguard serve --demo</code>.</li>");
    }
    html.push_str("</ul>");
    Ok(Html(html).into_response())
}

fn html_escape(s: &str) -> String {
    minijinja::HtmlEscape(s).to_string()
}

#[derive(Debug, Deserialize)]
struct BoardQuery {
    /// `body`: only the part that changes, for the page's live update.
    part: Option<String>,
}

async fn board_page(
    State(app): State<App>,
    Path(id): Path<String>,
    Query(q): Query<BoardQuery>,
) -> Result<Html<String>, ApiError> {
    let id = production_id(&id)?;
    let b = board_of(&app, &id).await?;
    let name = match q.part.as_deref() {
        Some("body") => "board_body.html",
        _ => "board.html",
    };
    let html = templates()
        .get_template(name)
        .and_then(|t| t.render(minijinja::context! { b => b }))
        .map_err(|e| ApiError::from(LiveError::Internal(format!("rendering {name}: {e}"))))?;
    Ok(Html(html))
}

/// Server-sent events: a `change` event whenever the production records something.
async fn board_events(
    State(app): State<App>,
    Path(id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let id = production_id(&id)?;
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
