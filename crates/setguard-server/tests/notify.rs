//! Notifications against receivers started here: a webhook receiver (axum on 127.0.0.1:0) that
//! can fail first, and a minimal SMTP sink. Checks the signature, the retries and their record,
//! that an anonymous concern's escalation names no one, and that two notifiers over one outbox
//! deliver once (SQLite, and PostgreSQL when `SETGUARD_TEST_POSTGRES` names a server).

mod common;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use hmac::{Hmac, Mac};
use setguard_core::{At, Command, PersonId, ProductionId};
use setguard_server::accounts::{self, Accounts, DeliveryAttempt};
use setguard_server::config::{
    EmailConfig, EmailRecipient, NotifyConfig, RecipientRole, WebhookConfig,
};
use setguard_server::live::Productions;
use setguard_server::notify::{Notifier, Timing};
use sha2::Sha256;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const SECRET: &str = "a shared secret of some length";

fn timing() -> Timing {
    Timing {
        attempts: 5,
        first_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(100),
        timeout: Duration::from_secs(5),
        sweep: Duration::from_secs(60),
    }
}

// ---- the webhook receiver

#[derive(Default)]
struct Received {
    /// Requests still to answer 500.
    fail: usize,
    requests: Vec<(HeaderMap, Bytes)>,
}

type Receiver = Arc<Mutex<Received>>;

async fn hook(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let mut r = r.lock().unwrap();
    r.requests.push((headers, body));
    if r.fail > 0 {
        r.fail -= 1;
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::NO_CONTENT
    }
}

async fn receiver(fail: usize) -> (Receiver, String) {
    let state: Receiver = Arc::new(Mutex::new(Received {
        fail,
        requests: Vec::new(),
    }));
    let app = Router::new()
        .route("/hook", post(hook))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (state, format!("http://{addr}/hook"))
}

/// Checks a request's signature as a receiver would: HMAC-SHA256 of `TIMESTAMP.BODY`.
fn verify(headers: &HeaderMap, body: &[u8]) -> bool {
    let (Some(ts), Some(sig)) = (
        headers.get("x-setguard-timestamp"),
        headers.get("x-setguard-signature"),
    ) else {
        return false;
    };
    let Some(hex) = sig.to_str().unwrap().strip_prefix("sha256=") else {
        return false;
    };
    let Ok(expected) = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2).unwrap_or("zz"), 16))
        .collect::<Result<Vec<u8>, _>>()
    else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(ts.as_bytes());
    mac.update(b".");
    mac.update(body);
    // verify_slice compares in constant time, as a receiver should.
    mac.verify_slice(&expected).is_ok()
}

// ---- the SMTP sink: just enough of RFC 5321 for one client, no TLS, no AUTH

#[derive(Debug, Clone, Default)]
struct Mail {
    from: String,
    to: Vec<String>,
    data: String,
}

async fn smtp_sink() -> (Arc<Mutex<Vec<Mail>>>, SocketAddr) {
    let mails = Arc::new(Mutex::new(Vec::new()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let kept = mails.clone();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let kept = kept.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                let mut mail = Mail::default();
                write.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                while let Ok(Some(line)) = lines.next_line().await {
                    let upper = line.to_ascii_uppercase();
                    let answer: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        b"250-sink\r\n250 8BITMIME\r\n"
                    } else if upper.starts_with("MAIL FROM:") {
                        mail.from = line[10..].trim().to_owned();
                        b"250 ok\r\n"
                    } else if upper.starts_with("RCPT TO:") {
                        mail.to.push(line[8..].trim().to_owned());
                        b"250 ok\r\n"
                    } else if upper == "DATA" {
                        write.write_all(b"354 go on\r\n").await.unwrap();
                        while let Ok(Some(l)) = lines.next_line().await {
                            if l == "." {
                                break;
                            }
                            mail.data.push_str(l.strip_prefix('.').unwrap_or(&l));
                            mail.data.push('\n');
                        }
                        kept.lock().unwrap().push(std::mem::take(&mut mail));
                        b"250 queued\r\n"
                    } else if upper == "QUIT" {
                        let _ = write.write_all(b"221 bye\r\n").await;
                        return;
                    } else if upper == "RSET" || upper == "NOOP" {
                        b"250 ok\r\n"
                    } else {
                        b"502 not here\r\n"
                    };
                    if write.write_all(answer).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (mails, addr)
}

// ---- a production to notify about

fn cmd(json: serde_json::Value) -> Command {
    serde_json::from_value(json).unwrap()
}

fn hours_ago(h: i64) -> At {
    At::from_naive(chrono::Utc::now().naive_utc() - chrono::Duration::hours(h))
}

/// Opens `id` three hours ago (UTC) with one person, rosa.
async fn production(productions: &Productions, id: &str) -> ProductionId {
    let id = ProductionId::parse(id).unwrap();
    productions
        .open(
            &id,
            cmd(serde_json::json!({
                "do": "open-production", "id": id.as_str(), "name": "Dusty Creek",
                "timezone": "UTC"
            })),
            hours_ago(3),
        )
        .await
        .unwrap();
    let registered = productions
        .execute_at(
            &id,
            None,
            &cmd(serde_json::json!({"do": "register-person", "id": "rosa", "name": "Rosa Diaz"})),
            Some(hours_ago(3)),
        )
        .await
        .unwrap();
    assert!(registered.refused.is_empty(), "{:?}", registered.refused);
    id
}

async fn stop_work(productions: &Productions, id: &ProductionId) -> u64 {
    let done = productions
        .execute(
            id,
            Some(PersonId::parse("rosa").unwrap()),
            &cmd(serde_json::json!({"do": "stop-work", "reason": "a live round on the cart"})),
        )
        .await
        .unwrap();
    assert!(done.refused.is_empty(), "{:?}", done.refused);
    done.recorded.last().unwrap().0
}

fn webhook(url: &str) -> WebhookConfig {
    WebhookConfig {
        name: "studio-safety".to_owned(),
        role: RecipientRole::StudioSafetyOffice,
        url: url.to_owned(),
        secret: SECRET.to_owned(),
    }
}

async fn attempts(accounts: &Accounts, id: &ProductionId) -> Vec<DeliveryAttempt> {
    let (a, p) = (accounts.clone(), id.as_str().to_owned());
    tokio::task::spawn_blocking(move || a.delivery_attempts(&p))
        .await
        .unwrap()
        .unwrap()
}

/// Waits (up to 10 s) until `done` holds of the attempts recorded, then a little more so that a
/// delivery that should not happen has the time to.
async fn settle(
    accounts: &Accounts,
    id: &ProductionId,
    done: impl Fn(&[DeliveryAttempt]) -> bool,
) -> Vec<DeliveryAttempt> {
    for _ in 0..200 {
        let got = attempts(accounts, id).await;
        if done(&got) {
            tokio::time::sleep(Duration::from_millis(300)).await;
            return attempts(accounts, id).await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "the deliveries did not settle: {:?}",
        attempts(accounts, id).await
    );
}

#[tokio::test]
async fn a_webhook_failing_twice_gets_the_notification_once_signed_with_every_attempt_recorded() {
    let s = common::server();
    let id = production(&s.productions, "dusty-creek").await;
    let (received, url) = receiver(2).await;
    let config = NotifyConfig {
        webhook: vec![webhook(&url)],
        email: None,
    };
    let notifier = Notifier::new(&config, s.accounts.clone())
        .unwrap()
        .with_timing(timing());
    notifier.spawn(s.productions.clone()).await;

    let seq = stop_work(&s.productions, &id).await;
    let tried = settle(&s.accounts, &id, |a| a.iter().any(|a| a.delivered)).await;

    let outcomes: Vec<(&str, bool)> = tried
        .iter()
        .map(|a| (a.outcome.as_str(), a.delivered))
        .collect();
    assert_eq!(
        outcomes,
        [("HTTP 500", false), ("HTTP 500", false), ("HTTP 204", true)]
    );
    assert!(tried.iter().all(|a| a.seq == seq
        && a.recipient == "webhook:studio-safety"
        && a.kind == "work-stopped"
        && a.at_unix > 0));

    let requests = received.lock().unwrap().requests.clone();
    assert_eq!(requests.len(), 3, "two failures and the delivery");
    for (headers, body) in &requests {
        assert!(verify(headers, body), "a signature that does not verify");
        assert_eq!(
            headers["x-setguard-delivery"].to_str().unwrap(),
            format!("dusty-creek/{seq}")
        );
        assert_eq!(headers["content-type"], "application/json");
    }
    // A body altered in transit, or replayed under another timestamp, does not verify.
    let (headers, body) = &requests[2];
    let mut altered = body.to_vec();
    altered[1] ^= 1;
    assert!(!verify(headers, &altered));
    let mut replayed = headers.clone();
    replayed.insert("x-setguard-timestamp", "1".parse().unwrap());
    assert!(!verify(&replayed, body));

    let payload: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert_eq!(payload["id"], format!("dusty-creek/{seq}"));
    assert_eq!(payload["production"], "dusty-creek");
    assert_eq!(payload["seq"], seq);
    assert_eq!(payload["kind"], "work-stopped");
    assert_eq!(payload["by"], "rosa");
    assert_eq!(payload["summary"], "Work stopped: a live round on the cart");
    assert_eq!(payload["recipient"]["role"], "studio-safety-office");
}

#[tokio::test]
async fn an_anonymous_concern_escalates_to_webhook_and_email_naming_no_one() {
    let s = common::server();
    let id = production(&s.productions, "dusty-creek").await;
    let (received, url) = receiver(0).await;
    let (mails, smtp) = smtp_sink().await;
    let config = NotifyConfig {
        webhook: vec![webhook(&url)],
        email: Some(EmailConfig {
            smtp_host: smtp.ip().to_string(),
            smtp_port: smtp.port(),
            from: "setguard@studio.example".to_owned(),
            to: vec![EmailRecipient {
                role: RecipientRole::UnionRepresentative,
                address: "rep@union.example".to_owned(),
            }],
        }),
    };
    let notifier = Notifier::new(&config, s.accounts.clone())
        .unwrap()
        .with_timing(timing());
    notifier.spawn(s.productions.clone()).await;

    // Two hours ago, sent anonymously through the concern form: urgent, so due within an hour.
    let raised = s
        .productions
        .execute_at(
            &id,
            None,
            &cmd(serde_json::json!({
                "do": "raise-concern", "text": "rosa says the dummies rattle", "urgent": true,
                "anonymous": true
            })),
            Some(hours_ago(2)),
        )
        .await
        .unwrap();
    assert!(raised.refused.is_empty(), "{:?}", raised.refused);
    // Time's alarms: the concern is overdue.
    assert_eq!(s.productions.tick(&id).await.unwrap(), 1);

    let tried = settle(&s.accounts, &id, |a| {
        a.iter().filter(|a| a.delivered).count() == 2
    })
    .await;
    assert_eq!(tried.len(), 2, "{tried:?}");
    assert!(tried.iter().all(|a| a.kind == "escalation" && a.delivered));
    assert!(
        tried
            .iter()
            .any(|a| a.recipient == "email:rep@union.example" && a.outcome.starts_with("SMTP 250"))
    );

    let requests = received.lock().unwrap().requests.clone();
    assert_eq!(requests.len(), 1, "the concern itself does not notify");
    let (headers, body) = &requests[0];
    assert!(verify(headers, body));
    let payload: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert_eq!(payload["kind"], "escalation");
    assert_eq!(payload["rule"], "concern-answered");
    assert!(payload.get("by").is_none(), "{payload}");
    let text = String::from_utf8(body.to_vec()).unwrap();
    for revealing in ["rosa", "dummies", "anonymous"] {
        assert!(!text.contains(revealing), "{revealing:?} in {text}");
    }

    let mails = mails.lock().unwrap().clone();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0].from, "<setguard@studio.example>");
    assert_eq!(mails[0].to, ["<rep@union.example>"]);
    assert!(mails[0].data.contains("escalation"), "{}", mails[0].data);
    assert!(mails[0].data.contains("dusty-creek"), "{}", mails[0].data);
    for revealing in ["rosa", "dummies", "By:"] {
        assert!(
            !mails[0].data.contains(revealing),
            "{revealing:?} in the email"
        );
    }
}

#[tokio::test]
async fn a_restarted_notifier_resends_nothing_and_resumes_from_the_outbox() {
    let s = common::server();
    let id = production(&s.productions, "dusty-creek").await;
    let (received, url) = receiver(0).await;
    let config = NotifyConfig {
        webhook: vec![webhook(&url)],
        email: None,
    };
    let start = || {
        Notifier::new(&config, s.accounts.clone())
            .unwrap()
            .with_timing(timing())
            .spawn(s.productions.clone())
    };
    let running = start().await;
    let stopped = stop_work(&s.productions, &id).await;
    settle(&s.accounts, &id, |a| a.len() == 1).await;
    running.abort();
    let _ = running.await;

    // Recorded while no notifier runs.
    let walked = s
        .productions
        .execute(
            &id,
            Some(PersonId::parse("rosa").unwrap()),
            &cmd(serde_json::json!({"do": "walkout", "people": ["rosa"], "reason": "unsafe"})),
        )
        .await
        .unwrap();
    assert!(walked.refused.is_empty(), "{:?}", walked.refused);
    let walkout = walked.recorded[0].0;

    start().await;
    let tried = settle(&s.accounts, &id, |a| a.len() == 2).await;
    let seqs: Vec<(u64, &str)> = tried.iter().map(|a| (a.seq, a.kind.as_str())).collect();
    assert_eq!(seqs, [(stopped, "work-stopped"), (walkout, "walkout")]);
    assert_eq!(received.lock().unwrap().requests.len(), 2);
}

/// Two notifiers on one outbox (as two servers on one database) following the same record.
async fn two_notifiers_deliver_once(outbox: &str, production_id: &str) {
    let s = common::server();
    let id = production(&s.productions, production_id).await;
    let (received, url) = receiver(0).await;
    let config = NotifyConfig {
        webhook: vec![webhook(&url)],
        email: None,
    };
    let open = |url: &str| {
        let url = url.to_owned();
        // Blocking (a PostgreSQL pool): off the async threads.
        tokio::task::spawn_blocking(move || accounts::open(&url).unwrap())
    };
    let first = open(outbox).await.unwrap();
    let second = open(outbox).await.unwrap();
    for a in [&first, &second] {
        Notifier::new(&config, a.clone())
            .unwrap()
            .with_timing(timing())
            .spawn(s.productions.clone())
            .await;
    }
    let seq = stop_work(&s.productions, &id).await;
    let tried = settle(&first, &id, |a| a.iter().any(|a| a.delivered)).await;
    assert_eq!(tried.len(), 1, "{tried:?}");
    assert_eq!(tried[0].seq, seq);
    assert_eq!(received.lock().unwrap().requests.len(), 1);
}

#[tokio::test]
async fn two_notifiers_over_one_sqlite_store_deliver_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("shared-accounts.db").display());
    two_notifiers_deliver_once(&url, "dusty-creek").await;
}

#[tokio::test]
async fn two_notifiers_over_one_postgres_deliver_once() {
    let server = match std::env::var("SETGUARD_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => url,
        _ => {
            eprintln!(
                "the PostgreSQL notification test was skipped: SETGUARD_TEST_POSTGRES is not set"
            );
            return;
        }
    };
    let db = TestDatabase::create(server).await;
    two_notifiers_deliver_once(&db.url, "dusty-creek").await;
}

/// A database of the test's own on the PostgreSQL server, dropped after it.
struct TestDatabase {
    server: String,
    name: String,
    url: String,
}

impl TestDatabase {
    async fn create(server: String) -> TestDatabase {
        let name = format!("setguard_notify_test_{}", std::process::id());
        let url = {
            let (base, query) = match server.split_once('?') {
                Some((b, q)) => (b.to_owned(), format!("?{q}")),
                None => (server.clone(), String::new()),
            };
            let scheme_end = base.find("://").map_or(0, |i| i + 3);
            let base = match base[scheme_end..].find('/') {
                Some(i) => base[..scheme_end + i].to_owned(),
                None => base,
            };
            format!("{base}/{name}{query}")
        };
        let (s, n) = (server.clone(), name.clone());
        // The blocking client makes a runtime of its own: not on this one's threads.
        tokio::task::spawn_blocking(move || {
            let mut admin = ::postgres::Client::connect(&s, ::postgres::NoTls)
                .unwrap_or_else(|e| panic!("connecting to SETGUARD_TEST_POSTGRES: {e}"));
            admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS {n} WITH (FORCE)"))
                .unwrap();
            admin
                .batch_execute(&format!("CREATE DATABASE {n}"))
                .unwrap_or_else(|e| panic!("creating {n}: {e}"));
        })
        .await
        .unwrap();
        TestDatabase { server, name, url }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            if let Ok(mut admin) = ::postgres::Client::connect(&server, ::postgres::NoTls) {
                let _ =
                    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        })
        .join();
    }
}
