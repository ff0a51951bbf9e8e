//! The set board over a real SQLite ledger: the demo day, its page and JSON, live updates over
//! server-sent events on a real socket, and alarms raised by the ticker with nobody acting.

use axum::http::StatusCode;
use setguard_core::{At, Command, PersonId, ProductionId};
use setguard_server::{demo, router, ticker};
use std::io::{BufRead, BufReader, Write};
use std::time::Duration;

mod common;
use common::server;

fn cmd(json: &str) -> Command {
    serde_json::from_str(json).expect("a command")
}

fn person(id: &str) -> Option<PersonId> {
    Some(PersonId::parse(id).expect("id"))
}

/// The demo's day takes about 40 minutes up to now: loaded just after midnight on the
/// production's clock, it starts the evening before, and is still recorded whole, whether
/// midnight falls before the day is started or after.
#[tokio::test]
async fn the_demo_loads_just_after_midnight() {
    for clock in ["00:05", "00:20", "00:39", "23:59"] {
        let s = server();
        let now = At::from_naive(
            chrono::NaiveDateTime::parse_from_str(&format!("2026-03-01 {clock}"), "%Y-%m-%d %H:%M")
                .expect("a time"),
        );
        let loaded = demo::load_if_absent_at(&s.productions, now).await;
        assert!(
            matches!(loaded, Ok(true)),
            "the demo loaded at {clock}: {loaded:?}"
        );
    }
}

#[tokio::test]
async fn the_demo_day_is_recorded_under_the_rules_and_shown_on_the_board() {
    let s = server();
    assert!(demo::load_if_absent(&s.productions).await.expect("demo"));
    // Loading it again finds it there.
    assert!(!demo::load_if_absent(&s.productions).await.expect("demo"));
    demo::accounts(&s.accounts).await.expect("demo accounts");
    let t = s.token("ines").await;
    let get = |uri: &'static str| {
        let (s, t) = (&s, t.clone());
        async move {
            let a = s.get(uri, &t).await;
            (a.status, a.body)
        }
    };

    let (status, json) = get("/api/v1/productions/dusty-creek/board").await;
    assert_eq!(status, StatusCode::OK, "{json}");
    let b: serde_json::Value = serde_json::from_str(&json).expect("json");
    let item = |id: &str| {
        b["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|i| i["id"] == id)
            .cloned()
            .expect("the item")
    };
    // The performer holds a revolver checked in their sight and confirmed: cold, for now.
    assert_eq!(item("colt-1")["status"], "COLD", "{json}");
    assert!(
        item("colt-1")["detail"]
            .as_str()
            .expect("detail")
            .contains("WITH Lee Marsh")
    );
    assert_eq!(item("colt-2")["status"], "WITH ROSA VEGA (ARMORER)");
    assert_eq!(item("colt-3")["status"], "IN STORAGE");
    assert_eq!(
        (
            b["lots"][0]["in_box"].as_u64(),
            b["lots"][0]["out"].as_i64()
        ),
        (Some(44), Some(6))
    );
    assert_eq!(b["called"][0], "saloon-standoff");

    let (status, html) = get("/productions/dusty-creek/board").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("<title>Dusty Creek (demo) - set board</title>"),
        "{html}"
    );
    assert!(
        html.contains("IN STORAGE") && html.contains("COLD"),
        "{html}"
    );
    assert!(html.contains("EventSource"));
    let (_, part) = get("/productions/dusty-creek/board?part=body").await;
    assert!(
        part.contains("IN STORAGE") && !part.contains("<html"),
        "{part}"
    );

    // One production: the front page goes straight to its board.
    let (status, _) = get("/").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn unknown_productions_are_404_with_a_reason_and_health_answers() {
    let s = server();
    let health = s.send("GET", "/healthz", None, None).await;
    assert_eq!(
        (health.status, health.body.as_str()),
        (StatusCode::OK, "ok\n")
    );
    let t = s.admin_token().await;
    for uri in [
        "/api/v1/productions/nowhere/board",
        "/productions/nowhere/board",
        "/productions/nowhere/board/events",
        "/api/v1/productions/NOT%20AN%20ID/board",
    ] {
        let a = s.get(uri, &t).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{uri}: {}", a.body);
        assert!(a.body.contains("no production"), "{uri}: {}", a.body);
    }
    let a = s.get("/api/v1/productions", &t).await;
    assert_eq!((a.status, a.body.as_str()), (StatusCode::OK, "[]"));
    // Without a session: the API says to sign in, a page goes to the sign-in page.
    let a = s.send("GET", "/api/v1/productions", None, None).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{}", a.body);
    assert!(
        a.json()["error"]
            .as_str()
            .expect("error")
            .contains("sign in")
    );
    let a = s
        .send("GET", "/productions/nowhere/board", None, None)
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    assert_eq!(
        a.headers["location"],
        "/sign-in?next=/productions/nowhere/board"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_board_hears_of_a_change_on_its_open_stream() {
    let s = server();
    s.demo().await;
    let token = s.token("sam").await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = router(s.app());
    tokio::spawn(async move { axum::serve(listener, app).await });

    // A set board's connection, read on its own thread like a browser would.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut conn = std::net::TcpStream::connect(addr).expect("connect");
        let head = format!(
            "GET /productions/dusty-creek/board/events HTTP/1.1\r\nHost: x\r\n\
             Accept: text/event-stream\r\nCookie: setguard_session={token}\r\n\r\n"
        );
        conn.write_all(head.as_bytes()).expect("request");
        for line in BufReader::new(conn).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // Wait for the response head, so the subscription exists before the change.
    let started = std::time::Instant::now();
    loop {
        let line = rx.recv_timeout(Duration::from_secs(5)).expect("response");
        if line.is_empty() {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(5));
    }
    let id = ProductionId::parse("dusty-creek").expect("id");
    let done = s
        .productions
        .execute(
            &id,
            person("rosa"),
            &cmd(r#"{"do":"store","item":"colt-2"}"#),
        )
        .await
        .expect("recorded");
    assert!(done.refused.is_empty(), "{:?}", done.refused);
    let changed = std::time::Instant::now();
    // Pushed, not polled: the event comes on the open stream. Its time is printed, not
    // asserted (a shared machine's scheduling is not the server's).
    let heard = loop {
        match rx.recv_timeout(Duration::from_secs(15)) {
            Ok(line) if line == "event: change" => break true,
            Ok(_) => continue,
            Err(_) => break false,
        }
    };
    assert!(heard, "no change event on the open stream");
    eprintln!(
        "the change event came {:?} after the change",
        changed.elapsed()
    );
}

#[tokio::test]
async fn the_ticker_raises_an_unattended_alarm_with_nobody_acting() {
    let s = server();
    let id = ProductionId::parse("ranch").expect("id");
    let now = setguard_server::clock::local_now("UTC");
    let start = At::from_naive(now.naive() - chrono::Duration::minutes(60));
    s.productions
        .open(
            &id,
            cmd(r#"{"do":"open-production","id":"ranch","name":"Ranch","timezone":"UTC"}"#),
            start,
        )
        .await
        .expect("open");
    let setup = [
        (
            None,
            r#"{"do":"register-person","id":"rosa","name":"Rosa"}"#,
        ),
        (
            None,
            r#"{"do":"grant-credential","person":"rosa","kind":"handler","expires":"2099-01-01"}"#,
        ),
        (
            None,
            r#"{"do":"assign-role","person":"rosa","role":"armorer"}"#,
        ),
        (
            None,
            r#"{"do":"register-item","id":"colt","kind":"functional","class":"revolver"}"#,
        ),
        (None, r#"{"do":"register-person","id":"sam","name":"Sam"}"#),
        (
            None,
            r#"{"do":"assign-role","person":"sam","role":"first-ad"}"#,
        ),
        (
            person("sam"),
            r#"{"do":"name-compliance-contact","person":"sam"}"#,
        ),
        (person("rosa"), r#"{"do":"check-out","item":"colt"}"#),
        (
            person("rosa"),
            r#"{"do":"set-down","item":"colt","place":"the cart"}"#,
        ),
    ];
    for (i, (by, json)) in setup.into_iter().enumerate() {
        let at = start.plus_minutes(u32::try_from(i).expect("small"));
        let done = s
            .productions
            .execute_at(&id, by, &cmd(json), Some(at))
            .await
            .expect("recorded");
        assert!(done.refused.is_empty(), "{json}: {:?}", done.refused);
    }
    let before = s.productions.view(&id, |_, h| h.seq).await.expect("view");
    // Nobody acts; the ticker runs.
    ticker::tick_all(&s.productions).await;
    let json = s
        .get("/api/v1/productions/ranch/board", &s.admin_token().await)
        .await
        .body;
    let after = s.productions.view(&id, |_, h| h.seq).await.expect("view");
    assert!(after > before, "the ticker recorded the alarm");
    assert!(json.contains("UNATTENDED"), "{json}");
    // Once: a second round raises nothing more.
    ticker::tick_all(&s.productions).await;
    assert_eq!(
        s.productions.view(&id, |_, h| h.seq).await.expect("view"),
        after
    );
}
