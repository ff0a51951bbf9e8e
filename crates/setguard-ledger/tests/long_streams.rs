//! A stream long enough that reading and verifying it are shared among threads (rows decoded
//! in parts while they are fetched, hashes checked in parts) still answers exactly as one
//! thread going through it in order would: every record in order, and the first bad seq.

mod common;

use common::{set_down, stream};
use rusqlite::{Connection, params};
use setguard_ledger::sqlite::SqliteStore;
use setguard_ledger::verify::{Broken, Why, verify_store, verify_stream};
use setguard_ledger::{LedgerError, NodeKey, Store};

/// Long enough for both: reads are shared from 4,096 rows, hash checks from 10,000 records.
const N: u64 = 12_345;

fn long_ledger() -> (tempfile::TempDir, SqliteStore, NodeKey) {
    let dir = tempfile::tempdir().unwrap();
    let key = NodeKey::ephemeral();
    let store = SqliteStore::open(dir.path().join("ledger.db"), key.clone()).unwrap();
    let events: Vec<_> = (1..=N).map(set_down).collect();
    let mut expected = 0;
    for chunk in events.chunks(1000) {
        expected = store
            .append(&stream("rust"), expected, chunk)
            .unwrap()
            .last_seq;
    }
    (dir, store, key)
}

#[test]
fn a_long_stream_reads_back_in_order_and_verifies() {
    let (_dir, store, key) = long_ledger();
    let s = stream("rust");
    let records = store.read(&s, 1).unwrap();
    assert_eq!(
        records.iter().map(|r| r.seq).collect::<Vec<_>>(),
        (1..=N).collect::<Vec<_>>()
    );
    for (r, n) in records.iter().zip(1..) {
        assert_eq!(r.event, set_down(n));
    }
    assert_eq!(store.read(&s, 5000).unwrap().first().unwrap().seq, 5000);
    let v = verify_store(&store, &s, Some(&key.public()), None)
        .unwrap()
        .unwrap();
    assert_eq!(v.head.seq, N);
}

#[test]
fn the_first_bad_record_is_named_wherever_it_falls() {
    let (_dir, store, key) = long_ledger();
    let s = stream("rust");
    let checkpoints = store.checkpoints(&s).unwrap();
    let clean = store.read(&s, 1).unwrap();
    // Edited in memory, late then early: the early one is the answer, from whichever part.
    for bad in [[N - 3, 9000], [11_000, 7], [10_500, 6200]] {
        let mut records = clean.clone();
        for seq in bad {
            records[usize::try_from(seq - 1).unwrap()].payload[10] ^= 1;
        }
        assert_eq!(
            verify_stream("rust", &records, &checkpoints, Some(&key.public())),
            Err(Broken {
                seq: bad[1],
                why: Why::HashMismatch
            })
        );
    }
}

#[test]
fn a_long_read_refuses_the_first_unreadable_row() {
    let (dir, store, _key) = long_ledger();
    let raw = Connection::open(dir.path().join("ledger.db")).unwrap();
    raw.execute_batch("DROP TRIGGER events_no_update").unwrap();
    for seq in [11_000, 4_500] {
        raw.execute(
            "UPDATE events SET payload = ?1 WHERE seq = ?2",
            params![b"not json".to_vec(), seq],
        )
        .unwrap();
    }
    match store.read(&stream("rust"), 1) {
        Err(LedgerError::Corrupt { seq, .. }) => assert_eq!(seq, 4_500),
        other => panic!(
            "expected the row at seq 4500 to be refused, got {:?}",
            other.map(|r| r.len())
        ),
    }
    // Past it, the next one is named.
    match store.read(&stream("rust"), 4_501) {
        Err(LedgerError::Corrupt { seq, .. }) => assert_eq!(seq, 11_000),
        other => panic!(
            "expected the row at seq 11000 to be refused, got {:?}",
            other.map(|r| r.len())
        ),
    }
}

/// The same on PostgreSQL, whose reads come a part at a time off one query: in order, from any
/// seq, and the first unreadable row named (with the rows after it left unfetched, and the
/// connection good for the next call). Needs `SETGUARD_TEST_POSTGRES`.
#[test]
fn a_long_postgres_stream_reads_back_in_order_and_names_the_first_unreadable_row() {
    let Some(f) = common::postgres() else {
        return;
    };
    let s = stream("rust");
    let events: Vec<_> = (1..=N).map(set_down).collect();
    let mut expected = 0;
    for chunk in events.chunks(1000) {
        expected = f.store.append(&s, expected, chunk).unwrap().last_seq;
    }
    let records = f.store.read(&s, 1).unwrap();
    assert_eq!(
        records.iter().map(|r| r.seq).collect::<Vec<_>>(),
        (1..=N).collect::<Vec<_>>()
    );
    for (r, n) in records.iter().zip(1..) {
        assert_eq!(r.event, set_down(n));
    }
    assert_eq!(f.store.read(&s, 5000).unwrap().first().unwrap().seq, 5000);
    let v = verify_store(&*f.store, &s, Some(&f.key), None)
        .unwrap()
        .unwrap();
    assert_eq!(v.head.seq, N);

    let url = &f
        .db
        .as_ref()
        .expect("a postgres fixture has its database")
        .url;
    let mut raw = postgres::Client::connect(url, postgres::NoTls).unwrap();
    raw.batch_execute("ALTER TABLE events DISABLE TRIGGER events_append_only")
        .unwrap();
    for seq in [11_000_i64, 4_500] {
        raw.execute(
            "UPDATE events SET payload = 'not json' WHERE seq = $1",
            &[&seq],
        )
        .unwrap();
    }
    for (from, bad) in [(1, 4_500), (4_501, 11_000)] {
        match f.store.read(&s, from) {
            Err(LedgerError::Corrupt { seq, .. }) => assert_eq!(seq, bad),
            other => panic!(
                "expected the row at seq {bad} to be refused, got {:?}",
                other.map(|r| r.len())
            ),
        }
    }
    assert_eq!(f.store.head(&s).unwrap().seq, N);
    assert_eq!(f.store.read_page(&s, 4_499, 1).unwrap()[0].seq, 4_499);
}
