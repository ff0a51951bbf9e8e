//! `setguard status`: a production as it stands now, loaded from the ledger (its latest snapshot
//! plus the events after it): where every item is, the lots, open incidents, a stop-work.
//!
//! For the armorer or safety supervisor at a terminal, and for an investigator asking "what did
//! the record say at the end"; the set board of the web app shows the same, live.

use anyhow::Context as _;
use setguard_core::state::Custody;
use setguard_core::{ProductionId, State};
use setguard_ledger::snapshot::{self, Start};
use std::fmt::Write as _;
use std::path::Path;

/// Loads `production` from the ledger at `url` and describes it.
pub fn status(url: &str, production: &str, data_dir: &Path) -> anyhow::Result<String> {
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
    let from = match &loaded.from {
        Start::Snapshot { seq } => format!("snapshot at seq {seq}"),
        Start::NoSnapshot => "the first event (no snapshot yet)".to_owned(),
        Start::Rebuilt { why } => format!("the first event (the snapshot was not used: {why})"),
    };
    let mut out = format!(
        "production {stream}: {} events, head {}\nloaded from {from} + {} events\n",
        loaded.head.seq, loaded.head.hash, loaded.replayed
    );
    describe(&loaded.state, &mut out);
    Ok(out)
}

/// The state in the words of the set board.
fn describe(s: &State, out: &mut String) {
    if let Some(p) = &s.production {
        let _ = writeln!(out, "{} ({})", p.name, p.timezone);
    }
    if let Some(stop) = &s.stop_work {
        let _ = writeln!(out, "STOP WORK since {}: {}", stop.since, stop.reason);
    }
    if let Some(w) = &s.walkout {
        let _ = writeln!(out, "WALKOUT since {}: {}", w.since, w.reason);
    }
    let _ = writeln!(out, "\nitems:");
    for item in s.items.values() {
        let place = match &item.custody {
            Custody::InStorage => "IN STORAGE".to_owned(),
            Custody::Held { by, since } => format!("WITH {} since {since}", s.name_of(by)),
            Custody::SetDown { by, place, since } => {
                format!("SET DOWN at {place} by {} since {since}", s.name_of(by))
            }
        };
        let rounds = item.loaded_rounds();
        let loaded = if rounds > 0 {
            format!(", {rounds} rounds in it")
        } else {
            String::new()
        };
        let quarantined = if item.quarantined_by.is_empty() {
            String::new()
        } else {
            ", QUARANTINED".to_owned()
        };
        let _ = writeln!(out, "  {}: {place}{loaded}{quarantined}", item.label());
    }
    if !s.lots.is_empty() {
        let _ = writeln!(out, "\nlots:");
        for lot in s.lots.values() {
            let _ = writeln!(
                out,
                "  {} ({}, {}): {} in the box, {} out{}{}",
                lot.spec.id,
                lot.spec.ammo,
                lot.spec.calibre,
                lot.in_stock(),
                lot.outstanding(),
                if lot.verified { "" } else { ", NOT VERIFIED" },
                if lot.condemned { ", CONDEMNED" } else { "" }
            );
        }
    }
    let open: Vec<_> = s.open_incidents().collect();
    if !open.is_empty() {
        let _ = writeln!(out, "\nopen incidents:");
        for i in open {
            let _ = writeln!(
                out,
                "  {} {} reported {}: {}",
                i.id, i.kind, i.reported_at, i.summary
            );
        }
    }
}
