//! `replay --db` records a scenario in a real ledger, and `verify --db` checks it.

mod common;

use common::setguard;

const RUST: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../scenarios/rust-2021.toml"
);

#[test]
fn a_replay_recorded_in_a_ledger_verifies_and_cannot_be_recorded_twice() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite:{}", dir.path().join("rust.db").display());
    let data = dir.path().join("data").display().to_string();

    let run = setguard(&["replay", "--db", &db, "--data-dir", &data, RUST]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("0 mismatches"), "{}", run.stdout);

    let v = setguard(&["verify", "--db", &db, "--data-dir", &data]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    assert!(v.stdout.starts_with("rust: ok, "), "{}", v.stdout);
    assert!(!v.stdout.contains("note: no node key"), "{}", v.stdout);

    // The same production again would record it twice: refused, nothing written.
    let again = setguard(&["replay", "--db", &db, "--data-dir", &data, RUST]);
    assert_eq!(again.code, 2);
    assert!(
        again.stderr.contains("already holds production rust"),
        "{}",
        again.stderr
    );
    let v2 = setguard(&["verify", "--db", &db, "--data-dir", &data]);
    assert_eq!(v.stdout, v2.stdout);
}

#[test]
fn verify_refuses_what_is_not_a_ledger_with_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, "not a database").expect("write");
    let v = setguard(&["verify", "--db", &format!("sqlite:{}", junk.display())]);
    assert_eq!(v.code, 2);
    assert!(
        v.stderr.contains("is not a setguard ledger"),
        "{}",
        v.stderr
    );

    let bad = setguard(&["verify", "--db", "mysql://localhost/x"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("not a ledger URL"), "{}", bad.stderr);
}
