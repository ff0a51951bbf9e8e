//! Two servers sharing one PostgreSQL ledger, racing for one stream, never fork it: each has
//! its own `PostgresStore` (its own connection), so only the database's `UNIQUE (stream, seq)`
//! stands between them. Needs `SETGUARD_TEST_POSTGRES`; says on stderr when it did not run.

mod common;

use common::{TestDatabase, postgres_server, set_down, stream};
use setguard_ledger::postgres::PostgresStore;
use setguard_ledger::verify::verify_store;
use setguard_ledger::{LedgerError, NodeKey, Store};
use std::sync::{Arc, Barrier};

#[test]
fn two_servers_appending_with_retries_never_fork_the_stream() {
    const SERVERS: u64 = 2;
    const ROUNDS: u64 = 200;
    let Some(server) = postgres_server() else {
        return;
    };
    let db = TestDatabase::create(&server);
    // The same node key on both, as for one deployment; the two opens also race the
    // migrations, which the advisory lock serializes.
    let key = NodeKey::ephemeral();
    let public = key.public();
    let start = Arc::new(Barrier::new(usize::try_from(SERVERS).unwrap()));
    let s = stream("rust");

    let handles: Vec<_> = (0..SERVERS)
        .map(|t| {
            let (url, key, start, s) = (db.url.clone(), key.clone(), Arc::clone(&start), s.clone());
            std::thread::spawn(move || {
                start.wait();
                let store = PostgresStore::open(&url, key).unwrap();
                start.wait();
                let mut conflicts = 0u64;
                for i in 0..ROUNDS {
                    let event = set_down(t * ROUNDS + i);
                    let mut expected = store.head(&s).unwrap().seq;
                    loop {
                        match store.append(&s, expected, std::slice::from_ref(&event)) {
                            Ok(a) => {
                                assert_eq!(a.first_seq, expected + 1);
                                break;
                            }
                            Err(LedgerError::Conflict { current_seq }) => {
                                assert!(current_seq >= expected, "the head went back");
                                conflicts += 1;
                                expected = current_seq;
                            }
                            Err(e) => panic!("append failed: {e}"),
                        }
                    }
                }
                conflicts
            })
        })
        .collect();
    let conflicts: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();

    let store = PostgresStore::open(&db.url, NodeKey::ephemeral()).unwrap();
    let records = store.read(&s, 1).unwrap();
    let n = SERVERS * ROUNDS;
    assert_eq!(
        records.iter().map(|r| r.seq).collect::<Vec<_>>(),
        (1..=n).collect::<Vec<_>>(),
        "seqs are contiguous, each once"
    );
    let mut places: Vec<_> = records
        .iter()
        .map(|r| format!("{:?}", r.event.body))
        .collect();
    places.sort();
    places.dedup();
    assert_eq!(places.len() as u64, n, "every event is there exactly once");
    let v = verify_store(&store, &s, Some(&public), None)
        .unwrap()
        .unwrap();
    assert_eq!(v.head.seq, n);
    assert_eq!(v.checkpoints as u64, n);
    eprintln!("{conflicts} conflicts over {n} appends");
    assert!(conflicts > 0, "the two servers never raced");
}

#[test]
fn opens_from_a_postgres_url_and_reopens_without_migrating_again() {
    let Some(server) = postgres_server() else {
        return;
    };
    let db = TestDatabase::create(&server);
    let s = stream("rust");
    {
        let store = setguard_ledger::open(&db.url, NodeKey::ephemeral()).unwrap();
        store.append(&s, 0, &[set_down(1)]).unwrap();
    }
    let alt = db.url.replacen("postgres://", "postgresql://", 1);
    let store = setguard_ledger::open(&alt, NodeKey::ephemeral()).unwrap();
    assert_eq!(store.head(&s).unwrap().seq, 1);
    store.append(&s, 1, &[set_down(2)]).unwrap();
}

#[test]
fn the_database_refuses_updates_and_deletes() {
    let Some(server) = postgres_server() else {
        return;
    };
    let db = TestDatabase::create(&server);
    let store = PostgresStore::open(&db.url, NodeKey::ephemeral()).unwrap();
    store.append(&stream("rust"), 0, &[set_down(1)]).unwrap();
    let mut raw = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    for sql in [
        "UPDATE events SET actor = 'someone else'",
        "DELETE FROM events",
        "TRUNCATE events",
        "UPDATE checkpoints SET seq = 2",
        "DELETE FROM checkpoints",
        "TRUNCATE checkpoints",
    ] {
        let err = raw.batch_execute(sql).unwrap_err();
        assert!(
            err.as_db_error()
                .is_some_and(|e| e.message().contains("append-only")),
            "{sql}: {err}"
        );
    }
    assert_eq!(store.read(&stream("rust"), 1).unwrap().len(), 1);
}

/// The store's backend is ended in the middle of an append (while it waits on another
/// transaction's row), so the append is cut short whatever the pool noticed before: a storage
/// error, nothing stored, and the next call has a new connection. (A backend ended while idle
/// is noticed by the pool, which connects again before using it: see `faults.rs`.)
#[test]
fn a_lost_connection_is_a_storage_error_then_reconnects() {
    let Some(server) = postgres_server() else {
        return;
    };
    let db = TestDatabase::create(&server);
    let store = Arc::new(PostgresStore::open(&db.url, NodeKey::ephemeral()).unwrap());
    let s = stream("rust");
    store.append(&s, 0, &[set_down(1)]).unwrap();
    // Holds seq 2 uncommitted, so that our append at 2 waits on it with its backend busy.
    let mut other = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    let mut tx = other.transaction().unwrap();
    tx.execute(
        "INSERT INTO events (stream, seq, at, actor, payload, prev_hash, hash)
         VALUES ('rust', 2, 'x', NULL, '\\x7b7d', $1, $1)",
        &[&vec![0u8; 32]],
    )
    .unwrap();
    let ours = {
        let (store, s) = (Arc::clone(&store), s.clone());
        std::thread::spawn(move || store.append(&s, 1, &[set_down(2)]))
    };
    let mut admin = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    let waiting = (0..100).any(|_| {
        let n: i64 = admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND wait_event_type = 'Lock'
                   AND application_name = 'setguard'",
                &[],
            )
            .unwrap()
            .get(0);
        std::thread::sleep(std::time::Duration::from_millis(50));
        n > 0
    });
    assert!(waiting, "our append never waited on the other's insert");
    let ended: i64 = admin
        .query_one(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
             WHERE datname = current_database() AND application_name = 'setguard'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(ended, 1, "the store had one backend");
    match ours.join().unwrap() {
        Err(LedgerError::Storage(why)) => {
            eprintln!("the append whose backend was ended: {why}");
            assert!(why.contains(&db.name), "{why}");
        }
        other => panic!("expected a storage error, got {other:?}"),
    }
    tx.rollback().unwrap();
    // The next call connects again; nothing was acknowledged that is not there.
    let head = store.head(&s).unwrap();
    assert_eq!(head.seq, 1);
    store.append(&s, 1, &[set_down(2)]).unwrap();
    assert_eq!(store.read(&s, 1).unwrap().len(), 2);
}

#[test]
fn losing_the_insert_race_is_a_conflict_at_the_winners_head() {
    let Some(server) = postgres_server() else {
        return;
    };
    let db = TestDatabase::create(&server);
    let store = Arc::new(PostgresStore::open(&db.url, NodeKey::ephemeral()).unwrap());
    // The "other server": writes seq 1 and holds its transaction open, so our append passes
    // its head check (seq 0 is all it can see) and then waits on the unique index.
    let mut other = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    let mut tx = other.transaction().unwrap();
    tx.execute(
        "INSERT INTO events (stream, seq, at, actor, payload, prev_hash, hash)
         VALUES ('rust', 1, 'x', NULL, '\\x7b7d', $1, $1)",
        &[&vec![0u8; 32]],
    )
    .unwrap();
    let ours = {
        let store = Arc::clone(&store);
        std::thread::spawn(move || store.append(&stream("rust"), 0, &[set_down(1)]))
    };
    let mut watch = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    let waiting = (0..100).any(|_| {
        let n: i64 = watch
            .query_one(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND wait_event_type = 'Lock'",
                &[],
            )
            .unwrap()
            .get(0);
        std::thread::sleep(std::time::Duration::from_millis(50));
        n > 0
    });
    assert!(waiting, "our append never waited on the other's insert");
    tx.commit().unwrap();
    match ours.join().unwrap() {
        Err(LedgerError::Conflict { current_seq }) => assert_eq!(current_seq, 1),
        other => panic!("expected a conflict at 1, got {other:?}"),
    }
    assert_eq!(store.checkpoints(&stream("rust")).unwrap().len(), 0);
}

/// Calls overlap on the store's pool: an append stuck behind another server's transaction does
/// not hold up the store's other calls (with one connection, everything waited behind it).
/// `pool_size` in the URL sizes the pool.
#[test]
fn an_append_waiting_on_a_lock_does_not_hold_up_other_calls() {
    let Some(server) = postgres_server() else {
        return;
    };
    let db = TestDatabase::create(&server);
    let sep = if db.url.contains('?') { '&' } else { '?' };
    let url = format!("{}{sep}pool_size=2", db.url);
    let store = Arc::new(PostgresStore::open(&url, NodeKey::ephemeral()).unwrap());
    assert!(format!("{store:?}").contains("pool_size: 2"), "{store:?}");
    let s = stream("rust");
    store.append(&s, 0, &[set_down(1)]).unwrap();
    let mut other = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    let mut tx = other.transaction().unwrap();
    tx.execute(
        "INSERT INTO events (stream, seq, at, actor, payload, prev_hash, hash)
         VALUES ('rust', 2, 'x', NULL, '\\x7b7d', $1, $1)",
        &[&vec![0u8; 32]],
    )
    .unwrap();
    let stuck = {
        let (store, s) = (Arc::clone(&store), s.clone());
        std::thread::spawn(move || store.append(&s, 1, &[set_down(2)]))
    };
    let mut watch = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    let waiting = (0..100).any(|_| {
        let n: i64 = watch
            .query_one(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND wait_event_type = 'Lock'",
                &[],
            )
            .unwrap()
            .get(0);
        std::thread::sleep(std::time::Duration::from_millis(50));
        n > 0
    });
    assert!(waiting, "the append never waited on the other's insert");

    // Meanwhile the store answers on its other connection.
    let (done, answered) = std::sync::mpsc::channel();
    {
        let store = Arc::clone(&store);
        std::thread::spawn(move || {
            let other_stream = stream("halyna");
            let appended = store.append(&other_stream, 0, &[set_down(3)]);
            let head = store.head(&stream("rust"));
            let _ = done.send((appended, head));
        });
    }
    let (appended, head) = answered
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("the store's other calls waited behind the stuck append");
    assert_eq!(appended.unwrap().last_seq, 1);
    assert_eq!(head.unwrap().seq, 1);

    tx.commit().unwrap();
    match stuck.join().unwrap() {
        Err(LedgerError::Conflict { current_seq }) => assert_eq!(current_seq, 2),
        other => panic!("expected a conflict at 2, got {other:?}"),
    }
}
