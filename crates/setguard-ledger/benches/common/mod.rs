//! What the ledger benches share: a realistic stream of events, the rows the ledger stores for
//! them (computed here, outside any timing, for the raw baselines), and a raw rusqlite connection
//! on a file with the ledger's own schema and pragmas.
#![allow(dead_code)]

use rusqlite::{Connection, TransactionBehavior, params};
use setguard_core::{
    At, Event, EventBody, InspectState, ItemId, LotId, LotRounds, PersonId, ProductionId, Rounds,
    SceneId, Status,
};
use setguard_ledger::sqlite::SqliteStore;
use setguard_ledger::{ChainHash, Checkpoint, NodeKey, RecordFields, Store};
use std::path::Path;
use std::time::Duration;

/// A size from the environment (so that a run can be scaled down), or `default`.
pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// True when run by `cargo bench` (which passes `--bench`); false under `cargo test --benches`,
/// where a bench only has to show that it still runs, on tiny sizes.
pub fn benching() -> bool {
    std::env::args().any(|a| a == "--bench")
}

pub fn stream(name: &str) -> ProductionId {
    ProductionId::parse(name).expect("a bench stream name is an id")
}

fn id<T>(parse: fn(&str) -> Result<T, setguard_core::IdError>, s: &str) -> T {
    parse(s).expect("a bench id is an id")
}

/// Event `n` of a set's day: revolvers going through the safe hand-over in turn (check out, load
/// dummies, inspect, confirm, second check, announce cold, hand over, hand back, unload, store),
/// ten events per revolver, 500 revolvers, as the replay bench of `setguard` generates them.
/// Payloads are 80 to 140 bytes of JSON, 110 on average.
pub fn event(n: u64) -> Event {
    let item = id(ItemId::parse, &format!("gun-{}", (n / 10) % 500));
    let lot = || id(LotId::parse, "dummies");
    let scene = || Some(id(SceneId::parse, "scene-2021-10-21"));
    let armorer = id(PersonId::parse, "armorer");
    let actor = id(PersonId::parse, "actor");
    let (by, body) = match n % 10 {
        0 => (armorer, EventBody::CheckedOut { item }),
        1 => (
            armorer,
            EventBody::Loaded {
                item,
                lot: lot(),
                rounds: Rounds(6),
                scene: scene(),
            },
        ),
        2 => (
            armorer,
            EventBody::Inspected {
                item,
                state: InspectState::Dummies,
                rounds: Rounds(6),
                lot: Some(lot()),
            },
        ),
        3 => (actor, EventBody::CheckConfirmed { item }),
        4 => (
            id(PersonId::parse, "first-ad"),
            EventBody::SecondChecked { item },
        ),
        5 => (
            armorer,
            EventBody::Announced {
                item,
                status: Status::Cold,
            },
        ),
        6 => (
            armorer,
            EventBody::HandedOver {
                item,
                to: actor,
                scene: scene(),
            },
        ),
        7 => (
            actor,
            EventBody::HandedOver {
                item,
                to: armorer,
                scene: scene(),
            },
        ),
        8 => (
            armorer,
            EventBody::Unloaded {
                item,
                returned: vec![LotRounds {
                    lot: lot(),
                    rounds: Rounds(6),
                }],
            },
        ),
        _ => (armorer, EventBody::Stored { item }),
    };
    let at = At::parse("2021-10-21T06:00")
        .expect("time")
        .plus_minutes(u32::try_from(n / 4).unwrap_or(u32::MAX));
    Event::new(at, Some(by), body)
}

/// Events `from..from + count`.
pub fn events(from: u64, count: usize) -> Vec<Event> {
    (from..from + count as u64).map(event).collect()
}

/// One row of the `events` table exactly as the ledger writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub seq: i64,
    pub at: String,
    pub actor: Option<String>,
    pub payload: Vec<u8>,
    pub prev_hash: ChainHash,
    pub hash: ChainHash,
}

/// The rows the ledger stores for `events` appended to an empty `stream`: the same JSON
/// payload, time, actor and chain hashes (computed here, so that a baseline inserting them does
/// none of that work).
pub fn rows(stream: &str, events: &[Event]) -> Vec<Row> {
    let mut prev = ChainHash::GENESIS;
    events
        .iter()
        .zip(1..)
        .map(|(e, seq)| {
            let payload = serde_json::to_vec(e).expect("an event encodes");
            let at = match serde_json::to_value(e.at).expect("a time encodes") {
                serde_json::Value::String(s) => s,
                other => panic!("a time encodes as a string, not {other}"),
            };
            let actor = e.by.as_ref().map(|p| p.as_str().to_owned());
            let hash = RecordFields {
                prev: &prev,
                stream,
                seq,
                time: &at,
                actor: actor.as_deref().unwrap_or(""),
                payload: &payload,
            }
            .hash();
            let row = Row {
                seq: i64::try_from(seq).expect("seq"),
                at,
                actor,
                payload,
                prev_hash: prev,
                hash,
            };
            prev = hash;
            row
        })
        .collect()
}

/// The ledger's insert, word for word (src/sqlite.rs).
pub const INSERT: &str = "INSERT INTO events (stream, seq, at, actor, payload, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

/// A raw connection on a new file at `path` holding exactly the ledger's schema (made by
/// opening and closing an [`SqliteStore`] there: same tables, constraints, index and triggers),
/// with the ledger's pragmas: WAL and `synchronous=FULL`.
pub fn raw_ledger_file(path: &Path) -> Connection {
    drop(SqliteStore::open(path, NodeKey::ephemeral()).expect("a ledger opens"));
    let conn = Connection::open(path).expect("the file opens");
    conn.busy_timeout(Duration::from_secs(10)).expect("timeout");
    conn.pragma_update(None, "synchronous", "FULL")
        .expect("synchronous=FULL");
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
        .expect("WAL");
    assert!(mode.eq_ignore_ascii_case("wal"), "journal mode {mode}");
    let sync: i64 = conn
        .pragma_query_value(None, "synchronous", |r| r.get(0))
        .expect("synchronous");
    assert_eq!(sync, 2, "synchronous must be FULL (2)");
    conn
}

/// The ledger's checkpoint insert, word for word (src/sqlite.rs).
pub const INSERT_CHECKPOINT: &str =
    "INSERT INTO checkpoints (stream, seq, head, signature, public_key)
                 VALUES (?1, ?2, ?3, ?4, ?5)";

/// One durable commit of `rows`, as the ledger's writer makes one (BEGIN IMMEDIATE, the cached
/// insert, COMMIT), without reading heads, encoding or hashing anything; with `checkpoints`
/// (signed beforehand), their rows too, so that only the signing is missing.
pub fn raw_commit<'r>(
    conn: &mut Connection,
    rows: impl IntoIterator<Item = (&'r str, &'r Row)>,
    checkpoints: &[Checkpoint],
) {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .expect("begin");
    {
        let mut stmt = tx.prepare_cached(INSERT).expect("prepare");
        for (stream, r) in rows {
            stmt.execute(params![
                stream,
                r.seq,
                r.at,
                r.actor,
                r.payload,
                &r.prev_hash.as_bytes()[..],
                &r.hash.as_bytes()[..],
            ])
            .expect("insert");
        }
    }
    if !checkpoints.is_empty() {
        let mut stmt = tx.prepare_cached(INSERT_CHECKPOINT).expect("prepare");
        for cp in checkpoints {
            stmt.execute(params![
                cp.stream,
                i64::try_from(cp.seq).expect("seq"),
                &cp.head.as_bytes()[..],
                &cp.signature.to_bytes()[..],
                &cp.public_key.as_bytes()[..],
            ])
            .expect("insert a checkpoint");
        }
    }
    tx.commit().expect("commit");
}

/// Checks that the ledger stored exactly `want` for `stream`: the baseline inserts the same rows.
pub fn assert_stored(store: &dyn Store, stream: &ProductionId, want: &[Row]) {
    let got = store.read(stream, 1).expect("read back");
    assert_eq!(got.len(), want.len(), "rows stored for {stream}");
    for (g, w) in got.iter().zip(want) {
        assert_eq!(
            (g.seq, &g.payload, g.prev_hash, g.hash),
            (
                u64::try_from(w.seq).expect("seq"),
                &w.payload,
                w.prev_hash,
                w.hash
            ),
            "the baseline's rows differ from the ledger's"
        );
    }
}

/// The median of `xs` (sorted in place).
pub fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

/// `n` with thousands separators.
pub fn thousands(n: f64) -> String {
    let s = format!("{:.0}", n);
    let (sign, digits) = s.split_at(usize::from(s.starts_with('-')));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}")
}
