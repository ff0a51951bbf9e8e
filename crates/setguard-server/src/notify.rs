//! Notifications: escalations, incidents reported, stop-work, walkouts and resignations over
//! safety, sent to the studio safety office, the union representative and the compliance
//! contact by webhook and by email (`[notify]` in the config; `docs/api.md`, "Notifications").
//!
//! What notifies is decided by [`decide`], a pure function of one recorded event. The rest is
//! thin I/O:
//! - [`Notifier::spawn`], called by `serve`, follows every production's record: it wakes on each
//!   change announced by [`Productions::subscribe`] (this server's appends, and other servers'
//!   that `follow` brings in) and sweeps every production now and then for what it missed. It
//!   starts each production where the outbox left off (its highest seq claimed), else at the
//!   head: a restart does not resend history.
//! - Each (record, recipient) is claimed in the outbox, a table beside the accounts
//!   (`setguard_notifications`, `UNIQUE (production, seq, recipient)`, inserted with `ON
//!   CONFLICT DO NOTHING`): with several servers on one PostgreSQL, the one whose insert lands
//!   delivers it, once. Every attempt is recorded (`setguard_delivery_attempts`).
//! - Delivery is retried with exponential backoff up to [`Timing::attempts`] tries. A claim is
//!   a lease (`lease_holder`, `lease_until_unix`): the delivering notifier, under a random name
//!   of its own, renews it before each attempt for [`Timing::lease`], and ends it when the
//!   delivery is over (delivered, or out of attempts). A server that stops mid-retry stops
//!   renewing; on the periodic sweep, any notifier sharing the outbox (another server, or this
//!   one restarted) takes over the notifications whose lease ran out, undelivered and with
//!   attempts left, by one conditional UPDATE (so one notifier takes each), and goes on with
//!   the attempts left: those on record count. A notifier whose lease was taken over stops at
//!   its next attempt.
//!
//! Webhooks go over HTTPS (rustls with the ring provider, through hyper-rustls: the public
//! roots of webpki-roots, plus the webhook's `ca_file` for a studio's own CA) or plain HTTP to a
//! relay on the studio's own network (hyper-util's client, HTTP/1.1). The body is signed with
//! HMAC-SHA256 under the webhook's secret, with a timestamp in the signed bytes so that a
//! captured request cannot be replayed later. Email goes through `lettre` (the same rustls) to
//! an SMTP server: plain to a relay, or with STARTTLS or TLS required, and then optionally with
//! a login (the config refuses a login without TLS).
//!
//! No notification identifies the sender of a concern: escalations carry only the alarm's
//! sentence (which names the concern by its id), never the event's `by`, and concerns
//! themselves do not notify.

use crate::accounts::Accounts;
use crate::config::{NotifyConfig, RecipientRole, SmtpTls};
use crate::live::{LiveError, Productions};
use axum::body::Bytes;
use axum::http::{Request, header};
use hmac::{Hmac, Mac};
use http_body_util::Full;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use serde::Serialize;
use setguard_core::{Event, EventBody, ProductionId, RuleId};
use sha2::Sha256;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// The header carrying the signature: `sha256=` and the lowercase hex HMAC-SHA256, under the
/// webhook's secret, of the timestamp header's value, a `.`, and the body's exact bytes.
pub const SIGNATURE_HEADER: &str = "x-setguard-signature";
/// The header carrying the unix second the request was signed (each attempt is signed anew).
pub const TIMESTAMP_HEADER: &str = "x-setguard-timestamp";
/// The header naming the notification (`PRODUCTION/SEQ`), the same on every attempt, so a
/// receiver can drop a duplicate.
pub const DELIVERY_HEADER: &str = "x-setguard-delivery";

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// An incident or concern left open past its deadline.
    Escalation,
    IncidentReported,
    WorkStopped,
    Walkout,
    Resignation,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Escalation => "escalation",
            Kind::IncidentReported => "incident-reported",
            Kind::WorkStopped => "work-stopped",
            Kind::Walkout => "walkout",
            Kind::Resignation => "resignation",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Kind::Escalation => "escalation",
            Kind::IncidentReported => "incident reported",
            Kind::WorkStopped => "work stopped",
            Kind::Walkout => "walkout over safety",
            Kind::Resignation => "resignation over safety",
        }
    }
}

/// One notification, as sent to every recipient (the webhook body, less the recipient).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    pub production: String,
    pub seq: u64,
    pub kind: Kind,
    /// Local time on set, as the ledger records it.
    pub at: String,
    /// A sentence for people.
    pub summary: String,
    /// The rule whose alarm this is (escalations).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Who did it (the person id), for a named act; never for an escalation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

/// Whether the event at `seq` of `production` notifies, and what. Pure.
///
/// Notified: alarms for an incident left open or a concern left unanswered (escalations),
/// incidents reported, stop-work, walkouts and resignations. Not notified: the alarms raised
/// alongside an incident, a walkout or a resignation (the act itself is notified once), and
/// everything else.
pub fn decide(production: &ProductionId, seq: u64, event: &Event) -> Option<Notification> {
    let by = || event.by.as_ref().map(|p| p.as_str().to_owned());
    let (kind, summary, rule, by) = match &event.body {
        EventBody::AlarmRaised { rule, message, .. }
            if matches!(
                rule,
                RuleId::IncidentClosedProperly | RuleId::ConcernAnswered
            ) =>
        {
            // `by` is not read: an escalation names no one, above all not a concern's sender.
            (
                Kind::Escalation,
                message.clone(),
                Some(rule.as_str().to_owned()),
                None,
            )
        }
        EventBody::IncidentReported {
            incident,
            kind,
            summary,
            ..
        } => (
            Kind::IncidentReported,
            format!("{incident} ({kind}) reported: {summary}"),
            None,
            by(),
        ),
        EventBody::WorkStopped { reason } => (
            Kind::WorkStopped,
            format!("Work stopped: {reason}"),
            None,
            by(),
        ),
        EventBody::WalkedOut { people, reason } => (
            Kind::Walkout,
            format!(
                "{} walked out over safety: {reason}",
                if people.is_empty() {
                    "Crew".to_owned()
                } else {
                    people
                        .iter()
                        .map(|p| p.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
            None,
            by(),
        ),
        EventBody::Resigned { reason } => (
            Kind::Resignation,
            format!("Resigned over safety: {reason}"),
            None,
            by(),
        ),
        _ => return None,
    };
    Some(Notification {
        production: production.as_str().to_owned(),
        seq,
        kind,
        // As the ledger writes it: 2021-10-21T11:45:00.
        at: match serde_json::to_value(event.at) {
            Ok(serde_json::Value::String(at)) => at,
            _ => event.at.to_string(),
        },
        summary,
        rule,
        by,
    })
}

/// The webhook body: the notification and who it is addressed to.
#[derive(Debug, Serialize)]
struct Payload<'a> {
    /// `PRODUCTION/SEQ`, as in the delivery header.
    id: String,
    #[serde(flatten)]
    notification: &'a Notification,
    recipient: Addressee<'a>,
}

#[derive(Debug, Serialize)]
struct Addressee<'a> {
    name: &'a str,
    role: &'static str,
}

/// The signature header's value for `body` signed at `timestamp`: `sha256=` and the hex
/// HMAC-SHA256 of `TIMESTAMP.BODY` under `secret`.
pub fn sign(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    let mut hex = String::with_capacity(7 + bytes.len() * 2);
    hex.push_str("sha256=");
    for b in bytes {
        hex.push_str(&format!("{b:02x}"));
    }
    hex
}

/// How deliveries are paced.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// Tries per notification and recipient, the first included (0 is taken as 1).
    pub attempts: u32,
    /// The pause after the first failure; it doubles after each one, up to `max_backoff`.
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// How long one try may take.
    pub timeout: Duration,
    /// How often every production is swept for records no change was seen for, and the
    /// outbox for notifications whose lease ran out.
    pub sweep: Duration,
    /// How long a claim holds without renewal: the delivering notifier renews it before each
    /// attempt, so it must outlast one attempt and the pause after it; it is never taken as
    /// shorter than `timeout + max_backoff`. A notifier that stops is taken over this long
    /// (and up to a sweep) after its last renewal.
    pub lease: Duration,
}

impl Timing {
    /// The lease, no shorter than one attempt and the longest pause.
    fn lease_secs(&self) -> i64 {
        let lease = self.lease.max(self.timeout + self.max_backoff);
        // Whole seconds, rounded up: the outbox counts in unix seconds.
        i64::try_from(lease.as_secs() + u64::from(lease.subsec_nanos() > 0)).unwrap_or(i64::MAX)
    }

    /// The pause after the `attempt`th try failed: `first_backoff`, doubled for each failure
    /// before, up to `max_backoff`.
    fn pause_after(&self, attempt: u32) -> Duration {
        let mut pause = self.first_backoff;
        for _ in 1..attempt {
            if pause >= self.max_backoff {
                break;
            }
            pause *= 2;
        }
        pause.min(self.max_backoff)
    }
}

impl Default for Timing {
    /// 8 tries over about 10 minutes (5 s, 10 s, ... 5 min).
    fn default() -> Self {
        Timing {
            attempts: 8,
            first_backoff: Duration::from_secs(5),
            max_backoff: Duration::from_secs(300),
            timeout: Duration::from_secs(15),
            sweep: Duration::from_secs(30),
            // timeout + max_backoff is 315 s: a minute more than that.
            lease: Duration::from_secs(375),
        }
    }
}

/// An HTTP client for `http://` and `https://` URLs.
type HttpClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

enum Channel {
    /// Each webhook has its own client: each may trust its own CA.
    Webhook {
        url: String,
        secret: String,
        http: HttpClient,
    },
    Email {
        to: Mailbox,
    },
}

/// Leaves out the secret and the client.
impl std::fmt::Debug for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Channel::Webhook { url, .. } => f
                .debug_struct("Webhook")
                .field("url", url)
                .finish_non_exhaustive(),
            Channel::Email { to } => f.debug_struct("Email").field("to", to).finish(),
        }
    }
}

/// The certificates in the PEM file at `path` (`field` names the setting, for the error).
fn read_ca_file(field: &str, path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let pem = std::fs::read(path).map_err(|e| format!("{field} {}: {e}", path.display()))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{field} {}: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "{field} {}: no PEM certificate in it",
            path.display()
        ));
    }
    Ok(certs)
}

/// A client trusting the public roots (webpki-roots) and `extra`, with the ring provider (the
/// one TLS stack of the build, shared with lettre).
fn http_client(field: &str, extra: Vec<CertificateDer<'static>>) -> Result<HttpClient, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for cert in extra {
        roots
            .add(cert)
            .map_err(|e| format!("{field}: a certificate rustls does not take: {e}"))?;
    }
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| format!("{field}: {e}"))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .build();
    Ok(Client::builder(TokioExecutor::new()).build(https))
}

/// Why a request failed, with every cause, and in words when the receiver's certificate was
/// not trusted (the usual fault when a studio's CA is missing from `ca_file`).
fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = String::new();
    let mut untrusted = false;
    let mut cause = Some(e);
    while let Some(c) = cause {
        if let Some(rustls::Error::InvalidCertificate(_)) = c.downcast_ref::<rustls::Error>() {
            untrusted = true;
        }
        let part = c.to_string();
        if !text.contains(&part) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&part);
        }
        // An io::Error's source() skips the error it wraps (hyper-rustls wraps rustls' error
        // in two of them): go through get_ref() instead.
        cause = match c
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => c.source(),
        };
    }
    if untrusted {
        format!("the receiver's certificate is not trusted ({text})")
    } else {
        format!("error: {text}")
    }
}

#[derive(Debug)]
struct Recipient {
    /// The outbox's name for it: `webhook:NAME` or `email:ADDRESS`.
    key: String,
    name: String,
    role: RecipientRole,
    channel: Channel,
}

/// Sends notifications to the configured recipients, through the outbox in `accounts`.
pub struct Notifier {
    s: Arc<Shared>,
}

/// Where the notifier is in each production's record.
#[derive(Debug, Default)]
struct Marks {
    /// The last seq handled; a production not here was opened after the start, and is read
    /// from its first record.
    last: HashMap<ProductionId, u64>,
    /// Productions there at the start whose mark could not be read yet: skipped until it can.
    pending: std::collections::HashSet<ProductionId>,
}

/// What the notifier and its background deliveries share.
struct Shared {
    accounts: Accounts,
    /// This notifier's name on the leases it holds: random, new at each start, so that a
    /// restarted server takes over its own unfinished deliveries like any other's.
    holder: String,
    recipients: Vec<Recipient>,
    timing: Timing,
    smtp: Option<(AsyncSmtpTransport<Tokio1Executor>, Mailbox)>,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier")
            .field("recipients", &self.s.recipients.len())
            .field("timing", &self.s.timing)
            .finish_non_exhaustive()
    }
}

impl Notifier {
    /// A notifier for `config`'s recipients, claiming in `accounts`' outbox. An address that
    /// does not parse, or a CA file that cannot be read, is refused here, at start.
    pub fn new(config: &NotifyConfig, accounts: Accounts) -> Result<Notifier, String> {
        let mut recipients = Vec::new();
        for (i, w) in config.webhook.iter().enumerate() {
            let field = format!("notify.webhook[{i}].ca_file");
            let extra = match &w.ca_file {
                Some(path) => read_ca_file(&field, path)?,
                None => Vec::new(),
            };
            recipients.push(Recipient {
                key: format!("webhook:{}", w.name),
                name: w.name.clone(),
                role: w.role,
                channel: Channel::Webhook {
                    url: w.url.clone(),
                    secret: w.secret.clone(),
                    http: http_client(&field, extra)?,
                },
            });
        }
        let mut smtp = None;
        if let Some(e) = &config.email {
            let from: Mailbox = e
                .from
                .parse()
                .map_err(|err| format!("notify.email.from {:?}: {err}", e.from))?;
            for to in &e.to {
                let mailbox: Mailbox = to
                    .address
                    .parse()
                    .map_err(|err| format!("notify.email.to {:?}: {err}", to.address))?;
                recipients.push(Recipient {
                    key: format!("email:{}", to.address),
                    name: to.address.clone(),
                    role: to.role,
                    channel: Channel::Email { to: mailbox },
                });
            }
            // `builder_dangerous` starts with no TLS; TLS, when asked for, is then required
            // (`Tls::Required`, not `Opportunistic`), so a server without it fails the delivery
            // rather than getting the mail and a login in clear.
            let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&e.smtp_host)
                .port(e.port())
                .timeout(Some(Timing::default().timeout));
            if e.tls != SmtpTls::None {
                let mut params = TlsParameters::builder(e.smtp_host.clone());
                if let Some(path) = &e.ca_file {
                    for der in read_ca_file("notify.email.ca_file", path)? {
                        let cert = Certificate::from_der(der.to_vec()).map_err(|err| {
                            format!("notify.email.ca_file {}: {err}", path.display())
                        })?;
                        params = params.add_root_certificate(cert);
                    }
                }
                let params = params
                    .build_rustls()
                    .map_err(|err| format!("notify.email: setting up TLS: {err}"))?;
                builder = builder.tls(match e.tls {
                    SmtpTls::Tls => Tls::Wrapper(params),
                    _ => Tls::Required(params),
                });
            }
            if let (Some(user), Some(password)) = (&e.username, &e.password) {
                // The config refuses a login without TLS; checked again, as it is a password.
                if e.tls == SmtpTls::None {
                    return Err("notify.email: a login needs tls = \"starttls\" or \"tls\"".into());
                }
                builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
            }
            smtp = Some((builder.build(), from));
        }
        let mut holder = [0u8; 16];
        rand_core::RngCore::try_fill_bytes(&mut rand_core::OsRng, &mut holder)
            .map_err(|e| format!("the system's random generator failed: {e}"))?;
        Ok(Notifier {
            s: Arc::new(Shared {
                accounts,
                holder: holder.iter().map(|b| format!("{b:02x}")).collect(),
                recipients,
                timing: Timing::default(),
                smtp,
            }),
        })
    }

    /// Paces deliveries by `timing` instead of [`Timing::default`] (tests).
    pub fn with_timing(self, timing: Timing) -> Notifier {
        let Ok(mut shared) = Arc::try_unwrap(self.s) else {
            unreachable!("a new notifier is not shared yet")
        };
        shared.timing = timing;
        Notifier {
            s: Arc::new(shared),
        }
    }

    /// Starts following every production (see the module documentation): once this returns,
    /// every record appended from then on is considered. The task runs until the server stops.
    pub async fn spawn(self, productions: Arc<Productions>) -> tokio::task::JoinHandle<()> {
        let changes = productions.subscribe();
        let mut marks = Marks::default();
        // Where each production starts: the outbox's mark, else the head as the server starts.
        match productions.ids().await {
            Ok(ids) => {
                for id in ids {
                    match self.start_of(&productions, &id).await {
                        Ok(seq) => {
                            marks.last.insert(id, seq);
                        }
                        Err(e) => {
                            tracing::warn!(production = %id, error = %e, "notify: starting");
                            marks.pending.insert(id);
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "notify: listing productions"),
        }
        tokio::spawn(self.run(productions, changes, marks))
    }

    async fn run(
        self,
        productions: Arc<Productions>,
        mut changes: tokio::sync::broadcast::Receiver<crate::live::Change>,
        mut last: Marks,
    ) {
        let mut sweep = tokio::time::interval(self.s.timing.sweep);
        sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                change = changes.recv() => match change {
                    Ok(c) => self.catch_up(&productions, &mut last, &c.production).await,
                    Err(RecvError::Lagged(_)) => self.sweep(&productions, &mut last).await,
                    Err(RecvError::Closed) => return,
                },
                _ = sweep.tick() => {
                    self.sweep(&productions, &mut last).await;
                    self.take_over(&productions).await;
                }
            }
        }
    }

    async fn start_of(&self, productions: &Productions, id: &ProductionId) -> Result<u64, String> {
        let (accounts, stream) = (self.s.accounts.clone(), id.as_str().to_owned());
        let mark = tokio::task::spawn_blocking(move || accounts.notified_up_to(&stream))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        match mark {
            Some(seq) => Ok(seq),
            None => productions
                .view(id, |_, head| head.seq)
                .await
                .map_err(|e| e.to_string()),
        }
    }

    async fn sweep(&self, productions: &Productions, last: &mut Marks) {
        match productions.ids().await {
            Ok(ids) => {
                for id in ids {
                    self.catch_up(productions, last, &id).await;
                }
            }
            Err(e) => tracing::warn!(error = %e, "notify: listing productions"),
        }
    }

    /// Reads `id`'s records after the last one handled and dispatches what notifies. A
    /// production first seen here (opened while the server runs) is read from its start.
    async fn catch_up(&self, productions: &Productions, marks: &mut Marks, id: &ProductionId) {
        if marks.pending.contains(id) {
            match self.start_of(productions, id).await {
                Ok(seq) => {
                    marks.pending.remove(id);
                    marks.last.insert(id.clone(), seq);
                }
                Err(e) => {
                    tracing::warn!(production = %id, error = %e, "notify: starting");
                    return;
                }
            }
        }
        let from = marks.last.get(id).copied().unwrap_or(0) + 1;
        let records = match productions.records(id, from).await {
            Ok(r) => r,
            Err(LiveError::NoProduction(_)) => return,
            Err(e) => {
                tracing::warn!(production = %id, error = %e, "notify: reading the record");
                return;
            }
        };
        for r in records {
            if let Some(n) = decide(id, r.seq, &r.event) {
                self.dispatch(Arc::new(n)).await;
            }
            marks.last.insert(id.clone(), r.seq);
        }
    }

    /// Takes over, for each recipient, the notifications whose lease ran out (their server
    /// stopped mid-retry) and delivers them in the background, the attempts on record counted.
    async fn take_over(&self, productions: &Productions) {
        for (i, r) in self.s.recipients.iter().enumerate() {
            let (accounts, key, holder, timing) = (
                self.s.accounts.clone(),
                r.key.clone(),
                self.s.holder.clone(),
                self.s.timing,
            );
            let taken = tokio::task::spawn_blocking(move || {
                let now = unix_now();
                accounts.take_over_notifications(
                    &key,
                    &holder,
                    now,
                    now.saturating_add(timing.lease_secs()),
                    timing.attempts.max(1),
                )
            })
            .await;
            let taken = match taken {
                Ok(Ok(t)) => t,
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "notify: taking over");
                    continue;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "notify: taking over");
                    continue;
                }
            };
            for t in taken {
                // The payload is rebuilt from the ledger, as the outbox names no one.
                let Some(n) = self.rebuild(productions, &t.production, t.seq).await else {
                    // Left to its lease: taken over again once it runs out (by a server
                    // that holds the record, or this one once it does).
                    tracing::warn!(
                        production = %t.production,
                        seq = t.seq,
                        "notify: a notification taken over is not in this server's record"
                    );
                    continue;
                };
                tracing::info!(
                    production = %t.production,
                    seq = t.seq,
                    recipient = %r.key,
                    attempts = t.attempts,
                    "notify: taking over a delivery whose server stopped"
                );
                let job = Delivery {
                    s: self.s.clone(),
                    recipient: i,
                    notification: Arc::new(n),
                    id: t.id,
                    done: t.attempts,
                };
                tokio::spawn(job.run());
            }
        }
    }

    /// The notification of `production`'s record `seq`, from the ledger.
    async fn rebuild(
        &self,
        productions: &Productions,
        production: &str,
        seq: u64,
    ) -> Option<Notification> {
        let id = ProductionId::parse(production).ok()?;
        let records = productions.records(&id, seq).await.ok()?;
        let record = records.into_iter().find(|r| r.seq == seq)?;
        decide(&id, seq, &record.event)
    }

    /// Claims `n` for each recipient; the claims this server wins are delivered in the
    /// background, each with its own retries.
    async fn dispatch(&self, n: Arc<Notification>) {
        for (i, r) in self.s.recipients.iter().enumerate() {
            let (accounts, production, seq, key, kind, holder, lease) = (
                self.s.accounts.clone(),
                n.production.clone(),
                n.seq,
                r.key.clone(),
                n.kind.as_str(),
                self.s.holder.clone(),
                self.s.timing.lease_secs(),
            );
            let claimed = tokio::task::spawn_blocking(move || {
                let now = unix_now();
                accounts.claim_notification(
                    &production,
                    seq,
                    &key,
                    kind,
                    now,
                    &holder,
                    now.saturating_add(lease),
                )
            })
            .await;
            match claimed {
                Ok(Ok(Some(id))) => {
                    let job = Delivery {
                        s: self.s.clone(),
                        recipient: i,
                        notification: n.clone(),
                        id,
                        done: 0,
                    };
                    tokio::spawn(job.run());
                }
                Ok(Ok(None)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "notify: claiming"),
                Err(e) => tracing::warn!(error = %e, "notify: claiming"),
            }
        }
    }
}

struct Delivery {
    s: Arc<Shared>,
    recipient: usize,
    notification: Arc<Notification>,
    id: i64,
    /// Attempts already on record (by a notifier that stopped): the next is numbered after
    /// them, and they count toward the limit.
    done: u32,
}

impl Delivery {
    /// Tries until delivered or out of attempts, renewing the lease before each try and
    /// recording each; stops if the lease was taken over meanwhile. The lease is ended when
    /// the delivery is over, so that no one takes it over.
    async fn run(self) {
        let s = &self.s;
        let r = &s.recipients[self.recipient];
        let attempts = s.timing.attempts.max(1);
        let mut pause = s.timing.pause_after(self.done + 1);
        for attempt in self.done + 1..=attempts {
            if !self.renew().await {
                tracing::warn!(
                    production = %self.notification.production,
                    seq = self.notification.seq,
                    recipient = %r.key,
                    "notify: the delivery was taken over by another server; this one stops"
                );
                return;
            }
            let outcome = match tokio::time::timeout(s.timing.timeout, self.try_once(r)).await {
                Ok(o) => o,
                Err(_) => Err(format!("no answer within {:?}", s.timing.timeout)),
            };
            let (text, delivered) = match &outcome {
                Ok(t) => (t.clone(), true),
                Err(t) => (t.clone(), false),
            };
            let (accounts, id, at) = (s.accounts.clone(), self.id, unix_now());
            let recorded = tokio::task::spawn_blocking(move || {
                accounts.record_attempt(id, at, &text, delivered)
            })
            .await;
            if !matches!(recorded, Ok(Ok(()))) {
                tracing::warn!(
                    notification = self.id,
                    "notify: recording an attempt failed"
                );
            }
            if delivered {
                tracing::info!(
                    production = %self.notification.production,
                    seq = self.notification.seq,
                    recipient = %r.key,
                    attempt,
                    "notification delivered"
                );
                self.end().await;
                return;
            }
            tracing::warn!(
                production = %self.notification.production,
                seq = self.notification.seq,
                recipient = %r.key,
                attempt,
                outcome = %outcome.unwrap_err(),
                "notification not delivered"
            );
            if attempt < attempts {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(s.timing.max_backoff);
            }
        }
        self.end().await;
    }

    /// Extends the lease: `false` if it is no longer this notifier's. A store that cannot be
    /// reached does not stop the delivery (a receiver drops a duplicate by its delivery id;
    /// a notification not sent is worse).
    async fn renew(&self) -> bool {
        let (accounts, id, holder, lease) = (
            self.s.accounts.clone(),
            self.id,
            self.s.holder.clone(),
            self.s.timing.lease_secs(),
        );
        match tokio::task::spawn_blocking(move || {
            accounts.renew_lease(id, &holder, unix_now().saturating_add(lease))
        })
        .await
        {
            Ok(Ok(renewed)) => renewed,
            Ok(Err(e)) => {
                tracing::warn!(notification = id, error = %e, "notify: renewing a lease");
                true
            }
            Err(e) => {
                tracing::warn!(notification = id, error = %e, "notify: renewing a lease");
                true
            }
        }
    }

    /// Marks the delivery over (delivered, or out of attempts).
    async fn end(&self) {
        let (accounts, id, holder) = (self.s.accounts.clone(), self.id, self.s.holder.clone());
        let ended = tokio::task::spawn_blocking(move || accounts.end_lease(id, &holder)).await;
        if !matches!(ended, Ok(Ok(()))) {
            tracing::warn!(notification = id, "notify: ending a lease failed");
        }
    }

    /// One try: `Ok` with the receiver's answer when delivered, `Err` with why not.
    async fn try_once(&self, r: &Recipient) -> Result<String, String> {
        let n = &self.notification;
        match &r.channel {
            Channel::Webhook { url, secret, http } => {
                let body = serde_json::to_vec(&Payload {
                    id: format!("{}/{}", n.production, n.seq),
                    notification: n,
                    recipient: Addressee {
                        name: &r.name,
                        role: r.role.as_str(),
                    },
                })
                .map_err(|e| format!("encoding: {e}"))?;
                let timestamp = unix_now().to_string();
                let signature = sign(secret.as_bytes(), &timestamp, &body);
                let request = Request::post(url.as_str())
                    .header(header::CONTENT_TYPE, "application/json")
                    .header(header::USER_AGENT, "setguard")
                    .header(TIMESTAMP_HEADER, &timestamp)
                    .header(SIGNATURE_HEADER, signature)
                    .header(DELIVERY_HEADER, format!("{}/{}", n.production, n.seq))
                    .body(Full::new(Bytes::from(body)))
                    .map_err(|e| format!("building the request: {e}"))?;
                let response = http.request(request).await.map_err(|e| describe(&e))?;
                let status = response.status();
                let text = format!("HTTP {}", status.as_u16());
                if status.is_success() {
                    Ok(text)
                } else {
                    Err(text)
                }
            }
            Channel::Email { to } => {
                let Some((transport, from)) = &self.s.smtp else {
                    return Err("no SMTP relay configured".to_owned());
                };
                let message = Message::builder()
                    .from(from.clone())
                    .to(to.clone())
                    .subject(format!("[setguard] {}: {}", n.production, n.kind.title()))
                    .body(email_text(n, r.role))
                    .map_err(|e| format!("building the email: {e}"))?;
                let response = transport.send(message).await.map_err(|e| describe(&e))?;
                Ok(format!("SMTP {}", response.code()))
            }
        }
    }
}

/// The email's plain-text body.
fn email_text(n: &Notification, role: RecipientRole) -> String {
    let mut text = format!(
        "{}\n\nProduction: {}\nWhat: {}\nWhen (local time on set): {}\nRecord: {}/{}\n",
        n.summary,
        n.production,
        n.kind.title(),
        n.at,
        n.production,
        n.seq
    );
    if let Some(rule) = &n.rule {
        text.push_str(&format!("Rule: {rule}\n"));
    }
    if let Some(by) = &n.by {
        text.push_str(&format!("By: {by}\n"));
    }
    text.push_str(&format!(
        "\nSent by setguard to the {} of this production.\n",
        role.as_str().replace('-', " ")
    ));
    text
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use setguard_core::{At, ConcernId, IncidentId, IncidentKind, PersonId, Subject};

    fn at() -> At {
        At::parse("2021-10-21T11:45").unwrap()
    }

    fn prod() -> ProductionId {
        ProductionId::parse("rust").unwrap()
    }

    fn person(p: &str) -> Option<PersonId> {
        Some(PersonId::parse(p).unwrap())
    }

    #[test]
    fn escalations_notify_and_name_no_one() {
        let concern: ConcernId = serde_json::from_str("1").unwrap();
        let alarm = Event::new(
            at(),
            person("somebody"),
            EventBody::AlarmRaised {
                rule: RuleId::ConcernAnswered,
                about: Subject::Concern(concern),
                message: "C-1 was not answered within 24 hour(s)".to_owned(),
            },
        );
        let n = decide(&prod(), 7, &alarm).unwrap();
        assert_eq!(n.kind, Kind::Escalation);
        assert_eq!(n.by, None);
        assert_eq!(n.rule.as_deref(), Some("concern-answered"));
        assert_eq!((n.production.as_str(), n.seq), ("rust", 7));
        assert_eq!(n.at, "2021-10-21T11:45:00");
        let json = serde_json::to_string(&n).unwrap();
        assert!(!json.contains("somebody"), "{json}");
        assert!(!json.contains("\"by\""), "{json}");

        let incident: IncidentId = serde_json::from_str("1").unwrap();
        let open = Event::new(
            at(),
            None,
            EventBody::AlarmRaised {
                rule: RuleId::IncidentClosedProperly,
                about: Subject::Incident(incident),
                message: "open too long".to_owned(),
            },
        );
        assert_eq!(decide(&prod(), 8, &open).unwrap().kind, Kind::Escalation);
    }

    #[test]
    fn acts_notify_with_who_did_them() {
        let cases = [
            (
                EventBody::IncidentReported {
                    incident: serde_json::from_str("1").unwrap(),
                    kind: IncidentKind::Misfire,
                    items: vec![],
                    lots: vec![],
                    summary: "the colt misfired".to_owned(),
                },
                Kind::IncidentReported,
            ),
            (
                EventBody::WorkStopped {
                    reason: "live round".to_owned(),
                },
                Kind::WorkStopped,
            ),
            (
                EventBody::WalkedOut {
                    people: vec![PersonId::parse("lane").unwrap()],
                    reason: "unsafe".to_owned(),
                },
                Kind::Walkout,
            ),
            (
                EventBody::Resigned {
                    reason: "unsafe".to_owned(),
                },
                Kind::Resignation,
            ),
        ];
        for (body, kind) in cases {
            let n = decide(&prod(), 3, &Event::new(at(), person("rosa"), body)).unwrap();
            assert_eq!(n.kind, kind);
            assert_eq!(n.by.as_deref(), Some("rosa"));
        }
    }

    #[test]
    fn everything_else_is_quiet() {
        let quiet = [
            EventBody::DayStarted,
            EventBody::ConcernRaised {
                concern: serde_json::from_str("1").unwrap(),
                text: "the guns are left on the cart".to_owned(),
                urgent: true,
                anonymous: true,
            },
            // Raised with a walkout or an incident, which notify themselves.
            EventBody::AlarmRaised {
                rule: RuleId::WalkoutEscalates,
                about: Subject::Production,
                message: "walked out".to_owned(),
            },
            EventBody::AlarmRaised {
                rule: RuleId::IncidentQuarantines,
                about: Subject::Production,
                message: "quarantined".to_owned(),
            },
            EventBody::WorkResumed {
                reason: "cleared".to_owned(),
            },
        ];
        for body in quiet {
            assert_eq!(decide(&prod(), 1, &Event::new(at(), None, body)), None);
        }
    }

    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_dot_body() {
        // The framing, against a direct computation; then the HMAC itself against RFC 4231's
        // test case 2.
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"1700000000.{\"seq\":1}");
        let direct: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            sign(b"Jefe", "1700000000", b"{\"seq\":1}"),
            format!("sha256={direct}")
        );
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        let rfc: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            rfc,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
