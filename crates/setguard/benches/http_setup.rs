//! Two helpers for `scripts/bench-http`, which measures the server over HTTP.
//!
//! - Prepares the ledger it serves: the benches' generated production (`common::generate`: 500
//!   revolvers, safe hand-over days, every step recorded, none refused) replayed through the
//!   core, appended to an SQLite ledger in commits of 1,000 events (as the `load` bench does: 100
//!   commits instead of one fsync per step), and a snapshot saved at its head, signed by the node
//!   key in the data directory, so that the server loads it as it would any production it
//!   recorded. `SETGUARD_BENCH_DB=FILE SETGUARD_BENCH_DATA=DIR [SETGUARD_BENCH_EVENTS=100000]`
//!   (steps; the production's set-up adds 511 events).
//! - The baseline of commands on one production: the ledger alone appending one event per
//!   commit, one append after another (what a production's commands do under its lock, without
//!   HTTP, the lock or the thread hand-overs), for `SETGUARD_BENCH_APPEND_SECONDS` seconds into
//!   the ledger file `SETGUARD_BENCH_DB`; prints one JSON line in the format of the script's wrk
//!   results (label `ledger-serial`, `SETGUARD_BENCH_ROUND`).
//!
//! Run through `scripts/bench-http`; without SETGUARD_BENCH_DB it only says so, so that
//! `cargo bench --workspace` writes nothing.

mod common;

use setguard::parse_scenario;
use setguard::scenario::run::{Journal, run_into};
use setguard_core::{Event, ProductionId};
use setguard_ledger::sqlite::SqliteStore;
use setguard_ledger::{Head, NodeKey, Store, snapshot};
use std::convert::Infallible;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Events appended per commit.
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

fn main() -> ExitCode {
    let (Some(db), Some(data)) = (
        std::env::var_os("SETGUARD_BENCH_DB"),
        std::env::var_os("SETGUARD_BENCH_DATA"),
    ) else {
        eprintln!(
            "http_setup: set SETGUARD_BENCH_DB=FILE and SETGUARD_BENCH_DATA=DIR to prepare a ledger (see scripts/bench-http)"
        );
        return ExitCode::SUCCESS;
    };
    let number = |name: &str, default: usize| -> usize {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let done = match std::env::var("SETGUARD_BENCH_APPEND_SECONDS") {
        Ok(secs) => match secs.parse::<f64>() {
            Ok(secs) => serial(
                db.as_ref(),
                data.as_ref(),
                secs,
                number("SETGUARD_BENCH_ROUND", 0),
            ),
            Err(e) => Err(format!("SETGUARD_BENCH_APPEND_SECONDS: {e}").into()),
        },
        Err(_) => prepare(
            db.as_ref(),
            data.as_ref(),
            number("SETGUARD_BENCH_EVENTS", 100_000),
        ),
    };
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("http_setup: {e}");
            ExitCode::from(2)
        }
    }
}

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// The events of `steps` generated steps, and their production's id.
fn events(steps: usize) -> Res<(ProductionId, Vec<Event>)> {
    let scenario = parse_scenario("bench.toml", &common::generate(steps))
        .map_err(|e| format!("the generated scenario does not read: {e}"))?;
    let mut log = Collect::default();
    let timeline = run_into(&scenario, &mut log).unwrap_or_else(|e| match e {});
    if timeline.summary.refused != 0 {
        return Err("the generated days had refused steps".into());
    }
    Ok((ProductionId::parse(&scenario.production.id)?, log.0))
}

fn prepare(db: &Path, data: &Path, steps: usize) -> Res<()> {
    let started = Instant::now();
    let (stream, log) = events(steps)?;
    let key = NodeKey::load_or_create(data)?;
    let store = SqliteStore::open(db, key.clone())?;
    if store.head(&stream)?.seq != 0 {
        return Err(format!("{} already holds production {stream}", db.display()).into());
    }
    let mut head = Head::EMPTY;
    for chunk in log.chunks(CHUNK) {
        let a = store.append(&stream, head.seq, chunk)?;
        head = Head {
            seq: a.last_seq,
            hash: a.head,
        };
    }
    drop(log);
    let loaded = snapshot::load_read_only(&store, &stream, None)?;
    snapshot::save(&store, &stream, &loaded.state, loaded.head, &key)?;
    eprintln!(
        "http_setup: production {stream}: {} events recorded in {} and a snapshot at their head, in {:.1?}",
        head.seq,
        db.display(),
        started.elapsed()
    );
    Ok(())
}

/// Appends the generated hand-over events (80 to 140 bytes of JSON) one per commit, one after
/// another, for `secs` seconds, to a stream of their own in `db`.
fn serial(db: &Path, data: &Path, secs: f64, round: usize) -> Res<()> {
    let (_, log) = events(1_000)?;
    let key = NodeKey::load_or_create(data)?;
    let store = SqliteStore::open(db, key)?;
    let stream = ProductionId::parse(&format!("serial-{round}"))?;
    let mut seq = store.head(&stream)?.seq;
    let mut events = log.iter().cycle();
    // One second untimed first: the file's WAL grows to its working size (a commit that
    // extends a file costs a journal commit of its size as well), as the server's has.
    let warm = Instant::now() + Duration::from_secs(1);
    while Instant::now() < warm {
        let event = events.next().ok_or("no events")?;
        seq = store
            .append(&stream, seq, std::slice::from_ref(event))?
            .last_seq;
    }
    let mut took = Vec::new();
    let started = Instant::now();
    let until = started + Duration::from_secs_f64(secs);
    while Instant::now() < until {
        let t = Instant::now();
        let event = events.next().ok_or("no events")?;
        seq = store
            .append(&stream, seq, std::slice::from_ref(event))?
            .last_seq;
        took.push(t.elapsed());
    }
    let duration = started.elapsed();
    took.sort();
    let at = |p: f64| {
        took.get(((took.len() as f64 * p) as usize).min(took.len().saturating_sub(1)))
            .map_or(0, |d| d.as_micros())
    };
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    println!(
        "{{\"label\":\"ledger-serial\",\"round\":{round},\"load\":\"{}\",\"requests\":{},\"duration_us\":{},\"errors\":0,\"non2xx\":0,\"p50_us\":{},\"p99_us\":{},\"max_us\":{}}}",
        load.join(" "),
        took.len(),
        duration.as_micros(),
        at(0.5),
        at(0.99),
        took.last().map_or(0, |d| d.as_micros()),
    );
    Ok(())
}
