//! Loading a production of 1,000,000 events from the SQLite ledger: from its latest snapshot
//! plus the events after it (target: at most 2 s and 300 MB), side by side with the baseline
//! the snapshot saves us from, rebuilding the state from every event.
//!
//! Run: `cargo bench -p setguard --bench load` (SETGUARD_BENCH_EVENTS to change the size).
//! The peak memory of a whole process loading it is measured by running `setguard status`
//! on the same ledger under Python's `resource.getrusage` (printed at the end).

mod common;

use common::generate;
use criterion::{Criterion, criterion_group, criterion_main};
use setguard::parse_scenario;
use setguard::scenario::run::{Journal, run_into};
use setguard_core::{Event, ProductionId, State};
use setguard_ledger::snapshot::{self, Start};
use setguard_ledger::sqlite::SqliteStore;
use setguard_ledger::{Head, NodeKey, Store};
use std::convert::Infallible;
use std::hint::black_box;
use std::time::Instant;

/// Events recorded after the snapshot: half of what makes `load` save a new one, so every
/// load in the measurement starts from the same snapshot.
const TAIL: usize = (snapshot::SNAPSHOT_EVERY / 2) as usize;

/// Events appended per commit while building the ledger.
const CHUNK: usize = 1000;

/// Keeps the events a replay records.
#[derive(Default)]
struct Collect(Vec<Event>);

impl Journal for Collect {
    type Error = Infallible;
    fn append(&mut self, event: &Event) -> Result<(), Infallible> {
        self.0.push(event.clone());
        Ok(())
    }
}

fn bench(c: &mut Criterion) {
    let events: usize = std::env::var("SETGUARD_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let started = Instant::now();
    let scenario = parse_scenario("bench.toml", &generate(events)).expect("the scenario reads");
    let mut log = Collect::default();
    let timeline = run_into(&scenario, &mut log).unwrap_or_else(|e| match e {});
    assert_eq!(timeline.summary.refused, 0, "the generated days are clean");
    drop(scenario);
    let log = log.0;
    eprintln!("generated {} events in {:?}", log.len(), started.elapsed());

    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bench.db");
    // The node's key in a data directory, so that `setguard status` below trusts its snapshot.
    let data = dir.path().join("data");
    let key = NodeKey::load_or_create(&data).expect("key");
    let store = SqliteStore::open(&path, key.clone()).expect("ledger");
    let stream = ProductionId::parse("bench").expect("id");
    let started = Instant::now();
    // The snapshot is taken at a chunk boundary TAIL to TAIL + CHUNK events before the end.
    let cut = (log.len().saturating_sub(TAIL) / CHUNK) * CHUNK;
    let mut state = State::new();
    let mut head = Head::EMPTY;
    for chunk in log.chunks(CHUNK) {
        if head.seq as usize == cut {
            snapshot::save(&store, &stream, &state, head, &key).expect("snapshot");
        }
        let a = store.append(&stream, head.seq, chunk).expect("append");
        head = Head {
            seq: a.last_seq,
            hash: a.head,
        };
        if head.seq as usize <= cut {
            for e in chunk {
                state.apply(e);
            }
        }
    }
    drop(log);
    let snap = store
        .latest_snapshot(&stream)
        .expect("read")
        .expect("a snapshot was saved");
    eprintln!(
        "recorded {} events in {:?}; snapshot at seq {} is {} bytes",
        head.seq,
        started.elapsed(),
        snap.seq,
        snap.state.len()
    );

    let loaded = snapshot::load(&store, &stream, &key).expect("load");
    assert_eq!(loaded.from, Start::Snapshot { seq: snap.seq });
    assert_eq!(loaded.head, head);
    let rebuilt = snapshot::rebuild(&store, &stream).expect("rebuild");
    assert_eq!(
        serde_json::to_vec(&loaded.state).expect("json"),
        serde_json::to_vec(&rebuilt.state).expect("json"),
        "snapshot + tail is the state every event gives"
    );

    let mut g = c.benchmark_group(format!("load a production of {} events", head.seq));
    g.sample_size(10);
    g.bench_function("baseline: rebuild from every event", |b| {
        b.iter(|| snapshot::rebuild(black_box(&store), &stream).expect("rebuild"))
    });
    g.bench_function(
        format!("load: snapshot + {} events", head.seq - snap.seq),
        |b| b.iter(|| snapshot::load(black_box(&store), &stream, &key).expect("load")),
    );
    g.finish();
    drop(store);

    // Peak memory of a whole process that loads it: `setguard status` on the same file.
    let script = "import resource, subprocess, sys, time\n\
        t = time.perf_counter()\n\
        r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n\
        e = time.perf_counter() - t\n\
        m = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n\
        print(f'setguard status: exit {r.returncode}, {e:.2f} s, peak RSS {m / 1024:.1f} MiB')";
    let db = format!("sqlite:{}", path.display());
    match std::process::Command::new("python3")
        .args(["-c", script, env!("CARGO_BIN_EXE_setguard"), "status"])
        .args(["--db", &db, "--production", "bench", "--data-dir"])
        .arg(&data)
        .output()
    {
        Ok(out) => eprintln!("{}", String::from_utf8_lossy(&out.stdout).trim()),
        Err(e) => eprintln!("python3 not available ({e}): peak memory NOT measured"),
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
