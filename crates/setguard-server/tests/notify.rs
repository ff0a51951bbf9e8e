//! Notifications against receivers started here: a webhook receiver (axum on 127.0.0.1:0, over
//! plain HTTP or over TLS with a certificate made here) that can fail first, and minimal SMTP
//! sinks (plain; STARTTLS or TLS with AUTH PLAIN). Checks the signature, the retries and their
//! record, HTTPS and SMTP over TLS trusting a CA file and failing without it, that an anonymous
//! concern's escalation names no one, that two notifiers over one outbox deliver once, and that
//! a delivery whose server stopped mid-retry is taken over once, its attempts counted (SQLite,
//! and PostgreSQL when `SETGUARD_TEST_POSTGRES` names a server).

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
    EmailConfig, EmailRecipient, NotifyConfig, RecipientRole, SmtpTls, WebhookConfig,
};
use setguard_server::live::Productions;
use setguard_server::notify::{Notifier, Timing};
use sha2::Sha256;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// `\0setguard\0a relay password` in base64: the AUTH PLAIN response for the login below.
const AUTH_PLAIN: &str = "AHNldGd1YXJkAGEgcmVsYXkgcGFzc3dvcmQ=";

const SECRET: &str = "a shared secret of some length";

fn timing() -> Timing {
    Timing {
        attempts: 5,
        first_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(100),
        timeout: Duration::from_secs(5),
        sweep: Duration::from_secs(60),
        lease: Duration::from_secs(60),
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

fn hook_app(fail: usize) -> (Receiver, Router) {
    let state: Receiver = Arc::new(Mutex::new(Received {
        fail,
        requests: Vec::new(),
    }));
    let app = Router::new()
        .route("/hook", post(hook))
        .with_state(state.clone());
    (state, app)
}

async fn receiver(fail: usize) -> (Receiver, String) {
    let (state, app) = hook_app(fail);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (state, format!("http://{addr}/hook"))
}

/// A TCP listener that completes a TLS handshake before handing a connection to axum; a
/// handshake that fails (a client not trusting the certificate) is dropped.
struct TlsListener {
    tcp: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, SocketAddr) {
        loop {
            let Ok((tcp, addr)) = self.tcp.accept().await else {
                continue;
            };
            if let Ok(tls) = self.acceptor.accept(tcp).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.tcp.local_addr()
    }
}

/// A webhook receiver over HTTPS with a self-signed certificate for 127.0.0.1 made here: its
/// state, its `https://` URL, and the certificate in PEM (the "studio CA" to trust).
async fn https_receiver(fail: usize) -> (Receiver, String, String) {
    let (acceptor, pem) = self_signed();
    let listener = TlsListener {
        tcp: tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
        acceptor,
    };
    let addr = listener.tcp.local_addr().unwrap();
    let (state, app) = hook_app(fail);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (state, format!("https://{addr}/hook"), pem)
}

/// A TLS acceptor with a self-signed certificate for 127.0.0.1 made here, and the certificate
/// in PEM.
fn self_signed() -> (tokio_rustls::TlsAcceptor, String) {
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![certified.cert.der().clone()], key)
    .unwrap();
    (
        tokio_rustls::TlsAcceptor::from(Arc::new(config)),
        certified.cert.pem(),
    )
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
    /// Whether it came over TLS (the TLS sink).
    tls: bool,
    /// The AUTH PLAIN response, in base64, if the client logged in (the TLS sink).
    auth: String,
}

/// How the TLS sink takes connections.
#[derive(Debug, Clone, Copy)]
enum SinkTls {
    Starttls,
    Implicit,
}

/// An SMTP sink over TLS with a self-signed certificate: STARTTLS (mail refused before it) or
/// TLS from the first byte, and AUTH PLAIN offered over TLS only. The mails, the address, and
/// the certificate in PEM.
async fn tls_smtp_sink(mode: SinkTls) -> (Arc<Mutex<Vec<Mail>>>, SocketAddr, String) {
    let (acceptor, pem) = self_signed();
    let mails = Arc::new(Mutex::new(Vec::new()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let kept = mails.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (kept, acceptor) = (kept.clone(), acceptor.clone());
            tokio::spawn(async move {
                let tcp = match mode {
                    SinkTls::Implicit => tcp,
                    SinkTls::Starttls => match smtp_session(tcp, true, false, &kept).await {
                        Some(tcp) => tcp,
                        None => return,
                    },
                };
                if let Ok(tls) = acceptor.accept(tcp).await {
                    let greet = matches!(mode, SinkTls::Implicit);
                    smtp_session(tls, greet, true, &kept).await;
                }
            });
        }
    });
    (mails, addr, pem)
}

/// One SMTP session on `stream`; `Some(stream)` when the client asked for STARTTLS (offered
/// when not `tls`), to go on over TLS.
async fn smtp_session<S>(stream: S, greet: bool, tls: bool, kept: &Mutex<Vec<Mail>>) -> Option<S>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut r = BufReader::new(stream);
    if greet {
        r.get_mut().write_all(b"220 sink ESMTP\r\n").await.ok()?;
    }
    let mut mail = Mail {
        tls,
        ..Mail::default()
    };
    let mut line = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        let l = line.trim_end_matches(['\r', '\n']).to_owned();
        let upper = l.to_ascii_uppercase();
        let answer: &[u8] = if upper.starts_with("EHLO") {
            if tls {
                b"250-sink\r\n250-8BITMIME\r\n250 AUTH PLAIN\r\n"
            } else {
                b"250-sink\r\n250 STARTTLS\r\n"
            }
        } else if upper == "STARTTLS" && !tls {
            r.get_mut().write_all(b"220 go ahead\r\n").await.ok()?;
            return Some(r.into_inner());
        } else if let Some(plain) = l.strip_prefix("AUTH PLAIN ") {
            mail.auth = plain.to_owned();
            b"235 ok\r\n"
        } else if !tls {
            b"530 issue STARTTLS first\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            mail.from = l[10..].trim().to_owned();
            b"250 ok\r\n"
        } else if upper.starts_with("RCPT TO:") {
            mail.to.push(l[8..].trim().to_owned());
            b"250 ok\r\n"
        } else if upper == "DATA" {
            r.get_mut().write_all(b"354 go on\r\n").await.ok()?;
            loop {
                line.clear();
                if r.read_line(&mut line).await.ok()? == 0 {
                    return None;
                }
                let l = line.trim_end_matches(['\r', '\n']);
                if l == "." {
                    break;
                }
                mail.data.push_str(l.strip_prefix('.').unwrap_or(l));
                mail.data.push('\n');
            }
            let auth = mail.auth.clone();
            kept.lock().unwrap().push(std::mem::replace(
                &mut mail,
                Mail {
                    tls,
                    auth,
                    ..Mail::default()
                },
            ));
            b"250 queued\r\n"
        } else if upper == "QUIT" {
            let _ = r.get_mut().write_all(b"221 bye\r\n").await;
            return None;
        } else if upper == "RSET" || upper == "NOOP" {
            b"250 ok\r\n"
        } else {
            b"502 not here\r\n"
        };
        r.get_mut().write_all(answer).await.ok()?;
    }
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
        secret_env: None,
        ca_file: None,
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
async fn an_https_webhook_trusting_the_studio_ca_gets_the_notification_signed_as_over_http() {
    let s = common::server();
    let id = production(&s.productions, "dusty-creek").await;
    let (received, url, ca) = https_receiver(1).await;
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("studio-ca.pem");
    std::fs::write(&ca_file, ca).unwrap();
    let config = NotifyConfig {
        webhook: vec![WebhookConfig {
            ca_file: Some(ca_file),
            ..webhook(&url)
        }],
        email: None,
    };
    Notifier::new(&config, s.accounts.clone())
        .unwrap()
        .with_timing(timing())
        .spawn(s.productions.clone())
        .await;

    let seq = stop_work(&s.productions, &id).await;
    let tried = settle(&s.accounts, &id, |a| a.iter().any(|a| a.delivered)).await;
    let outcomes: Vec<(&str, bool)> = tried
        .iter()
        .map(|a| (a.outcome.as_str(), a.delivered))
        .collect();
    assert_eq!(outcomes, [("HTTP 500", false), ("HTTP 204", true)]);

    let requests = received.lock().unwrap().requests.clone();
    assert_eq!(requests.len(), 2);
    for (headers, body) in &requests {
        assert!(verify(headers, body), "a signature that does not verify");
        assert_eq!(
            headers["x-setguard-delivery"].to_str().unwrap(),
            format!("dusty-creek/{seq}")
        );
    }
    let payload: serde_json::Value = serde_json::from_slice(&requests[1].1).unwrap();
    assert_eq!(payload["kind"], "work-stopped");
    assert_eq!(payload["seq"], seq);
}

#[tokio::test]
async fn an_https_webhook_whose_certificate_is_not_trusted_gets_nothing_and_each_try_says_why() {
    let s = common::server();
    let id = production(&s.productions, "dusty-creek").await;
    let (received, url, _ca) = https_receiver(0).await;
    let config = NotifyConfig {
        webhook: vec![webhook(&url)],
        email: None,
    };
    Notifier::new(&config, s.accounts.clone())
        .unwrap()
        .with_timing(timing())
        .spawn(s.productions.clone())
        .await;

    stop_work(&s.productions, &id).await;
    let attempts = timing().attempts as usize;
    let tried = settle(&s.accounts, &id, |a| a.len() >= attempts).await;
    assert_eq!(tried.len(), attempts, "{tried:?}");
    for a in &tried {
        assert!(!a.delivered);
        assert!(
            a.outcome.contains("certificate is not trusted"),
            "{}",
            a.outcome
        );
    }
    assert!(received.lock().unwrap().requests.is_empty());
}

#[test]
fn a_ca_file_that_cannot_be_read_or_holds_no_certificate_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "not a certificate\n").unwrap();
    let missing = dir.path().join("missing.pem");
    let s = common::server();
    for path in [empty, missing] {
        let config = NotifyConfig {
            webhook: vec![WebhookConfig {
                ca_file: Some(path),
                ..webhook("https://127.0.0.1:1/hook")
            }],
            email: None,
        };
        let err = Notifier::new(&config, s.accounts.clone()).unwrap_err();
        assert!(err.starts_with("notify.webhook[0].ca_file"), "{err}");
    }
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
            smtp_port: Some(smtp.port()),
            from: "setguard@studio.example".to_owned(),
            to: vec![EmailRecipient {
                role: RecipientRole::UnionRepresentative,
                address: "rep@union.example".to_owned(),
            }],
            // A plain relay, as before TLS was supported.
            tls: SmtpTls::None,
            username: None,
            password: None,
            password_env: None,
            ca_file: None,
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

/// Email over STARTTLS or TLS with a login, to the TLS sink: the attempts recorded and the mails
/// the sink got.
async fn email_over_tls(mode: SinkTls, trust_the_ca: bool) -> (Vec<DeliveryAttempt>, Vec<Mail>) {
    let s = common::server();
    let id = production(&s.productions, "dusty-creek").await;
    let (mails, smtp, ca) = tls_smtp_sink(mode).await;
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("studio-ca.pem");
    std::fs::write(&ca_file, ca).unwrap();
    let config = NotifyConfig {
        webhook: vec![],
        email: Some(EmailConfig {
            smtp_host: smtp.ip().to_string(),
            smtp_port: Some(smtp.port()),
            from: "setguard@studio.example".to_owned(),
            to: vec![EmailRecipient {
                role: RecipientRole::ComplianceContact,
                address: "compliance@studio.example".to_owned(),
            }],
            tls: match mode {
                SinkTls::Starttls => SmtpTls::Starttls,
                SinkTls::Implicit => SmtpTls::Tls,
            },
            username: Some("setguard".to_owned()),
            password: Some("a relay password".to_owned()),
            password_env: None,
            ca_file: trust_the_ca.then_some(ca_file),
        }),
    };
    Notifier::new(&config, s.accounts.clone())
        .unwrap()
        .with_timing(Timing {
            attempts: 2,
            ..timing()
        })
        .spawn(s.productions.clone())
        .await;
    stop_work(&s.productions, &id).await;
    let tried = settle(&s.accounts, &id, |a| {
        a.iter().any(|a| a.delivered) || a.len() >= 2
    })
    .await;
    let mails = mails.lock().unwrap().clone();
    (tried, mails)
}

#[tokio::test]
async fn email_goes_over_starttls_with_a_login() {
    let (tried, mails) = email_over_tls(SinkTls::Starttls, true).await;
    assert_eq!(tried.len(), 1, "{tried:?}");
    assert!(tried[0].delivered && tried[0].outcome.starts_with("SMTP 250"));
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(mails[0].tls, "the mail crossed in clear");
    assert_eq!(mails[0].auth, AUTH_PLAIN);
    assert_eq!(mails[0].to, ["<compliance@studio.example>"]);
    assert!(mails[0].data.contains("work stopped"), "{}", mails[0].data);
}

#[tokio::test]
async fn email_goes_over_implicit_tls_with_a_login() {
    let (tried, mails) = email_over_tls(SinkTls::Implicit, true).await;
    assert_eq!(tried.len(), 1, "{tried:?}");
    assert!(tried[0].delivered);
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(mails[0].tls);
    assert_eq!(mails[0].auth, AUTH_PLAIN);
}

#[tokio::test]
async fn email_to_a_server_whose_certificate_is_not_trusted_is_not_sent() {
    for mode in [SinkTls::Starttls, SinkTls::Implicit] {
        let (tried, mails) = email_over_tls(mode, false).await;
        assert_eq!(tried.len(), 2, "{tried:?}");
        for a in &tried {
            assert!(!a.delivered);
            assert!(
                a.outcome.contains("certificate is not trusted"),
                "{mode:?}: {}",
                a.outcome
            );
        }
        assert!(mails.is_empty(), "{mails:?}");
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
    let Some(server) = postgres_server("notification") else {
        return;
    };
    let db = TestDatabase::create(server, "once").await;
    two_notifiers_deliver_once(&db.url, "dusty-creek").await;
}

/// Sweeps often, with a short lease (taken as 4 s: one attempt and the longest pause, rounded
/// up to the second), yet one that a loaded machine's stall between renewing it and recording
/// the attempt does not outlast.
fn taking_over(attempts: u32) -> Timing {
    Timing {
        attempts,
        first_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(100),
        timeout: Duration::from_secs(3),
        sweep: Duration::from_millis(200),
        lease: Duration::from_secs(3),
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A server claimed the stop-work's notification and recorded `failed` failed attempts, then
/// stopped (simulated through the accounts API: its lease runs out a second later). Two other
/// notifiers on the same outbox then sweep it at the same time, with `attempts` tries in all,
/// to a receiver failing `fail` times. The attempts recorded, and the receiver's requests.
async fn a_stopped_delivery_taken_over(
    outbox: &str,
    attempts: u32,
    failed: usize,
    fail: usize,
) -> (Vec<DeliveryAttempt>, usize) {
    let s = common::server();
    let id = production(&s.productions, "dusty-creek").await;
    let (received, url) = receiver(fail).await;
    let seq = stop_work(&s.productions, &id).await;

    let url_of_outbox = outbox.to_owned();
    tokio::task::spawn_blocking(move || {
        let stopped = accounts::open(&url_of_outbox).unwrap();
        let now = unix_now();
        let claimed = stopped
            .claim_notification(
                "dusty-creek",
                seq,
                "webhook:studio-safety",
                "work-stopped",
                now,
                "a server that stopped",
                now + 1,
            )
            .unwrap()
            .unwrap();
        for _ in 0..failed {
            stopped
                .record_attempt(claimed, now, "HTTP 503", false)
                .unwrap();
        }
        // Dropped here: it renews nothing any more.
    })
    .await
    .unwrap();

    let config = NotifyConfig {
        webhook: vec![webhook(&url)],
        email: None,
    };
    let mut notifiers = Vec::new();
    for _ in 0..2 {
        let url_of_outbox = outbox.to_owned();
        let a = tokio::task::spawn_blocking(move || accounts::open(&url_of_outbox).unwrap())
            .await
            .unwrap();
        notifiers.push(
            Notifier::new(&config, a)
                .unwrap()
                .with_timing(taking_over(attempts)),
        );
    }
    for n in notifiers {
        n.spawn(s.productions.clone()).await;
    }
    let reader = {
        let url_of_outbox = outbox.to_owned();
        tokio::task::spawn_blocking(move || accounts::open(&url_of_outbox).unwrap())
            .await
            .unwrap()
    };
    let limit = attempts as usize;
    let tried = settle(&reader, &id, |a| {
        a.iter().any(|a| a.delivered) || a.len() >= limit
    })
    .await;
    // Longer than a lease and a few sweeps: nothing more is sent.
    tokio::time::sleep(Duration::from_millis(4500)).await;
    let after = self::attempts(&reader, &id).await;
    assert_eq!(after, tried, "attempts after the delivery was over");
    assert!(tried.iter().all(|a| a.seq == seq));
    let requests = received.lock().unwrap().requests.len();
    (tried, requests)
}

/// The delivery goes on where it stopped: one more failure, then delivered, once.
async fn a_stopped_delivery_is_taken_over_and_delivered_once(outbox: &str) {
    let (tried, requests) = a_stopped_delivery_taken_over(outbox, 5, 1, 1).await;
    let outcomes: Vec<(&str, bool)> = tried
        .iter()
        .map(|a| (a.outcome.as_str(), a.delivered))
        .collect();
    assert_eq!(
        outcomes,
        [("HTTP 503", false), ("HTTP 500", false), ("HTTP 204", true)]
    );
    assert_eq!(requests, 2, "taken over by one of the two notifiers");
}

/// Attempts on record count toward the limit: 3 in all, 2 of them by the server that stopped.
async fn a_stopped_delivery_taken_over_has_only_the_attempts_left(outbox: &str) {
    let (tried, requests) = a_stopped_delivery_taken_over(outbox, 3, 2, usize::MAX).await;
    let outcomes: Vec<&str> = tried.iter().map(|a| a.outcome.as_str()).collect();
    assert_eq!(outcomes, ["HTTP 503", "HTTP 503", "HTTP 500"]);
    assert_eq!(requests, 1);
}

#[tokio::test]
async fn a_delivery_whose_server_stopped_is_taken_over_over_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("shared-accounts.db").display());
    a_stopped_delivery_is_taken_over_and_delivered_once(&url).await;
    let url = format!("sqlite:{}", dir.path().join("other-accounts.db").display());
    a_stopped_delivery_taken_over_has_only_the_attempts_left(&url).await;
}

#[tokio::test]
async fn a_delivery_whose_server_stopped_is_taken_over_over_postgres() {
    let Some(server) = postgres_server("take-over") else {
        return;
    };
    let db = TestDatabase::create(server.clone(), "takeover").await;
    a_stopped_delivery_is_taken_over_and_delivered_once(&db.url).await;
    let db = TestDatabase::create(server, "limit").await;
    a_stopped_delivery_taken_over_has_only_the_attempts_left(&db.url).await;
}

/// A database of the test's own on the PostgreSQL server, dropped after it.
struct TestDatabase {
    server: String,
    name: String,
    url: String,
}

impl TestDatabase {
    /// `tag` tells apart the databases of tests running at once in this process.
    async fn create(server: String, tag: &str) -> TestDatabase {
        let name = format!("setguard_notify_test_{}_{tag}", std::process::id());
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

/// The PostgreSQL server of `SETGUARD_TEST_POSTGRES`, or `None` after saying the `what` test was
/// skipped.
fn postgres_server(what: &str) -> Option<String> {
    match std::env::var("SETGUARD_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!("the PostgreSQL {what} test was skipped: SETGUARD_TEST_POSTGRES is not set");
            None
        }
    }
}
