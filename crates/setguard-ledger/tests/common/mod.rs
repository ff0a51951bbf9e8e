//! Helpers shared by the ledger's integration tests.
#![allow(dead_code)]

use ed25519_dalek::VerifyingKey;
use setguard_core::{At, Event, EventBody, ItemId, PersonId, ProductionId};
use setguard_ledger::postgres::PostgresStore;
use setguard_ledger::sqlite::SqliteStore;
use setguard_ledger::{NodeKey, Store};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use tempfile::TempDir;

/// A store on its own database, the key that signs it, and the directory that holds both
/// (deleted when dropped).
///
/// Fields drop in order: the store (and its connections) goes before the PostgreSQL database
/// it uses is dropped.
pub struct Fixture {
    pub store: Box<dyn Store>,
    pub key: VerifyingKey,
    pub path: PathBuf,
    pub db: Option<TestDatabase>,
    pub dir: TempDir,
}

/// The variable naming the PostgreSQL server the tests may use, e.g.
/// `postgres://postgres@127.0.0.1:5432/test`.
pub const POSTGRES_VAR: &str = "SETGUARD_TEST_POSTGRES";

/// The server URL from [`POSTGRES_VAR`], or `None` after saying on stderr that the PostgreSQL
/// tests did not run (so that a skipped suite is never mistaken for a passing one).
pub fn postgres_server() -> Option<String> {
    match std::env::var(POSTGRES_VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!("PostgreSQL suite did not run: {POSTGRES_VAR} is not set");
            None
        }
    }
}

/// A database of its own on the test server, dropped (best effort) with this value.
pub struct TestDatabase {
    server: String,
    pub name: String,
    /// The URL of this database, for `open` or a second store.
    pub url: String,
}

impl TestDatabase {
    /// Creates `setguard_test_<pid>_<n>` on the server at `server` (a URL of a database that
    /// exists there, such as `postgres` or `test`).
    pub fn create(server: &str) -> TestDatabase {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "setguard_test_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = postgres::Client::connect(server, postgres::NoTls)
            .unwrap_or_else(|e| panic!("connecting to {POSTGRES_VAR}: {e}"));
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|e| panic!("creating {name}: {e}"));
        let url = url_with_db(server, &name);
        TestDatabase {
            server: server.to_owned(),
            name,
            url,
        }
    }
}

/// `server` with its database name replaced by `db`.
fn url_with_db(server: &str, db: &str) -> String {
    let (base, query) = match server.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (server, String::new()),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    format!("{base}/{db}{query}")
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Ok(mut admin) = postgres::Client::connect(&self.server, postgres::NoTls) {
            // FORCE (PostgreSQL 13+) ends connections a failed test left behind.
            let forced = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
            if forced.is_err() {
                let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {}", self.name));
            }
        }
    }
}

/// A PostgreSQL store on a database of its own, or `None` (said on stderr) when
/// [`POSTGRES_VAR`] is not set.
pub fn postgres() -> Option<Fixture> {
    let server = postgres_server()?;
    let db = TestDatabase::create(&server);
    let dir = tempfile::tempdir().unwrap();
    let key = NodeKey::load_or_create(dir.path()).unwrap();
    let public = key.public();
    let store = PostgresStore::open(&db.url, key).unwrap();
    Some(Fixture {
        store: Box::new(store),
        key: public,
        path: dir.path().to_owned(),
        db: Some(db),
        dir,
    })
}

pub fn sqlite() -> Option<Fixture> {
    let dir = tempfile::tempdir().unwrap();
    let key = NodeKey::load_or_create(dir.path()).unwrap();
    let public = key.public();
    let path = dir.path().join("ledger.db");
    let store = SqliteStore::open(&path, key).unwrap();
    Some(Fixture {
        store: Box::new(store),
        key: public,
        path,
        db: None,
        dir,
    })
}

pub fn stream(name: &str) -> ProductionId {
    ProductionId::parse(name).unwrap()
}

/// A distinct event for each `n`, by the armorer.
pub fn set_down(n: u64) -> Event {
    Event::new(
        At::parse("2021-10-21T11:45")
            .unwrap()
            .plus_minutes(u32::try_from(n % 1000).unwrap()),
        Some(PersonId::parse("armorer").unwrap()),
        EventBody::SetDown {
            item: ItemId::parse("colt").unwrap(),
            place: format!("cart {n}"),
        },
    )
}

/// An event no person did.
pub fn day_started() -> Event {
    Event::new(
        At::parse("2021-10-21T07:00").unwrap(),
        None,
        EventBody::DayStarted,
    )
}
