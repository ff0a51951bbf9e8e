//! Following the other servers on a shared PostgreSQL ledger: every append is announced on
//! the ledger's changes channel (`NOTIFY`, sent only when it commits); this `LISTEN`s, brings
//! the productions this server holds up to date, and tells their set boards, so a change made
//! through one server shows on every server's boards within a second, without polling.

use crate::live::Productions;
use setguard_core::ProductionId;
use setguard_ledger::pgconn;
use setguard_ledger::postgres::CHANGES_CHANNEL;
use std::sync::Arc;
use std::time::Duration;
use tokio_postgres::{AsyncMessage, NoTls};

/// Listens until the server stops, reconnecting (with a growing pause, up to 30 s) whenever the
/// connection is lost; after each (re)connection every production held is caught up, for what
/// was announced while no one listened.
pub async fn run(productions: Arc<Productions>, url: String) {
    let mut pause = Duration::from_secs(1);
    loop {
        match listen(&productions, &url).await {
            Ok(()) => tracing::warn!("the ledger's changes channel closed; listening again"),
            Err(e) => tracing::warn!(error = %e, "listening for other servers' changes"),
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(30));
    }
}

async fn listen(productions: &Productions, url: &str) -> Result<(), String> {
    // Parsed as the stores parse it: the same timeout, and the pool size taken out of the URL.
    let settings = pgconn::config(url)?;
    let place = settings.place();
    let place = place.as_str();
    let failed = |doing| move |e| pgconn::describe(place, doing, e);
    let mut config = settings.postgres_config().clone();
    config.application_name("setguard-listen");
    let (client, mut connection) = config.connect(NoTls).await.map_err(failed("connecting"))?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    // The connection must be driven for anything to arrive; notifications are handed over.
    let driver = tokio::spawn(async move {
        while let Some(message) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
            match message {
                Ok(AsyncMessage::Notification(n)) => {
                    if tx.send(n.payload().to_owned()).is_err() {
                        break;
                    }
                }
                Ok(_) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    });
    client
        .batch_execute(&format!("LISTEN {CHANGES_CHANNEL}"))
        .await
        .map_err(failed("listening"))?;
    tracing::info!("following other servers' changes on the shared ledger");
    productions.catch_up_all().await;
    while let Some(payload) = rx.recv().await {
        let Some((stream, seq)) = payload.split_once(' ') else {
            continue;
        };
        let (Ok(id), Ok(seq)) = (ProductionId::parse(stream), seq.parse::<u64>()) else {
            continue;
        };
        if let Err(e) = productions.follow(&id, seq).await {
            tracing::warn!(production = %id, error = %e, "catching up with another server");
        }
    }
    drop(client);
    driver
        .await
        .unwrap_or(Ok(()))
        .map_err(failed("following the changes"))
}
