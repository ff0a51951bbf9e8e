//! Two servers over one PostgreSQL ledger: a change made through one shows on the other's set
//! board within a second (LISTEN/NOTIFY), and both record into the one stream without forking
//! it. Needs `SETGUARD_TEST_POSTGRES` (the test command sets it); each run gets its own database.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use setguard_core::{Command, PersonId, ProductionId};
use setguard_ledger::NodeKey;
use setguard_ledger::verify::verify_store;
use setguard_server::accounts;
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

/// One server: its own node key and memory, the shared ledger and accounts.
async fn server_on(url: &str) -> App {
    let url = url.to_owned();
    let key = NodeKey::ephemeral();
    let k = key.clone();
    let (store, accounts) = tokio::task::spawn_blocking(move || {
        (
            setguard_ledger::open(&url, k).expect("the ledger"),
            accounts::open(&accounts::url_for(&url)).expect("the accounts"),
        )
    })
    .await
    .expect("task");
    App {
        productions: Arc::new(Productions::new(Arc::from(store), key)),
        accounts,
    }
}

async fn call(app: &App, req: Request<Body>) -> (StatusCode, serde_json::Value) {
    let res = router(app.clone()).oneshot(req).await.expect("response");
    let status = res.status();
    let body = res.into_body().collect().await.expect("body").to_bytes();
    (status, serde_json::from_slice(&body).expect("json"))
}

async fn board(app: &App, token: &str) -> serde_json::Value {
    let req = Request::get("/api/v1/productions/dusty-creek/board")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .expect("request");
    let (status, b) = call(app, req).await;
    assert_eq!(status, StatusCode::OK, "{b}");
    b
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
async fn a_change_through_one_server_shows_on_the_other_pushed_by_postgres() {
    let Some((url, server, name)) = database().await else {
        return;
    };
    let a = server_on(&url).await;
    let b = server_on(&url).await;
    tokio::spawn(follow::run(b.productions.clone(), url.clone()));
    demo::load_if_absent(&a.productions)
        .await
        .expect("the demo, through server A");
    demo::accounts(&a.accounts).await.expect("demo accounts");
    // Rosa signs in on server A; her session is good on server B too.
    let (status, session) = call(
        &a,
        Request::post("/api/v1/session")
            .header("content-type", "application/json")
            .body(Body::from(format!(
                r#"{{"username":"rosa","password":"{}","token":true}}"#,
                demo::PASSWORD
            )))
            .expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{session}");
    let token = session["token"].as_str().expect("a token").to_owned();
    // Server B loads the production and shows its board.
    assert_eq!(
        status_of(&board(&b, &token).await, "colt-2"),
        "WITH ROSA VEGA (ARMORER)"
    );
    // Let B's LISTEN be in place before the change.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut heard = b.productions.subscribe();

    let id = ProductionId::parse("dusty-creek").expect("id");
    let (status, done) = call(
        &a,
        Request::post("/api/v1/productions/dusty-creek/commands")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(Body::from(r#"{"do":"store","item":"colt-2"}"#))
            .expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "recorded through A: {done}");
    let seq = done["recorded"]
        .as_array()
        .and_then(|r| r.last())
        .and_then(|e| e["seq"].as_u64())
        .expect("a seq");

    // The board's promise is a second; timing is not asserted on a shared machine (the
    // patience here is for a loaded CI), the time taken is printed.
    let sent = std::time::Instant::now();
    let change = tokio::time::timeout(Duration::from_secs(15), heard.recv())
        .await
        .expect("server B heard of it")
        .expect("a change");
    eprintln!("server B heard of A's change after {:?}", sent.elapsed());
    assert_eq!((change.production, change.seq), (id.clone(), seq));
    assert_eq!(status_of(&board(&b, &token).await, "colt-2"), "IN STORAGE");

    // Both servers record into the one stream: B decides on the state A left, at the next seq.
    let out: Command = serde_json::from_str(r#"{"do":"check-out","item":"colt-2"}"#).expect("cmd");
    let rosa = PersonId::parse("rosa").ok();
    let done = b
        .productions
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
