//! Replaying into a real ledger (`replay --db`), verifying one (`verify --db`, `verify
//! --bundle`) and exporting a production's evidence bundle (`export`).
//!
//! The replay loop hands every event to a [`Journal`] before applying it; here the journal is
//! the ledger, so an event is in the state only once it is durable in the record.

use crate::scenario::run::Journal;
use anyhow::Context as _;
use ed25519_dalek::VerifyingKey;
use indicatif::{ProgressBar, ProgressStyle};
use setguard_core::{Event, ProductionId};
use setguard_ledger::bundle;
use setguard_ledger::keys::{KEY_FILE, public_key_from_hex};
use setguard_ledger::snapshot::{self, SnapshotCheck};
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

impl LedgerJournal<'_> {
    pub fn stream(&self) -> &ProductionId {
        &self.stream
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
    let store = setguard_ledger::open_read_only(url)
        .with_context(|| format!("opening the ledger {url}"))?;
    let trusted = node_public_key(data_dir)?;
    if trusted.is_none() {
        println!(
            "note: no node key in {}: signatures are checked against the keys the checkpoints name",
            data_dir.display()
        );
    }
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
                continue;
            }
        }
        match snapshot::check(store.as_ref(), &stream, trusted.as_ref())
            .with_context(|| format!("reading the snapshot of production {stream}"))?
        {
            None => {}
            Some(SnapshotCheck::Matches { seq }) => {
                println!("{stream}: snapshot at seq {seq} matches the events");
            }
            // Derived data: worth a warning, not a broken record.
            Some(SnapshotCheck::Differs { seq, why }) => println!(
                "{stream}: warning: the snapshot at seq {seq} is not to be trusted ({why}); \
                 loads do not use it, and the server replaces it"
            ),
        }
    }
    Ok(all_ok)
}

/// The node's public key from `data_dir`, if a key was ever made there (never makes one).
pub fn node_public_key(data_dir: &Path) -> anyhow::Result<Option<VerifyingKey>> {
    if !data_dir.join(KEY_FILE).exists() {
        return Ok(None);
    }
    let key = NodeKey::load_or_create(data_dir)
        .with_context(|| format!("loading the node key in {}", data_dir.display()))?;
    Ok(Some(key.public()))
}

/// `setguard key`: the node's public key, to publish so that bundles and reports can be checked.
pub fn print_key(data_dir: &Path) -> anyhow::Result<String> {
    match node_public_key(data_dir)? {
        Some(k) => Ok(format!("{}\n", setguard_ledger::keys::hex_of(&k))),
        None => anyhow::bail!(
            "there is no node key in {} (one is made by the first `replay --db` or `serve` \
             that uses this data directory)",
            data_dir.display()
        ),
    }
}

/// Saves a signed snapshot of a production just recorded, so the server loads it without
/// replaying. A failure is only a warning: the events are durable already.
pub fn snapshot_after_replay(store: &dyn Store, stream: &ProductionId, key: &NodeKey) {
    let saved = snapshot::load_read_only(store, stream, None)
        .and_then(|l| snapshot::save(store, stream, &l.state, l.head, key));
    if let Err(e) = saved {
        eprintln!("setguard: warning: no snapshot saved for production {stream}: {e}");
    }
}

/// A progress bar on stderr for long work; indicatif draws nothing when stderr is not a
/// terminal, so logs and pipes stay clean.
fn progress_bar(what: &'static str) -> (ProgressBar, impl FnMut(u64, u64)) {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} events ({eta} left)")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(what);
    let handle = bar.clone();
    (bar, move |done, total| {
        handle.set_length(total);
        handle.set_position(done);
    })
}

/// Writes production `production`'s evidence bundle from the ledger at `url` into `out`.
pub fn export(url: &str, production: &str, out: &Path) -> anyhow::Result<()> {
    let stream =
        ProductionId::parse(production).with_context(|| format!("--production {production:?}"))?;
    // Exporting never writes to the ledger, so the store gets a throwaway key.
    let store = setguard_ledger::open_read_only(url)
        .with_context(|| format!("opening the ledger {url}"))?;
    let (bar, mut progress) = progress_bar("exporting");
    let manifest = bundle::export(
        store.as_ref(),
        &stream,
        out,
        concat!("setguard ", env!("CARGO_PKG_VERSION")),
        &mut progress,
    );
    bar.finish_and_clear();
    let manifest = manifest.with_context(|| format!("exporting production {stream}"))?;
    println!(
        "{}: exported production {stream}: {} events, {} signed checkpoints, head {}",
        out.display(),
        manifest.events,
        manifest.checkpoints,
        manifest.head
    );
    println!(
        "signed by {}; see {}/README.md to check it without setguard",
        manifest.public_keys.join(", "),
        out.display()
    );
    Ok(())
}

/// Verifies the bundle in `dir`; prints what it found and returns whether it verified. The key
/// it must be signed by is `--key`, else the node key in `data_dir` if there is one.
pub fn verify_bundle(dir: &Path, key: Option<&str>, data_dir: &Path) -> anyhow::Result<bool> {
    let pinned = match key {
        Some(k) => Some(
            public_key_from_hex(k)
                .with_context(|| format!("--key {k:?} is not an Ed25519 public key in hex"))?,
        ),
        None => node_public_key(data_dir)?,
    };
    let (bar, mut progress) = progress_bar("verifying");
    let report = bundle::verify_bundle(dir, pinned.as_ref(), &mut progress);
    bar.finish_and_clear();
    let report = report.with_context(|| format!("reading the bundle {}", dir.display()))?;
    let m = &report.manifest;
    Ok(match report.outcome {
        Ok(v) => {
            println!(
                "{}: production {}: ok, {} events, {} signed checkpoints, head {}",
                dir.display(),
                m.production,
                v.head.seq,
                v.checkpoints,
                v.head.hash
            );
            match pinned {
                Some(k) => println!(
                    "signed by the node key {}",
                    setguard_ledger::keys::hex_of(&k)
                ),
                None => println!(
                    "NOT AUTHENTICATED: the signatures hold for the bundle's own keys ({}), which \
                     a forger could have made; pass --key with the node's published key",
                    m.public_keys.join(", ")
                ),
            }
            true
        }
        Err(broken) => {
            println!(
                "{}: production {}: BROKEN at {broken}",
                dir.display(),
                m.production
            );
            false
        }
    })
}
