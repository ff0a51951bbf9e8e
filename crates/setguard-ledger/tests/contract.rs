//! The contract every `Store` keeps, written once over `&dyn Store` and run on each backend,
//! each test on its own database. The PostgreSQL run needs `SETGUARD_TEST_POSTGRES`; without it
//! each of its tests says on stderr that it did not run.

mod common;

use common::{Fixture, day_started, set_down, stream};
use ed25519_dalek::VerifyingKey;
use setguard_core::Event;
use setguard_core::ProductionId;
use setguard_core::{STATE_FORMAT, State};
use setguard_ledger::snapshot::{self, Start};
use setguard_ledger::verify::verify_store;
use setguard_ledger::{
    Appended, ChainHash, Checkpoint, Head, LedgerError, NodeKey, Record, Snapshot, Store,
};
use std::sync::atomic::{AtomicUsize, Ordering};

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

/// Appends submitted one after another, each expecting the one before, are recorded in that
/// order whichever is waited for first; one that expects an append that failed is refused,
/// and nothing of either is recorded.
fn submitted_appends_pipeline_in_order(store: &dyn Store, key: &VerifyingKey) {
    let s = stream("rust");
    let head = |a: Appended| Head {
        seq: a.last_seq,
        hash: a.head,
    };
    let a = store
        .submit(&s, Head::EMPTY, &[set_down(1), day_started()])
        .unwrap();
    let b = store
        .submit(&s, head(a.appended()), &[set_down(3)])
        .unwrap();
    let c = store
        .submit(&s, head(b.appended()), &[set_down(4)])
        .unwrap();
    let promised = [a.appended(), b.appended(), c.appended()];
    // The last first: a store that only queues must still commit the ones before it.
    let c = c.wait().unwrap();
    let b = b.wait().unwrap();
    let a = a.wait().unwrap();
    assert_eq!([a, b, c], promised);
    assert_eq!(
        [a, b, c].map(|x| (x.first_seq, x.last_seq)),
        [(1, 2), (3, 3), (4, 4)]
    );
    let records = store.read(&s, 1).unwrap();
    assert_eq!(records.len(), 4);
    assert_eq!(records[2].event, set_down(3));
    assert_eq!(records[3].hash, c.head);
    assert!(verify_store(store, &s, Some(key), None).unwrap().is_ok());

    // A stale append refused; in a pipelining store, one submitted on top of it is refused
    // too, although its seq is the stream's own head seq by then.
    let three = Head {
        seq: 3,
        hash: b.head,
    };
    match store.submit(&s, three, &[set_down(9)]) {
        Err(e) => assert!(
            matches!(e, LedgerError::Conflict { current_seq: 4 }),
            "{e:?}"
        ),
        Ok(stale) => {
            assert!(store.pipelines());
            let on_top = store
                .submit(&s, head(stale.appended()), &[set_down(10)])
                .unwrap();
            assert_eq!(on_top.appended().first_seq, 5);
            let e = stale.wait().unwrap_err();
            assert!(
                matches!(e, LedgerError::Conflict { current_seq: 4 }),
                "{e:?}"
            );
            let e = on_top.wait().unwrap_err();
            assert!(
                matches!(e, LedgerError::Conflict { current_seq: 4 }),
                "{e:?}"
            );
        }
    }
    assert_eq!(store.head(&s).unwrap(), head(c));

    // Submitted and never waited for: still committed, never left blocking the queue.
    drop(store.submit(&s, head(c), &[set_down(5)]).unwrap());
    assert_eq!(store.append(&s, 5, &[set_down(6)]).unwrap().last_seq, 6);
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

/// A store on which another writer's commit lands just before some of its reads: what a
/// verifier meets on a live ledger.
#[derive(Debug)]
struct CommitsLand<'a> {
    inner: &'a dyn Store,
    /// The reads (checkpoints or records, counted from 0) that a commit lands before.
    before: &'a [usize],
    reads: AtomicUsize,
}

impl CommitsLand<'_> {
    fn reading(&self, s: &ProductionId) {
        if self
            .before
            .contains(&self.reads.fetch_add(1, Ordering::SeqCst))
        {
            let head = self.inner.head(s).unwrap();
            self.inner.append(s, head.seq, &[set_down(99)]).unwrap();
        }
    }
}

impl Store for CommitsLand<'_> {
    fn append(&self, s: &ProductionId, seq: u64, ev: &[Event]) -> Result<Appended, LedgerError> {
        self.inner.append(s, seq, ev)
    }
    fn read_page(&self, s: &ProductionId, from: u64, n: usize) -> Result<Vec<Record>, LedgerError> {
        self.reading(s);
        self.inner.read_page(s, from, n)
    }
    fn head(&self, s: &ProductionId) -> Result<Head, LedgerError> {
        self.inner.head(s)
    }
    fn checkpoints(&self, s: &ProductionId) -> Result<Vec<Checkpoint>, LedgerError> {
        self.reading(s);
        self.inner.checkpoints(s)
    }
    fn streams(&self) -> Result<Vec<ProductionId>, LedgerError> {
        self.inner.streams()
    }
    fn save_snapshot(&self, s: &ProductionId, snap: &Snapshot) -> Result<(), LedgerError> {
        self.inner.save_snapshot(s, snap)
    }
    fn latest_snapshot(&self, s: &ProductionId) -> Result<Option<Snapshot>, LedgerError> {
        self.inner.latest_snapshot(s)
    }
}

/// `setguard verify` on a server that goes on recording: a commit landing between the reads of
/// the records and of the checkpoints is neither a cut (its checkpoint past the records read)
/// nor an unsigned record (its records past the checkpoints read). (A stream cut short behind
/// its checkpoints is still caught: tests/tamper.rs.)
fn a_ledger_recording_while_it_is_verified_verifies(store: &dyn Store, key: &VerifyingKey) {
    let s = stream("rust");
    store.append(&s, 0, &[set_down(1), day_started()]).unwrap();
    // Reads: the checkpoints, the records, then the checkpoints again.
    for (before, head) in [(&[0][..], 3), (&[1], 4), (&[1, 2], 5)] {
        let live = CommitsLand {
            inner: store,
            before,
            reads: AtomicUsize::new(0),
        };
        let v = verify_store(&live, &s, Some(key), None)
            .unwrap()
            .unwrap_or_else(|b| panic!("commits landing before reads {before:?}: {b}"));
        assert_eq!(v.head.seq, head, "commits landing before reads {before:?}");
    }
    assert_eq!(store.head(&s).unwrap().seq, 6);
}

fn read_page_returns_at_most_its_limit(store: &dyn Store, _key: &VerifyingKey) {
    let s = stream("rust");
    let events: Vec<_> = (1..=5).map(set_down).collect();
    store.append(&s, 0, &events).unwrap();
    let seqs = |from, limit| {
        store
            .read_page(&s, from, limit)
            .unwrap()
            .iter()
            .map(|r| r.seq)
            .collect::<Vec<_>>()
    };
    assert_eq!(seqs(1, 2), [1, 2]);
    assert_eq!(seqs(4, 2), [4, 5]);
    assert_eq!(seqs(5, 9), [5]);
    assert!(seqs(6, 9).is_empty());
    assert!(seqs(1, 0).is_empty());
}

/// The state every event of the stream gives, the slow way: what a snapshot must agree with.
fn from_scratch(store: &dyn Store, s: &ProductionId) -> Vec<u8> {
    let mut state = State::new();
    for r in store.read(s, 1).unwrap() {
        state.apply(&r.event);
    }
    serde_json::to_vec(&state).unwrap()
}

fn appended(store: &dyn Store, s: &ProductionId, from: u64, to: u64) -> Head {
    let events: Vec<_> = (from..=to).map(set_down).collect();
    let a = store.append(s, from - 1, &events).unwrap();
    Head {
        seq: a.last_seq,
        hash: a.head,
    }
}

/// A snapshot of `state` at `seq` on `s`, signed by `key` as the node would sign it.
fn signed(key: &NodeKey, s: &ProductionId, seq: u64, head: ChainHash, state: Vec<u8>) -> Snapshot {
    let signature = key.sign_snapshot(s.as_str(), seq, &head, STATE_FORMAT, &state);
    Snapshot {
        seq,
        head,
        format: STATE_FORMAT.to_owned(),
        state,
        signature: signature.to_bytes().to_vec(),
    }
}

fn a_saved_snapshot_replaces_the_one_before(store: &dyn Store, _key: &VerifyingKey) {
    let s = stream("rust");
    let key = NodeKey::ephemeral();
    assert_eq!(store.latest_snapshot(&s).unwrap(), None);
    let snap = |seq: u64| {
        signed(
            &key,
            &s,
            seq,
            ChainHash::GENESIS,
            vec![u8::try_from(seq).unwrap()],
        )
    };
    store.save_snapshot(&s, &snap(2)).unwrap();
    assert_eq!(store.latest_snapshot(&s).unwrap(), Some(snap(2)));
    store.save_snapshot(&s, &snap(5)).unwrap();
    assert_eq!(store.latest_snapshot(&s).unwrap(), Some(snap(5)));
    // Even by one at an earlier seq: a snapshot found wrong must always be replaceable.
    store.save_snapshot(&s, &snap(3)).unwrap();
    assert_eq!(store.latest_snapshot(&s).unwrap(), Some(snap(3)));
    assert_eq!(store.latest_snapshot(&stream("other")).unwrap(), None);
}

fn a_production_loads_from_its_snapshot_and_the_events_after_it(
    store: &dyn Store,
    _key: &VerifyingKey,
) {
    let s = stream("rust");
    let key = NodeKey::ephemeral();
    let first = appended(store, &s, 1, 6);
    let loaded = snapshot::load(store, &s, &key).unwrap();
    assert_eq!((loaded.from, loaded.head), (Start::NoSnapshot, first));
    snapshot::save(store, &s, &loaded.state, loaded.head, &key).unwrap();

    let last = appended(store, &s, 7, 10);
    let loaded = snapshot::load(store, &s, &key).unwrap();
    assert_eq!(loaded.from, Start::Snapshot { seq: 6 });
    assert_eq!((loaded.replayed, loaded.head), (4, last));
    assert_eq!(loaded.state.events, 10);
    assert_eq!(
        serde_json::to_vec(&loaded.state).unwrap(),
        from_scratch(store, &s)
    );
    // A reader that does not hold the node's key never trusts it.
    let other = NodeKey::ephemeral();
    let read = snapshot::load_read_only(store, &s, Some(&other.public())).unwrap();
    assert!(
        matches!(read.from, Start::Rebuilt { .. }),
        "{:?}",
        read.from
    );
    assert_eq!(
        serde_json::to_vec(&read.state).unwrap(),
        from_scratch(store, &s)
    );
    let read = snapshot::load_read_only(store, &s, None).unwrap();
    assert!(
        matches!(read.from, Start::Rebuilt { .. }),
        "{:?}",
        read.from
    );
}

fn a_snapshot_that_does_not_fit_the_stream_is_rebuilt(store: &dyn Store, _key: &VerifyingKey) {
    let s = stream("rust");
    let key = NodeKey::ephemeral();
    let head = appended(store, &s, 1, 8);
    let (state_at_4, hash_at_4) = {
        let mut state = State::new();
        for r in store.read_page(&s, 1, 4).unwrap() {
            state.apply(&r.event);
        }
        (
            serde_json::to_vec(&state).unwrap(),
            store.read_page(&s, 4, 1).unwrap()[0].hash,
        )
    };
    let good = signed(&key, &s, 4, hash_at_4, state_at_4.clone());
    store.save_snapshot(&s, &good).unwrap();
    let loaded = snapshot::load(store, &s, &key).unwrap();
    assert_eq!(
        (loaded.from, loaded.replayed),
        (Start::Snapshot { seq: 4 }, 4)
    );
    // A state edited in the database: the same seq and head, but no longer what was signed.
    let mut forged_state = String::from_utf8(state_at_4.clone()).unwrap();
    forged_state = forged_state.replacen("\"events\":4", "\"events\":3", 1);
    assert_ne!(forged_state.as_bytes(), state_at_4.as_slice());
    let bad = [
        (
            "a forged state",
            Snapshot {
                state: forged_state.into_bytes(),
                ..good.clone()
            },
        ),
        (
            "another node's",
            signed(&NodeKey::ephemeral(), &s, 4, hash_at_4, state_at_4.clone()),
        ),
        (
            "another build",
            Snapshot {
                format: "setguard-state/0".to_owned(),
                ..good.clone()
            },
        ),
        (
            "another head",
            signed(&key, &s, 4, head.hash, state_at_4.clone()),
        ),
        (
            "unreadable",
            signed(&key, &s, 4, hash_at_4, b"{not json".to_vec()),
        ),
        (
            "past the end",
            signed(&key, &s, 9, hash_at_4, state_at_4.clone()),
        ),
    ];
    for (what, snap) in bad {
        store.save_snapshot(&s, &snap).unwrap();
        let loaded = snapshot::load(store, &s, &key).unwrap();
        assert!(
            matches!(loaded.from, Start::Rebuilt { .. }),
            "{what}: {:?}",
            loaded.from
        );
        assert_eq!(loaded.head, head, "{what}");
        assert_eq!(
            serde_json::to_vec(&loaded.state).unwrap(),
            from_scratch(store, &s),
            "{what}"
        );
        // The writing load replaced it with a good one at the head.
        let next = snapshot::load(store, &s, &key).unwrap();
        assert_eq!(
            (next.from, next.replayed),
            (Start::Snapshot { seq: 8 }, 0),
            "{what}"
        );
    }
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
    submitted_appends_pipeline_in_order,
    read_starts_at_the_given_seq,
    stale_or_future_expected_seq_conflicts_and_writes_nothing,
    empty_batch_is_refused,
    streams_are_independent,
    an_empty_ledger_lists_no_streams,
    each_append_leaves_a_signed_checkpoint_of_its_head,
    a_stream_written_through_the_store_verifies,
    a_ledger_recording_while_it_is_verified_verifies,
    read_page_returns_at_most_its_limit,
    a_saved_snapshot_replaces_the_one_before,
    a_production_loads_from_its_snapshot_and_the_events_after_it,
    a_snapshot_that_does_not_fit_the_stream_is_rebuilt,
);

contract!(postgres:
    empty_stream_is_at_genesis,
    appends_read_back_in_order_and_chained,
    submitted_appends_pipeline_in_order,
    read_starts_at_the_given_seq,
    stale_or_future_expected_seq_conflicts_and_writes_nothing,
    empty_batch_is_refused,
    streams_are_independent,
    an_empty_ledger_lists_no_streams,
    each_append_leaves_a_signed_checkpoint_of_its_head,
    a_stream_written_through_the_store_verifies,
    a_ledger_recording_while_it_is_verified_verifies,
    read_page_returns_at_most_its_limit,
    a_saved_snapshot_replaces_the_one_before,
    a_production_loads_from_its_snapshot_and_the_events_after_it,
    a_snapshot_that_does_not_fit_the_stream_is_rebuilt,
);
