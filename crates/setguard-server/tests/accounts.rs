//! The account store's contract, run against both backends: SQLite in a temporary directory, and
//! PostgreSQL (when `SETGUARD_TEST_POSTGRES` names a server) with each test on a database of its
//! own. Time is passed in, so lockouts and expiry are tested without sleeping.

use setguard_server::accounts::{self, AccountError, Accounts, Lockout, PinError, SignInError};
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicU32, Ordering};
use tempfile::TempDir;

const NOW: i64 = 1_700_000_000;
const PASSWORD: &str = "correct horse battery";
const PIN: &str = "4921";

/// An account store on storage of its own. Fields drop in order: the store (and its
/// connection) goes before its PostgreSQL database is dropped.
struct Fixture {
    accounts: Accounts,
    url: String,
    db: Option<TestDatabase>,
    _dir: TempDir,
}

fn sqlite() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let ledger = format!("sqlite:{}", dir.path().join("ledger.db").display());
    let url = accounts::url_for(&ledger);
    assert!(url.ends_with("ledger-accounts.db"), "{url}");
    Fixture {
        accounts: accounts::open(&url).unwrap(),
        url,
        db: None,
        _dir: dir,
    }
}

const POSTGRES_VAR: &str = "SETGUARD_TEST_POSTGRES";

/// A store on a fresh PostgreSQL database, or `None` after saying on stderr that the
/// PostgreSQL part did not run. In CI a missing server is a failure, not a skip.
fn postgres() -> Option<Fixture> {
    let server = match std::env::var(POSTGRES_VAR) {
        Ok(url) if !url.is_empty() => url,
        _ => {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("{POSTGRES_VAR} is not set, and CI must run the PostgreSQL accounts tests");
            }
            eprintln!("PostgreSQL accounts tests were skipped: {POSTGRES_VAR} is not set");
            return None;
        }
    };
    let db = TestDatabase::create(&server);
    let url = accounts::url_for(&db.url);
    assert_eq!(url, db.url);
    Some(Fixture {
        accounts: accounts::open(&url).unwrap(),
        url,
        db: Some(db),
        _dir: tempfile::tempdir().unwrap(),
    })
}

/// A database of its own on the test server, dropped (best effort) with this value.
struct TestDatabase {
    server: String,
    name: String,
    url: String,
}

impl TestDatabase {
    fn create(server: &str) -> TestDatabase {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "setguard_accounts_test_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = ::postgres::Client::connect(server, ::postgres::NoTls)
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

    fn client(&self) -> ::postgres::Client {
        ::postgres::Client::connect(&self.url, ::postgres::NoTls).unwrap()
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
        if let Ok(mut admin) = ::postgres::Client::connect(&self.server, ::postgres::NoTls) {
            // FORCE (PostgreSQL 13+) ends connections still open, such as a store's being
            // closed on its own thread.
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

/// Runs each contract test once per backend.
macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $( #[test] fn $name() { super::$name(super::sqlite()); } )*
        }
        mod on_postgres {
            $( #[test] fn $name() { if let Some(f) = super::postgres() { super::$name(f); } } )*
        }
    };
}

contract!(
    add_and_duplicate,
    invalid_inputs_name_the_field,
    sign_in_right_wrong_unknown,
    lockout_after_five_then_unlocks,
    success_resets_the_count,
    sessions_expire_and_sign_out,
    token_is_stored_only_as_its_hash,
    set_password_and_pin,
    links_are_unique_and_listed,
    check_pin_right_wrong_lockout_no_account,
    a_second_handle_shares_sessions_and_lockouts,
    concurrent_failures_all_count,
    one_concern_link_per_production,
    a_sign_out_elsewhere_is_seen_within_two_seconds,
);

fn add_and_duplicate(f: Fixture) {
    let a = &f.accounts;
    assert!(!a.exists("alice").unwrap());
    a.add("alice", PASSWORD, PIN, false).unwrap();
    assert!(a.exists("alice").unwrap());
    match a.add("alice", "another password", "1111", true) {
        Err(AccountError::Exists(why)) => assert!(why.contains("alice"), "{why}"),
        other => panic!("expected Exists, got {other:?}"),
    }
    // The first account is untouched: its password still works and it is not admin.
    assert!(!a.sign_in("alice", PASSWORD, NOW).unwrap().admin);
    assert!(!a.exists("bob").unwrap());
}

fn invalid_inputs_name_the_field(f: Fixture) {
    let a = &f.accounts;
    let field_of = |r: Result<(), AccountError>| match r {
        Err(AccountError::Invalid { field, why }) => {
            assert!(!why.is_empty());
            field
        }
        other => panic!("expected Invalid, got {other:?}"),
    };
    for bad in ["", "Alice", "-alice", "al ice", &"a".repeat(65)] {
        assert_eq!(
            field_of(a.add(bad, PASSWORD, PIN, false)),
            "username",
            "{bad:?}"
        );
    }
    for bad in ["short", "nine char", &"x".repeat(1025)] {
        assert_eq!(
            field_of(a.add("bob", bad, PIN, false)),
            "password",
            "{bad:?}"
        );
    }
    for bad in ["123", "123456789", "12a4", ""] {
        assert_eq!(
            field_of(a.add("bob", PASSWORD, bad, false)),
            "pin",
            "{bad:?}"
        );
    }
    match a.add("bob", PASSWORD, "12", false) {
        Err(e) => assert_eq!(e.to_string(), "the PIN must be 4 to 8 digits"),
        Ok(()) => panic!("a 2-digit PIN was accepted"),
    }
    assert!(!a.exists("bob").unwrap());
}

fn sign_in_right_wrong_unknown(f: Fixture) {
    let a = &f.accounts;
    a.add("alice", PASSWORD, PIN, false).unwrap();
    a.add("armorer", "armorer password", "0000", true).unwrap();

    let s = a.sign_in("alice", PASSWORD, NOW).unwrap();
    assert_eq!(s.username, "alice");
    assert!(!s.admin);
    assert_eq!(s.expires_unix, NOW + 14 * 3600);
    for secret in [&s.token, &s.csrf] {
        assert_eq!(secret.len(), 64);
        assert!(
            secret
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        );
    }
    assert_ne!(s.token, s.csrf);
    assert_ne!(a.sign_in("alice", PASSWORD, NOW).unwrap().token, s.token);
    assert!(a.sign_in("armorer", "armorer password", NOW).unwrap().admin);

    assert!(matches!(
        a.sign_in("alice", "wrong password", NOW),
        Err(SignInError::Wrong)
    ));
    assert!(matches!(
        a.sign_in("nobody", PASSWORD, NOW),
        Err(SignInError::Wrong)
    ));
    assert!(matches!(
        a.sign_in("Alice", PASSWORD, NOW),
        Err(SignInError::Wrong)
    ));
    assert_eq!(
        a.sign_in("nobody", PASSWORD, NOW).unwrap_err().to_string(),
        "wrong username or password"
    );
}

fn lockout_after_five_then_unlocks(f: Fixture) {
    let a = &f.accounts;
    a.add("alice", PASSWORD, PIN, false).unwrap();
    let until = NOW + 900;
    for i in 0..4 {
        assert!(
            matches!(
                a.sign_in("alice", "wrong password", NOW + i),
                Err(SignInError::Wrong)
            ),
            "attempt {i}"
        );
    }
    match a.sign_in("alice", "wrong password", NOW) {
        Err(SignInError::Locked { until_unix }) => assert_eq!(until_unix, until),
        other => panic!("the fifth failure should lock, got {other:?}"),
    }
    // Even the right password is refused while locked, and failures then do not extend it.
    for t in [NOW + 1, until - 1] {
        match a.sign_in("alice", PASSWORD, t) {
            Err(SignInError::Locked { until_unix }) => assert_eq!(until_unix, until),
            other => panic!("expected Locked at {t}, got {other:?}"),
        }
        assert!(matches!(
            a.sign_in("alice", "wrong password", t),
            Err(SignInError::Locked { until_unix }) if until_unix == until
        ));
    }
    // Another account is not affected.
    a.add("bob", PASSWORD, PIN, false).unwrap();
    a.sign_in("bob", PASSWORD, NOW + 1).unwrap();
    // The lock ends by itself.
    a.sign_in("alice", PASSWORD, until).unwrap();
    // And the count started again: four more failures do not lock.
    for _ in 0..4 {
        assert!(matches!(
            a.sign_in("alice", "wrong password", until),
            Err(SignInError::Wrong)
        ));
    }
    a.sign_in("alice", PASSWORD, until).unwrap();
}

fn success_resets_the_count(f: Fixture) {
    let a = &f.accounts.clone().with_lockout(Lockout {
        signin_failures: 3,
        signin_lock_secs: 60,
        ..Lockout::default()
    });
    assert_eq!(a.lockout().signin_failures, 3);
    a.add("alice", PASSWORD, PIN, false).unwrap();
    for _ in 0..2 {
        assert!(matches!(
            a.sign_in("alice", "wrong password", NOW),
            Err(SignInError::Wrong)
        ));
    }
    a.sign_in("alice", PASSWORD, NOW).unwrap();
    for _ in 0..2 {
        assert!(matches!(
            a.sign_in("alice", "wrong password", NOW),
            Err(SignInError::Wrong)
        ));
    }
    a.sign_in("alice", PASSWORD, NOW).unwrap();
    for _ in 0..2 {
        assert!(matches!(
            a.sign_in("alice", "wrong password", NOW),
            Err(SignInError::Wrong)
        ));
    }
    assert!(matches!(
        a.sign_in("alice", "wrong password", NOW),
        Err(SignInError::Locked { until_unix }) if until_unix == NOW + 60
    ));
}

fn sessions_expire_and_sign_out(f: Fixture) {
    let a = &f.accounts;
    a.add("alice", PASSWORD, PIN, false).unwrap();
    let s = a.sign_in("alice", PASSWORD, NOW).unwrap();
    assert_eq!(a.session(&s.token, NOW).unwrap().as_ref(), Some(&s));
    assert_eq!(
        a.session(&s.token, s.expires_unix - 1).unwrap(),
        Some(s.clone())
    );
    assert_eq!(a.session(&s.token, s.expires_unix).unwrap(), None);
    assert_eq!(a.session(&"0".repeat(64), NOW).unwrap(), None);
    assert_eq!(a.session("not a token", NOW).unwrap(), None);
    assert_eq!(a.session(&s.token.to_uppercase(), NOW).unwrap(), None);

    let other = a.sign_in("alice", PASSWORD, NOW).unwrap();
    a.sign_out(&s.token).unwrap();
    assert_eq!(a.session(&s.token, NOW).unwrap(), None);
    // Signing out ends only that session, and doing it twice is harmless.
    assert_eq!(a.session(&other.token, NOW).unwrap(), Some(other));
    a.sign_out(&s.token).unwrap();
    a.sign_out("garbage").unwrap();

    // Debug output does not show the token.
    assert!(!format!("{s:?}").contains(&s.token));
}

fn token_is_stored_only_as_its_hash(f: Fixture) {
    let a = &f.accounts;
    a.add("alice", PASSWORD, PIN, false).unwrap();
    let s = a.sign_in("alice", PASSWORD, NOW).unwrap();
    let digest: String = Sha256::digest(s.token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let rows = match &f.db {
        None => {
            let path = f.url.strip_prefix("sqlite:").unwrap();
            // The raw bytes of the file and its WAL: the token is nowhere in them.
            for file in [path.to_owned(), format!("{path}-wal")] {
                if let Ok(bytes) = std::fs::read(&file) {
                    let token = s.token.as_bytes();
                    assert!(
                        !bytes.windows(token.len()).any(|w| w == token),
                        "{file} holds the token"
                    );
                }
            }
            let conn = rusqlite::Connection::open(path).unwrap();
            let mut stmt = conn
                .prepare(
                    "SELECT token_hash || '|' || username || '|' || csrf || '|' || created_unix
                        || '|' || expires_unix FROM setguard_sessions",
                )
                .unwrap();
            stmt.query_map([], |r| r.get::<_, String>(0))
                .unwrap()
                .collect::<Result<Vec<_>, _>>()
                .unwrap()
        }
        Some(db) => db
            .client()
            .query("SELECT s::text FROM setguard_sessions s", &[])
            .unwrap()
            .iter()
            .map(|r| r.get::<_, String>(0))
            .collect(),
    };
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0].contains(&digest), "{rows:?}");
    assert!(!rows[0].contains(&s.token), "the token itself is stored");
    // Password and PIN are not stored in the clear either.
    let accounts_row = match &f.db {
        None => rusqlite::Connection::open(f.url.strip_prefix("sqlite:").unwrap())
            .unwrap()
            .query_row(
                "SELECT password_hash || '|' || pin_hash FROM setguard_accounts",
                [],
                |r| r.get::<_, String>(0),
            )
            .unwrap(),
        Some(db) => db
            .client()
            .query_one("SELECT a::text FROM setguard_accounts a", &[])
            .unwrap()
            .get(0),
    };
    assert!(!accounts_row.contains(PASSWORD) && !accounts_row.contains(PIN));
    assert!(accounts_row.contains("$argon2id$"), "{accounts_row}");
}

fn set_password_and_pin(f: Fixture) {
    let a = &f.accounts;
    a.add("alice", PASSWORD, PIN, false).unwrap();
    a.link("alice", "western", "armorer").unwrap();
    a.set_password("alice", "a brand new password").unwrap();
    assert!(matches!(
        a.sign_in("alice", PASSWORD, NOW),
        Err(SignInError::Wrong)
    ));
    a.sign_in("alice", "a brand new password", NOW).unwrap();
    a.set_pin("alice", "12345678").unwrap();
    assert!(matches!(
        a.check_pin("western", "armorer", PIN, NOW),
        Err(PinError::Wrong)
    ));
    a.check_pin("western", "armorer", "12345678", NOW).unwrap();

    assert!(matches!(
        a.set_password("nobody", "a brand new password"),
        Err(AccountError::NoAccount(u)) if u == "nobody"
    ));
    assert!(matches!(
        a.set_pin("nobody", "1234"),
        Err(AccountError::NoAccount(_))
    ));
    assert!(matches!(
        a.set_password("alice", "short"),
        Err(AccountError::Invalid {
            field: "password",
            ..
        })
    ));
    assert!(matches!(
        a.set_pin("alice", "12"),
        Err(AccountError::Invalid { field: "pin", .. })
    ));

    // Setting the password lifts a sign-in lock.
    for _ in 0..5 {
        let _ = a.sign_in("alice", "wrong password", NOW);
    }
    assert!(matches!(
        a.sign_in("alice", "a brand new password", NOW),
        Err(SignInError::Locked { .. })
    ));
    a.set_password("alice", "the third password").unwrap();
    a.sign_in("alice", "the third password", NOW).unwrap();
}

fn links_are_unique_and_listed(f: Fixture) {
    let a = &f.accounts;
    a.add("alice", PASSWORD, PIN, false).unwrap();
    a.add("bob", PASSWORD, PIN, false).unwrap();
    assert_eq!(a.person_in("alice", "western").unwrap(), None);
    assert!(a.memberships("alice").unwrap().is_empty());

    a.link("alice", "western", "armorer").unwrap();
    assert_eq!(
        a.person_in("alice", "western").unwrap().as_deref(),
        Some("armorer")
    );
    // The same link again is not an error.
    a.link("alice", "western", "armorer").unwrap();

    // The person is taken on that production.
    match a.link("bob", "western", "armorer") {
        Err(AccountError::Exists(why)) => {
            assert!(why.contains("armorer") && why.contains("alice"), "{why}")
        }
        other => panic!("expected Exists, got {other:?}"),
    }
    // The account is someone else already on that production.
    match a.link("alice", "western", "first-ad") {
        Err(AccountError::Exists(why)) => {
            assert!(why.contains("alice") && why.contains("armorer"), "{why}")
        }
        other => panic!("expected Exists, got {other:?}"),
    }
    assert!(matches!(
        a.link("nobody", "western", "grip"),
        Err(AccountError::NoAccount(u)) if u == "nobody"
    ));
    assert!(matches!(
        a.link("alice", "", "grip"),
        Err(AccountError::Invalid {
            field: "production",
            ..
        })
    ));
    assert!(matches!(
        a.link("alice", "noir", "a grip"),
        Err(AccountError::Invalid {
            field: "person",
            ..
        })
    ));

    // The same person name on other productions, each its own link.
    a.link("alice", "noir", "props").unwrap();
    a.link("alice", "comedy", "armorer").unwrap();
    a.link("bob", "western", "first-ad").unwrap();
    assert_eq!(
        a.memberships("alice").unwrap(),
        vec![
            ("comedy".to_owned(), "armorer".to_owned()),
            ("noir".to_owned(), "props".to_owned()),
            ("western".to_owned(), "armorer".to_owned()),
        ]
    );
    assert_eq!(
        a.memberships("bob").unwrap(),
        vec![("western".to_owned(), "first-ad".to_owned())]
    );
    assert_eq!(a.person_in("bob", "noir").unwrap(), None);
}

fn check_pin_right_wrong_lockout_no_account(f: Fixture) {
    let a = &f.accounts;
    a.add("alice", PASSWORD, PIN, false).unwrap();
    a.link("alice", "western", "armorer").unwrap();

    assert!(matches!(
        a.check_pin("western", "grip", PIN, NOW),
        Err(PinError::NoAccount)
    ));
    assert!(matches!(
        a.check_pin("noir", "armorer", PIN, NOW),
        Err(PinError::NoAccount)
    ));
    a.check_pin("western", "armorer", PIN, NOW).unwrap();
    assert!(matches!(
        a.check_pin("western", "armorer", "0000", NOW),
        Err(PinError::Wrong)
    ));
    // A success clears the count; a malformed PIN counts as a wrong one.
    a.check_pin("western", "armorer", PIN, NOW).unwrap();
    for pin in ["0000", "1111", "abcd", "2222"] {
        assert!(matches!(
            a.check_pin("western", "armorer", pin, NOW),
            Err(PinError::Wrong)
        ));
    }
    let until = NOW + 300;
    assert!(matches!(
        a.check_pin("western", "armorer", "3333", NOW),
        Err(PinError::Locked { until_unix }) if until_unix == until
    ));
    assert!(matches!(
        a.check_pin("western", "armorer", PIN, until - 1),
        Err(PinError::Locked { until_unix }) if until_unix == until
    ));
    // The PIN lock is its own: signing in with the password still works.
    a.sign_in("alice", PASSWORD, NOW).unwrap();
    a.check_pin("western", "armorer", PIN, until).unwrap();
}

fn a_second_handle_shares_sessions_and_lockouts(f: Fixture) {
    let a = &f.accounts;
    let b = accounts::open(&f.url).unwrap();
    a.add("alice", PASSWORD, PIN, false).unwrap();
    assert!(b.exists("alice").unwrap());

    let s = a.sign_in("alice", PASSWORD, NOW).unwrap();
    assert_eq!(b.session(&s.token, NOW).unwrap(), Some(s.clone()));
    b.sign_out(&s.token).unwrap();
    assert_eq!(a.session(&s.token, NOW).unwrap(), None);

    // Failures on either server count together.
    for (i, handle) in [a, &b, a, &b].into_iter().enumerate() {
        assert!(
            matches!(
                handle.sign_in("alice", "wrong password", NOW),
                Err(SignInError::Wrong)
            ),
            "attempt {i}"
        );
    }
    assert!(matches!(
        a.sign_in("alice", "wrong password", NOW),
        Err(SignInError::Locked { .. })
    ));
    assert!(matches!(
        b.sign_in("alice", PASSWORD, NOW),
        Err(SignInError::Locked { .. })
    ));
    drop(b);
}

fn a_sign_out_elsewhere_is_seen_within_two_seconds(f: Fixture) {
    let a = &f.accounts;
    let b = accounts::open(&f.url).unwrap();
    a.add("alice", PASSWORD, PIN, false).unwrap();
    let s = a.sign_in("alice", PASSWORD, NOW).unwrap();
    assert_eq!(a.recent_session(&s.token, NOW), None, "not read yet");
    assert_eq!(a.session(&s.token, NOW).unwrap(), Some(s.clone()));
    assert_eq!(
        a.recent_session(&s.token, NOW).as_deref(),
        Some(&s),
        "kept a moment"
    );
    // An expired session is never answered from memory.
    assert_eq!(a.recent_session(&s.token, s.expires_unix), None);
    // Signed out on another server: this one still remembers it, for at most two seconds.
    b.sign_out(&s.token).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(2100));
    assert_eq!(a.recent_session(&s.token, NOW), None);
    assert_eq!(a.session(&s.token, NOW).unwrap(), None);
    // Signed out here: forgotten at once.
    let s2 = a.sign_in("alice", PASSWORD, NOW).unwrap();
    assert!(a.session(&s2.token, NOW).unwrap().is_some());
    a.sign_out(&s2.token).unwrap();
    assert_eq!(a.recent_session(&s2.token, NOW), None);
    drop(b);
}

fn one_concern_link_per_production(f: Fixture) {
    let a = &f.accounts;
    let b = accounts::open(&f.url).unwrap();
    let link = a.concern_link("dusty-creek").unwrap();
    // Printed once, good on every server and every time.
    assert_eq!(b.concern_link("dusty-creek").unwrap(), link);
    assert_eq!(a.concern_link("dusty-creek").unwrap(), link);
    let other = b.concern_link("night-train").unwrap();
    assert_ne!(other, link);
    assert_eq!(
        a.concern_production(&link).unwrap().as_deref(),
        Some("dusty-creek")
    );
    assert_eq!(
        b.concern_production(&other).unwrap().as_deref(),
        Some("night-train")
    );
    assert_eq!(a.concern_production(&"0".repeat(64)).unwrap(), None);
    assert_eq!(a.concern_production("not a token").unwrap(), None);
    drop(b);
}

fn concurrent_failures_all_count(f: Fixture) {
    const ATTEMPTS: u32 = 6;
    let lockout = Lockout {
        signin_failures: ATTEMPTS,
        ..Lockout::default()
    };
    let a = f.accounts.clone().with_lockout(lockout);
    let b = accounts::open(&f.url).unwrap().with_lockout(lockout);
    a.add("alice", PASSWORD, PIN, false).unwrap();
    // Every failure at once, spread over two handles: a count read and written back in two
    // steps would lose some of them, and leave the account unlocked.
    std::thread::scope(|scope| {
        for i in 0..ATTEMPTS {
            let handle = if i % 2 == 0 { &a } else { &b };
            scope.spawn(move || {
                let r = handle.sign_in("alice", "wrong password", NOW);
                assert!(
                    matches!(r, Err(SignInError::Wrong | SignInError::Locked { .. })),
                    "{r:?}"
                );
            });
        }
    });
    assert!(matches!(
        a.sign_in("alice", PASSWORD, NOW),
        Err(SignInError::Locked { .. })
    ));
}

#[test]
fn url_for_derives_the_account_store() {
    assert_eq!(
        accounts::url_for("sqlite:/var/lib/setguard/ledger.db"),
        "sqlite:/var/lib/setguard/ledger-accounts.db"
    );
    assert_eq!(
        accounts::url_for("sqlite:data/ledger"),
        "sqlite:data/ledger-accounts.db"
    );
    let pg = "postgres://setguard@db.example:5432/setguard";
    assert_eq!(accounts::url_for(pg), pg);
}

#[test]
fn open_refuses_what_is_not_an_account_store() {
    assert!(matches!(
        accounts::open("mysql://db/setguard"),
        Err(AccountError::Invalid { field: "url", .. })
    ));
    assert!(matches!(
        accounts::open("sqlite:"),
        Err(AccountError::Invalid { field: "url", .. })
    ));
    // Another program's SQLite database is left alone.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch("CREATE TABLE t (x INTEGER)")
        .unwrap();
    assert!(matches!(
        accounts::open(&format!("sqlite:{}", path.display())),
        Err(AccountError::Store(_))
    ));
}

#[cfg(unix)]
#[test]
fn the_sqlite_file_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let f = sqlite();
    let path = f.url.strip_prefix("sqlite:").unwrap();
    let mode = std::fs::metadata(path).unwrap().permissions().mode();
    assert_eq!(mode & 0o077, 0, "mode {mode:o}");
}
