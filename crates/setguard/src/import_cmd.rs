//! `setguard import KIND FILE --db URL --production ID [--dry-run]`: reads the file, judges
//! what it asks for on the production as it stands (`setguard_server::import`, shared with the
//! server's import page), and appends every event in one append, or saves nothing.

use crate::ledger;
use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};
use setguard_core::ProductionId;
use setguard_ledger::snapshot;
use setguard_ledger::{LedgerError, NodeKey};
use setguard_server::import::{self, Kind, Problem};
use std::path::Path;
use std::process::ExitCode;

/// Rows past which a terminal shows a progress bar while the commands are judged.
const BAR_FROM: usize = 200;

/// Runs an import; exit 0 when imported (or a dry run found nothing wrong), 2 when the file
/// has problems (each printed on stderr as `FILE:LINE:COLUMN: message`) or the ledger could not
/// be read. Nothing is saved unless everything was accepted.
pub fn import(
    kind: Kind,
    file: &Path,
    db: &str,
    production: &str,
    dry_run: bool,
    data_dir: &Path,
) -> anyhow::Result<ExitCode> {
    let stream =
        ProductionId::parse(production).with_context(|| format!("--production {production:?}"))?;
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    // A dry run never writes a byte: the ledger is opened read-only, and no key is made.
    let (store, key) = if dry_run {
        let store = setguard_ledger::open_read_only(db)
            .with_context(|| format!("opening the ledger {db}"))?;
        (store, None)
    } else {
        let store = ledger::open_for_writing(db, data_dir)?;
        let key = NodeKey::load_or_create(data_dir)
            .with_context(|| format!("loading the node key in {}", data_dir.display()))?;
        (store, Some(key))
    };
    let loaded = match &key {
        Some(k) => snapshot::load(store.as_ref(), &stream, k),
        None => snapshot::load_read_only(
            store.as_ref(),
            &stream,
            ledger::node_public_key(data_dir)?.as_ref(),
        ),
    }
    .with_context(|| format!("loading production {stream}"))?;
    if loaded.head.seq == 0 {
        anyhow::bail!(
            "the ledger {db} holds no production {stream}; open it first (the server's \
             administrator, or `setguard replay --db` of its scenario)"
        );
    }
    let name = file.display().to_string();
    let refuse = |problems: Vec<Problem>| {
        let n = problems.len();
        for p in import::sorted(problems) {
            eprintln!("{name}:{p}");
        }
        eprintln!(
            "{name}: refused: {n} problem{}; nothing was saved",
            if n == 1 { "" } else { "s" }
        );
        Ok(ExitCode::from(2))
    };
    let plan = match import::plan(kind, &bytes, &loaded.state) {
        Ok(p) => p,
        Err(problems) => return refuse(problems),
    };
    let now = setguard_server::clock::now_for(&loaded.state);
    let bar = if plan.entries.len() >= BAR_FROM {
        let bar = ProgressBar::new(plan.entries.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} commands ({eta} left)")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_message("judging");
        bar
    } else {
        ProgressBar::hidden()
    };
    let judged = import::judge_all(&loaded.state, &plan.entries, now, |n| bar.set_position(n));
    bar.finish_and_clear();
    let outcome = match judged {
        Ok(o) => o,
        Err(problems) => return refuse(problems),
    };
    let mut out = format!("{name}: {} for production {stream}", plan.layout);
    if !plan.ignored_columns.is_empty() {
        out.push_str(&format!(
            " (columns not used: {})",
            plan.ignored_columns.join(", ")
        ));
    }
    out.push('\n');
    let verb = if dry_run { "would " } else { "" };
    for (changes, what) in &outcome.lines {
        if *changes {
            out.push_str(&format!("  {verb}{what}\n"));
        } else {
            out.push_str(&format!("  unchanged: {what}\n"));
        }
    }
    if outcome.commands == 0 {
        out.push_str("nothing to import: the production already has everything in the file\n");
        print!("{out}");
        return Ok(ExitCode::SUCCESS);
    }
    let alarms = if outcome.alarms > 0 {
        format!(
            ", after {} alarm{} that time had raised",
            outcome.alarms,
            if outcome.alarms == 1 { "" } else { "s" }
        )
    } else {
        String::new()
    };
    if dry_run {
        out.push_str(&format!(
            "dry run: {} commands would be recorded at {now} ({} events{alarms}); nothing saved\n",
            outcome.commands,
            outcome.events.len()
        ));
        print!("{out}");
        return Ok(ExitCode::SUCCESS);
    }
    let appended = match store.append(&stream, loaded.head.seq, &outcome.events) {
        Ok(a) => a,
        Err(LedgerError::Conflict { .. }) => anyhow::bail!(
            "production {stream} changed while the file was judged (someone recorded \
             something); nothing was saved: run the import again"
        ),
        Err(e) => return Err(e).with_context(|| format!("recording in {db}")),
    };
    out.push_str(&format!(
        "imported: {} commands recorded at {now} as events {}..{} in one commit{alarms}, head {}\n",
        outcome.commands, appended.first_seq, appended.last_seq, appended.head
    ));
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}
