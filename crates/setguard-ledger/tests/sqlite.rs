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

#[test]
fn opening_read_only_writes_nothing_and_leaves_the_file_as_it_was() {
    use sha2::{Digest, Sha256};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    let s = stream("rust");
    {
        let store = SqliteStore::open(&path, NodeKey::ephemeral()).unwrap();
        store.append(&s, 0, &[set_down(1), set_down(2)]).unwrap();
    }
    let before = Sha256::digest(std::fs::read(&path).unwrap());

    let store = SqliteStore::open_read_only(&path).unwrap();
    assert_eq!(store.read(&s, 1).unwrap().len(), 2);
    assert_eq!(store.head(&s).unwrap().seq, 2);
    let err = store.append(&s, 2, &[set_down(3)]).unwrap_err();
    assert!(err.to_string().contains("opened read-only"), "{err}");
    let snap = setguard_ledger::Snapshot {
        seq: 2,
        head: store.head(&s).unwrap().hash,
        format: "x".to_owned(),
        state: Vec::new(),
        signature: vec![0; 64],
    };
    assert!(store.save_snapshot(&s, &snap).is_err());
    drop(store);
    assert_eq!(Sha256::digest(std::fs::read(&path).unwrap()), before);

    // Nothing is made where there was nothing, and a file that is not ours is not read.
    let missing = dir.path().join("typo.db");
    let err = SqliteStore::open_read_only(&missing).unwrap_err();
    assert!(matches!(err, LedgerError::NotALedger { .. }), "{err}");
    assert!(!missing.exists());
    let other = dir.path().join("other.db");
    rusqlite::Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE t (x)")
        .unwrap();
    let err = SqliteStore::open_read_only(&other).unwrap_err();
    assert!(matches!(err, LedgerError::NotALedger { .. }), "{err}");
}

/// Each store remembers the heads it committed and skips reading them while no one else has
/// written the file. Another writer of the same file (a second process: an import while a
/// server runs) must be noticed: an append on a stale head is a conflict, never a duplicate
/// seq or a fork, and one on the new head is chained to it.
#[test]
fn another_writer_of_the_same_file_is_noticed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    let key = NodeKey::ephemeral();
    let public = key.public();
    let a = SqliteStore::open(&path, key).unwrap();
    let b = SqliteStore::open(&path, NodeKey::ephemeral()).unwrap();
    let s = stream("rust");
    let first = a.append(&s, 0, &[set_down(1), set_down(2)]).unwrap();
    assert_eq!(a.append(&s, 2, &[set_down(3)]).unwrap().last_seq, 3);
    let theirs = b.append(&s, 3, &[set_down(4)]).unwrap();

    let stale = a.append(&s, 3, &[set_down(9)]).unwrap_err();
    assert!(
        matches!(stale, LedgerError::Conflict { current_seq: 4 }),
        "{stale:?}"
    );
    let stale_head = setguard_ledger::Head {
        seq: 2,
        hash: first.head,
    };
    let stale = a
        .submit(&s, stale_head, &[set_down(9)])
        .and_then(|p| p.wait())
        .unwrap_err();
    assert!(
        matches!(stale, LedgerError::Conflict { current_seq: 4 }),
        "{stale:?}"
    );
    let next = a.append(&s, 4, &[set_down(5)]).unwrap();
    assert_eq!(next.first_seq, 5);
    let records = a.read(&s, 1).unwrap();
    assert_eq!(records.len(), 5);
    assert_eq!(records[4].prev_hash, theirs.head);
    // Both stores' checkpoints: each verifies under its own key.
    let mine: Vec<_> = a
        .checkpoints(&s)
        .unwrap()
        .into_iter()
        .filter(|c| c.public_key == public)
        .collect();
    assert_eq!(mine.iter().map(|c| c.seq).collect::<Vec<_>>(), [2, 3, 5]);
}
