//! A server over a real SQLite ledger and account store in a temporary directory, driven
//! through its router without a socket (or on a real socket where a test needs one).

#![allow(dead_code)]

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use setguard_ledger::sqlite::SqliteStore;
use setguard_ledger::{NodeKey, Store};
use setguard_server::accounts::{self, Accounts};
use setguard_server::live::Productions;
use setguard_server::{App, demo, router};
use std::sync::Arc;
use tower::ServiceExt;

pub struct Server {
    pub dir: tempfile::TempDir,
    pub productions: Arc<Productions>,
    pub accounts: Accounts,
}

pub fn server() -> Server {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("set.db");
    let store = SqliteStore::open(&db, NodeKey::ephemeral()).expect("ledger");
    let store: Arc<dyn Store> = Arc::new(store);
    let url = accounts::url_for(&format!("sqlite:{}", db.display()));
    let accounts = accounts::open(&url).expect("accounts");
    Server {
        dir,
        productions: Arc::new(Productions::new(store, NodeKey::ephemeral())),
        accounts,
    }
}

/// The answer to a request: its status, headers and body.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

impl Server {
    pub fn app(&self) -> App {
        App {
            productions: self.productions.clone(),
            accounts: self.accounts.clone(),
        }
    }

    /// The demo production and its accounts.
    pub async fn demo(&self) {
        demo::load_if_absent(&self.productions).await.expect("demo");
        demo::accounts(&self.accounts).await.expect("demo accounts");
    }

    /// A bearer token for `user` (signed in with the demo password unless made otherwise).
    pub async fn token(&self, user: &str) -> String {
        self.session(user).await.token
    }

    /// A session for `user`, as a browser holds it (its cookie and CSRF token).
    pub async fn session(&self, user: &str) -> setguard_server::accounts::Session {
        let (a, u) = (self.accounts.clone(), user.to_owned());
        tokio::task::spawn_blocking(move || {
            a.sign_in(&u, demo::PASSWORD, chrono::Utc::now().timestamp())
        })
        .await
        .expect("task")
        .unwrap_or_else(|e| panic!("signing {user} in: {e}"))
    }

    /// Posts a page's form with the session's cookie.
    pub async fn form(
        &self,
        uri: &str,
        session: &setguard_server::accounts::Session,
        fields: &[(&str, &str)],
    ) -> Answer {
        let body: String = fields
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join("&");
        let req = Request::post(uri)
            .header(
                header::COOKIE,
                format!("setguard_session={}", session.token),
            )
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .expect("request");
        self.raw(req).await
    }

    /// Gets a page with the session's cookie.
    pub async fn page(&self, uri: &str, session: &setguard_server::accounts::Session) -> Answer {
        let req = Request::get(uri)
            .header(
                header::COOKIE,
                format!("setguard_session={}", session.token),
            )
            .body(Body::empty())
            .expect("request");
        self.raw(req).await
    }

    /// Sends a request through the router: JSON body if given, bearer token if given.
    pub async fn send(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> Answer {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = match body {
            Some(b) => req
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(b.to_owned())),
            None => req.body(Body::empty()),
        }
        .expect("request");
        self.raw(req).await
    }

    pub async fn raw(&self, req: Request<Body>) -> Answer {
        let res = router(self.app()).oneshot(req).await.expect("response");
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.into_body().collect().await.expect("body").to_bytes();
        Answer {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    pub async fn get(&self, uri: &str, token: &str) -> Answer {
        self.send("GET", uri, Some(token), None).await
    }

    /// Gives a command on `production` as the holder of `token`.
    pub async fn command(&self, production: &str, token: &str, json: &str) -> Answer {
        self.send(
            "POST",
            &format!("/api/v1/productions/{production}/commands"),
            Some(token),
            Some(json),
        )
        .await
    }
}

impl Server {
    /// A token of a server administrator (made on first use).
    pub async fn admin_token(&self) -> String {
        let a = self.accounts.clone();
        tokio::task::spawn_blocking(move || {
            if !a.exists("root").expect("exists") {
                a.add("root", demo::PASSWORD, "9999", true).expect("admin");
            }
        })
        .await
        .expect("task");
        self.token("root").await
    }
}

/// Percent-encodes a form value.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
