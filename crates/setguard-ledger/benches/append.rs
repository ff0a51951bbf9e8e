//! Durable appends through the ledger (`SqliteStore::append`), side by side in the same run with
//! raw rusqlite inserts of the identical rows into a file with the same schema and pragmas (WAL,
//! `synchronous=FULL`): targets ledger/raw throughput at least 0.8 at batch 1 and 0.7 at 256,
//! and at least 20,000 durable events/s from 64 concurrent appenders.
//!
//! The baseline inserts the rows the ledger stores (payload, time, actor, chain hashes: all
//! computed before timing) and nothing else. The ledger also encodes each event, reads each
//! stream's head, hashes each record, and signs and stores one checkpoint per stream per commit.
//! For information a third side inserts the same rows plus those checkpoint rows (signed before
//! timing), which splits the ledger's cost into the checkpoint rows' I/O and its own work.
//!
//! Each raw side runs in a child process of its own (this bench again, with `--raw-child`), and
//! the ledger's reads (checking what it stored) wait until its rounds are over, so that every
//! side has one connection in its process. SQLite's page cache is shared by the connections of
//! a process: one that has filled its share takes the pages another used least recently. Raw
//! connections beside the ledger's lost theirs and read them back from the file (17 times the
//! reads, counted with strace), which made the baseline slower than the ledger at batch 256.
//!
//! Run: `cargo bench -p setguard-ledger --bench append [-- FILTER]` (FILTER: `batch1`,
//! `batch16`, `batch256`, `batch` for the three, or `concurrent`). Every commit is an fsync, so
//! the disk is most of what is timed, and it is shared: the sides take turns, in slices of 16
//! commits (batches) or whole rounds (concurrent), each going first in turn, after a warm-up
//! round; medians over rounds are compared. Sizes: `SETGUARD_BENCH_ROUNDS` (11),
//! `SETGUARD_BENCH_COMMITS` (2048 commits a round at batch 1; 128 at 16 and 256),
//! `SETGUARD_BENCH_APPENDERS` (64), `SETGUARD_BENCH_EACH` (200 single-event appends per appender
//! per round). `SETGUARD_BENCH_DIR` chooses where the files go (default: the temp directory).

mod common;

use common::{
    Row, assert_stored, benching, env_usize, events, median, raw_commit, raw_ledger_file, rows,
    stream, thousands,
};
use setguard_core::Event;
use setguard_ledger::sqlite::SqliteStore;
use setguard_ledger::{Checkpoint, LedgerError, NodeKey, Store};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Barrier;
use std::time::{Duration, Instant};

/// Commits timed at a time in the batch benchmarks, each side in turn.
const SLICE: usize = 16;

struct Sizes {
    rounds: usize,
    commits: usize,
    appenders: usize,
    each: usize,
}

/// One line of the summary: medians over rounds of each side, in events/s.
struct Line {
    what: String,
    raw: f64,
    raw_cp: f64,
    ledger: f64,
    /// ledger/raw in each round.
    ratios: Vec<f64>,
}

/// Time spent by each side in a round.
#[derive(Default)]
struct Times {
    raw: Duration,
    raw_cp: Duration,
    ledger: Duration,
}

impl Times {
    /// Records a round of `n` events, unless it is the warm-up round (0).
    fn record(&self, what: &str, round: usize, n: usize, rates: &mut [Vec<f64>; 4]) {
        let per_second = |t: Duration| n as f64 / t.as_secs_f64();
        let (r, c, l) = (
            per_second(self.raw),
            per_second(self.raw_cp),
            per_second(self.ledger),
        );
        if round == 0 {
            return;
        }
        eprintln!(
            "{what} round {round:>2}: raw {:>9}, raw+checkpoints {:>9}, ledger {:>9} events/s, \
             ratio {:.2}",
            thousands(r),
            thousands(c),
            thousands(l),
            l / r
        );
        for (v, x) in rates.iter_mut().zip([r, c, l, l / r]) {
            v.push(x);
        }
    }
}

fn line(what: String, mut rates: [Vec<f64>; 4]) -> Line {
    Line {
        what,
        raw: median(&mut rates[0]),
        raw_cp: median(&mut rates[1]),
        ledger: median(&mut rates[2]),
        ratios: std::mem::take(&mut rates[3]),
    }
}

fn main() {
    if std::env::args().any(|a| a == "--raw-child") {
        raw_child();
        return;
    }
    let bench = benching();
    let sizes = Sizes {
        rounds: env_usize("SETGUARD_BENCH_ROUNDS", if bench { 11 } else { 1 }).max(1),
        commits: env_usize("SETGUARD_BENCH_COMMITS", if bench { 2048 } else { 32 }).max(1),
        appenders: env_usize("SETGUARD_BENCH_APPENDERS", 64).max(1),
        each: env_usize("SETGUARD_BENCH_EACH", if bench { 200 } else { 2 }).max(1),
    };
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    // `batch1`, `batch16`, `batch256` or `concurrent`; `batch` is all three batch sizes.
    let wanted = |name: &str| {
        filter.is_empty()
            || filter
                .iter()
                .any(|f| name == f || name.trim_end_matches(|c: char| c.is_ascii_digit()) == f)
    };
    let dir = match std::env::var_os("SETGUARD_BENCH_DIR") {
        Some(d) => tempfile::tempdir_in(d),
        None => tempfile::tempdir(),
    }
    .expect("a temporary directory");
    eprintln!(
        "ledger append bench: files in {}, {} rounds (+1 warm-up), {} cores",
        dir.path().display(),
        sizes.rounds,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );

    let mut raws = [RawChild::start(), RawChild::start()];
    let mut lines = Vec::new();
    for batch in [1, 16, 256] {
        if wanted(&format!("batch{batch}")) {
            lines.push(batches(dir.path(), &mut raws, batch, &sizes));
        }
    }
    if wanted("concurrent") {
        lines.push(concurrent(dir.path(), &mut raws, &sizes));
        shared_stream(dir.path(), &sizes);
    }

    println!(
        "\n| benchmark | raw rusqlite (baseline) | ledger | ratio ledger/raw (rounds) | \
         for information: raw + checkpoint rows | ledger / that |"
    );
    println!("|---|---|---|---|---|---|");
    for l in &lines {
        let mut r = l.ratios.clone();
        r.sort_by(f64::total_cmp);
        println!(
            "| {} | {} events/s | {} events/s | {:.2} ({:.2}..{:.2}) | {} events/s | {:.2} |",
            l.what,
            thousands(l.raw),
            thousands(l.ledger),
            l.ledger / l.raw,
            r.first().copied().unwrap_or(f64::NAN),
            r.last().copied().unwrap_or(f64::NAN),
            thousands(l.raw_cp),
            l.ledger / l.raw_cp,
        );
    }
}

/// The raw sides' process, driven one line at a time: a command names what to commit, the
/// answer is how long the commits took, in nanoseconds.
struct RawChild {
    child: Child,
    to: Option<ChildStdin>,
    from: BufReader<ChildStdout>,
}

impl RawChild {
    fn start() -> RawChild {
        let mut child = Command::new(std::env::current_exe().expect("this bench's path"))
            .arg("--raw-child")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the raw side's process starts");
        let to = child.stdin.take();
        let from = BufReader::new(child.stdout.take().expect("its output"));
        RawChild { child, to, from }
    }

    fn run(&mut self, command: &str) -> Duration {
        let to = self.to.as_mut().expect("the raw side's input");
        writeln!(to, "{command}")
            .and_then(|()| to.flush())
            .expect("the raw side reads");
        let mut answer = String::new();
        self.from
            .read_line(&mut answer)
            .expect("the raw side answers");
        Duration::from_nanos(answer.trim().parse().expect("nanoseconds"))
    }
}

impl Drop for RawChild {
    fn drop(&mut self) {
        // Its input closed, the child stops.
        self.to.take();
        let _ = self.child.wait();
    }
}

/// What the raw side commits: each commit's rows (with their stream) and, for the side that
/// stores them, its checkpoints (signed here, before any timing).
type Plan = Vec<(Vec<(String, Row)>, Vec<Checkpoint>)>;

/// The rows of batch benchmark round `round`, as [`batches`] appends them: the same stream name
/// and events, so the same bytes.
fn batch_plan(key: &NodeKey, batch: usize, round: usize, n: usize) -> Plan {
    let name = format!("b{batch}-r{round}");
    let want = rows(&name, &events((round * n) as u64, n));
    want.chunks(batch)
        .map(|c| {
            let last = c.last().expect("a commit has rows");
            let cp = key.checkpoint(&name, u64::try_from(last.seq).expect("seq"), last.hash);
            (
                c.iter().map(|r| (name.clone(), r.clone())).collect(),
                vec![cp],
            )
        })
        .collect()
}

/// The rows of concurrent round `round`, as [`concurrent`] appends them: commit k holds row k of
/// every appender's stream, and each stream's checkpoint.
fn concurrent_plan(key: &NodeKey, round: usize, threads: usize, each: usize) -> Plan {
    let (names, _, want) = concurrent_round(round, threads, each);
    (0..each)
        .map(|k| {
            let rows = names
                .iter()
                .zip(&want)
                .map(|(s, r)| (s.clone(), r[k].clone()));
            let cps = names
                .iter()
                .zip(&want)
                .map(|(s, r)| key.checkpoint(s, u64::try_from(r[k].seq).expect("seq"), r[k].hash));
            (rows.collect(), cps.collect())
        })
        .collect()
}

/// The streams, events and rows of concurrent round `round`.
fn concurrent_round(
    round: usize,
    threads: usize,
    each: usize,
) -> (Vec<String>, Vec<Vec<Event>>, Vec<Vec<Row>>) {
    let names: Vec<String> = (0..threads).map(|t| format!("c{t}-r{round}")).collect();
    let evs: Vec<Vec<Event>> = (0..threads)
        .map(|t| events(((round * threads + t) * each) as u64, each))
        .collect();
    let want = names.iter().zip(&evs).map(|(s, e)| rows(s, e)).collect();
    (names, evs, want)
}

/// The child: commits what each command names on a raw connection, one file per benchmark
/// (only one open at a time), and answers how long that took. Commands: `batch BATCH ROUND N
/// SLICE CP` (the SLICE-th 16 commits of that round) and `concurrent ROUND THREADS EACH CP`
/// (all of that round); CP is 1 to store the checkpoint rows too.
fn raw_child() {
    let dir = match std::env::var_os("SETGUARD_BENCH_DIR") {
        Some(d) => tempfile::tempdir_in(d),
        None => tempfile::tempdir(),
    }
    .expect("a temporary directory");
    let key = NodeKey::ephemeral();
    let mut open: Option<(String, rusqlite::Connection)> = None;
    let mut plan: (String, Plan) = (String::new(), Vec::new());
    let stdout = std::io::stdout();
    for line in std::io::stdin().lock().lines() {
        let line = line.expect("a command");
        let words: Vec<&str> = line.split_whitespace().collect();
        let num = |i: usize| -> usize { words[i].parse().expect("a number") };
        let (file, range) = match words[0] {
            "batch" => {
                let (batch, round, n, slice) = (num(1), num(2), num(3), num(4));
                let which = format!("batch {batch} {round}");
                if plan.0 != which {
                    plan = (which, batch_plan(&key, batch, round, n));
                }
                let range = slice * SLICE..((slice + 1) * SLICE).min(plan.1.len());
                (format!("b{batch}"), range)
            }
            "concurrent" => {
                let (round, threads, each) = (num(1), num(2), num(3));
                let which = format!("concurrent {round}");
                if plan.0 != which {
                    plan = (which, concurrent_plan(&key, round, threads, each));
                }
                ("concurrent".to_owned(), 0..plan.1.len())
            }
            other => panic!("unknown command {other:?}"),
        };
        let with_cps = words.last() == Some(&"1");
        let name = format!("{}-{file}.db", if with_cps { "rawcp" } else { "raw" });
        if open.as_ref().is_none_or(|(n, _)| *n != name) {
            // The last benchmark's connection is closed first: one cache in the process.
            drop(open.take());
            open = Some((name.clone(), raw_ledger_file(&dir.path().join(&name))));
        }
        let conn = &mut open.as_mut().expect("just opened").1;
        let started = Instant::now();
        for (rows, cps) in &plan.1[range] {
            let rows = rows.iter().map(|(s, r)| (s.as_str(), r));
            raw_commit(conn, rows, if with_cps { cps } else { &[] });
        }
        let took = started.elapsed();
        let mut out = stdout.lock();
        writeln!(out, "{}", took.as_nanos())
            .and_then(|()| out.flush())
            .expect("answering");
    }
}

/// Appends of `batch` events, one append (one commit) after another from one thread.
fn batches(dir: &Path, raws: &mut [RawChild; 2], batch: usize, sizes: &Sizes) -> Line {
    let commits = (sizes.commits / batch).max(sizes.commits / 16).max(1);
    let n = commits * batch;
    let store = SqliteStore::open(
        dir.join(format!("ledger-b{batch}.db")),
        NodeKey::ephemeral(),
    )
    .expect("the ledger opens");
    let mut rates: [Vec<f64>; 4] = Default::default();
    for round in 0..=sizes.rounds {
        // The same stream name and events on every side, so the rows are the same bytes.
        let name = format!("b{batch}-r{round}");
        let evs = events((round * n) as u64, n);
        let s = stream(&name);
        let mut times = Times::default();
        let mut expected = 0;
        // Slices of 16 commits, each side going first in turn: a burst of someone else's I/O
        // lands on all alike.
        for (k, evs) in evs.chunks(SLICE * batch).enumerate() {
            for turn in 0..3 {
                match (k + round + turn) % 3 {
                    0 => times.raw += raws[0].run(&format!("batch {batch} {round} {n} {k} 0")),
                    1 => times.raw_cp += raws[1].run(&format!("batch {batch} {round} {n} {k} 1")),
                    _ => {
                        let started = Instant::now();
                        for chunk in evs.chunks(batch) {
                            expected = store.append(&s, expected, chunk).expect("append").last_seq;
                        }
                        times.ledger += started.elapsed();
                    }
                }
            }
        }
        times.record(&format!("batch {batch:>3}"), round, n, &mut rates);
    }
    // Checked once every round is timed: reading opens a second connection.
    for round in 0..=sizes.rounds {
        let name = format!("b{batch}-r{round}");
        assert_stored(
            &store,
            &stream(&name),
            &rows(&name, &events((round * n) as u64, n)),
        );
    }
    line(
        format!("durable appends, batch {batch} ({commits} commits of {batch} a round)"),
        rates,
    )
}

/// 64 threads, each appending single events to a stream of its own, as fast as the ledger
/// answers; the baseline commits the same rows from one thread in transactions of one row per
/// stream (what a perfect group commit of the 64 appenders would write).
fn concurrent(dir: &Path, raws: &mut [RawChild; 2], sizes: &Sizes) -> Line {
    let (threads, each) = (sizes.appenders, sizes.each);
    let store = SqliteStore::open(dir.join("ledger-concurrent.db"), NodeKey::ephemeral())
        .expect("the ledger opens");
    let mut rates: [Vec<f64>; 4] = Default::default();
    let n = threads * each;
    for round in 0..=sizes.rounds {
        let (names, evs, _) = concurrent_round(round, threads, each);
        let ledger_side = || {
            let start = Barrier::new(threads + 1);
            let mut started = None;
            std::thread::scope(|scope| {
                for (name, evs) in names.iter().zip(&evs) {
                    let (store, start) = (&store, &start);
                    scope.spawn(move || {
                        let s = stream(name);
                        start.wait();
                        for (e, seq) in evs.iter().zip(0..) {
                            store
                                .append(&s, seq, std::slice::from_ref(e))
                                .expect("append");
                        }
                    });
                }
                start.wait();
                started = Some(Instant::now());
            });
            started.expect("started").elapsed()
        };
        let mut times = Times::default();
        for turn in 0..3 {
            match (round + turn) % 3 {
                0 => times.raw = raws[0].run(&format!("concurrent {round} {threads} {each} 0")),
                1 => times.raw_cp = raws[1].run(&format!("concurrent {round} {threads} {each} 1")),
                _ => times.ledger = ledger_side(),
            }
        }
        times.record(&format!("{threads} appenders"), round, n, &mut rates);
    }
    for round in 0..=sizes.rounds {
        let (names, _, want) = concurrent_round(round, threads, each);
        for (name, want) in names.iter().zip(&want) {
            assert_stored(&store, &stream(name), want);
        }
    }
    line(
        format!(
            "{threads} concurrent appenders, own streams, single events ({n} a round); \
             baseline: {threads}-row transactions"
        ),
        rates,
    )
}

/// For information, no target: the same appenders all on one stream, each retrying after a
/// conflict. Optimistic appends let one of the racing requests of a commit win and refuse the
/// others, so this measures how fast conflicts are answered more than anything else.
fn shared_stream(dir: &Path, sizes: &Sizes) {
    let threads = sizes.appenders;
    let each = (sizes.each / 10).max(1);
    let store = SqliteStore::open(dir.join("ledger-shared.db"), NodeKey::ephemeral())
        .expect("the ledger opens");
    let mut rates = Vec::new();
    let mut conflict_rates = Vec::new();
    for round in 0..=sizes.rounds.min(3) {
        let s = stream(&format!("shared-r{round}"));
        let start = Barrier::new(threads + 1);
        let mut started = None;
        let conflicts: u64 = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let (store, start, s) = (&store, &start, &s);
                    scope.spawn(move || {
                        let evs = events((t * each) as u64, each);
                        let mut conflicts = 0u64;
                        start.wait();
                        let mut expected = 0;
                        for e in &evs {
                            loop {
                                match store.append(s, expected, std::slice::from_ref(e)) {
                                    Ok(a) => {
                                        expected = a.last_seq;
                                        break;
                                    }
                                    Err(LedgerError::Conflict { current_seq }) => {
                                        conflicts += 1;
                                        expected = current_seq;
                                    }
                                    Err(e) => panic!("append: {e}"),
                                }
                            }
                        }
                        conflicts
                    })
                })
                .collect();
            start.wait();
            started = Some(Instant::now());
            handles
                .into_iter()
                .map(|h| h.join().expect("appender"))
                .sum()
        });
        let took = started.expect("started").elapsed();
        let n = threads * each;
        assert_eq!(store.head(&s).expect("head").seq, n as u64);
        if round == 0 {
            continue;
        }
        rates.push(n as f64 / took.as_secs_f64());
        conflict_rates.push(conflicts as f64 / n as f64);
    }
    println!(
        "\n{threads} appenders on one shared stream, retrying conflicts (for information): \
         {} events/s, {:.1} conflicts per event (medians of {} rounds)",
        thousands(median(&mut rates)),
        median(&mut conflict_rates),
        rates.len()
    );
}
