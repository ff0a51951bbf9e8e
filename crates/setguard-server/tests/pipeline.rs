//! One production's commands pipelined through the ledger: many given at once are each recorded
//! once, in one unbroken chain; a commit that fails under commands queued on top of it loses
//! none of them, and what the server shows afterwards is exactly what the ledger holds.

use setguard_core::{Command, ProductionId, State};
use setguard_ledger::sqlite::SqliteStore;
use setguard_ledger::verify::verify_store;
use setguard_ledger::{
    ChainHash, Checkpoint, Head, LedgerError, NodeKey, PendingAppend, Record, Snapshot, Store,
};
use setguard_server::live::{LiveError, Productions};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A SQLite ledger whose `break_at`-th submission expects a head that is not there, as if the
/// record before it had been lost: its commit fails, and so must everything queued on it.
#[derive(Debug)]
struct Flaky {
    inner: SqliteStore,
    submits: AtomicUsize,
    break_at: usize,
}

impl Store for Flaky {
    fn append(
        &self,
        s: &ProductionId,
        seq: u64,
        ev: &[setguard_core::Event],
    ) -> Result<setguard_ledger::Appended, LedgerError> {
        self.inner.append(s, seq, ev)
    }
    fn submit(
        &self,
        s: &ProductionId,
        expected: Head,
        ev: &[setguard_core::Event],
    ) -> Result<PendingAppend, LedgerError> {
        let n = self.submits.fetch_add(1, Ordering::SeqCst);
        let expected = if n == self.break_at {
            Head {
                seq: expected.seq,
                hash: ChainHash::GENESIS,
            }
        } else {
            expected
        };
        self.inner.submit(s, expected, ev)
    }
    fn pipelines(&self) -> bool {
        self.inner.pipelines()
    }
    fn read_page(
        &self,
        s: &ProductionId,
        from: u64,
        limit: usize,
    ) -> Result<Vec<Record>, LedgerError> {
        self.inner.read_page(s, from, limit)
    }
    fn head(&self, s: &ProductionId) -> Result<Head, LedgerError> {
        self.inner.head(s)
    }
    fn checkpoints(&self, s: &ProductionId) -> Result<Vec<Checkpoint>, LedgerError> {
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

const ITEMS: usize = 64;

/// The production's opening, and when: this morning.
fn opening() -> (Command, setguard_core::At) {
    let open = serde_json::from_str(
        r#"{"do":"open-production","id":"pipeline","name":"Pipeline","policy":"standard","timezone":"America/Denver"}"#,
    )
    .unwrap();
    let at = setguard_core::At::from_naive(
        chrono::NaiveDate::from_ymd_opt(2026, 12, 1)
            .unwrap()
            .and_hms_opt(8, 0, 0)
            .unwrap(),
    );
    (open, at)
}

async fn register_all_at_once(break_at: usize) {
    let dir = tempfile::tempdir().unwrap();
    let key = NodeKey::ephemeral();
    let public = key.public();
    let inner = SqliteStore::open(dir.path().join("set.db"), key).unwrap();
    let store = Arc::new(Flaky {
        inner,
        submits: AtomicUsize::new(0),
        break_at,
    });
    let productions = Arc::new(Productions::new(store.clone(), NodeKey::ephemeral()));
    let id = ProductionId::parse("pipeline").unwrap();
    let (open, at) = opening();
    productions.open(&id, open, at).await.unwrap();

    // Views all the while: each must show a head the ledger holds (never the head of events
    // still committing, which a failed commit would leave the ledger without).
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let (p, id, done) = (productions.clone(), id.clone(), done.clone());
        tokio::spawn(async move {
            let mut seen = Vec::new();
            while !done.load(Ordering::SeqCst) {
                seen.push(p.view(&id, |_, head| head).await.expect("a view"));
                tokio::task::yield_now().await;
            }
            seen
        })
    };
    let tasks: Vec<_> = (0..ITEMS)
        .map(|i| {
            let (p, id) = (productions.clone(), id.clone());
            tokio::spawn(async move {
                let cmd: Command = serde_json::from_str(&format!(
                    r#"{{"do":"register-item","id":"colt-{i}","kind":"functional","class":"revolver","calibre":".45 Colt","serial":"S-{i}"}}"#
                ))
                .unwrap();
                p.execute(&id, None, &cmd).await
            })
        })
        .collect();
    let mut seqs = Vec::new();
    for t in tasks {
        let done = t.await.unwrap().expect("every command is recorded");
        assert!(done.refused.is_empty(), "{:?}", done.refused);
        seqs.extend(done.recorded.iter().map(|(s, _)| *s));
    }
    done.store(true, Ordering::SeqCst);
    let seen = watcher.await.unwrap();
    seqs.sort_unstable();
    // Each recorded once: the seqs answered are exactly those after the opening.
    assert_eq!(
        seqs,
        (2..=u64::try_from(ITEMS).unwrap() + 1).collect::<Vec<_>>()
    );
    // The opening and each command once; where one was broken, it was judged again, and so
    // was at least one command queued on it.
    let submits = store.submits.load(Ordering::SeqCst);
    if break_at < ITEMS {
        assert!(
            submits >= ITEMS + 3,
            "{submits} submissions for {ITEMS} commands"
        );
    } else {
        assert_eq!(submits, ITEMS + 1);
    }

    let records = store.read(&id, 1).unwrap();
    assert_eq!(records.len(), ITEMS + 1);
    assert!(!seen.is_empty());
    for head in &seen {
        let seq = usize::try_from(head.seq).unwrap();
        assert_eq!(records[seq - 1].hash, head.hash, "a view showed seq {seq}");
    }
    assert!(
        verify_store(store.as_ref(), &id, Some(&public), None)
            .unwrap()
            .is_ok()
    );
    let mut from_ledger = State::new();
    for r in &records {
        from_ledger.apply(&r.event);
    }
    let shown = productions
        .view(&id, |state, head| {
            assert_eq!(head.seq, records.last().unwrap().seq);
            assert_eq!(head.hash, records.last().unwrap().hash);
            serde_json::to_value(state).unwrap()
        })
        .await
        .unwrap();
    assert_eq!(shown, serde_json::to_value(&from_ledger).unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_commands_at_once_on_one_production_are_each_recorded_once() {
    register_all_at_once(usize::MAX).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_commit_loses_none_of_the_commands_queued_on_it() {
    register_all_at_once(8).await;
}

/// Opening a production the ledger already holds, on a server that has not loaded it yet, is
/// judged on the production as recorded: refused, and nothing of it is shown empty meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opening_a_production_the_ledger_holds_is_refused_on_its_record() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("set.db");
    let id = ProductionId::parse("pipeline").unwrap();
    let (open, at) = opening();
    {
        let store = Arc::new(SqliteStore::open(&path, NodeKey::ephemeral()).unwrap());
        let first = Productions::new(store, NodeKey::ephemeral());
        first.open(&id, open.clone(), at).await.unwrap();
        let cmd: Command = serde_json::from_str(
            r#"{"do":"register-item","id":"colt-1","kind":"functional","class":"revolver","calibre":".45 Colt","serial":"S-1"}"#,
        )
        .unwrap();
        assert!(
            first
                .execute(&id, None, &cmd)
                .await
                .unwrap()
                .refused
                .is_empty()
        );
    }
    let store = Arc::new(SqliteStore::open(&path, NodeKey::ephemeral()).unwrap());
    let second = Productions::new(store.clone(), NodeKey::ephemeral());
    // Later than anything recorded (the register-item above is stamped with the clock).
    let later = setguard_server::clock::local_now("America/Denver").plus_hours(1);
    match second.open(&id, open, later).await {
        Err(LiveError::Invalid(inv)) => assert!(inv.message.contains("already open"), "{inv:?}"),
        other => panic!("a second open must be refused as already open: {other:?}"),
    }
    let items = second
        .view(&id, |state, head| (state.items.len(), head.seq))
        .await
        .unwrap();
    assert_eq!(items, (1, store.head(&id).unwrap().seq));
}
