//! What only the SQLite backend has: its file, its URL, its refusal of foreign files.

mod common;

use common::{set_down, stream};
use setguard_ledger::sqlite::SqliteStore;
use setguard_ledger::{LedgerError, NodeKey, Store};

#[test]
fn events_survive_closing_and_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    let s = stream("rust");
    let head = {
        let store = SqliteStore::open(&path, NodeKey::load_or_create(dir.path()).unwrap()).unwrap();
        store
            .append(&s, 0, &[set_down(1), set_down(2)])
            .unwrap()
            .head
    };
    let store = SqliteStore::open(&path, NodeKey::load_or_create(dir.path()).unwrap()).unwrap();
    assert_eq!(store.head(&s).unwrap().hash, head);
    assert_eq!(store.append(&s, 2, &[set_down(3)]).unwrap().first_seq, 3);
}

#[test]
fn opens_from_a_sqlite_url() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("ledger.db").display());
    let store = setguard_ledger::open(&url, NodeKey::ephemeral()).unwrap();
    store.append(&stream("rust"), 0, &[set_down(1)]).unwrap();
}

#[test]
fn other_urls_are_refused() {
    for url in [
        "postgres://localhost:notaport/setguard",
        "ledger.db",
        "sqlite:",
        "mysql://x",
    ] {
        let err = setguard_ledger::open(url, NodeKey::ephemeral()).unwrap_err();
        assert!(matches!(err, LedgerError::BadUrl(_)), "{url}: {err}");
    }
}

#[test]
fn a_file_that_is_not_a_database_is_not_a_ledger_and_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    let text = "these are not the rounds you are looking for\n".repeat(100);
    std::fs::write(&path, &text).unwrap();
    let err = SqliteStore::open(&path, NodeKey::ephemeral()).unwrap_err();
    assert!(matches!(err, LedgerError::NotALedger { .. }), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
}

#[test]
fn another_programs_database_is_not_a_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    let other = rusqlite::Connection::open(&path).unwrap();
    other
        .execute_batch("CREATE TABLE contacts (name TEXT)")
        .unwrap();
    drop(other);
    let err = SqliteStore::open(&path, NodeKey::ephemeral()).unwrap_err();
    assert!(matches!(err, LedgerError::NotALedger { .. }), "{err}");
}

#[test]
fn the_database_itself_refuses_edits_and_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    {
        let store = SqliteStore::open(&path, NodeKey::ephemeral()).unwrap();
        store.append(&stream("rust"), 0, &[set_down(1)]).unwrap();
    }
    let raw = rusqlite::Connection::open(&path).unwrap();
    for sql in [
        "UPDATE events SET actor = 'nobody'",
        "DELETE FROM events",
        "UPDATE checkpoints SET seq = 9",
        "DELETE FROM checkpoints",
    ] {
        let err = raw.execute(sql, []).unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
}

#[test]
fn wal_and_full_sync_are_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    let _store = SqliteStore::open(&path, NodeKey::ephemeral()).unwrap();
    let raw = rusqlite::Connection::open(&path).unwrap();
    let mode: String = raw
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let version: i64 = raw
        .query_row("SELECT max(version) FROM schema_version", [], |r| r.get(0))
        .unwrap();
    // 1: events and checkpoints; 2: snapshots.
    assert_eq!(version, 2);
}
