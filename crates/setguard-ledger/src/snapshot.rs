//! Loading a production: its latest snapshot, then the events recorded after it.
//!
//! A snapshot is derived data. It is used only when this node signed it, it was written in this
//! build's [`STATE_FORMAT`], and the record at its seq still has the hash it names; otherwise
//! the state is rebuilt from the first event (and, when the loader may write, a fresh snapshot
//! saved over the bad one). Either way the state is what applying every event of the stream
//! gives: a snapshot can make loading fast, never different.

use crate::canonical::ChainHash;
use crate::error::LedgerError;
use crate::keys::{NodeKey, snapshot_bytes};
use crate::store::{Head, Snapshot, Store};
use ed25519_dalek::{Signature, VerifyingKey};
use setguard_core::{ProductionId, STATE_FORMAT, State};

/// Records read per page while loading, so that a long stream is never held whole.
const PAGE: usize = 8192;

/// How many events past the last snapshot make [`load`] save a new one: below this, replaying
/// the tail costs less than writing the state out.
pub const SNAPSHOT_EVERY: u64 = 10_000;

/// A production loaded from the ledger.
#[derive(Debug)]
pub struct Loaded {
    pub state: State,
    /// The last record applied: the seq the next append must expect.
    pub head: Head,
    /// Where loading started.
    pub from: Start,
    /// Records applied on top of where it started.
    pub replayed: u64,
}

/// Where a load started, and why, for logs and `setguard status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    /// From the snapshot at this seq.
    Snapshot { seq: u64 },
    /// From the first event: there was no snapshot.
    NoSnapshot,
    /// From the first event: the snapshot could not be used, for this reason.
    Rebuilt { why: String },
}

/// Loads `stream` for a node that writes to it (the server, replay): from its snapshot if
/// `key` signed it, plus the events after it. Saves a new snapshot, signed by `key`, when more
/// than [`SNAPSHOT_EVERY`] events had to be replayed or the one there was unusable.
///
/// A broken link between records read is an error (the ledger has been tampered with and must
/// be verified); a snapshot that does not fit the stream is only a reason to rebuild.
pub fn load(
    store: &dyn Store,
    stream: &ProductionId,
    key: &NodeKey,
) -> Result<Loaded, LedgerError> {
    let loaded = load_read_only(store, stream, Some(&key.public()))?;
    let unusable = matches!(loaded.from, Start::Rebuilt { .. });
    if loaded.replayed > SNAPSHOT_EVERY || (unusable && loaded.head.seq > 0) {
        // A snapshot only saves time: failing to write one (a full disk) must not stop the
        // production from loading. The next load tries again.
        let _ = save(store, stream, &loaded.state, loaded.head, key);
    }
    Ok(loaded)
}

/// Loads `stream` without writing anything (status, reports, an investigator's copy): from the
/// snapshot only if `trusted` signed it, else from the first event.
pub fn load_read_only(
    store: &dyn Store,
    stream: &ProductionId,
    trusted: Option<&VerifyingKey>,
) -> Result<Loaded, LedgerError> {
    let (state, head, from) = match store.latest_snapshot(stream)? {
        None => (State::new(), Head::EMPTY, Start::NoSnapshot),
        Some(snap) => match usable(store, stream, &snap, Signed::By(trusted))? {
            Ok(state) => (
                state,
                Head {
                    seq: snap.seq,
                    hash: snap.head,
                },
                Start::Snapshot { seq: snap.seq },
            ),
            Err(why) => (State::new(), Head::EMPTY, Start::Rebuilt { why }),
        },
    };
    let start_seq = head.seq;
    let (state, head) = apply_tail(store, stream, state, head)?;
    Ok(Loaded {
        state,
        head,
        from,
        replayed: head.seq - start_seq,
    })
}

/// Rebuilds `stream` from its first event, ignoring any snapshot and saving none: what [`load`]
/// falls back to, and the baseline a snapshot is measured against.
pub fn rebuild(store: &dyn Store, stream: &ProductionId) -> Result<Loaded, LedgerError> {
    let (state, head) = apply_tail(store, stream, State::new(), Head::EMPTY)?;
    Ok(Loaded {
        state,
        head,
        from: Start::NoSnapshot,
        replayed: head.seq,
    })
}

/// Applies the records after `head` to `state`, a page at a time, checking that each follows
/// the one before.
fn apply_tail(
    store: &dyn Store,
    stream: &ProductionId,
    mut state: State,
    mut head: Head,
) -> Result<(State, Head), LedgerError> {
    loop {
        let page = store.read_page(stream, head.seq + 1, PAGE)?;
        if page.is_empty() {
            return Ok((state, head));
        }
        for record in page {
            if record.seq != head.seq + 1 || record.prev_hash != head.hash {
                return Err(LedgerError::Corrupt {
                    seq: record.seq,
                    why: format!(
                        "it does not follow record {} (run `setguard verify` on this ledger)",
                        head.seq
                    ),
                });
            }
            state.apply(&record.event);
            head = Head {
                seq: record.seq,
                hash: record.hash,
            };
        }
    }
}

/// Saves `state` as the snapshot of `stream` at `head`, signed by `key`.
pub fn save(
    store: &dyn Store,
    stream: &ProductionId,
    state: &State,
    head: Head,
    key: &NodeKey,
) -> Result<(), LedgerError> {
    if head.seq == 0 {
        return Ok(());
    }
    let bytes =
        serde_json::to_vec(state).map_err(|e| LedgerError::storage("encoding a snapshot", e))?;
    let signature = key.sign_snapshot(stream.as_str(), head.seq, &head.hash, STATE_FORMAT, &bytes);
    store.save_snapshot(
        stream,
        &Snapshot {
            seq: head.seq,
            head: head.hash,
            format: STATE_FORMAT.to_owned(),
            state: bytes,
            signature: signature.to_bytes().to_vec(),
        },
    )
}

/// Whose signature a snapshot must carry to be used.
#[derive(Clone, Copy)]
enum Signed<'a> {
    /// This key's; with no key, no snapshot is trusted.
    By(Option<&'a VerifyingKey>),
    /// Not checked: only `verify`, which compares the content with the events anyway.
    Unchecked,
}

/// The snapshot's state if it can be trusted to stand for the stream up to its seq, else why
/// not. The outer error is a failure to read the store.
fn usable(
    store: &dyn Store,
    stream: &ProductionId,
    snap: &Snapshot,
    signed: Signed<'_>,
) -> Result<Result<State, String>, LedgerError> {
    if let Signed::By(key) = signed {
        let Some(key) = key else {
            return Ok(Err("there is no node key to check its signature".to_owned()));
        };
        let bytes = snapshot_bytes(
            stream.as_str(),
            snap.seq,
            &snap.head,
            &snap.format,
            &snap.state,
        );
        let holds = <[u8; 64]>::try_from(snap.signature.as_slice()).is_ok_and(|sig| {
            key.verify_strict(&bytes, &Signature::from_bytes(&sig))
                .is_ok()
        });
        if !holds {
            return Ok(Err("it is not signed by this node's key".to_owned()));
        }
    }
    if snap.format != STATE_FORMAT {
        return Ok(Err(format!(
            "it was written as {:?}, this build reads {STATE_FORMAT:?}",
            snap.format
        )));
    }
    let at_seq: Option<ChainHash> = store
        .read_page(stream, snap.seq, 1)?
        .into_iter()
        .find(|r| r.seq == snap.seq)
        .map(|r| r.hash);
    match at_seq {
        None => {
            return Ok(Err(format!(
                "it is at seq {}, which the stream does not have",
                snap.seq
            )));
        }
        Some(h) if h != snap.head => {
            return Ok(Err(format!(
                "it names head {} at seq {}, the stream has {h}",
                snap.head, snap.seq
            )));
        }
        Some(_) => {}
    }
    Ok(serde_json::from_slice::<State>(&snap.state)
        .map_err(|e| format!("its state cannot be read: {e}")))
}

/// What `setguard verify` found of a stream's snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotCheck {
    /// It is exactly the state the events up to its seq give.
    Matches { seq: u64 },
    /// It is not. Derived data, so not a break of the record, but worth knowing: something
    /// other than this node wrote it, or setguard has a bug. Loads do not use it (unless its
    /// signature holds), and the next writing load replaces it.
    Differs { seq: u64, why: String },
}

/// Compares the stream's snapshot, if any, with the state rebuilt from its events; with
/// `trusted`, also checks that key signed it.
pub fn check(
    store: &dyn Store,
    stream: &ProductionId,
    trusted: Option<&VerifyingKey>,
) -> Result<Option<SnapshotCheck>, LedgerError> {
    let Some(snap) = store.latest_snapshot(stream)? else {
        return Ok(None);
    };
    let signed = trusted.map_or(Signed::Unchecked, |k| Signed::By(Some(k)));
    if let Err(why) = usable(store, stream, &snap, signed)? {
        return Ok(Some(SnapshotCheck::Differs { seq: snap.seq, why }));
    }
    let mut state = State::new();
    let mut next = 1;
    while next <= snap.seq {
        let limit = usize::try_from(snap.seq - next + 1).map_or(PAGE, |n| n.min(PAGE));
        let page = store.read_page(stream, next, limit)?;
        let Some(last) = page.last() else { break };
        next = last.seq + 1;
        for r in &page {
            state.apply(&r.event);
        }
    }
    let rebuilt =
        serde_json::to_vec(&state).map_err(|e| LedgerError::storage("encoding a state", e))?;
    Ok(Some(if rebuilt == snap.state {
        SnapshotCheck::Matches { seq: snap.seq }
    } else {
        SnapshotCheck::Differs {
            seq: snap.seq,
            why: "its state is not what the events up to it give".to_owned(),
        }
    }))
}
