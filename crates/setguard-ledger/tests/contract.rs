//! The contract every `Store` keeps, written once over `&dyn Store` and run on each backend,
//! each test on its own database. The PostgreSQL run needs `SETGUARD_TEST_POSTGRES`; without it
//! each of its tests says on stderr that it did not run.

mod common;

use common::{Fixture, day_started, set_down, stream};
use ed25519_dalek::VerifyingKey;
use setguard_ledger::verify::verify_store;
use setguard_ledger::{ChainHash, Head, LedgerError, Store};

fn empty_stream_is_at_genesis(store: &dyn Store, _key: &VerifyingKey) {
    let s = stream("rust");
    assert_eq!(store.head(&s).unwrap(), Head::EMPTY);
    assert!(store.read(&s, 1).unwrap().is_empty());
    assert!(store.checkpoints(&s).unwrap().is_empty());
}

fn appends_read_back_in_order_and_chained(store: &dyn Store, _key: &VerifyingKey) {
    let s = stream("rust");
    let a = store.append(&s, 0, &[set_down(1), day_started()]).unwrap();
    assert_eq!((a.first_seq, a.last_seq), (1, 2));
    let b = store.append(&s, 2, &[set_down(3)]).unwrap();
    assert_eq!((b.first_seq, b.last_seq), (3, 3));
    let records = store.read(&s, 1).unwrap();
    assert_eq!(records.iter().map(|r| r.seq).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(records[0].event, set_down(1));
    assert_eq!(records[1].event, day_started());
    assert_eq!(records[0].prev_hash, ChainHash::GENESIS);
    assert_eq!(records[1].prev_hash, records[0].hash);
    assert_eq!(records[2].prev_hash, records[1].hash);
    assert_eq!(records[2].hash, b.head);
    for r in &records {
        assert_eq!(r.computed_hash("rust"), r.hash);
        assert_eq!(r.payload, serde_json::to_vec(&r.event).unwrap());
    }
    assert_eq!(
        store.head(&s).unwrap(),
        Head {
            seq: 3,
            hash: b.head
        }
    );
}

fn read_starts_at_the_given_seq(store: &dyn Store, _key: &VerifyingKey) {
    let s = stream("rust");
    store
        .append(&s, 0, &[set_down(1), set_down(2), set_down(3)])
        .unwrap();
    let tail = store.read(&s, 2).unwrap();
    assert_eq!(tail.iter().map(|r| r.seq).collect::<Vec<_>>(), [2, 3]);
    assert!(store.read(&s, 4).unwrap().is_empty());
}

fn stale_or_future_expected_seq_conflicts_and_writes_nothing(
    store: &dyn Store,
    _key: &VerifyingKey,
) {
    let s = stream("rust");
    store.append(&s, 0, &[set_down(1), set_down(2)]).unwrap();
    for expected in [0, 1, 3, 10] {
        match store.append(&s, expected, &[set_down(9)]) {
            Err(LedgerError::Conflict { current_seq }) => assert_eq!(current_seq, 2),
            other => panic!("expected a conflict at {expected}, got {other:?}"),
        }
    }
    assert_eq!(store.read(&s, 1).unwrap().len(), 2);
    assert_eq!(store.checkpoints(&s).unwrap().len(), 1);
}

fn empty_batch_is_refused(store: &dyn Store, _key: &VerifyingKey) {
    let s = stream("rust");
    assert!(matches!(
        store.append(&s, 0, &[]),
        Err(LedgerError::EmptyBatch)
    ));
    assert_eq!(store.head(&s).unwrap(), Head::EMPTY);
}

fn streams_are_independent(store: &dyn Store, key: &VerifyingKey) {
    let (a, b) = (stream("rust"), stream("halyna"));
    store.append(&a, 0, &[set_down(1)]).unwrap();
    store.append(&b, 0, &[set_down(1), set_down(2)]).unwrap();
    store.append(&a, 1, &[set_down(2)]).unwrap();
    assert_eq!(store.head(&a).unwrap().seq, 2);
    assert_eq!(store.head(&b).unwrap().seq, 2);
    // Same events, different streams: the stream is hashed, so the chains differ.
    assert_ne!(store.head(&a).unwrap().hash, store.head(&b).unwrap().hash);
    assert!(verify_store(store, &a, Some(key), None).unwrap().is_ok());
    assert!(verify_store(store, &b, Some(key), None).unwrap().is_ok());
    assert_eq!(
        store.streams().unwrap(),
        [b, a],
        "streams are listed in id order"
    );
}

fn an_empty_ledger_lists_no_streams(store: &dyn Store, _key: &VerifyingKey) {
    assert!(store.streams().unwrap().is_empty());
}

fn each_append_leaves_a_signed_checkpoint_of_its_head(store: &dyn Store, key: &VerifyingKey) {
    let s = stream("rust");
    let a = store.append(&s, 0, &[set_down(1), set_down(2)]).unwrap();
    let b = store.append(&s, 2, &[set_down(3)]).unwrap();
    let cps = store.checkpoints(&s).unwrap();
    assert_eq!(cps.iter().map(|c| c.seq).collect::<Vec<_>>(), [2, 3]);
    assert_eq!(cps[0].head, a.head);
    assert_eq!(cps[1].head, b.head);
    for cp in &cps {
        assert!(cp.signature_holds());
        assert_eq!(cp.public_key, *key);
        assert_eq!(cp.stream, "rust");
    }
}

fn a_stream_written_through_the_store_verifies(store: &dyn Store, key: &VerifyingKey) {
    let s = stream("rust");
    let mut seq = 0;
    for n in 0..10 {
        seq = store
            .append(&s, seq, &[set_down(n), day_started()])
            .unwrap()
            .last_seq;
    }
    let v = verify_store(store, &s, Some(key), None).unwrap().unwrap();
    assert_eq!(v.head, store.head(&s).unwrap());
    assert_eq!(v.checkpoints, 10);
    let held = store.checkpoints(&s).unwrap().pop().unwrap();
    assert!(
        verify_store(store, &s, Some(key), Some(&held))
            .unwrap()
            .is_ok()
    );
}

macro_rules! contract {
    ($backend:ident: $($test:ident),* $(,)?) => {
        mod $backend {
            $(
                #[test]
                fn $test() {
                    // `None` when the backend's server is not configured; the fixture has said so.
                    let Some(f): Option<super::Fixture> = super::common::$backend() else {
                        return;
                    };
                    super::$test(f.store.as_ref(), &f.key);
                }
            )*
        }
    };
}

contract!(sqlite:
    empty_stream_is_at_genesis,
    appends_read_back_in_order_and_chained,
    read_starts_at_the_given_seq,
    stale_or_future_expected_seq_conflicts_and_writes_nothing,
    empty_batch_is_refused,
    streams_are_independent,
    an_empty_ledger_lists_no_streams,
    each_append_leaves_a_signed_checkpoint_of_its_head,
    a_stream_written_through_the_store_verifies,
);

contract!(postgres:
    empty_stream_is_at_genesis,
    appends_read_back_in_order_and_chained,
    read_starts_at_the_given_seq,
    stale_or_future_expected_seq_conflicts_and_writes_nothing,
    empty_batch_is_refused,
    streams_are_independent,
    an_empty_ledger_lists_no_streams,
    each_append_leaves_a_signed_checkpoint_of_its_head,
    a_stream_written_through_the_store_verifies,
);
