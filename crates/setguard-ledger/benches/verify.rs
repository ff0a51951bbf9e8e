//! Verifying a ledger of 1,000,000 events (target: at most 2 s), and hashing its chain the way
//! `verify` does (canonical encoding + SHA-256 per record; target: at least half the throughput
//! of `openssl dgst -sha256` over the same bytes).
//!
//! Run: `cargo bench -p setguard-ledger --bench verify`. `SETGUARD_BENCH_EVENTS=N` changes the
//! size of the ledger (1,000,000), `SETGUARD_BENCH_BATCH=N` the events per append used to build
//! it (10,000), `SETGUARD_BENCH_DIR` where its file goes (default: the temp directory).

mod common;

use common::{benching, env_usize, events, stream, thousands};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rusqlite::Connection;
use setguard_ledger::sqlite::SqliteStore;
use setguard_ledger::verify::{verify_store, verify_stream};
use setguard_ledger::{NodeKey, Record, RecordFields, Store};
use sha2::{Digest, Sha256};
use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// The canonical bytes of every record, one after the other: what the chain hashing reads.
fn chain_bytes(stream: &str, records: &[Record]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in records {
        let time = match serde_json::to_value(r.event.at).expect("a time encodes") {
            serde_json::Value::String(s) => s,
            other => panic!("a time encodes as a string, not {other}"),
        };
        let fields = RecordFields {
            prev: &r.prev_hash,
            stream,
            seq: r.seq,
            time: &time,
            actor: r.event.by.as_ref().map_or("", |p| p.as_str()),
            payload: &r.payload,
        };
        out.extend_from_slice(&fields.encode());
    }
    out
}

fn openssl_dgst(path: &Path) -> String {
    let out = Command::new("openssl")
        .arg("dgst")
        .arg("-sha256")
        .arg(path)
        .output()
        .expect("openssl runs");
    assert!(out.status.success(), "openssl dgst failed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `openssl speed -evp sha256` at one message size, in bytes per second.
fn openssl_speed(bytes: usize, seconds: u32) -> Option<f64> {
    let out = Command::new("openssl")
        .args(["speed", "-evp", "sha256", "-bytes"])
        .arg(bytes.to_string())
        .arg("-seconds")
        .arg(seconds.to_string())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    // The last line reads "sha256  123456.78k": thousands of bytes per second.
    let figure = text.lines().last()?.split_whitespace().last()?;
    figure
        .strip_suffix('k')?
        .parse::<f64>()
        .ok()
        .map(|k| k * 1000.0)
}

fn bench(c: &mut Criterion) {
    let full = benching();
    let n = env_usize(
        "SETGUARD_BENCH_EVENTS",
        if full { 1_000_000 } else { 1_000 },
    );
    let batch = env_usize("SETGUARD_BENCH_BATCH", 10_000).max(1);
    let dir = match std::env::var_os("SETGUARD_BENCH_DIR") {
        Some(d) => tempfile::tempdir_in(d),
        None => tempfile::tempdir(),
    }
    .expect("a temporary directory");
    let path = dir.path().join("ledger.db");
    let key = NodeKey::ephemeral();
    let public = key.public();
    let store = SqliteStore::open(&path, key).expect("the ledger opens");
    let s = stream("bench");

    // Build the ledger: large batches, each one durable commit with its signed checkpoint.
    let evs = events(0, n);
    let started = Instant::now();
    let mut expected = 0;
    for chunk in evs.chunks(batch) {
        expected = store.append(&s, expected, chunk).expect("append").last_seq;
    }
    let took = started.elapsed();
    drop(evs);
    eprintln!(
        "built a ledger of {} events in {:.2?} ({} events/s, {} per append), {} MB",
        thousands(n as f64),
        took,
        thousands(n as f64 / took.as_secs_f64()),
        batch,
        std::fs::metadata(&path).map_or(0, |m| m.len()) / 1_000_000,
    );

    let records = store.read(&s, 1).expect("read");
    let checkpoints = store.checkpoints(&s).expect("checkpoints");
    assert_eq!(records.len(), n);
    let bytes = chain_bytes(s.as_str(), &records);
    let chain_file = dir.path().join("chain.bin");
    std::fs::write(&chain_file, &bytes).expect("write the chain's bytes");
    let avg = bytes.len() / n.max(1);
    // What cpufeatures (sha2's runtime detection) asks the CPU: SHA-NI, with SSE2/SSSE3/SSE4.1.
    #[cfg(target_arch = "x86_64")]
    eprintln!(
        "CPU SHA extensions (SHA-NI) {}, SSSE3 {}, SSE4.1 {}",
        std::is_x86_feature_detected!("sha"),
        std::is_x86_feature_detected!("ssse3"),
        std::is_x86_feature_detected!("sse4.1"),
    );
    eprintln!(
        "chain: {} records, {} bytes of canonical encoding ({avg} bytes a record), {} checkpoints",
        thousands(n as f64),
        thousands(bytes.len() as f64),
        checkpoints.len(),
    );
    // The same digest both ways, or we would not be timing the same work.
    let ours = format!("{:x}", Sha256::digest(&bytes));
    let theirs = openssl_dgst(&chain_file);
    assert!(theirs.contains(&ours), "openssl: {theirs}, sha2: {ours}");
    if full {
        for size in [avg, 16_384] {
            if let Some(rate) = openssl_speed(size, 3) {
                eprintln!(
                    "openssl speed -evp sha256 -bytes {size}: {:.0} MB/s",
                    rate / 1e6
                );
            }
        }
    }

    let mut g = c.benchmark_group("ledger chain hashing");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function(
        "baseline: openssl dgst -sha256 over the same bytes (a process, file cached)",
        |b| b.iter(|| openssl_dgst(black_box(&chain_file))),
    );
    g.bench_function("sha2 over the same bytes as one message", |b| {
        b.iter(|| Sha256::digest(black_box(&bytes)))
    });
    g.bench_function("hash every record as verify does (encode + SHA-256)", |b| {
        b.iter(|| {
            for r in black_box(&records) {
                black_box(r.computed_hash(s.as_str()));
            }
        })
    });
    g.finish();

    let mut g = c.benchmark_group("ledger verify");
    g.sample_size(10);
    g.throughput(Throughput::Elements(n as u64));
    let raw = Connection::open(&path).expect("a raw reader");
    g.bench_function(
        "baseline: SELECT the stream's rows with rusqlite (no decoding, no checks)",
        |b| {
            b.iter(|| {
                let mut stmt = raw
                    .prepare_cached(
                        "SELECT seq, at, actor, payload, prev_hash, hash FROM events
                         WHERE stream = ?1 AND seq >= ?2 ORDER BY seq",
                    )
                    .expect("prepare");
                let mut rows = stmt.query((s.as_str(), 1)).expect("query");
                let mut total = 0usize;
                while let Some(r) = rows.next().expect("row") {
                    let payload: Vec<u8> = r.get(3).expect("payload");
                    let at: String = r.get(1).expect("at");
                    total += payload.len() + at.len();
                }
                total
            })
        },
    );
    g.bench_function(
        "read the stream: store.read (SQLite + JSON decoding)",
        |b| b.iter(|| store.read(black_box(&s), 1).expect("read")),
    );
    g.bench_function("verify_stream over the records in memory", |b| {
        b.iter(|| {
            verify_stream(s.as_str(), black_box(&records), &checkpoints, Some(&public))
                .expect("verifies")
        })
    });
    g.bench_function("verify_store: read + decode + verify", |b| {
        b.iter(|| {
            verify_store(&store, black_box(&s), Some(&public), None)
                .expect("reads")
                .expect("verifies")
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
