//! The storage contract every backend keeps, in domain words.

use crate::canonical::{ChainHash, RecordFields};
use crate::error::LedgerError;
use crate::keys::Checkpoint;
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
