//! `setguard report`, `setguard labels` and `setguard verify --checkpoint`: the paperwork, made
//! from a ledger opened read-only, each report stamped with the signed checkpoint it was made
//! from so that a paper copy can later be checked against the ledger.
//!
//! The reports themselves (what each says) are built in `setguard_server::reports`, shared with
//! the web app; this module loads the production, picks the checkpoint, and writes the files.

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};
use setguard_core::{ProductionId, State};
use setguard_ledger::snapshot;
use setguard_ledger::verify::verify_store;
use setguard_ledger::{Record, Store};
use setguard_server::reports::{self, Kind, Stamp, build::Options};
use std::path::Path;

/// Records read at a time while loading, with the progress bar moved after each page.
const PAGE: usize = 4096;

/// A production as a report is made from it.
#[derive(Debug)]
pub struct Source {
    pub state: State,
    /// Every record up to and including the stamp's seq.
    pub records: Vec<Record>,
    pub stamp: Stamp,
}

/// Loads `production` from the ledger at `url` (read-only) as of its latest signed checkpoint.
pub fn load(url: &str, production: &str, data_dir: &Path) -> anyhow::Result<Source> {
    let stream =
        ProductionId::parse(production).with_context(|| format!("--production {production:?}"))?;
    let store = setguard_ledger::open_read_only(url)
        .with_context(|| format!("opening the ledger {url}"))?;
    let trusted = crate::ledger::node_public_key(data_dir)?;
    let loaded = snapshot::load_read_only(store.as_ref(), &stream, trusted.as_ref())
        .with_context(|| format!("loading production {stream}"))?;
    if loaded.head.seq == 0 {
        anyhow::bail!("the ledger holds no production {stream}");
    }
    // The latest checkpoint at or below the head the state was loaded at.
    let stamp = store
        .checkpoints(&stream)
        .with_context(|| format!("reading the checkpoints of {stream}"))?
        .into_iter()
        .filter(|c| c.seq <= loaded.head.seq)
        .max_by_key(|c| c.seq)
        .map(|c| Stamp::from_checkpoint(&c))
        .with_context(|| format!("production {stream} has no signed checkpoint"))?;
    let records = read_records(store.as_ref(), &stream, stamp.seq)?;
    let state = if stamp.seq == loaded.head.seq {
        loaded.state
    } else {
        // The head is past the last checkpoint: report what the checkpoint signed.
        let mut s = State::new();
        for r in &records {
            s.apply(&r.event);
        }
        s
    };
    Ok(Source {
        state,
        records,
        stamp,
    })
}

fn bar(len: u64, what: &'static str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} events ({eta} left)")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(what);
    bar
}

/// Records 1..=`to` of `stream`, a page at a time, with a progress bar on a terminal (indicatif
/// draws nothing when stderr is not one).
fn read_records(store: &dyn Store, stream: &ProductionId, to: u64) -> anyhow::Result<Vec<Record>> {
    let progress = bar(to, "reading");
    let mut records = Vec::with_capacity(usize::try_from(to).unwrap_or(0));
    let mut next = 1;
    while next <= to {
        let page = store
            .read_page(stream, next, PAGE)
            .with_context(|| format!("reading production {stream}"))?;
        if page.is_empty() {
            break;
        }
        for r in page {
            if r.seq > to {
                break;
            }
            next = r.seq + 1;
            records.push(r);
        }
        progress.set_position(next - 1);
        if records.last().is_some_and(|r| r.seq >= to) {
            break;
        }
    }
    progress.finish_and_clear();
    Ok(records)
}

/// What `setguard report` is asked for.
#[derive(Debug)]
pub struct Request<'a> {
    pub kind: &'a str,
    pub db: &'a str,
    pub production: &'a str,
    pub date: Option<chrono::NaiveDate>,
    pub incident: Option<u32>,
    pub out: &'a Path,
    /// Write HTML (also when `out` ends in `.html`).
    pub html: bool,
}

/// Writes the report; returns what to print.
pub fn report(req: &Request<'_>, data_dir: &Path) -> anyhow::Result<String> {
    let kind = Kind::parse(req.kind).with_context(|| {
        format!(
            "{:?} is not a report; write one of: {}",
            req.kind,
            Kind::ALL.map(Kind::as_str).join(", ")
        )
    })?;
    let src = load(req.db, req.production, data_dir)?;
    let stamp_text = src.stamp.text();
    let rep = reports::build(
        kind,
        &src.state,
        &src.records,
        src.stamp,
        Options {
            date: req.date.or_else(|| today_for_people(kind, &src.state)),
            incident: req.incident,
        },
    )
    .map_err(|e| anyhow::anyhow!(e))?;
    let html = req.html || req.out.extension().is_some_and(|e| e == "html");
    let bytes = if html {
        reports::html::render(&rep).into_bytes()
    } else {
        crate::pdf::report(&rep)?
    };
    std::fs::write(req.out, bytes).with_context(|| format!("writing {}", req.out.display()))?;
    Ok(format!(
        "{}: {} report of production {}\ncheckpoint: {stamp_text}\n",
        req.out.display(),
        kind.as_str(),
        req.production
    ))
}

/// A people report is "as of" today on the production's clock unless a day is given (the other
/// reports default to the day of the last event).
pub fn today_for_people(kind: Kind, state: &State) -> Option<chrono::NaiveDate> {
    (kind == Kind::People).then(|| setguard_server::clock::now_for(state).date())
}

/// `setguard verify --checkpoint TEXT`: whether the ledger still holds the head a report's
/// checkpoint names at its seq, every record before it unbroken, signed by the key it names.
/// Prints what it found and returns whether it held.
pub fn verify_checkpoint(url: &str, text: &str, data_dir: &Path) -> anyhow::Result<bool> {
    let stamp = Stamp::parse(text).map_err(|e| anyhow::anyhow!("--checkpoint: {e}"))?;
    let held = stamp.checkpoint();
    if !held.signature_holds() {
        println!(
            "checkpoint {}:{}: FORGED: its signature is not the key's over that seq and head",
            stamp.stream, stamp.seq
        );
        return Ok(false);
    }
    let stream = ProductionId::parse(&stamp.stream)
        .with_context(|| format!("the checkpoint's production {:?}", stamp.stream))?;
    let store = setguard_ledger::open_read_only(url)
        .with_context(|| format!("opening the ledger {url}"))?;
    let node = crate::ledger::node_public_key(data_dir)?;
    if let Some(node) = node
        && node != stamp.key
    {
        println!(
            "note: the checkpoint is signed by {}, not by this node's key {}",
            stamp.key_hex(),
            setguard_ledger::keys::hex_of(&node)
        );
    }
    let outcome = verify_store(store.as_ref(), &stream, Some(&stamp.key), Some(&held))
        .with_context(|| format!("reading production {stream}"))?;
    Ok(match outcome {
        Ok(v) => {
            println!(
                "{stream}: ok: the ledger still holds head {} at seq {}, signed by {}; it has \
                 {} events now",
                stamp.head,
                stamp.seq,
                stamp.key_hex(),
                v.head.seq
            );
            true
        }
        Err(broken) => {
            println!(
                "{stream}: NOT THE RECORD THE REPORT WAS MADE FROM: {broken} (checkpoint seq {} \
                 head {}, key {})",
                stamp.seq,
                stamp.head,
                stamp.key_hex()
            );
            false
        }
    })
}

/// `setguard labels`: a sheet of QR labels, one for each item and lot. An item's code is the
/// path of its page (`/productions/{id}/items/{item}`, its history), a lot's is its id.
pub fn labels(url: &str, production: &str, out: &Path, data_dir: &Path) -> anyhow::Result<String> {
    let src = load(url, production, data_dir)?;
    let s = &src.state;
    let mut labels = Vec::new();
    for item in s.items.values() {
        let calibre = item
            .spec
            .calibre
            .as_ref()
            .map(|c| format!(", {c}"))
            .unwrap_or_default();
        labels.push(crate::pdf::Label {
            id: item.spec.id.to_string(),
            what: format!("{}{calibre}", item.label()),
            qr: format!("/productions/{production}/items/{}", item.spec.id),
        });
    }
    for lot in s.lots.values() {
        labels.push(crate::pdf::Label {
            id: lot.spec.id.to_string(),
            what: format!(
                "lot: {} {}, {} rounds",
                lot.spec.ammo, lot.spec.calibre, lot.spec.rounds.0
            ),
            // A lot has no page of its own: its label's code is its id.
            qr: lot.spec.id.to_string(),
        });
    }
    let name = s
        .production
        .as_ref()
        .map(|p| p.name.clone())
        .unwrap_or_else(|| production.to_owned());
    let pdf = crate::pdf::labels(&format!("{name}: item and lot labels"), &labels)?;
    std::fs::write(out, pdf).with_context(|| format!("writing {}", out.display()))?;
    Ok(format!(
        "{}: {} labels ({} items, {} lots)\n",
        out.display(),
        labels.len(),
        s.items.len(),
        s.lots.len()
    ))
}
