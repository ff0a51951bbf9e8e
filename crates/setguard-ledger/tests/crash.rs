//! Killed mid-append: a child process appends under load from several threads and is sent
//! SIGKILL at a random moment, round after round, on the same ledger. After each kill the
//! ledger reopens and must hold every append the child was told had succeeded, with the hash it
//! was told, and verify: chain, signatures, every record covered by a checkpoint, nothing signed
//! cut off, and (SQLite) the file's own integrity check. The next child carries on from the
//! heads it finds.
//!
//! The child is this test binary run again for the test `crash_child` alone, with
//! [`CHILD_VAR`] naming the ledger; without that variable `crash_child` does nothing. Kill
//! times come from a seed printed on stderr; set [`SEED_VAR`] to replay them.
#![cfg(unix)]

mod common;

use common::{TestDatabase, postgres_server, set_down, stream};
use ed25519_dalek::VerifyingKey;
use setguard_ledger::verify::{read_for_verify, verify_stream};
use setguard_ledger::{ChainHash, Checkpoint, LedgerError, NodeKey, Store};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The ledger URL the child appends to; set only in the child.
const CHILD_VAR: &str = "SETGUARD_CRASH_CHILD";
/// The directory holding the node key the child signs with.
const KEY_VAR: &str = "SETGUARD_CRASH_KEY_DIR";
/// Which round the child is, so that its events differ from the last child's.
const ROUND_VAR: &str = "SETGUARD_CRASH_ROUND";
/// Replays the kill times of an earlier run.
const SEED_VAR: &str = "SETGUARD_CRASH_SEED";

/// The child's streams; with more threads than streams, some threads race for a stream and
/// retry on conflicts, as servers do.
const STREAMS: [&str; 3] = ["rust", "halyna", "bonanza"];
const THREADS: u64 = 5;
/// A child that is never killed (the parent died) stops by itself after this long.
const CHILD_LIFETIME: Duration = Duration::from_secs(30);

/// The appender, in the child process only. Each acknowledged append is written to stdout as
/// `ACK stream first_seq last_seq head_hex`, flushed, after `append` returned `Ok`.
#[test]
fn crash_child() {
    let Ok(url) = std::env::var(CHILD_VAR) else {
        return;
    };
    let key_dir = std::env::var(KEY_VAR).expect("the parent sets the key directory");
    let round: u64 = std::env::var(ROUND_VAR)
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(0);
    let key = NodeKey::load_or_create(Path::new(&key_dir)).expect("loading the node key");
    let store = setguard_ledger::open(&url, key).expect("opening the ledger");
    let started = Instant::now();

    std::thread::scope(|scope| {
        // SQLite: also copy the WAL into the main file again and again from another connection,
        // so that some kills land in a checkpoint rather than in a commit.
        if let Some(path) = url.strip_prefix("sqlite:") {
            scope.spawn(move || {
                let conn = rusqlite::Connection::open(path).expect("opening a checkpointer");
                conn.busy_timeout(Duration::from_secs(10)).unwrap();
                while started.elapsed() < CHILD_LIFETIME {
                    let _: (i64, i64, i64) = conn
                        .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                        })
                        .expect("checkpointing the WAL");
                    std::thread::sleep(Duration::from_millis(3));
                }
            });
        }
        for t in 0..THREADS {
            let store = &store;
            scope.spawn(move || {
                let name = STREAMS[usize::try_from(t).unwrap() % STREAMS.len()];
                let s = stream(name);
                let mut n = 0u64;
                while started.elapsed() < CHILD_LIFETIME {
                    n += 1;
                    // One to three events per append; distinct across threads and rounds.
                    let events: Vec<_> = (0..=n % 3)
                        .map(|i| set_down(round * 10_000_000 + t * 1_000_000 + n * 4 + i))
                        .collect();
                    let expected = store.head(&s).expect("reading the head").seq;
                    match store.append(&s, expected, &events) {
                        Ok(a) => {
                            let line = format!(
                                "ACK {name} {} {} {}\n",
                                a.first_seq,
                                a.last_seq,
                                a.head.to_hex()
                            );
                            let mut out = std::io::stdout().lock();
                            out.write_all(line.as_bytes()).expect("reporting an ack");
                            out.flush().expect("reporting an ack");
                        }
                        Err(LedgerError::Conflict { .. }) => {}
                        Err(e) => panic!("append failed: {e}"),
                    }
                }
            });
        }
    });
    // Reaching here means nobody killed us: the parent sees an exit, not a SIGKILL, and fails.
}

/// SplitMix64: enough randomness for kill times, reproducible from the printed seed.
struct Rng(u64);

impl Rng {
    fn from_env_or_time() -> Rng {
        let seed = std::env::var(SEED_VAR)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap();
                now.as_secs()
                    ^ (u64::from(now.subsec_nanos()) << 20)
                    ^ u64::from(std::process::id())
            });
        eprintln!("crash test seed {seed} (set {SEED_VAR}={seed} to replay these kill times)");
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A duration in `[0, max_ms)` milliseconds, at microsecond grain.
    fn millis_below(&mut self, max_ms: u64) -> Duration {
        Duration::from_micros(self.next() % (max_ms * 1000))
    }
}

/// One acknowledged append, as the child reported it.
#[derive(Debug, Clone)]
struct Ack {
    stream: String,
    first_seq: u64,
    last_seq: u64,
    head: ChainHash,
}

fn parse_ack(line: &str) -> Option<Ack> {
    let mut words = line.strip_prefix("ACK ")?.split(' ');
    let ack = Ack {
        stream: words.next()?.to_owned(),
        first_seq: words.next()?.parse().ok()?,
        last_seq: words.next()?.parse().ok()?,
        head: ChainHash::from_hex(words.next()?)?,
    };
    words.next().is_none().then_some(ack)
}

/// When a round's child is killed.
#[derive(Debug, Clone, Copy)]
enum KillAt {
    /// This long after its first acknowledged append: under load.
    UnderLoad(Duration),
    /// This long after it was started: while it opens the ledger, or just after.
    Early(Duration),
}

/// What one round saw.
struct Round {
    acks: Vec<Ack>,
    killed_after: Duration,
}

/// Runs one child on `url` and kills it as `kill_at` says; returns what it acknowledged.
fn run_child(url: &str, key_dir: &Path, round: u64, kill_at: KillAt) -> Round {
    let exe = std::env::current_exe().unwrap();
    let started = Instant::now();
    let mut child = Command::new(exe)
        .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
        .env(CHILD_VAR, url)
        .env(KEY_VAR, key_dir)
        .env(ROUND_VAR, round.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("starting the child");
    let stdout = child.stdout.take().unwrap();
    let (first_ack, first_ack_seen) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut acks = Vec::new();
        let mut line = Vec::new();
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            // A line cut short by the kill was never fully reported: it counts for nothing.
            let Some(text) = line.strip_suffix(b"\n") else {
                break;
            };
            if let Some(ack) = std::str::from_utf8(text).ok().and_then(parse_ack) {
                if acks.is_empty() {
                    let _ = first_ack.send(());
                }
                acks.push(ack);
            }
        }
        acks
    });
    match kill_at {
        KillAt::UnderLoad(after) => {
            if first_ack_seen
                .recv_timeout(Duration::from_secs(20))
                .is_err()
            {
                let _ = child.kill();
                let status = child.wait();
                panic!("round {round}: the child acknowledged nothing ({status:?})");
            }
            std::thread::sleep(after);
        }
        KillAt::Early(after) => std::thread::sleep(after),
    }
    let killed_after = started.elapsed();
    // SIGKILL: no destructor, no flush, no close; whatever the OS holds is what survives.
    child.kill().expect("killing the child");
    let status = child.wait().unwrap();
    let acks = reader.join().unwrap();
    assert_eq!(
        status.signal(),
        Some(SIGKILL),
        "round {round}: the child was to die by SIGKILL, but ended with {status}"
    );
    Round { acks, killed_after }
}

/// SIGKILL's number, 9 on every Unix.
const SIGKILL: i32 = 9;

/// Everything acknowledged so far, and every checkpoint already verified, per stream.
#[derive(Default)]
struct Acknowledged {
    /// (stream, last_seq) -> the ack. Each seq is acknowledged at most once, ever.
    acks: BTreeMap<(String, u64), Ack>,
    /// The checkpoints of each stream whose signatures held at an earlier check; each check
    /// finds them unchanged and verifies only the ones added since. (An unoptimized Ed25519
    /// verification takes milliseconds: verifying every signature after every kill would make
    /// the test quadratic.) The last is held as an auditor would hold it, so a stream cut
    /// short behind it is caught.
    verified: BTreeMap<String, Vec<Checkpoint>>,
}

impl Acknowledged {
    fn add(&mut self, round: u64, acks: Vec<Ack>) {
        for ack in acks {
            assert!(
                STREAMS.contains(&ack.stream.as_str()),
                "round {round}: ack for an unknown stream {ack:?}"
            );
            assert!(
                ack.first_seq >= 1 && ack.first_seq <= ack.last_seq,
                "{ack:?}"
            );
            let key = (ack.stream.clone(), ack.last_seq);
            if let Some(before) = self.acks.insert(key, ack.clone()) {
                panic!(
                    "round {round}: seq {} of {} was acknowledged twice: {before:?} then {ack:?} \
                     (an acknowledged append was lost and its seq written again)",
                    ack.last_seq, ack.stream
                );
            }
        }
    }

    /// Checks the reopened ledger: it holds every ack, each stream's chain verifies from seq 1,
    /// every checkpoint's signature holds (checked once, then found unchanged) and the head is
    /// signed. Returns the number of records.
    fn check(&mut self, store: &dyn Store, key: &VerifyingKey, round: u64) -> u64 {
        for s in store.streams().unwrap() {
            assert!(
                STREAMS.contains(&s.as_str()),
                "round {round}: unknown stream {s:?}"
            );
        }
        let mut total = 0;
        for name in STREAMS {
            let s = stream(name);
            // On PostgreSQL the killed child's last COMMIT may still be landing: read as
            // `setguard verify` reads a live ledger.
            let (records, checkpoints) = read_for_verify(store, &s).unwrap();
            let range = (name.to_owned(), 0)..=(name.to_owned(), u64::MAX);
            for ack in self.acks.range(range).map(|(_, a)| a) {
                let at = |seq: u64| records.get(usize::try_from(seq - 1).unwrap());
                for seq in ack.first_seq..=ack.last_seq {
                    assert!(
                        at(seq).is_some_and(|r| r.seq == seq),
                        "round {round}: acknowledged seq {seq} of {name} is gone \
                         (the stream has {} records)",
                        records.len()
                    );
                }
                assert_eq!(
                    at(ack.last_seq).unwrap().hash,
                    ack.head,
                    "round {round}: acknowledged seq {} of {name} holds another record",
                    ack.last_seq
                );
            }

            let verified = self.verified.entry(name.to_owned()).or_default();
            assert!(
                checkpoints.len() >= verified.len()
                    && checkpoints[..verified.len()] == verified[..],
                "round {round}: checkpoints of {name} verified before have changed or gone"
            );
            // The chain from seq 1, the new checkpoints' signatures, and the head's coverage;
            // with them the last checkpoint verified before, held as an auditor holds one, so
            // that a stream cut short behind it is caught.
            let new = &checkpoints[verified.len()..];
            let to_check: Vec<Checkpoint> =
                verified.last().into_iter().chain(new).cloned().collect();
            let v = verify_stream(name, &records, &to_check, Some(key))
                .unwrap_or_else(|b| panic!("round {round}: {name} does not verify: {b}"));
            assert_eq!(v.head.seq, records.len() as u64, "round {round}: {name}");
            // A kill never leaves records without the checkpoint of their commit.
            assert_eq!(
                checkpoints.last().map_or(0, |c| c.seq),
                v.head.seq,
                "round {round}: the head of {name} is not signed"
            );
            verified.extend_from_slice(new);
            total += v.head.seq;
        }
        total
    }
}

/// The rounds: mostly kills under load at a random moment of the first 60 ms, every sixth one
/// early, while the child is still opening the ledger or just starting to append.
fn kill_times(rng: &mut Rng, rounds: u64) -> Vec<KillAt> {
    (0..rounds)
        .map(|r| {
            if r % 6 == 5 {
                KillAt::Early(rng.millis_below(40))
            } else {
                KillAt::UnderLoad(rng.millis_below(60))
            }
        })
        .collect()
}

/// Runs `rounds` kills on the ledger at `url`; `extra` runs after each check (SQLite's
/// integrity check).
fn crash_rounds(url: &str, key_dir: &Path, rounds: u64, extra: &dyn Fn(u64)) {
    let started = Instant::now();
    let mut rng = Rng::from_env_or_time();
    let key = NodeKey::load_or_create(key_dir).unwrap().public();
    let mut acknowledged = Acknowledged::default();
    let mut under_load = 0;
    let mut records = 0;
    for (round, kill_at) in (0u64..).zip(kill_times(&mut rng, rounds)) {
        let r = run_child(url, key_dir, round, kill_at);
        if !r.acks.is_empty() {
            under_load += 1;
        }
        let n = r.acks.len();
        acknowledged.add(round, r.acks);
        // Read with a key of its own: checking needs only the trusted public key.
        let store = setguard_ledger::open(url, NodeKey::ephemeral()).unwrap_or_else(|e| {
            panic!("round {round}: the ledger does not reopen after a SIGKILL: {e}")
        });
        let now = acknowledged.check(store.as_ref(), &key, round);
        drop(store);
        extra(round);
        assert!(now >= records, "round {round}: the ledger shrank");
        eprintln!(
            "round {round}: {kill_at:?}, killed {:?} after start, {n} acks, {} records",
            r.killed_after, now
        );
        records = now;
    }
    eprintln!(
        "{rounds} SIGKILLs ({under_load} under load), {} acknowledged appends, {records} records, \
         all present and verified, in {:?}",
        acknowledged.acks.len(),
        started.elapsed()
    );
    assert!(
        under_load >= 20,
        "only {under_load} kills hit a child that was appending"
    );
}

#[test]
fn sqlite_keeps_every_acknowledged_append_through_sigkills() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    NodeKey::load_or_create(dir.path()).unwrap();
    let url = format!("sqlite:{}", path.display());
    crash_rounds(&url, dir.path(), 24, &|round| {
        let raw = rusqlite::Connection::open_with_flags(
            &path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap();
        let check: String = raw
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok", "round {round}: the SQLite file is damaged");
    });
}

#[test]
fn postgres_keeps_every_acknowledged_append_through_sigkills() {
    let Some(server) = postgres_server() else {
        return;
    };
    let db = TestDatabase::create(&server);
    let dir = tempfile::tempdir().unwrap();
    NodeKey::load_or_create(dir.path()).unwrap();
    crash_rounds(&db.url, dir.path(), 24, &|_| {});
}
