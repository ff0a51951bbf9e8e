//! The HTTP side: the router (thin handlers over [`Productions`]) and `serve`.
//!
//! The API (`api`) and the pages (`web`) both go through `auth` (who is asking, and what they
//! are on which production) and then [`Productions`], which judges every command through the
//! core and records it in the ledger.

use crate::accounts::Accounts;
use crate::config::Config;
use crate::live::Productions;
use crate::web::{concern, console, dashboard, history, meeting, pages, safety};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use setguard_ledger::{NodeKey, Store};
use std::sync::Arc;
use std::time::Duration;

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct App {
    pub productions: Arc<Productions>,
    pub accounts: Accounts,
}

/// The routes. Bodies are limited to 64 KiB: no command is larger (the import page takes a file
/// of up to `web::import::LIMIT`).
pub fn router(app: App) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/", get(pages::index))
        .route("/sign-in", get(pages::sign_in_page).post(pages::sign_in))
        .route("/sign-out", post(pages::sign_out))
        .route("/dashboard", get(dashboard::show))
        .route("/productions/{id}/board", get(pages::board))
        .route("/productions/{id}/board/events", get(pages::board_events))
        .route(
            "/productions/{id}/safety",
            get(safety::show).post(safety::press),
        )
        .route("/productions/{id}/items/{item}", get(history::page))
        .route(
            "/productions/{id}/reports/{kind}",
            get(crate::web::reports::page),
        )
        .route(
            "/productions/{id}/meeting",
            get(meeting::show).post(meeting::press),
        )
        .route("/concern/{token}", get(concern::form).post(concern::send))
        .route("/productions/{id}/concern-poster", get(concern::poster))
        .route(
            "/productions/{id}/console",
            get(console::show).post(console::press),
        )
        .route(
            "/productions/{id}/import",
            get(crate::web::import::show)
                .post(crate::web::import::submit)
                .layer(crate::web::import::limit()),
        )
        .merge(crate::api::routes())
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
    let accounts_url = crate::accounts::url_for(&config.db);
    let accounts = tokio::task::spawn_blocking(move || crate::accounts::open(&accounts_url))
        .await
        .context("opening the accounts")?
        .with_context(|| {
            format!(
                "opening the accounts {}",
                place(&crate::accounts::url_for(&config.db))
            )
        })?;
    if config.demo {
        if crate::demo::load_if_absent(&productions).await? {
            println!("loaded the demo production {}", crate::demo::DEMO);
        }
        crate::demo::accounts(&accounts).await?;
        println!("demo accounts (password {}):", crate::demo::PASSWORD);
        for (user, who, pin) in crate::demo::ACCOUNTS {
            println!("  {user:<6} {who:<28} PIN {pin}");
        }
    }
    if config.db.starts_with("postgres://") || config.db.starts_with("postgresql://") {
        tokio::spawn(crate::follow::run(productions.clone(), config.db.clone()));
    }
    tokio::spawn(crate::ticker::run(
        productions.clone(),
        Duration::from_secs(config.tick_seconds),
    ));
    if !config.notify.is_empty() {
        let notifier = crate::notify::Notifier::new(&config.notify, accounts.clone())
            .map_err(|e| anyhow::anyhow!("the notification settings: {e}"))?;
        notifier.spawn(productions.clone()).await;
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    let addr = listener.local_addr()?;
    // Answers and the board's server-sent events are small writes: without TCP_NODELAY, one
    // sent before the last is acknowledged waits for that ACK (a delayed ACK, on a ranch's
    // cellular link, is tens of milliseconds or more).
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "TCP_NODELAY could not be set on a connection");
        }
    });
    println!("setguard is serving http://{addr}/");
    println!("  ledger {}", place(&config.db));
    println!(
        "  node key {} (publish it: bundles and reports are checked against it)",
        key.public_hex()
    );
    axum::serve(
        listener,
        router(App {
            productions,
            accounts,
        }),
    )
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
