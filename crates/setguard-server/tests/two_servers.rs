//! Two servers over one PostgreSQL ledger: a change made through one shows on the other's set
//! board within a second (LISTEN/NOTIFY), and both record into the one stream without forking
//! it. Needs `SETGUARD_TEST_POSTGRES` (the test command sets it); each run gets its own database.

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use setguard_core::{Command, PersonId, ProductionId};
use setguard_ledger::NodeKey;
use setguard_ledger::verify::verify_store;
use setguard_server::live::Productions;
use setguard_server::{App, demo, follow, router};
use std::sync::Arc;
use std::time::Duration;
use tokio_postgres::NoTls;
use tower::ServiceExt;

/// A fresh database on the test server, dropped afterwards; `None` (said on stderr) without one.
async fn database() -> Option<(String, String, String)> {
    let Some(server) = std::env::var("SETGUARD_TEST_POSTGRES")
        .ok()
        .filter(|s| !s.is_empty())
    else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the PostgreSQL suite: SETGUARD_TEST_POSTGRES is not set"
        );
        eprintln!("SETGUARD_TEST_POSTGRES is not set: the two-server PostgreSQL test did NOT run");
        return None;
    };
    let name = format!("setguard_srv_{}", std::process::id());
    let (client, conn) = tokio_postgres::connect(&server, NoTls)
        .await
        .expect("the test server");
    tokio::spawn(conn);
    // One statement each: several in one string run as one transaction, which
    // CREATE DATABASE refuses.
    for sql in [
        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        format!("CREATE DATABASE {name}"),
    ] {
        client
            .batch_execute(&sql)
            .await
            .expect("create the test database");
    }
    let base = server
        .rsplit_once('/')
        .map_or(server.as_str(), |(b, _)| b)
        .to_owned();
    Some((format!("{base}/{name}"), server, name))
}

async fn drop_database(server: &str, name: &str) {
    if let Ok((client, conn)) = tokio_postgres::connect(server, NoTls).await {
        tokio::spawn(conn);
        let _ = client
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await;
    }
}

async fn server_on(url: &str) -> Arc<Productions> {
    let url = url.to_owned();
    let key = NodeKey::ephemeral();
    let k = key.clone();
    let store = tokio::task::spawn_blocking(move || setguard_ledger::open(&url, k))
        .await
        .expect("task")
        .expect("the ledger");
    Arc::new(Productions::new(Arc::from(store), key))
}

async fn board(p: &Arc<Productions>) -> serde_json::Value {
    let res = router(App {
        productions: p.clone(),
    })
    .oneshot(
        Request::get("/api/v1/productions/dusty-creek/board")
            .body(Body::empty())
            .expect("request"),
    )
    .await
    .expect("response");
    let body = res.into_body().collect().await.expect("body").to_bytes();
    serde_json::from_slice(&body).expect("json")
}

fn status_of(b: &serde_json::Value, item: &str) -> String {
    b["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["id"] == item)
        .map(|i| i["status"].as_str().unwrap_or_default().to_owned())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_through_one_server_shows_on_the_other_within_a_second() {
    let Some((url, server, name)) = database().await else {
        return;
    };
    let a = server_on(&url).await;
    let b = server_on(&url).await;
    tokio::spawn(follow::run(b.clone(), url.clone()));
    demo::load_if_absent(&a)
        .await
        .expect("the demo, through server A");
    // Server B loads the production and shows its board.
    assert_eq!(
        status_of(&board(&b).await, "colt-2"),
        "WITH ROSA VEGA (ARMORER)"
    );
    // Let B's LISTEN be in place before the change.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut heard = b.subscribe();

    let id = ProductionId::parse("dusty-creek").expect("id");
    let store: Command = serde_json::from_str(r#"{"do":"store","item":"colt-2"}"#).expect("cmd");
    let rosa = PersonId::parse("rosa").ok();
    let done = a
        .execute(&id, rosa.clone(), &store)
        .await
        .expect("recorded through A");
    assert!(done.refused.is_empty(), "{:?}", done.refused);
    let seq = done.recorded.last().expect("an event").0;

    let change = tokio::time::timeout(Duration::from_secs(1), heard.recv())
        .await
        .expect("server B heard of it within a second")
        .expect("a change");
    assert_eq!((change.production, change.seq), (id.clone(), seq));
    assert_eq!(status_of(&board(&b).await, "colt-2"), "IN STORAGE");

    // Both servers record into the one stream: B decides on the state A left, at the next seq.
    let out: Command = serde_json::from_str(r#"{"do":"check-out","item":"colt-2"}"#).expect("cmd");
    let done = b
        .execute(&id, rosa, &out)
        .await
        .expect("recorded through B");
    assert!(done.refused.is_empty(), "{:?}", done.refused);
    assert_eq!(done.recorded.first().expect("an event").0, seq + 1);
    let u = url.clone();
    let verified = tokio::task::spawn_blocking(move || {
        let store = setguard_ledger::open(&u, NodeKey::ephemeral()).expect("ledger");
        verify_store(
            store.as_ref(),
            &ProductionId::parse("dusty-creek").expect("id"),
            None,
            None,
        )
    })
    .await
    .expect("task")
    .expect("read");
    assert_eq!(verified.expect("the stream verifies").head.seq, seq + 1);
    drop((a, b));
    drop_database(&server, &name).await;
}
