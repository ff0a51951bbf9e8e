//! Many writers racing for one stream never fork it: optimistic appends plus group commit.

mod common;

use common::{set_down, stream};
use setguard_ledger::sqlite::SqliteStore;
use setguard_ledger::verify::verify_store;
use setguard_ledger::{LedgerError, NodeKey, Store};
use std::sync::{Arc, Barrier};

#[test]
fn sixty_four_threads_appending_with_retries_never_fork_the_stream() {
    const THREADS: u64 = 64;
    const EACH: u64 = 5;
    let dir = tempfile::tempdir().unwrap();
    let key = NodeKey::ephemeral();
    let public = key.public();
    let store = Arc::new(SqliteStore::open(dir.path().join("ledger.db"), key).unwrap());
    let s = stream("rust");
    // Every thread reads the empty head, then all append at once: exactly one can win the
    // first round, so conflicts are certain rather than left to scheduling.
    let start = Arc::new(Barrier::new(usize::try_from(THREADS).unwrap()));

    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let store = Arc::clone(&store);
            let s = s.clone();
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                let mut conflicts = 0u64;
                for i in 0..EACH {
                    let event = set_down(t * EACH + i);
                    let mut expected = store.head(&s).unwrap().seq;
                    if i == 0 {
                        start.wait();
                    }
                    loop {
                        match store.append(&s, expected, std::slice::from_ref(&event)) {
                            Ok(a) => {
                                assert_eq!(a.first_seq, expected + 1);
                                break;
                            }
                            Err(LedgerError::Conflict { current_seq }) => {
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

    let records = store.read(&s, 1).unwrap();
    let n = THREADS * EACH;
    assert_eq!(
        records.iter().map(|r| r.seq).collect::<Vec<_>>(),
        (1..=n).collect::<Vec<_>>()
    );
    // Every event is there exactly once.
    let mut places: Vec<_> = records
        .iter()
        .map(|r| format!("{:?}", r.event.body))
        .collect();
    places.sort();
    places.dedup();
    assert_eq!(places.len() as u64, n);
    let v = verify_store(store.as_ref(), &s, Some(&public), None)
        .unwrap()
        .unwrap();
    assert_eq!(v.head.seq, n);
    assert!(
        conflicts >= THREADS - 1,
        "only {conflicts} conflicts: the threads never raced"
    );
}
