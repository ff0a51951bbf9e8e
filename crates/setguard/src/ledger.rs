//! Replaying into a real ledger (`replay --db`) and verifying one (`verify --db`).
//!
//! The replay loop hands every event to a [`Journal`] before applying it; here the journal is
//! the ledger, so an event is in the state only once it is durable in the record.

use crate::scenario::run::Journal;
use anyhow::Context as _;
use setguard_core::{Event, ProductionId};
use setguard_ledger::keys::KEY_FILE;
use setguard_ledger::verify::verify_store;
use setguard_ledger::{LedgerError, NodeKey, Store};
use std::path::{Path, PathBuf};

/// Where the node's signing key lives: `--data-dir`, else `SETGUARD_DATA_DIR`, else
/// `~/.local/share/setguard`.
pub fn data_dir(flag: Option<PathBuf>) -> PathBuf {
    flag.or_else(|| std::env::var_os("SETGUARD_DATA_DIR").map(PathBuf::from))
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share/setguard"))
        })
        .unwrap_or_else(|| PathBuf::from("setguard-data"))
}

/// A production's stream in the ledger, appended one event at a time at the next seq.
#[derive(Debug)]
pub struct LedgerJournal<'a> {
    store: &'a dyn Store,
    stream: ProductionId,
    next: u64,
}

impl<'a> LedgerJournal<'a> {
    /// A journal for a production that must not be in the ledger yet: replaying a scenario twice
    /// into one stream would record its production twice.
    pub fn new(store: &'a dyn Store, stream: ProductionId) -> anyhow::Result<Self> {
        let head = store
            .head(&stream)
            .with_context(|| format!("reading production {stream} from the ledger"))?;
        if head.seq > 0 {
            anyhow::bail!(
                "the ledger already holds production {stream} ({} events); replay into a new \
                 database, or give the scenario another production id",
                head.seq
            );
        }
        Ok(LedgerJournal {
            store,
            stream,
            next: 0,
        })
    }
}

impl Journal for LedgerJournal<'_> {
    type Error = LedgerError;
    fn append(&mut self, event: &Event) -> Result<(), LedgerError> {
        self.store
            .append(&self.stream, self.next, std::slice::from_ref(event))?;
        self.next += 1;
        Ok(())
    }
}

/// Opens the ledger at `url`, signing with the node key in `data_dir` (made on first use).
pub fn open_for_writing(url: &str, data_dir: &Path) -> anyhow::Result<Box<dyn Store>> {
    let key = NodeKey::load_or_create(data_dir)
        .with_context(|| format!("loading the node key in {}", data_dir.display()))?;
    setguard_ledger::open(url, key).with_context(|| format!("opening the ledger {url}"))
}

/// Verifies every production in the ledger at `url`; prints one line each and returns whether
/// all verified. Checkpoints must be signed by the node key in `data_dir` when there is one.
pub fn verify(url: &str, data_dir: &Path) -> anyhow::Result<bool> {
    // Verifying never writes, so the store gets a throwaway key; trust comes from the node key.
    let store = setguard_ledger::open(url, NodeKey::ephemeral())
        .with_context(|| format!("opening the ledger {url}"))?;
    let trusted = if data_dir.join(KEY_FILE).exists() {
        Some(
            NodeKey::load_or_create(data_dir)
                .with_context(|| format!("loading the node key in {}", data_dir.display()))?
                .public(),
        )
    } else {
        println!(
            "note: no node key in {}: signatures are checked against the keys the checkpoints name",
            data_dir.display()
        );
        None
    };
    let streams = store.streams().context("listing the productions")?;
    if streams.is_empty() {
        println!("{url}: the ledger holds no production");
    }
    let mut all_ok = true;
    for stream in streams {
        match verify_store(store.as_ref(), &stream, trusted.as_ref(), None)
            .with_context(|| format!("reading production {stream}"))?
        {
            Ok(v) => println!(
                "{stream}: ok, {} events, {} signed checkpoints, head {}",
                v.head.seq, v.checkpoints, v.head.hash
            ),
            Err(broken) => {
                all_ok = false;
                println!("{stream}: BROKEN at {broken}");
            }
        }
    }
    Ok(all_ok)
}
