//! Checking a stream without trusting whoever stored it.
//!
//! Every record's hash is recomputed from its stored bytes, every link to the previous record
//! is followed, every checkpoint's signature is checked and its head compared with the record
//! at its seq, and every record must be covered by a checkpoint (the store signs each commit,
//! so an unsigned record was added behind its back). A stream cut short together with its
//! checkpoints still verifies on its own: that is caught only against a checkpoint kept
//! elsewhere ([`verify_against`]), which is why bundles and auditors keep one.

use crate::error::LedgerError;
use crate::keys::Checkpoint;
use crate::store::{Head, Record, Store};
use ed25519_dalek::VerifyingKey;
use setguard_core::ProductionId;
use std::fmt;

/// A stream that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The last record: its seq is the number of records.
    pub head: Head,
    pub checkpoints: usize,
}

/// The first place a stream fails to verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("seq {seq}: {why}")]
pub struct Broken {
    pub seq: u64,
    pub why: Why,
}

/// Why a seq failed to verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// The record's bytes do not hash to its stored hash: it was edited.
    HashMismatch,
    /// The record's previous hash is not the hash of the record before it.
    BrokenLink,
    /// The seq is missing: the next record found has `found` (or none, `None`).
    Missing { found: Option<u64> },
    /// A record appears again or out of order where this seq was expected.
    OutOfOrder { found: u64 },
    /// The record could not be read back at all.
    Unreadable(String),
    /// No checkpoint covers this record: it was added without the node's signature.
    Unsigned,
    /// The checkpoint at this seq does not carry a valid signature.
    BadSignature,
    /// The checkpoint at this seq is signed by another key than the one trusted.
    UntrustedKey,
    /// The checkpoint at this seq is for another stream.
    WrongStream,
    /// The checkpoint at this seq names another head than the record has.
    CheckpointMismatch,
    /// The stream ends before this seq, yet a checkpoint signed it up to `signed`: records
    /// were removed.
    Truncated { signed: u64 },
    /// A bundle does not hold what its manifest says (`events` records ending in its head,
    /// `checkpoints` checkpoints): lines were removed or added after export.
    ManifestMismatch { events: u64, checkpoints: u64 },
}

impl fmt::Display for Why {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Why::HashMismatch => {
                f.write_str("the record does not hash to its stored hash (edited)")
            }
            Why::BrokenLink => f.write_str("the record does not link to the one before it"),
            Why::Missing { found: Some(n) } => write!(f, "missing; the next record is seq {n}"),
            Why::Missing { found: None } => f.write_str("missing"),
            Why::OutOfOrder { found } => write!(f, "found seq {found} out of order"),
            Why::Unreadable(why) => write!(f, "unreadable: {why}"),
            Why::Unsigned => f.write_str("no signed checkpoint covers this record"),
            Why::BadSignature => f.write_str("the checkpoint's signature does not hold"),
            Why::UntrustedKey => f.write_str("the checkpoint is signed by an untrusted key"),
            Why::WrongStream => f.write_str("the checkpoint is for another stream"),
            Why::CheckpointMismatch => f.write_str("the checkpoint names another head"),
            Why::ManifestMismatch {
                events,
                checkpoints,
            } => write!(
                f,
                "the bundle does not hold what its manifest says ({events} events ending in its \
                 head, {checkpoints} checkpoints)"
            ),
            Why::Truncated { signed } => {
                write!(
                    f,
                    "gone, yet a checkpoint signed the stream up to seq {signed} (truncated)"
                )
            }
        }
    }
}

fn broken(seq: u64, why: Why) -> Broken {
    Broken { seq, why }
}

/// Verifies `records` (the whole stream, from seq 1) against the stream's `checkpoints`.
/// With `trusted`, every checkpoint must be signed by that key; without, by the key it names,
/// which anyone rewriting the history can also do: pass the node's exported key when you have it.
pub fn verify_stream(
    stream: &str,
    records: &[Record],
    checkpoints: &[Checkpoint],
    trusted: Option<&VerifyingKey>,
) -> Result<Verified, Broken> {
    let mut first: Option<Broken> = None;
    let mut note = |b: Broken| {
        if first.as_ref().is_none_or(|f| b.seq < f.seq) {
            first = Some(b);
        }
    };

    // The chain: seqs 1..=n in order, each hashing right and linking to the one before.
    let hash_holds = hashes_hold(stream, records);
    let mut prev = Head::EMPTY;
    for (r, hash_holds) in records.iter().zip(hash_holds) {
        let expected = prev.seq + 1;
        if r.seq != expected {
            let why = if r.seq > expected {
                Why::Missing { found: Some(r.seq) }
            } else {
                Why::OutOfOrder { found: r.seq }
            };
            note(broken(expected, why));
            break;
        }
        if !hash_holds {
            note(broken(r.seq, Why::HashMismatch));
            break;
        }
        if r.prev_hash != prev.hash {
            note(broken(r.seq, Why::BrokenLink));
            break;
        }
        prev = Head {
            seq: r.seq,
            hash: r.hash,
        };
    }

    // The checkpoints: each signed, by the trusted key, naming the head at its seq.
    let mut signed_up_to = 0;
    let mut checkpoints_hold = true;
    for cp in checkpoints {
        if let Err(b) = check_checkpoint(stream, records, cp, trusted) {
            note(b);
            checkpoints_hold = false;
            break;
        }
        signed_up_to = signed_up_to.max(cp.seq);
    }
    // Every record must be covered, since each commit signs its head. Only asked when the
    // checkpoints hold: a bad one is the better answer for the records it covers.
    if let Some(last) = records.last() {
        if checkpoints_hold && last.seq > signed_up_to {
            note(broken(signed_up_to + 1, Why::Unsigned));
        }
    }

    match first {
        Some(b) => Err(b),
        None => Ok(Verified {
            head: prev,
            checkpoints: checkpoints.len(),
        }),
    }
}

/// Whether each record hashes to its stored hash, in order. Recomputing the hashes is most of
/// the work of checking a chain held in memory, and each is independent of the others: a long
/// stream is shared among the cores.
fn hashes_hold(stream: &str, records: &[Record]) -> Vec<bool> {
    const SHARE_FROM: usize = 10_000;
    let check = |part: &[Record]| -> Vec<bool> {
        part.iter()
            .map(|r| r.computed_hash(stream) == r.hash)
            .collect()
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    if threads < 2 || records.len() < SHARE_FROM {
        return check(records);
    }
    let mut parts = records.chunks(records.len().div_ceil(threads));
    let mine = parts.next().unwrap_or_default();
    std::thread::scope(|scope| {
        let helpers: Vec<_> = parts
            .map(|part| {
                let helper = std::thread::Builder::new().spawn_scoped(scope, move || check(part));
                (part, helper)
            })
            .collect();
        let mut holds = check(mine);
        for (part, helper) in helpers {
            match helper {
                Ok(h) => holds.extend(h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))),
                // With no thread to be had, this one checks that part too.
                Err(_) => holds.extend(check(part)),
            }
        }
        holds
    })
}

/// Verifies the stream, then that it still holds what `held` (a checkpoint kept outside the
/// store) signed: this is what catches a stream cut short along with its checkpoints.
pub fn verify_against(
    stream: &str,
    records: &[Record],
    checkpoints: &[Checkpoint],
    trusted: Option<&VerifyingKey>,
    held: &Checkpoint,
) -> Result<Verified, Broken> {
    let verified = verify_stream(stream, records, checkpoints, trusted);
    let held_check = check_checkpoint(stream, records, held, trusted);
    match (verified, held_check) {
        (Err(a), Err(b)) => Err(if b.seq < a.seq { b } else { a }),
        (Err(a), Ok(())) | (Ok(_), Err(a)) => Err(a),
        (Ok(v), Ok(())) => Ok(v),
    }
}

/// Reads the whole of `stream` from `store` and verifies it; a record the store cannot read
/// back counts as broken at its seq. The outer error is the store failing to answer at all.
pub fn verify_store(
    store: &dyn Store,
    stream: &ProductionId,
    trusted: Option<&VerifyingKey>,
    held: Option<&Checkpoint>,
) -> Result<Result<Verified, Broken>, LedgerError> {
    let (records, checkpoints) = match read_for_verify(store, stream) {
        Ok(read) => read,
        Err(LedgerError::Corrupt { seq, why }) => {
            return Ok(Err(broken(seq, Why::Unreadable(why))));
        }
        Err(e) => return Err(e),
    };
    Ok(match held {
        Some(h) => verify_against(stream.as_str(), &records, &checkpoints, trusted, h),
        None => verify_stream(stream.as_str(), &records, &checkpoints, trusted),
    })
}

/// The whole of `stream` and the checkpoints that speak for it, read from a ledger that may be
/// recording while it is read (a live server, or a PostgreSQL backend still finishing the
/// COMMIT of a client that was killed).
///
/// Records and checkpoints are two reads, and a commit can land between them. Read records
/// first and checkpoints after, and a late commit's checkpoint names seqs beyond the records
/// read: it would look like a stream cut short. Read checkpoints first, and a late commit's
/// records would look unsigned. So the checkpoints are read on both sides of the records:
/// every one read before must find its records (a commit writes both at once, so a missing
/// one was removed), and of those read after, the ones within the records read cover what
/// committed in between. Only a checkpoint that appeared after the first read and lies past
/// the records read is left out: its commit came after the records were read.
pub fn read_for_verify(
    store: &dyn Store,
    stream: &ProductionId,
) -> Result<(Vec<Record>, Vec<Checkpoint>), LedgerError> {
    let mut checkpoints = store.checkpoints(stream)?;
    let records = store.read(stream, 1)?;
    let known = checkpoints.last().map_or(0, |c| c.seq);
    let read_to = records.last().map_or(0, |r| r.seq);
    if read_to > known {
        checkpoints.extend(
            store
                .checkpoints(stream)?
                .into_iter()
                .filter(|c| c.seq > known && c.seq <= read_to),
        );
    }
    Ok((records, checkpoints))
}

fn check_checkpoint(
    stream: &str,
    records: &[Record],
    cp: &Checkpoint,
    trusted: Option<&VerifyingKey>,
) -> Result<(), Broken> {
    if cp.stream != stream {
        return Err(broken(cp.seq, Why::WrongStream));
    }
    if !cp.signature_holds() {
        return Err(broken(cp.seq, Why::BadSignature));
    }
    if trusted.is_some_and(|k| *k != cp.public_key) {
        return Err(broken(cp.seq, Why::UntrustedKey));
    }
    let at = usize::try_from(cp.seq.saturating_sub(1))
        .ok()
        .and_then(|i| records.get(i));
    match at {
        // Records are checked to be in order by the chain walk; here we only need the one
        // stored at this position, and a gap or reorder is reported there.
        Some(r) if r.seq == cp.seq && r.hash == cp.head => Ok(()),
        Some(_) => Err(broken(cp.seq, Why::CheckpointMismatch)),
        // Reported at the first seq that is gone.
        None => {
            let records = records.last().map_or(0, |r| r.seq);
            Err(broken(records + 1, Why::Truncated { signed: cp.seq }))
        }
    }
}
