//! The storage contract every backend keeps, in domain words.

use crate::canonical::{ChainHash, RecordFields};
use crate::error::LedgerError;
use crate::keys::Checkpoint;
use ed25519_dalek::{Signature, VerifyingKey};
use setguard_core::{Event, ProductionId};

/// An append-only, hash-chained log of each production's events.
///
/// A stream is one production's events, numbered from 1 without gaps. Appends are optimistic:
/// the caller says which seq it decided against, and the store refuses with
/// [`LedgerError::Conflict`] if another append got there first, so two decisions made on the
/// same state can never both be recorded (the stream never forks).
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Appends `events`, in order, after record `expected_seq` (0 for an empty stream). Returns
    /// only once the events and the commit's signed checkpoint are durable.
    fn append(
        &self,
        stream: &ProductionId,
        expected_seq: u64,
        events: &[Event],
    ) -> Result<Appended, LedgerError>;

    /// The records of `stream` from `from_seq` on (1 for all), in seq order.
    fn read(&self, stream: &ProductionId, from_seq: u64) -> Result<Vec<Record>, LedgerError>;

    /// Where `stream` ends: seq 0 and the genesis hash when it has no records.
    fn head(&self, stream: &ProductionId) -> Result<Head, LedgerError>;

    /// Every signed checkpoint of `stream`, in seq order.
    fn checkpoints(&self, stream: &ProductionId) -> Result<Vec<Checkpoint>, LedgerError>;

    /// Every stream (production) the ledger holds, in id order: what `verify` walks.
    fn streams(&self) -> Result<Vec<ProductionId>, LedgerError>;
}

/// What one append recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    pub first_seq: u64,
    pub last_seq: u64,
    /// The hash of the last record, which the commit's checkpoint signs.
    pub head: ChainHash,
}

/// The end of a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    pub seq: u64,
    pub hash: ChainHash,
}

impl Head {
    pub const EMPTY: Head = Head {
        seq: 0,
        hash: ChainHash::GENESIS,
    };
}

/// One stored event with its place in the chain.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub seq: u64,
    pub prev_hash: ChainHash,
    pub hash: ChainHash,
    pub event: Event,
    /// The event's JSON exactly as stored and hashed; kept so that verification never depends
    /// on re-serializing.
    pub payload: Vec<u8>,
}

impl Record {
    /// The hash this record should have, recomputed from its stored fields.
    pub fn computed_hash(&self, stream: &str) -> ChainHash {
        let time = time_of(&self.event);
        RecordFields {
            prev: &self.prev_hash,
            stream,
            seq: self.seq,
            time: &time,
            actor: actor_of(&self.event),
            payload: &self.payload,
        }
        .hash()
    }
}

/// The event's `at` as its JSON writes it (canonical field 6).
pub(crate) fn time_of(event: &Event) -> String {
    match serde_json::to_value(event.at) {
        Ok(serde_json::Value::String(s)) => s,
        // `At` always serializes as a string; fall back to its Debug form so that a broken
        // serializer shows up as a hash mismatch rather than a panic.
        _ => format!("{:?}", event.at),
    }
}

/// The event's `by` (canonical field 7), empty when absent.
pub(crate) fn actor_of(event: &Event) -> &str {
    event.by.as_ref().map_or("", |p| p.as_str())
}

/// The payload bytes of an event: its versioned JSON encoding.
pub(crate) fn payload_of(event: &Event) -> Result<Vec<u8>, LedgerError> {
    serde_json::to_vec(event).map_err(|e| LedgerError::storage("encoding an event", e))
}

/// SQL integers are signed; a seq past i64::MAX cannot be reached by appending one event
/// at a time, so saturating is only a guard.
pub(crate) fn seq_to_sql(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

pub(crate) fn seq_from_sql(seq: i64) -> u64 {
    u64::try_from(seq).unwrap_or(0)
}

/// A stored checkpoint read back. Bad lengths or a bad key are refused as corrupt here; whether
/// the signature holds is for [`crate::verify`].
pub(crate) fn checkpoint_from_parts(
    stream: &ProductionId,
    seq: u64,
    head: &[u8],
    sig: &[u8],
    pk: &[u8],
) -> Result<Checkpoint, LedgerError> {
    let corrupt = |why: &str| LedgerError::Corrupt {
        seq,
        why: format!("its checkpoint {why}"),
    };
    let head = ChainHash::from_slice(head).ok_or_else(|| corrupt("head is not 32 bytes"))?;
    let sig = <[u8; 64]>::try_from(sig).map_err(|_| corrupt("signature is not 64 bytes"))?;
    let pk = <[u8; 32]>::try_from(pk)
        .ok()
        .and_then(|b| VerifyingKey::from_bytes(&b).ok())
        .ok_or_else(|| corrupt("public key is not a key"))?;
    Ok(Checkpoint {
        stream: stream.as_str().to_owned(),
        seq,
        head,
        signature: Signature::from_bytes(&sig),
        public_key: pk,
    })
}

/// A row as stored, before it is checked.
pub(crate) struct RawRow {
    pub(crate) seq: i64,
    pub(crate) at: String,
    pub(crate) actor: Option<String>,
    pub(crate) payload: Vec<u8>,
    pub(crate) prev_hash: Vec<u8>,
    pub(crate) hash: Vec<u8>,
}

impl RawRow {
    /// Reads a row back into a record. Only what makes a record unreadable is refused here;
    /// whether its hashes hold is for [`crate::verify`].
    pub(crate) fn into_record(self) -> Result<Record, LedgerError> {
        let seq = seq_from_sql(self.seq);
        let corrupt = |why: String| LedgerError::Corrupt { seq, why };
        let event: Event = serde_json::from_slice(&self.payload)
            .map_err(|e| corrupt(format!("its payload is not an event: {e}")))?;
        if time_of(&event) != self.at
            || event.by.as_ref().map(|p| p.as_str()) != self.actor.as_deref()
        {
            return Err(corrupt(
                "its time or actor column disagrees with its payload".to_owned(),
            ));
        }
        let prev_hash = ChainHash::from_slice(&self.prev_hash)
            .ok_or_else(|| corrupt("its previous hash is not 32 bytes".to_owned()))?;
        let hash = ChainHash::from_slice(&self.hash)
            .ok_or_else(|| corrupt("its hash is not 32 bytes".to_owned()))?;
        Ok(Record {
            seq,
            prev_hash,
            hash,
            event,
            payload: self.payload,
        })
    }
}
