//! `report` and `labels` write PDFs that open (turned into PNG pages by poppler's `pdftoppm`),
//! every report carries a checkpoint that `verify --checkpoint` accepts against the ledger it
//! was made from and refuses against another, and non-ASCII names come out as written.

mod common;

use common::setguard;
use std::path::{Path, PathBuf};
use std::process::Command;

fn scenario(name: &str) -> String {
    format!("{}/../../scenarios/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// A temp directory with the scenario recorded in `set.db` under the key in `data`.
struct Ledger {
    dir: tempfile::TempDir,
    db: String,
    data: String,
}

impl Ledger {
    fn replayed(file: &str) -> Ledger {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = format!("sqlite:{}", dir.path().join("set.db").display());
        let data = dir.path().join("data").display().to_string();
        let run = setguard(&["replay", "--db", &db, "--data-dir", &data, file]);
        assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
        Ledger { dir, db, data }
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    /// `setguard report KIND` into `out`; the run and the checkpoint text it printed.
    fn report(&self, production: &str, kind: &str, out: &str, extra: &[&str]) -> (i32, String) {
        let out = self.path(out).display().to_string();
        let mut args = vec![
            "report",
            kind,
            "--db",
            &self.db,
            "--production",
            production,
            "--data-dir",
            &self.data,
            "--out",
            &out,
        ];
        args.extend_from_slice(extra);
        let run = setguard(&args);
        let stamp = run
            .stdout
            .lines()
            .find_map(|l| l.strip_prefix("checkpoint: "))
            .unwrap_or_default()
            .to_owned();
        if run.code != 0 {
            eprintln!("{}{}", run.stdout, run.stderr);
        }
        (run.code, stamp)
    }
    fn verify_checkpoint(&self, text: &str) -> common::Run {
        setguard(&[
            "verify",
            "--db",
            &self.db,
            "--data-dir",
            &self.data,
            "--checkpoint",
            text,
        ])
    }
}

/// Whether poppler's tools are here. Under CI their absence fails the test (scripts/test
/// installs them); elsewhere the PDF check is skipped, saying so.
fn poppler() -> bool {
    let found = Command::new("pdftoppm").arg("-v").output().is_ok();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "pdftoppm is missing under CI (apt-get install poppler-utils)"
        );
        eprintln!(
            "NOTE: pdftoppm is not installed: the PDF page check did not run \
             (apt-get install poppler-utils)"
        );
    }
    found
}

/// Turns `pdf` into PNG pages with pdftoppm and returns how many pages it had.
fn png_pages(pdf: &Path) -> usize {
    let bytes = std::fs::read(pdf).expect("the PDF");
    assert!(
        bytes.starts_with(b"%PDF-"),
        "{} is not a PDF",
        pdf.display()
    );
    let prefix = pdf.with_extension("");
    let out = Command::new("pdftoppm")
        .args(["-r", "40", "-png"])
        .arg(pdf)
        .arg(&prefix)
        .output()
        .expect("running pdftoppm");
    assert!(
        out.status.success(),
        "pdftoppm could not read {}: {}",
        pdf.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let stem = prefix
        .file_name()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_owned();
    let dir = pdf.parent().expect("a directory");
    let pages: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|e| e == "png")
                && p.file_name()
                    .and_then(|s| s.to_str())
                    .is_some_and(|s| s.starts_with(&format!("{stem}-")))
        })
        .collect();
    for page in &pages {
        let png = std::fs::read(page).expect("a page");
        assert!(png.starts_with(b"\x89PNG"), "{}", page.display());
        assert!(png.len() > 1000, "{} is nearly empty", page.display());
    }
    pages.len()
}

fn pdf_text(pdf: &Path) -> String {
    let out = Command::new("pdftotext")
        .arg(pdf)
        .arg("-")
        .output()
        .expect("running pdftotext");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn every_report_of_the_rust_shooting_opens_and_its_checkpoint_verifies() {
    let l = Ledger::replayed(&scenario("rust-2021.toml"));
    let check = poppler();
    let mut stamps = Vec::new();
    for (kind, extra) in [
        ("daily", &["--date", "2021-10-21"][..]),
        ("meeting", &["--date", "2021-10-21"][..]),
        ("incident", &["--incident", "1"][..]),
        ("people", &[][..]),
        ("compliance", &[][..]),
    ] {
        let (code, stamp) = l.report("rust", kind, &format!("{kind}.pdf"), extra);
        assert_eq!(code, 0, "report {kind}");
        assert!(
            stamp.starts_with("setguard-checkpoint:v1:rust:92:"),
            "{stamp}"
        );
        stamps.push(stamp);
        let (code, _) = l.report("rust", kind, &format!("{kind}.html"), extra);
        assert_eq!(code, 0, "report {kind} --html");
        let html = std::fs::read_to_string(l.path(&format!("{kind}.html"))).expect("html");
        assert!(html.contains("<svg") && html.contains(&stamps[0]), "{kind}");
        if check {
            let pages = png_pages(&l.path(&format!("{kind}.pdf")));
            assert!(pages >= 1, "{kind}: no pages");
            if kind == "daily" {
                // The day of the shooting: its custody, refusals and alarms fill pages.
                assert!(pages >= 2, "daily: {pages} pages");
                let text = pdf_text(&l.path("daily.pdf"));
                assert!(text.contains("Daily firearms log"), "{text}");
                assert!(text.contains("lot-verified"), "{text}");
                assert!(text.contains("seq 92"), "{text}");
            }
        }
    }
    // The checkpoint printed (and in the QR code) verifies against the ledger...
    let ok = l.verify_checkpoint(&stamps[0]);
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);
    assert!(ok.stdout.contains("ok"), "{}", ok.stdout);
    // ...a checkpoint with another head is refused...
    let mut forged = stamps[0].clone();
    let head_at = "setguard-checkpoint:v1:rust:92:".len();
    let flip = if &forged[head_at..=head_at] == "0" {
        "1"
    } else {
        "0"
    };
    forged.replace_range(head_at..=head_at, flip);
    let bad = l.verify_checkpoint(&forged);
    assert_eq!(bad.code, 1, "{}{}", bad.stdout, bad.stderr);
    // ...and so is the real one once the ledger is replaced by another recording of the same
    // events, signed by another node.
    let other = Ledger::replayed(&scenario("rust-2021.toml"));
    for side in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(l.path(&format!("set.db{side}")));
    }
    std::fs::copy(other.path("set.db"), l.path("set.db")).expect("replace the ledger");
    let replaced = l.verify_checkpoint(&stamps[0]);
    assert_eq!(replaced.code, 1, "{}{}", replaced.stdout, replaced.stderr);
    assert!(
        replaced.stdout.contains("NOT THE RECORD"),
        "{}",
        replaced.stdout
    );
}

#[test]
fn a_correct_day_reports_with_non_ascii_names_and_labels() {
    // The correct day, with its armorer renamed to a name WinAnsi has no glyphs for.
    let text = std::fs::read_to_string(scenario("correct-day.toml"))
        .expect("scenario")
        .replacen("name = \"Armorer\"", "name = \"Zoë Łukasz-Nguyễn\"", 1);
    let file = common::TempFile::new("report-names", &text);
    let l = Ledger::replayed(&file.name());
    let check = poppler();
    for kind in ["daily", "meeting", "people", "compliance"] {
        let (code, stamp) = l.report("high-noon-remake", kind, &format!("{kind}.pdf"), &[]);
        assert_eq!(code, 0, "report {kind}");
        assert_eq!(l.verify_checkpoint(&stamp).code, 0, "{kind}: {stamp}");
        if check {
            assert!(png_pages(&l.path(&format!("{kind}.pdf"))) >= 1, "{kind}");
        }
    }
    // No incident on a correct day: the incident report says so and writes nothing.
    let (code, _) = l.report("high-noon-remake", "incident", "incident.pdf", &[]);
    assert_eq!(code, 2);
    assert!(!l.path("incident.pdf").exists());
    if check {
        let people = pdf_text(&l.path("people.pdf"));
        assert!(people.contains("Zoë Łukasz-Nguyễn"), "{people}");
    }
    let out = l.path("labels.pdf").display().to_string();
    let run = setguard(&[
        "labels",
        "--db",
        &l.db,
        "--production",
        "high-noon-remake",
        "--data-dir",
        &l.data,
        "--out",
        &out,
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("labels"), "{}", run.stdout);
    if check {
        assert!(png_pages(&l.path("labels.pdf")) >= 1);
        let text = pdf_text(&l.path("labels.pdf"));
        assert!(
            text.contains("dummy") || text.contains("revolver"),
            "{text}"
        );
    }
}

#[test]
fn unknown_report_kind_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("x.pdf").display().to_string();
    let run = setguard(&[
        "report",
        "weekly",
        "--db",
        "sqlite:/nonexistent/none.db",
        "--production",
        "rust",
        "--out",
        &out,
    ]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("daily, meeting"), "{}", run.stderr);
}
