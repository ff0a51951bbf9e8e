//! `export` writes an evidence bundle that `verify --bundle` and the README's own script (Python
//! and OpenSSL, no setguard) both check, and that names the first seq of any tampering.

mod common;

use common::setguard;
use std::path::{Path, PathBuf};
use std::process::Command;

const RUST: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../scenarios/rust-2021.toml"
);

/// A ledger holding the Rust scenario, and its bundle exported into `dir/evidence`.
struct Exported {
    dir: tempfile::TempDir,
    db: String,
    key: String,
}

impl Exported {
    fn new() -> Exported {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = format!("sqlite:{}", dir.path().join("rust.db").display());
        let data = dir.path().join("data").display().to_string();
        let run = setguard(&["replay", "--db", &db, "--data-dir", &data, RUST]);
        assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
        let out = dir.path().join("evidence");
        let ex = setguard(&[
            "export",
            "--db",
            &db,
            "--production",
            "rust",
            "--out",
            &out.display().to_string(),
        ]);
        assert_eq!(ex.code, 0, "{}{}", ex.stdout, ex.stderr);
        assert!(ex.stdout.contains("92 events"), "{}", ex.stdout);
        let key = setguard_ledger::NodeKey::load_or_create(&dir.path().join("data"))
            .expect("the node key replay made")
            .public_hex();
        Exported { dir, db, key }
    }
    fn bundle(&self) -> PathBuf {
        self.dir.path().join("evidence")
    }
    /// `verify --bundle`, with a data directory that holds no key (so nothing on this machine
    /// is pinned unless the test says so).
    fn verify(&self, extra: &[&str]) -> common::Run {
        let b = self.bundle().display().to_string();
        let none = self.dir.path().join("no-key").display().to_string();
        let mut args = vec!["verify", "--bundle", &b, "--data-dir", &none];
        args.extend_from_slice(extra);
        setguard(&args)
    }
    /// Rewrites `events.jsonl` line by line.
    fn edit_events(&self, f: impl Fn(usize, String) -> Option<String>) {
        let path = self.bundle().join("events.jsonl");
        let text = std::fs::read_to_string(&path).expect("read");
        let out: String = text
            .lines()
            .enumerate()
            .filter_map(|(i, l)| f(i + 1, l.to_owned()))
            .map(|l| l + "\n")
            .collect();
        std::fs::write(&path, out).expect("write");
    }
}

/// The README's script, exactly as printed in the bundle.
fn readme_script(bundle: &Path) -> String {
    let readme = std::fs::read_to_string(bundle.join("README.md")).expect("README");
    let start = readme.find("```python\n").expect("a python block") + "```python\n".len();
    let len = readme[start..].find("```").expect("its end");
    readme[start..start + len].to_owned()
}

fn python(script: &str, args: &[&str]) -> Option<std::process::Output> {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output();
    match out {
        Ok(o) => Some(o),
        // On CI the script must run: the bundle's promise is that it verifies without setguard.
        Err(e) if std::env::var_os("CI").is_some() => panic!("python3 is needed here: {e}"),
        Err(e) => {
            eprintln!("python3 is not available ({e}): the README's script was NOT run");
            None
        }
    }
}

#[test]
fn an_exported_bundle_verifies_with_setguard_and_the_pinned_node_key() {
    let ex = Exported::new();
    for f in [
        "README.md",
        "manifest.json",
        "events.jsonl",
        "checkpoints.jsonl",
        "SHA256SUMS",
    ] {
        assert!(ex.bundle().join(f).is_file(), "{f} missing");
    }
    assert!(ex.bundle().join(format!("keys/{}.pem", ex.key)).is_file());
    let v = ex.verify(&["--key", &ex.key]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    assert!(
        v.stdout.contains("production rust: ok, 92 events"),
        "{}",
        v.stdout
    );

    // Without a key, the signatures hold but prove nothing about who signed: said plainly.
    let v = ex.verify(&[]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    assert!(v.stdout.contains("NOT AUTHENTICATED"), "{}", v.stdout);
    // The node's own data directory pins its key.
    let b = ex.bundle().display().to_string();
    let data = ex.dir.path().join("data").display().to_string();
    let v = setguard(&["verify", "--bundle", &b, "--data-dir", &data]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    assert!(
        v.stdout
            .contains(&format!("signed by the node key {}", ex.key)),
        "{}",
        v.stdout
    );
    let k = setguard(&["key", "--data-dir", &data]);
    assert_eq!((k.code, k.stdout.trim()), (0, ex.key.as_str()));

    // Another key pinned: every checkpoint is then signed by an untrusted key.
    let other = setguard_ledger::NodeKey::ephemeral().public_hex();
    let v = ex.verify(&["--key", &other]);
    assert_eq!(v.code, 1, "{}{}", v.stdout, v.stderr);
    assert!(
        v.stdout
            .contains("BROKEN at seq 1: the checkpoint is signed by an untrusted key"),
        "{}",
        v.stdout
    );
}

#[test]
fn the_readme_script_verifies_the_bundle_without_setguard() {
    let ex = Exported::new();
    let script = readme_script(&ex.bundle());
    let b = ex.bundle().display().to_string();
    let run = |extra: &[&str]| {
        let mut args = vec![b.as_str()];
        args.extend_from_slice(extra);
        python(&script, &args).map(|o| {
            (
                o.status.success(),
                format!(
                    "{}{}",
                    String::from_utf8_lossy(&o.stdout),
                    String::from_utf8_lossy(&o.stderr)
                ),
            )
        })
    };
    let Some((ok, said)) = run(&["--key", &ex.key]) else {
        return;
    };
    assert!(ok, "{said}");
    assert!(said.contains("VERIFIED: 92 events of rust"), "{said}");
    let (ok, said) = run(&["--key", &ex.key, "--all-checkpoints"]).expect("python");
    assert!(ok && said.starts_with("VERIFIED"), "{said}");

    // Signed by another key than the one the investigator trusts.
    let other = setguard_ledger::NodeKey::ephemeral().public_hex();
    let (ok, said) = run(&["--key", &other]).expect("python");
    assert!(
        !ok && said.contains("NOT VERIFIED: checkpoints.jsonl line 1: signed by another key"),
        "{said}"
    );

    // A checkpoint whose signature is not over what it says: OpenSSL refuses it.
    let cps = ex.bundle().join("checkpoints.jsonl");
    let original = std::fs::read_to_string(&cps).expect("read");
    let mut lines: Vec<serde_json::Value> = original
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    let first_sig = lines[0]["signature"].clone();
    lines.last_mut().expect("a checkpoint")["signature"] = first_sig;
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&cps, text).expect("write");
    let (ok, said) = run(&["--key", &ex.key]).expect("python");
    assert!(
        !ok && said.contains("the signature of the checkpoint at seq 92 does not hold"),
        "{said}"
    );

    // Nothing in the bundle is ever run: a key field written as shell code is only refused.
    let pwned = ex.dir.path().join("PWNED");
    lines.last_mut().expect("a checkpoint")["public_key"] =
        serde_json::Value::String(format!("x'; touch '{}'; '", pwned.display()));
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(&cps, text).expect("write");
    let (ok, said) = run(&["--key", &ex.key, "--all-checkpoints"]).expect("python");
    assert!(!ok && said.contains("NOT VERIFIED"), "{said}");
    assert!(!pwned.exists());
    std::fs::write(&cps, original).expect("write");

    // And it catches an edit, naming the seq.
    ex.edit_events(|n, l| {
        Some(if n == 40 {
            l.replacen(r#""payload":"{"#, r#""payload":"{ "#, 1)
        } else {
            l
        })
    });
    let (ok, said) = run(&["--key", &ex.key]).expect("python");
    assert!(
        !ok && said.contains("NOT VERIFIED: seq 40: its bytes do not hash to its hash"),
        "{said}"
    );
}

#[test]
fn a_swapped_key_file_duplicated_checkpoints_or_no_events_are_findings() {
    // A key file that is not the key its name says.
    let ex = Exported::new();
    let pem = ex.bundle().join(format!("keys/{}.pem", ex.key));
    let other = ex.dir.path().join("other");
    std::fs::create_dir_all(&other).expect("dir");
    let forger = setguard_ledger::NodeKey::load_or_create(&other).expect("key");
    let forged_pem = {
        use ed25519_dalek::pkcs8::EncodePublicKey;
        forger
            .public()
            .to_public_key_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
            .expect("pem")
    };
    std::fs::write(&pem, forged_pem).expect("write");
    let v = ex.verify(&[]);
    assert_eq!(v.code, 1, "{}{}", v.stdout, v.stderr);
    assert!(
        v.stdout.contains("BROKEN at seq 1: unreadable:") && v.stdout.contains("is not the key"),
        "{}",
        v.stdout
    );

    // A checkpoint line repeated.
    let ex = Exported::new();
    let cps = ex.bundle().join("checkpoints.jsonl");
    let text = std::fs::read_to_string(&cps).expect("read");
    let first = text.lines().next().expect("a line").to_owned();
    std::fs::write(&cps, format!("{text}{first}\n")).expect("write");
    let v = ex.verify(&[]);
    assert_eq!(v.code, 1, "{}{}", v.stdout, v.stderr);
    assert!(
        v.stdout
            .contains("BROKEN at seq 1: found seq 1 out of order"),
        "{}",
        v.stdout
    );

    // Every event and checkpoint removed, and the manifest made to agree: still no evidence.
    let ex = Exported::new();
    std::fs::write(ex.bundle().join("events.jsonl"), "").expect("write");
    std::fs::write(ex.bundle().join("checkpoints.jsonl"), "").expect("write");
    let v = ex.verify(&["--key", &ex.key]);
    assert_eq!(v.code, 1, "{}{}", v.stdout, v.stderr);
    assert!(
        v.stdout.contains("BROKEN at seq 1: missing"),
        "{}",
        v.stdout
    );

    // A line far too long to be a record is refused at its place, without reading it whole.
    let ex = Exported::new();
    ex.edit_events(|n, l| Some(if n == 5 { "x".repeat(2 << 20) } else { l }));
    let v = ex.verify(&[]);
    assert_eq!(v.code, 1, "{}{}", v.stdout, v.stderr);
    assert!(
        v.stdout.contains("BROKEN at seq 5: unreadable") && v.stdout.contains("longer than 1 MiB"),
        "{}",
        v.stdout
    );

    // A bundle whose export did not finish is not read at all.
    let ex = Exported::new();
    std::fs::remove_file(ex.bundle().join("SHA256SUMS")).expect("rm");
    let v = ex.verify(&[]);
    assert_eq!(v.code, 2, "{}{}", v.stdout, v.stderr);
    assert!(v.stderr.contains("SHA256SUMS: missing"), "{}", v.stderr);
}

#[test]
fn tampering_with_a_bundle_is_named_at_its_first_seq() {
    type Edit = fn(usize, String) -> Option<String>;
    let cases: [(&str, Edit, &str); 3] = [
        (
            "an edited payload",
            |n, l| {
                // Still a readable event, but no longer the bytes that were hashed.
                Some(if n == 30 {
                    l.replacen(r#""payload":"{"#, r#""payload":"{ "#, 1)
                } else {
                    l
                })
            },
            "BROKEN at seq 30: the record does not hash to its stored hash (edited)",
        ),
        (
            "a deleted event",
            |n, l| (n != 12).then_some(l),
            "BROKEN at seq 12: missing; the next record is seq 13",
        ),
        (
            "a line that is not a record",
            |n, l| Some(if n == 7 { "{\"seq\": 7".to_owned() } else { l }),
            "BROKEN at seq 7: unreadable",
        ),
    ];
    for (what, edit, expect) in cases {
        let ex = Exported::new();
        ex.edit_events(edit);
        let v = ex.verify(&[]);
        assert_eq!(v.code, 1, "{what}: {}{}", v.stdout, v.stderr);
        assert!(v.stdout.contains(expect), "{what}: {}", v.stdout);
    }
}

#[test]
fn two_events_swapped_are_named_at_the_first_out_of_place() {
    let ex = Exported::new();
    let path = ex.bundle().join("events.jsonl");
    let mut lines: Vec<String> = std::fs::read_to_string(&path)
        .expect("read")
        .lines()
        .map(str::to_owned)
        .collect();
    lines.swap(19, 20);
    std::fs::write(&path, lines.join("\n") + "\n").expect("write");
    let v = ex.verify(&[]);
    assert_eq!(v.code, 1, "{}{}", v.stdout, v.stderr);
    assert!(
        v.stdout
            .contains("BROKEN at seq 20: missing; the next record is seq 21"),
        "{}",
        v.stdout
    );
}

#[test]
fn cutting_the_last_events_and_their_checkpoints_is_caught_by_the_manifest() {
    let ex = Exported::new();
    ex.edit_events(|n, l| (n <= 80).then_some(l));
    let cps = ex.bundle().join("checkpoints.jsonl");
    let kept: String = std::fs::read_to_string(&cps)
        .expect("read")
        .lines()
        .take(80)
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&cps, kept).expect("write");
    let v = ex.verify(&[]);
    assert_eq!(v.code, 1, "{}{}", v.stdout, v.stderr);
    assert!(
        v.stdout.contains(
            "BROKEN at seq 81: the bundle does not hold what its manifest says (92 events"
        ),
        "{}",
        v.stdout
    );
}

#[test]
fn export_refuses_a_used_directory_or_an_unknown_production_and_leaves_nothing() {
    let ex = Exported::new();
    let b = ex.bundle().display().to_string();
    let before = std::fs::read_to_string(ex.bundle().join("manifest.json")).expect("manifest");
    let again = setguard(&[
        "export",
        "--db",
        &ex.db,
        "--production",
        "rust",
        "--out",
        &b,
    ]);
    assert_eq!(again.code, 2);
    assert!(again.stderr.contains("is not empty"), "{}", again.stderr);
    assert_eq!(
        std::fs::read_to_string(ex.bundle().join("manifest.json")).expect("manifest"),
        before
    );

    let nowhere = ex.dir.path().join("other");
    let none = setguard(&[
        "export",
        "--db",
        &ex.db,
        "--production",
        "gone",
        "--out",
        &nowhere.display().to_string(),
    ]);
    assert_eq!(none.code, 2);
    assert!(
        none.stderr.contains("holds no production gone"),
        "{}",
        none.stderr
    );
    assert!(
        !nowhere.exists(),
        "a failed export left its directory behind"
    );

    // A mistyped ledger path is an error, not a new empty ledger.
    let typo = ex.dir.path().join("rsut.db");
    let none = setguard(&[
        "export",
        "--db",
        &format!("sqlite:{}", typo.display()),
        "--production",
        "rust",
        "--out",
        &nowhere.display().to_string(),
    ]);
    assert_eq!(none.code, 2);
    assert!(
        none.stderr.contains("there is no such file"),
        "{}",
        none.stderr
    );
    assert!(!typo.exists() && !nowhere.exists());

    let v = setguard(&["verify", "--bundle", &ex.dir.path().display().to_string()]);
    assert_eq!(v.code, 2);
    assert!(v.stderr.contains("manifest.json: missing"), "{}", v.stderr);
}
