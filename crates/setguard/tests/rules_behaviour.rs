//! Replays whose outcome depends on what the core's rules decide: they fail while `decide` and
//! `tick` are stubs, and pass once the rules of PROTOCOLS.md are in.

mod common;
use common::*;

/// A load from an unverified lot is refused (`lot-verified`); a misfire raises
/// `incident-quarantines` and is closed through its ref; an urgent anonymous concern not answered
/// within an hour escalates (`concern-answered`) and is answered through its ref.
const DAY: &str = r#"
[[step]]
at = "2021-10-21T09:05"
by = "producer"
do = "name-compliance-contact"
person = "safety"

[[step]]
at = "2021-10-21T09:10"
by = "armorer"
do = "check-out"
item = "colt"

[[step]]
at = "2021-10-21T09:15"
by = "armorer"
do = "load"
item = "colt"
lot = "dummies-old"
rounds = 6
expect = "refused"
rule = "lot-verified"

[[step]]
at = "2021-10-21T09:20"
by = "actor"
do = "report-incident"
kind = "misfire"
items = ["colt"]
ref = "m1"
alarms = ["incident-quarantines"]

[[step]]
at = "2021-10-21T09:30"
by = "safety"
do = "close-incident"
incident = "m1"
root_cause = "a dummy stuck"
corrective_action = "cleaned and re-inspected"

[[step]]
at = "2021-10-21T09:40"
by = "actor"
do = "raise-concern"
text = "the dummies rattle oddly"
anonymous = true
urgent = true
ref = "c1"

[[step]]
at = "2021-10-21T11:00"
do = "advance"
alarms = ["concern-answered"]

[[step]]
at = "2021-10-21T11:05"
by = "safety"
do = "respond-concern"
concern = "c1"
response = "checked them all"
"#;

#[test]
fn a_day_with_refusals_alarms_and_refs_meets_every_expectation() {
    let (run, _f) = replay("day", &scenario(DAY), &[]);
    assert_eq!(
        run.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert!(run.stdout.contains("lot-verified: "), "{}", run.stdout);
    assert!(run.stdout.contains("ALARM incident-quarantines"));
    assert!(run.stdout.contains("ALARM concern-answered"));
}

#[test]
fn an_anonymous_concern_never_shows_who_raised_it() {
    let (run, _f) = replay("anon", &scenario(DAY), &["--json"]);
    let v: serde_json::Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("not JSON: {e}"));
    let steps = v["files"][0]["steps"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let concern = steps
        .iter()
        .find(|s| s["do"] == "raise-concern")
        .unwrap_or_else(|| panic!("no raise-concern step"));
    assert!(concern["by"].is_null(), "{concern}");
}

#[test]
fn a_load_from_an_unverified_lot_expected_ok_is_a_mismatch() {
    let steps = r#"
[[step]]
at = "2021-10-21T09:05"
by = "producer"
do = "name-compliance-contact"
person = "safety"

[[step]]
at = "2021-10-21T09:10"
by = "armorer"
do = "check-out"
item = "colt"

[[step]]
at = "2021-10-21T09:15"
by = "armorer"
do = "load"
item = "colt"
lot = "dummies-old"
rounds = 6
"#;
    let text = scenario(steps);
    let (run, f) = replay("unverified", &text, &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let line = line_of(&text, "do = \"load\"") - 3;
    let want = format!(
        "{}:{line}: load colt 6 from dummies-old: expected ok, got refused by",
        f.name()
    );
    assert!(
        run.stdout.contains(&want),
        "{want:?} not in\n{}",
        run.stdout
    );
    assert!(run.stdout.contains("lot-verified"));
}

#[test]
fn a_refused_set_up_table_is_a_mismatch_at_its_line() {
    // A first AD with a prior incident and no producer's acknowledgement: red-flag-acknowledged.
    let text = SETUP.replace(
        "[[item]]",
        "[[person]]\nid = \"first-ad\"\nname = \"D. Halls\"\nroles = [\"first-ad\"]\nprior_incidents = [\"a gun went off on a previous set\"]\n\n[[item]]",
    ) + "\n[[step]]\nat = \"2021-10-21T09:00\"\ndo = \"advance\"\n";
    let (run, f) = replay("redflag", &text, &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let line = line_of(&text, "roles = [\"first-ad\"]");
    let want = format!(
        "{}:{line}: [[person]] first-ad: role first-ad: expected ok, got refused by red-flag-acknowledged",
        f.name()
    );
    assert!(
        run.stdout.contains(&want),
        "{want:?} not in\n{}",
        run.stdout
    );
}

#[test]
fn check_out_before_a_compliance_contact_is_refused() {
    let steps = "[[step]]\nat = \"2021-10-21T09:10\"\nby = \"armorer\"\ndo = \"check-out\"\nitem = \"colt\"\nexpect = \"refused\"\nrule = \"compliance-contact\"\n";
    let (run, _f) = replay("contact", &scenario(steps), &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
}

#[test]
fn a_ref_on_a_step_that_creates_nothing_is_a_mismatch() {
    let steps = "[[step]]\nat = \"2021-10-21T09:10\"\ndo = \"advance\"\nref = \"x\"\n";
    let (run, _f) = replay("emptyref", &scenario(steps), &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout.contains("ref `x`: the step created no incident"),
        "{}",
        run.stdout
    );
}
