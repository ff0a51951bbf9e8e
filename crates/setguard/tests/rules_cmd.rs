//! `setguard rules` lists the whole catalogue of PROTOCOLS.md.

mod common;
use common::setguard;

/// The 37 rule ids of PROTOCOLS.md (a contract: never renamed).
const PROTOCOL_IDS: &[&str] = &[
    "no-live-ammo",
    "lot-verified",
    "dummy-inert",
    "blank-matched",
    "load-when-called",
    "ammo-reconciled",
    "handler-qualified",
    "near-fire-trained",
    "performer-trained",
    "specialist-decides-training",
    "armorer-sole-duty",
    "enough-handlers",
    "compliance-contact",
    "red-flag-acknowledged",
    "custody-known",
    "handler-hands-over",
    "never-unattended",
    "return-after-cut",
    "production-items-only",
    "scene-planned",
    "checked-before-handover",
    "check-lapses",
    "second-check",
    "cold-is-verified",
    "hot-announced",
    "meeting-first",
    "replica-rehearsal",
    "line-of-fire",
    "no-live-fire-policy",
    "incident-quarantines",
    "live-round-stops-all",
    "incident-closed-properly",
    "concern-answered",
    "walkout-escalates",
    "stop-work",
    "append-only",
    "wrap-inventory",
];

#[test]
fn text_lists_every_rule_id_at_the_start_of_a_line() {
    let run = setguard(&["rules"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(PROTOCOL_IDS.len(), 37);
    for id in PROTOCOL_IDS {
        let head = format!("{id}  (");
        assert!(
            run.stdout.lines().any(|l| l.starts_with(&head)),
            "{id} missing from `setguard rules`"
        );
    }
    assert!(run.stdout.contains("checked at: load, inspect"));
    assert!(run.stdout.contains("source: "));
    assert!(
        run.stdout.lines().all(|l| l.chars().count() <= 100
            || l.contains("source:")
            || l.contains("checked at:"))
    );
}

#[test]
fn json_parses_and_has_every_rule_with_its_fields() {
    let run = setguard(&["rules", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("not JSON: {e}"));
    let rules = v.as_array().unwrap_or_else(|| panic!("not an array: {v}"));
    let ids: Vec<&str> = rules.iter().filter_map(|r| r["id"].as_str()).collect();
    for id in PROTOCOL_IDS {
        assert!(ids.contains(id), "{id} missing from rules --json");
    }
    for r in rules {
        for field in ["sentence", "checked_at", "source", "policies"] {
            assert!(r[field].is_string(), "{field} missing in {r}");
        }
    }
    let policy = |id: &str| {
        rules
            .iter()
            .find(|r| r["id"] == id)
            .map(|r| r["policies"].as_str().unwrap_or("").to_owned())
    };
    assert_eq!(policy("near-fire-trained").as_deref(), Some("california"));
    assert_eq!(
        policy("no-live-fire-policy").as_deref(),
        Some("no-live-fire")
    );
    assert_eq!(policy("lot-verified").as_deref(), Some("all"));
}

#[test]
fn help_says_what_replay_does_its_exit_codes_and_an_example() {
    let run = setguard(&["replay", "--help"]);
    assert_eq!(run.code, 0);
    for want in [
        "Exit codes",
        "0  every step",
        "1  at least one",
        "2  a file",
        "Example",
        "setguard replay",
    ] {
        assert!(
            run.stdout.contains(want),
            "{want:?} not in replay --help:\n{}",
            run.stdout
        );
    }
    let top = setguard(&["--help"]);
    assert!(top.stdout.contains("replay") && top.stdout.contains("rules"));
    let rules = setguard(&["rules", "--help"]);
    assert!(rules.stdout.contains("Example"));
}
