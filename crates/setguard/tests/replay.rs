//! `setguard replay` on files it can read: exit codes, determinism, JSON. These tests do not
//! depend on what the rules decide (they use steps every policy records).

mod common;
use common::*;

const QUIET: &str = r#"
[[step]]
at = "2021-10-21T09:00"
do = "advance"

[[step]]
at = "2021-10-21T10:00"
do = "advance"

[[step]]
at = "2021-10-22T08:00"
do = "advance"
"#;

#[test]
fn a_valid_scenario_exits_0_and_prints_the_same_twice() {
    let text = scenario(QUIET);
    let (a, f) = replay("quiet", &text, &[]);
    assert_eq!(a.code, 0, "stdout:\n{}\nstderr:\n{}", a.stdout, a.stderr);
    let b = setguard(&["replay", &f.name()]);
    assert_eq!(a.stdout, b.stdout);
    assert!(
        a.stdout
            .contains("Rust (rust), policy standard, timezone America/Denver")
    );
    assert!(a.stdout.contains("-- 2021-10-21"));
    assert!(a.stdout.contains("-- 2021-10-22"));
    assert!(a.stdout.contains("09:00"));
    assert!(
        a.stdout
            .contains("3 steps, 3 recorded, 0 refused, 0 alarms, 0 mismatches")
    );
}

#[test]
fn json_is_the_same_twice_and_has_every_step() {
    let text = scenario(QUIET);
    let (a, f) = replay("quietjson", &text, &["--json"]);
    assert_eq!(a.code, 0, "{}", a.stderr);
    let b = setguard(&["replay", "--json", &f.name()]);
    assert_eq!(a.stdout, b.stdout);
    let v: serde_json::Value =
        serde_json::from_str(&a.stdout).unwrap_or_else(|e| panic!("not JSON: {e}"));
    assert_eq!(v["ok"], true);
    let file = &v["files"][0];
    assert_eq!(file["production"]["id"], "rust");
    let steps = file["steps"].as_array().map_or(0, Vec::len);
    assert_eq!(steps, 3);
    let s = &file["steps"][0];
    for key in [
        "line",
        "at",
        "by",
        "do",
        "outcome",
        "violations",
        "alarms",
        "mismatches",
        "notices",
    ] {
        assert!(s.get(key).is_some(), "{key} missing in {s}");
    }
    assert_eq!(s["do"], "advance");
    assert_eq!(s["outcome"], "ok");
}

#[test]
fn a_wrong_expectation_exits_1_and_lists_the_mismatch_with_its_line() {
    let steps = r#"
[[step]]
at = "2021-10-21T09:00"
do = "advance"
expect = "refused"

[[step]]
at = "2021-10-21T09:10"
do = "advance"
alarms = ["never-unattended"]
"#;
    let text = scenario(steps);
    let (run, f) = replay("wrong", &text, &[]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let first = text.matches('\n').count() - steps.matches('\n').count() + 2;
    let want = format!("{}:{first}: advance: expected refused, got ok", f.name());
    assert!(
        run.stdout.contains(&want),
        "{want:?} not in\n{}",
        run.stdout
    );
    assert!(run.stdout.contains("MISMATCH: expected refused, got ok"));
    assert!(
        run.stdout
            .contains("alarm never-unattended is listed in `alarms` but was not raised"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("2 mismatches"));
}

#[test]
fn an_unreadable_file_among_good_ones_exits_2_and_the_good_ones_are_replayed() {
    let good = TempFile::new("good", &scenario(QUIET));
    let bad = TempFile::new("bad", "[production\n");
    let run = setguard(&["replay", &good.name(), &bad.name()]);
    assert_eq!(run.code, 2);
    assert!(run.stdout.contains("3 steps"), "{}", run.stdout);
    assert!(
        run.stderr.starts_with(&format!("{}:1:", bad.name())),
        "{}",
        run.stderr
    );
}

#[test]
fn times_may_be_written_as_toml_datetimes() {
    let text = scenario("[[step]]\nat = 2021-10-21T09:00:00\ndo = \"advance\"\n");
    let (run, _f) = replay("datetime", &text, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}
