//! The storage contract every backend keeps, in domain words.

use crate::canonical::{ChainHash, RecordFields};
use crate::error::LedgerError;
use crate::keys::Checkpoint;
use ed25519_dalek::{Signature, VerifyingKey};
use setguard_core::{Event, ProductionId};
use std::sync::{Mutex, PoisonError};

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

    /// Appends `events` after the record `expected` names (seq and hash), like
    /// [`Store::append`], but returns at once when the store [`pipelines`](Store::pipelines):
    /// the caller may then judge its next append on the state after these events and submit it
    /// expecting [`PendingAppend::appended`] while this one commits, and learns from
    /// [`PendingAppend::wait`] whether it became durable. Appends are committed in the order
    /// submitted, each only if the stream then ends at exactly the record it expects: one built
    /// on an append that failed is refused with [`LedgerError::Conflict`], even if another
    /// record has taken that seq meanwhile, so nothing is recorded on top of what was not.
    ///
    /// A store that does not pipeline commits here, before returning (and may block on I/O);
    /// its refusals, `Conflict` among them, come from this call. It checks the seq only: its
    /// caller's expected head was then read from what is durable, where a seq names one record.
    fn submit(
        &self,
        stream: &ProductionId,
        expected: Head,
        events: &[Event],
    ) -> Result<PendingAppend, LedgerError> {
        let a = self.append(stream, expected.seq, events)?;
        Ok(PendingAppend {
            appended: a,
            pending: Pending::Ready(Ok(a)),
        })
    }

    /// Whether [`Store::submit`] only queues: it then never blocks on I/O and may be called
    /// from an async task.
    fn pipelines(&self) -> bool {
        false
    }

    /// At most `limit` records of `stream` from `from_seq` on (1 for all), in seq order: a
    /// long stream is read in pages, so that loading it never holds all of it at once.
    fn read_page(
        &self,
        stream: &ProductionId,
        from_seq: u64,
        limit: usize,
    ) -> Result<Vec<Record>, LedgerError>;

    /// Every record of `stream` from `from_seq` on, in seq order.
    fn read(&self, stream: &ProductionId, from_seq: u64) -> Result<Vec<Record>, LedgerError> {
        self.read_page(stream, from_seq, usize::MAX)
    }

    /// Where `stream` ends: seq 0 and the genesis hash when it has no records.
    fn head(&self, stream: &ProductionId) -> Result<Head, LedgerError>;

    /// Every signed checkpoint of `stream`, in seq order.
    fn checkpoints(&self, stream: &ProductionId) -> Result<Vec<Checkpoint>, LedgerError>;

    /// Every stream (production) the ledger holds, in id order: what `verify` walks.
    fn streams(&self) -> Result<Vec<ProductionId>, LedgerError>;

    /// Keeps `snapshot` as the stream's snapshot, replacing the one before. Snapshots are
    /// derived data, outside the chain: replacing one loses nothing.
    fn save_snapshot(&self, stream: &ProductionId, snapshot: &Snapshot) -> Result<(), LedgerError>;

    /// The stream's snapshot, if one was saved.
    fn latest_snapshot(&self, stream: &ProductionId) -> Result<Option<Snapshot>, LedgerError>;
}

/// An append submitted and not yet known to be durable ([`Store::submit`]).
#[must_use = "an append is acknowledged only by waiting for it"]
pub struct PendingAppend {
    appended: Appended,
    pending: Pending,
}

enum Pending {
    Ready(Result<Appended, LedgerError>),
    Queued(Box<dyn Queued>),
}

/// A backend's handle on an append it has queued.
pub(crate) trait Queued: Send {
    /// Blocks until the append is committed or refused (leading the commit if it is this
    /// caller's turn).
    fn wait(self: Box<Self>) -> Result<Appended, LedgerError>;
}

impl PendingAppend {
    pub(crate) fn queued(appended: Appended, q: Box<dyn Queued>) -> PendingAppend {
        PendingAppend {
            appended,
            pending: Pending::Queued(q),
        }
    }

    /// What the append records if it commits: its seqs and the hash of its last record, which
    /// the next append may expect before this one is durable.
    pub fn appended(&self) -> Appended {
        self.appended
    }

    /// Blocks until the append is durable (its commit returned) or refused. Call it off the
    /// async threads.
    pub fn wait(self) -> Result<Appended, LedgerError> {
        match self.pending {
            Pending::Ready(r) => r,
            Pending::Queued(q) => q.wait(),
        }
    }
}

impl std::fmt::Debug for PendingAppend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.pending {
            Pending::Ready(_) => "PendingAppend(ready)",
            Pending::Queued(_) => "PendingAppend(queued)",
        })
    }
}

/// A production's state as of one record, saved so that loading it does not replay the whole
/// stream. It names the record it reflects (seq and hash), so a snapshot that no longer matches
/// the stream is noticed and rebuilt rather than trusted.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub seq: u64,
    pub head: ChainHash,
    /// What wrote `state` ([`setguard_core::STATE_FORMAT`]); another format is rebuilt.
    pub format: String,
    /// The serialized state.
    pub state: Vec<u8>,
    /// The saving node's signature over all of the above ([`crate::keys::snapshot_bytes`]): a
    /// snapshot is used only by the node that signed it, so one written into the database by
    /// anyone else is rebuilt, never trusted.
    pub signature: Vec<u8>,
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
    use chrono::{Datelike, Timelike};
    // `At` serializes with chrono's `%Y-%m-%dT%H:%M:%S`, which parses its format string on
    // every call: a fifth of the time of reading and verifying a stream went there. The same
    // text is written directly for every four-digit year; anything else goes through serde.
    let t = event.at.naive();
    if let Ok(year) = u32::try_from(t.year()) {
        if year <= 9999 && t.nanosecond() < 1_000_000_000 {
            let mut s = String::with_capacity(19);
            for (n, width, then) in [
                (year, 4, Some('-')),
                (t.month(), 2, Some('-')),
                (t.day(), 2, Some('T')),
                (t.hour(), 2, Some(':')),
                (t.minute(), 2, Some(':')),
                (t.second(), 2, None),
            ] {
                for place in (0..width).rev() {
                    s.push(char::from_digit(n / 10u32.pow(place) % 10, 10).unwrap_or('0'));
                }
                s.extend(then);
            }
            return s;
        }
    }
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

/// Reads rows back into records as `rows` fetches them, as [`RawRow::into_record`] does one by
/// one: the answer is the first row refused, in row order, or else the fetch error that ended
/// `rows`. A long read is decoded on every core while it is still being fetched: decoding the
/// JSON is most of the time it takes to read, or verify, a stream.
pub(crate) fn decode_rows(
    mut rows: impl Iterator<Item = Result<RawRow, LedgerError>>,
) -> Result<Vec<Record>, LedgerError> {
    /// Rows decoded at a time; a read shorter than this is decoded on the caller's thread.
    const PART: usize = 4096;
    let mut failed = None;
    let mut fetch = |rows: &mut dyn Iterator<Item = Result<RawRow, LedgerError>>| {
        let mut part = Vec::with_capacity(PART);
        if failed.is_none() {
            for row in &mut *rows {
                match row {
                    Ok(row) => part.push(row),
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
                if part.len() == PART {
                    break;
                }
            }
        }
        part
    };
    let first = fetch(&mut rows);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    if first.len() < PART || threads < 2 {
        let mut records: Vec<Record> = Vec::with_capacity(first.len());
        for part in std::iter::once(first).chain(std::iter::from_fn(|| {
            Some(fetch(&mut rows)).filter(|p| !p.is_empty())
        })) {
            for row in part {
                records.push(row.into_record()?);
            }
        }
        return failed.map_or(Ok(records), Err);
    }

    struct Parts {
        todo: std::collections::VecDeque<(usize, Vec<RawRow>)>,
        fetched: bool,
        done: Vec<Option<Result<Vec<Record>, LedgerError>>>,
    }
    let parts = Mutex::new(Parts {
        todo: [(0, first)].into(),
        fetched: false,
        done: vec![None],
    });
    let more = std::sync::Condvar::new();
    let lock = || parts.lock().unwrap_or_else(PoisonError::into_inner);
    // Decodes the next part waiting, if there is one.
    let decode_next = || {
        let next = lock().todo.pop_front();
        let Some((i, part)) = next else {
            return false;
        };
        let decoded = part.into_iter().map(RawRow::into_record).collect();
        lock().done[i] = Some(decoded);
        true
    };
    // A helper decodes parts until every part has been fetched and taken.
    let help = || {
        loop {
            let mut p = lock();
            while p.todo.is_empty() && !p.fetched {
                p = more.wait(p).unwrap_or_else(PoisonError::into_inner);
            }
            if p.todo.is_empty() {
                return;
            }
            drop(p);
            decode_next();
        }
    };
    std::thread::scope(|scope| {
        for _ in 1..threads {
            // With no thread to be had, this one decodes everything.
            if std::thread::Builder::new()
                .spawn_scoped(scope, help)
                .is_err()
            {
                break;
            }
        }
        for i in 1.. {
            let part = fetch(&mut rows);
            if part.is_empty() {
                lock().fetched = true;
                break;
            }
            let waiting = {
                let mut p = lock();
                p.todo.push_back((i, part));
                p.done.push(None);
                p.todo.len()
            };
            more.notify_one();
            // Far ahead of the helpers: decode here rather than hold ever more rows.
            if waiting > 2 * threads {
                decode_next();
            }
        }
        more.notify_all();
        while decode_next() {}
    });
    let done = parts
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
        .done;
    let mut records = Vec::with_capacity(done.len() * PART);
    for part in done {
        match part {
            Some(decoded) => records.extend(decoded?),
            None => return Err(LedgerError::Storage("a read was left undecoded".to_owned())),
        }
    }
    failed.map_or(Ok(records), Err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use setguard_core::{At, EventBody};

    /// The hand-written time is the JSON's to the byte, or every hash would change.
    #[test]
    fn time_of_writes_what_the_json_writes() {
        for year in [
            -1, 0, 1, 9, 99, 999, 1000, 1970, 2021, 2100, 9999, 10_000, 262_000,
        ] {
            for (month, day, h, m, s) in [(1, 1, 0, 0, 0), (2, 28, 9, 5, 7), (12, 31, 23, 59, 59)] {
                let Some(t) =
                    NaiveDate::from_ymd_opt(year, month, day).and_then(|d| d.and_hms_opt(h, m, s))
                else {
                    continue;
                };
                let event = Event::new(At::from_naive(t), None, EventBody::DayStarted);
                let json = serde_json::to_value(event.at).unwrap();
                assert_eq!(Some(time_of(&event).as_str()), json.as_str(), "{t:?}");
            }
        }
    }
}
