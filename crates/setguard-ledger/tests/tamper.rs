//! Someone with the database file edits it behind the store's back (dropping the append-only
//! triggers first); verification names the first seq touched and why.

mod common;

use common::{set_down, stream};
use rusqlite::{Connection, params};
use setguard_ledger::sqlite::SqliteStore;
use setguard_ledger::verify::{Broken, Why, verify_store, verify_stream};
use setguard_ledger::{Checkpoint, NodeKey, RecordFields, Store};
use tempfile::TempDir;

/// A ledger with seqs 1..=6 on stream `rust`, committed as three appends of two (checkpoints
/// at 2, 4 and 6), closed; and the last checkpoint, as an auditor would have kept it.
struct Tampered {
    dir: TempDir,
    key: NodeKey,
    held: Checkpoint,
}

impl Tampered {
    fn new() -> Tampered {
        let dir = tempfile::tempdir().unwrap();
        let key = NodeKey::ephemeral();
        let store = SqliteStore::open(dir.path().join("ledger.db"), key.clone()).unwrap();
        let s = stream("rust");
        for n in 0..3 {
            store
                .append(&s, n * 2, &[set_down(n * 2 + 1), set_down(n * 2 + 2)])
                .unwrap();
        }
        let held = store.checkpoints(&s).unwrap().pop().unwrap();
        assert_eq!(held.seq, 6);
        Tampered { dir, key, held }
    }

    /// The file, opened as an attacker would, with the triggers gone.
    fn raw(&self) -> Connection {
        let raw = Connection::open(self.dir.path().join("ledger.db")).unwrap();
        raw.execute_batch(
            "DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete;
             DROP TRIGGER checkpoints_no_update; DROP TRIGGER checkpoints_no_delete;",
        )
        .unwrap();
        raw
    }

    fn verify(&self, held: bool) -> Result<(), Broken> {
        let store = SqliteStore::open(self.dir.path().join("ledger.db"), self.key.clone()).unwrap();
        let held = held.then_some(&self.held);
        verify_store(&store, &stream("rust"), Some(&self.key.public()), held)
            .unwrap()
            .map(|_| ())
    }
}

fn payload(raw: &Connection, seq: i64) -> Vec<u8> {
    raw.query_row("SELECT payload FROM events WHERE seq = ?1", [seq], |r| {
        r.get(0)
    })
    .unwrap()
}

#[test]
fn untouched_ledger_verifies() {
    let t = Tampered::new();
    assert_eq!(t.verify(true), Ok(()));
}

#[test]
fn a_flipped_byte_in_a_payload_is_caught_at_its_seq() {
    let t = Tampered::new();
    let raw = t.raw();
    let mut p = payload(&raw, 3);
    // "cart 3" -> "cart 8": still a valid event, just not the one recorded.
    let i = p.windows(6).position(|w| w == b"cart 3").unwrap() + 5;
    p[i] ^= 0x0b;
    raw.execute("UPDATE events SET payload = ?1 WHERE seq = 3", [&p])
        .unwrap();
    assert_eq!(
        t.verify(false),
        Err(Broken {
            seq: 3,
            why: Why::HashMismatch
        })
    );
}

#[test]
fn a_flipped_byte_that_breaks_the_json_is_caught_at_its_seq() {
    let t = Tampered::new();
    let raw = t.raw();
    let mut p = payload(&raw, 4);
    p[0] ^= 0xff;
    raw.execute("UPDATE events SET payload = ?1 WHERE seq = 4", [&p])
        .unwrap();
    let err = t.verify(false).unwrap_err();
    assert_eq!(err.seq, 4);
    assert!(matches!(err.why, Why::Unreadable(_)), "{err}");
}

#[test]
fn a_deleted_event_is_caught_at_its_seq() {
    let t = Tampered::new();
    t.raw()
        .execute("DELETE FROM events WHERE seq = 3", [])
        .unwrap();
    assert_eq!(
        t.verify(false),
        Err(Broken {
            seq: 3,
            why: Why::Missing { found: Some(4) }
        })
    );
}

#[test]
fn an_inserted_event_with_a_correct_hash_is_caught_as_unsigned() {
    let t = Tampered::new();
    let raw = t.raw();
    let prev: Vec<u8> = raw
        .query_row("SELECT hash FROM events WHERE seq = 6", [], |r| r.get(0))
        .unwrap();
    let forged = serde_json::to_vec(&set_down(7)).unwrap();
    let time = serde_json::to_value(set_down(7).at)
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned();
    let prev = setguard_ledger::ChainHash::from_slice(&prev).unwrap();
    let hash = RecordFields {
        prev: &prev,
        stream: "rust",
        seq: 7,
        time: &time,
        actor: "armorer",
        payload: &forged,
    }
    .hash();
    raw.execute(
        "INSERT INTO events (stream, seq, at, actor, payload, prev_hash, hash)
         VALUES ('rust', 7, ?1, 'armorer', ?2, ?3, ?4)",
        params![time, forged, &prev.as_bytes()[..], &hash.as_bytes()[..]],
    )
    .unwrap();
    assert_eq!(
        t.verify(true),
        Err(Broken {
            seq: 7,
            why: Why::Unsigned
        })
    );
}

#[test]
fn two_reordered_seqs_are_caught_at_the_first() {
    let t = Tampered::new();
    t.raw()
        .execute_batch(
            "UPDATE events SET seq = 1000 WHERE seq = 3;
             UPDATE events SET seq = 3 WHERE seq = 4;
             UPDATE events SET seq = 4 WHERE seq = 1000;",
        )
        .unwrap();
    assert_eq!(
        t.verify(false),
        Err(Broken {
            seq: 3,
            why: Why::HashMismatch
        })
    );
}

#[test]
fn truncation_with_its_checkpoints_is_caught_only_against_a_checkpoint_held_outside() {
    let t = Tampered::new();
    t.raw()
        .execute_batch(
            "DELETE FROM events WHERE seq > 4;
             DELETE FROM checkpoints WHERE seq > 4;",
        )
        .unwrap();
    // On its own the shortened stream is consistent: that is why auditors keep a checkpoint.
    assert_eq!(t.verify(false), Ok(()));
    assert_eq!(
        t.verify(true),
        Err(Broken {
            seq: 5,
            why: Why::Truncated { signed: 6 }
        })
    );
}

#[test]
fn truncation_leaving_the_checkpoints_is_caught_from_the_store_alone() {
    let t = Tampered::new();
    t.raw()
        .execute("DELETE FROM events WHERE seq > 4", [])
        .unwrap();
    assert_eq!(
        t.verify(false),
        Err(Broken {
            seq: 5,
            why: Why::Truncated { signed: 6 }
        })
    );
}

#[test]
fn swapped_signatures_are_caught() {
    let t = Tampered::new();
    let raw = t.raw();
    let sig = |seq: i64| -> Vec<u8> {
        raw.query_row(
            "SELECT signature FROM checkpoints WHERE seq = ?1",
            [seq],
            |r| r.get(0),
        )
        .unwrap()
    };
    let (two, four) = (sig(2), sig(4));
    raw.execute(
        "UPDATE checkpoints SET signature = ?1 WHERE seq = 2",
        [&four],
    )
    .unwrap();
    raw.execute(
        "UPDATE checkpoints SET signature = ?1 WHERE seq = 4",
        [&two],
    )
    .unwrap();
    assert_eq!(
        t.verify(false),
        Err(Broken {
            seq: 2,
            why: Why::BadSignature
        })
    );
}

#[test]
fn a_checkpoint_re_signed_with_another_key_is_caught_when_the_key_is_trusted() {
    let t = Tampered::new();
    let store = SqliteStore::open(t.dir.path().join("ledger.db"), t.key.clone()).unwrap();
    let s = stream("rust");
    let records = store.read(&s, 1).unwrap();
    let mut cps = store.checkpoints(&s).unwrap();
    let attacker = NodeKey::ephemeral();
    cps[0] = attacker.checkpoint("rust", cps[0].seq, cps[0].head);
    assert!(verify_stream("rust", &records, &cps, None).is_ok());
    assert_eq!(
        verify_stream("rust", &records, &cps, Some(&t.key.public())),
        Err(Broken {
            seq: 2,
            why: Why::UntrustedKey
        })
    );
    // A checkpoint of another stream proves nothing about this one.
    cps[0] = t.key.checkpoint("halyna", cps[0].seq, cps[0].head);
    assert_eq!(
        verify_stream("rust", &records, &cps, None),
        Err(Broken {
            seq: 2,
            why: Why::WrongStream
        })
    );
}
