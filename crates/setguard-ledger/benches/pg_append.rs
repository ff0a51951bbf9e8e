//! Durable appends through the PostgreSQL ledger (`PostgresStore::append`) from 64 concurrent
//! appenders, each on a stream of its own, with the store's pool at different sizes side by side
//! in the same run: a pool of 1 is one PostgreSQL operation at a time per server, as the store
//! did on its single connection; the default pool is 8.
//!
//! Needs `SETGUARD_TEST_POSTGRES` (a server URL such as `postgres://postgres@127.0.0.1:5432/test`);
//! without it, it says so and measures nothing. It makes a database of its own there and drops it
//! at the end. An append is acknowledged once its COMMIT returns (`synchronous_commit` as the
//! server has it: on by default, so every acknowledged event is durable).
//!
//! A second measure, where a pool matters most: the same appenders while `SETGUARD_BENCH_READERS`
//! (4) threads read a stream of 2,000 events over and over: full reads a second, and appends.
//!
//! Run: `SETGUARD_TEST_POSTGRES=... cargo bench -p setguard-ledger --bench pg_append`. The sides
//! take turns, whole rounds each, each going first in turn, after a warm-up round; medians over
//! rounds are compared. Sizes: `SETGUARD_BENCH_ROUNDS` (7), `SETGUARD_BENCH_APPENDERS` (64),
//! `SETGUARD_BENCH_EACH` (50 single-event appends per appender per round),
//! `SETGUARD_BENCH_PG_POOLS` (`1,8`: the pool sizes compared; `url` for the URL as it is).

mod common;

use common::{benching, env_usize, events, median, stream, thousands};
use setguard_core::ProductionId;
use setguard_ledger::postgres::PostgresStore;
use setguard_ledger::{NodeKey, Store};
use std::sync::Barrier;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

fn main() {
    let Some(server) = std::env::var("SETGUARD_TEST_POSTGRES")
        .ok()
        .filter(|s| !s.is_empty())
    else {
        eprintln!("PostgreSQL append bench did not run: SETGUARD_TEST_POSTGRES is not set");
        return;
    };
    let bench = benching();
    let rounds = env_usize("SETGUARD_BENCH_ROUNDS", if bench { 7 } else { 1 }).max(1);
    let appenders = env_usize("SETGUARD_BENCH_APPENDERS", 64).max(1);
    let each = env_usize("SETGUARD_BENCH_EACH", if bench { 50 } else { 2 }).max(1);
    let readers = env_usize("SETGUARD_BENCH_READERS", 4);
    let long = if bench { 2000 } else { 20 };
    let pools: Vec<String> = std::env::var("SETGUARD_BENCH_PG_POOLS")
        .unwrap_or_else(|_| "1,8".to_owned())
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();

    let db = Database::create(&server);
    let sides: Vec<(String, PostgresStore)> = pools
        .iter()
        .map(|p| {
            let url = if p == "url" {
                db.url.clone()
            } else {
                let sep = if db.url.contains('?') { '&' } else { '?' };
                format!("{}{sep}pool_size={p}", db.url)
            };
            let store = PostgresStore::open(&url, NodeKey::ephemeral()).expect("the ledger opens");
            let name = if p == "url" {
                "as the URL says".to_owned()
            } else {
                format!("pool of {p}")
            };
            (name, store)
        })
        .collect();

    for (i, (_, store)) in sides.iter().enumerate() {
        let s = stream(&format!("p{i}-long"));
        for (chunk, at) in events(0, long).chunks(500).zip((0..).step_by(500)) {
            store.append(&s, at, chunk).expect("the long stream");
        }
    }

    let n = appenders * each;
    let mut rates: Vec<Vec<f64>> = vec![Vec::new(); sides.len()];
    let mut mixed: Vec<(Vec<f64>, Vec<f64>)> = vec![Default::default(); sides.len()];
    for round in 0..=rounds {
        let mut line = Vec::new();
        for turn in 0..sides.len() {
            let i = (round + turn) % sides.len();
            let store = &sides[i].1;
            let t = run(store, &format!("p{i}-r{round}"), appenders, each, None);
            let (reads, tm) = {
                let long = (stream(&format!("p{i}-long")), readers);
                let prefix = format!("p{i}-m{round}");
                let mut reads = 0;
                let t = run(store, &prefix, appenders, each, Some((&long, &mut reads)));
                (reads, t)
            };
            let per_s = |k: usize, t: Duration| k as f64 / t.as_secs_f64();
            line.push((i, per_s(n, t), per_s(n, tm), per_s(reads, tm)));
        }
        line.sort_by_key(|l| l.0);
        if round == 0 {
            continue;
        }
        eprintln!(
            "round {round:>2}: {}",
            line.iter()
                .map(|(i, r, m, q)| format!(
                    "{} {:>6} events/s (with readers: {:>6} events/s, {:>5} reads/s)",
                    sides[*i].0,
                    thousands(*r),
                    thousands(*m),
                    thousands(*q)
                ))
                .collect::<Vec<_>>()
                .join("; ")
        );
        for (i, r, m, q) in line {
            rates[i].push(r);
            mixed[i].0.push(m);
            mixed[i].1.push(q);
        }
    }
    // Everything acknowledged is there, at the seqs it was acknowledged at.
    for (i, (_, store)) in sides.iter().enumerate() {
        for round in 0..=rounds {
            for a in 0..appenders {
                for part in ["r", "m"] {
                    let s = stream(&format!("p{i}-{part}{round}-a{a}"));
                    assert_eq!(store.head(&s).expect("head").seq, each as u64);
                }
            }
        }
    }
    println!(
        "{appenders} concurrent appenders, one stream each, single-event appends ({n} a round), \
         medians of {rounds} rounds:"
    );
    let base = median(&mut rates[0].clone());
    for ((name, _), r) in sides.iter().zip(&mut rates) {
        let (lo, hi) = (
            r.iter().copied().fold(f64::INFINITY, f64::min),
            r.iter().copied().fold(0.0, f64::max),
        );
        let m = median(r);
        println!(
            "  {name:<16} {:>7} durable events/s (rounds {}..{}), {:.2}x the first",
            thousands(m),
            thousands(lo),
            thousands(hi),
            m / base
        );
    }
    println!("The same appenders while {readers} threads read {long} events over and over:");
    for ((name, _), (m, q)) in sides.iter().zip(&mut mixed) {
        println!(
            "  {name:<16} {:>7} durable events/s, {:>5} full reads/s",
            thousands(median(m)),
            thousands(median(q))
        );
    }
    drop(sides);
}

/// One round on `store`: each appender appends `each` single events to its own stream, as fast
/// as the store answers, while `readers` threads (if any) read `long` whole, over and over,
/// counting their reads in `reads`. Returns the time from the start to the last
/// acknowledgement.
fn run(
    store: &PostgresStore,
    prefix: &str,
    appenders: usize,
    each: usize,
    readers: Option<(&(ProductionId, usize), &mut usize)>,
) -> Duration {
    let n_readers = readers.as_ref().map_or(0, |((_, n), _)| *n);
    let start = Barrier::new(appenders + n_readers + 1);
    let done = AtomicBool::new(false);
    let read = AtomicUsize::new(0);
    let mut started = None;
    std::thread::scope(|scope| {
        if let Some(((long, n), _)) = &readers {
            for _ in 0..*n {
                let (done, read, start) = (&done, &read, &start);
                scope.spawn(move || {
                    start.wait();
                    while !done.load(Ordering::Relaxed) {
                        store.read(long, 1).expect("read");
                        read.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
        }
        let appending: Vec<_> = (0..appenders)
            .map(|a| {
                let (store, start) = (store, &start);
                scope.spawn(move || {
                    let s = stream(&format!("{prefix}-a{a}"));
                    let evs = events((a * each) as u64, each);
                    start.wait();
                    for (e, seq) in evs.iter().zip(0..) {
                        store
                            .append(&s, seq, std::slice::from_ref(e))
                            .expect("append");
                    }
                })
            })
            .collect();
        start.wait();
        let t = Instant::now();
        for a in appending {
            a.join().expect("an appender");
        }
        started = Some(t.elapsed());
        done.store(true, Ordering::Relaxed);
    });
    if let Some((_, reads)) = readers {
        *reads = read.into_inner();
    }
    started.expect("timed")
}

/// A database of the bench's own on the server, dropped at the end.
struct Database {
    server: String,
    name: String,
    url: String,
}

impl Database {
    fn create(server: &str) -> Database {
        let name = format!("setguard_bench_{}", std::process::id());
        let mut admin = postgres::Client::connect(server, postgres::NoTls)
            .unwrap_or_else(|e| panic!("connecting to SETGUARD_TEST_POSTGRES: {e}"));
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|e| panic!("creating {name}: {e}"));
        let (base, query) = match server.split_once('?') {
            Some((b, q)) => (b, format!("?{q}")),
            None => (server, String::new()),
        };
        let scheme_end = base.find("://").map_or(0, |i| i + 3);
        let base = match base[scheme_end..].find('/') {
            Some(i) => &base[..scheme_end + i],
            None => base,
        };
        Database {
            server: server.to_owned(),
            url: format!("{base}/{name}{query}"),
            name,
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Ok(mut admin) = postgres::Client::connect(&self.server, postgres::NoTls) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}
