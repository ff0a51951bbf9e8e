//! The records rules of the catalogue: `append-only` (as far as the core can show it: the ledger
//! and the API are the callers') and `wrap-inventory`.

mod support;
use support::*;

// ---- append-only (the ledger and every API)

#[test]
fn there_is_no_command_to_edit_or_delete_what_is_recorded() {
    for word in [
        "edit",
        "delete",
        "amend",
        "undo",
        "remove",
        "edit-event",
        "delete-event",
        "remove-event",
        "delete-incident",
        "delete-lot",
        "unregister-item",
        "reopen-incident",
    ] {
        let r: Result<Command, _> = serde_json::from_str(&format!(r#"{{"do":"{word}"}}"#));
        assert!(r.is_err(), "{word} must not be a command");
        assert!(!command::COMMAND_WORDS.contains(&word));
    }
}

#[test]
fn correct_adds_an_event_naming_the_corrected_one_by_its_seq() {
    let mut s = Set::standard();
    s.at("09:00");
    s.ok(Some("armorer"), r#"{"do":"check-out","item":"colt"}"#);
    let checked_out = s.log.len() as u64;
    let before = s.state.clone();
    let past = s.log.clone();
    s.ok(
        Some("armorer"),
        &format!(r#"{{"do":"correct","event":{checked_out},"reason":"it was the replica, not the colt"}}"#),
    );
    // The corrected event stands as it was; the correction follows it, naming it by its seq.
    assert_eq!(&s.log[..past.len()], &past[..]);
    match &s.log[past.len()..] {
        [ev] => {
            assert_eq!(ev.by.as_ref().map(|p| p.as_str()), Some("armorer"));
            match &ev.body {
                EventBody::Corrected { event, reason } => {
                    assert_eq!(*event, checked_out);
                    assert!(reason.contains("replica"));
                }
                other => panic!("expected a correction, got {other:?}"),
            }
        }
        other => panic!("expected one event, got {other:?}"),
    }
    // It changes nothing on set: the colt is still out, with the armorer.
    assert_eq!(s.state.items, before.items);
    assert_eq!(s.state.events, before.events + 1);
}

#[test]
fn a_correction_must_name_an_event_on_record_and_say_what_was_wrong() {
    let mut s = Set::standard();
    s.at("09:00");
    let on_record = s.log.len();
    for (json, kind, says) in [
        (
            format!(
                r#"{{"do":"correct","event":{},"reason":"typo"}}"#,
                on_record + 1
            ),
            InvalidKind::NotFound,
            format!("holds events 1 to {on_record}"),
        ),
        (
            r#"{"do":"correct","event":0,"reason":"typo"}"#.to_owned(),
            InvalidKind::NotFound,
            "event 0 is not on record".to_owned(),
        ),
        (
            r#"{"do":"correct","event":1,"reason":"  "}"#.to_owned(),
            InvalidKind::BadRequest,
            "`reason` is empty".to_owned(),
        ),
    ] {
        match s.run(Some("armorer"), &json) {
            Err(Rejection::Invalid(inv)) => {
                assert_eq!(inv.kind, kind, "{json}");
                assert!(inv.message.contains(&says), "{json}: {}", inv.message);
            }
            other => panic!("{json}: expected invalid, got {other:?}"),
        }
    }
    assert_eq!(s.log.len(), on_record, "nothing recorded");
    // Someone not on the crew list can't add one either.
    assert!(matches!(
        s.run(
            Some("stranger"),
            r#"{"do":"correct","event":1,"reason":"x"}"#
        ),
        Err(Rejection::Invalid(_))
    ));
}

#[test]
fn every_recorded_command_only_appends_to_the_record() {
    let mut s = Set::standard();
    s.at("09:00");
    let mut seen = s.log.clone();
    let steps: &[(&str, &str)] = &[
        (
            "first-ad",
            r#"{"do":"safety-meeting","scenes":["church"],"attendees":["actor","dp","first-ad","armorer"]}"#,
        ),
        ("first-ad", r#"{"do":"call-scene","scene":"church"}"#),
        ("armorer", r#"{"do":"check-out","item":"colt"}"#),
        (
            "armorer",
            r#"{"do":"load","item":"colt","lot":"dummies","rounds":6}"#,
        ),
        (
            "armorer",
            r#"{"do":"inspect","item":"colt","state":"dummies","rounds":6,"lot":"dummies"}"#,
        ),
        ("armorer", r#"{"do":"unload","item":"colt"}"#),
        ("armorer", r#"{"do":"store","item":"colt"}"#),
    ];
    for (by, json) in steps {
        s.ok(Some(by), json);
        assert!(s.log.len() > seen.len(), "{json} recorded something");
        assert_eq!(&s.log[..seen.len()], &seen[..], "{json} changed the past");
        seen = s.log.clone();
        assert_eq!(s.state.events as usize, s.log.len());
    }
}

#[test]
fn a_refused_command_records_nothing_and_changes_nothing() {
    let mut s = Set::standard();
    let events = s.state.events;
    let items = format!("{:?}", s.state.items);
    s.refusal(
        Some("first-ad"),
        r#"{"do":"check-out","item":"colt"}"#,
        "handler-hands-over",
    );
    assert_eq!(s.state.events, events);
    assert_eq!(format!("{:?}", s.state.items), items);
}

#[test]
fn a_correction_is_a_new_event_naming_the_one_it_corrects_and_the_original_stays() {
    let mut s = Set::standard();
    // Training #1 (the actor's) was recorded by the standard set; cancel it.
    s.ok(
        Some("safety"),
        r#"{"do":"cancel-training","training":1,"reason":"recorded for the wrong performer"}"#,
    );
    let recorded = s.log.iter().any(
        |e| matches!(&e.body, EventBody::TrainingRecorded { training, .. } if training.0 == 1),
    );
    let cancelled = s.log.iter().any(
        |e| matches!(&e.body, EventBody::TrainingCancelled { training, .. } if training.0 == 1),
    );
    assert!(recorded && cancelled);
    let t = &s.state.trainings[&TrainingId(1)];
    assert!(t.recorded.is_some() && t.cancelled.is_some());
    // An incident closed stays on record, closed.
    s.ok(
        Some("dp"),
        r#"{"do":"report-incident","kind":"near-miss","summary":"muzzle swept the crew"}"#,
    );
    s.ok(
        Some("safety"),
        r#"{"do":"close-incident","incident":1,"root_cause":"no plan","corrective_action":"plan"}"#,
    );
    assert!(s.state.incidents[&IncidentId(1)].closed.is_some());
    assert_eq!(s.incidents_of("near-miss"), 1);
}

#[test]
fn replaying_the_record_rebuilds_the_same_production() {
    let mut s = Set::standard();
    s.at("09:00");
    s.colt_with_actor();
    s.at("09:10");
    s.ok(Some("first-ad"), r#"{"do":"cut","scene":"church"}"#);
    s.at("09:20");
    // Each event survives its encoding, and applying them again gives the same state.
    let mut replayed = State::new();
    for e in &s.log {
        let json = serde_json::to_string(e).unwrap();
        let back: Event = serde_json::from_str(&json).unwrap();
        assert_eq!(&back, e, "{json}");
        replayed.apply(&back);
    }
    assert_eq!(replayed.events, s.state.events);
    assert_eq!(
        format!("{:?}", replayed.items),
        format!("{:?}", s.state.items)
    );
    assert_eq!(
        format!("{:?}", replayed.lots),
        format!("{:?}", s.state.lots)
    );
    assert_eq!(
        format!("{:?}", replayed.deadlines),
        format!("{:?}", s.state.deadlines)
    );
}

// ---- wrap-inventory (alarm at wrap)

#[test]
fn an_item_not_back_in_storage_at_wrap_raises_wrap_inventory_and_a_missing_item_incident() {
    let mut s = Set::standard();
    s.colt_out();
    let alarms = s.ok(None, r#"{"do":"wrap"}"#);
    assert_eq!(alarms, vec![RuleId::WrapInventory]);
    let m = s.last_alarm_message();
    assert!(m.contains("R-0001") && m.contains("A. Armorer"), "{m}");
    assert_eq!(s.incidents_of("missing-item"), 1);
}

#[test]
fn each_item_missing_at_wrap_raises_its_own_alarm_replicas_included() {
    let mut s = Set::standard();
    s.colt_out();
    s.ok(Some("dp"), r#"{"do":"check-out","item":"replica"}"#);
    s.ok(
        Some("dp"),
        r#"{"do":"set-down","item":"replica","place":"pew"}"#,
    );
    let alarms = s.ok(None, r#"{"do":"wrap"}"#);
    assert_eq!(alarms, vec![RuleId::WrapInventory, RuleId::WrapInventory]);
    assert_eq!(s.incidents_of("missing-item"), 2);
}

#[test]
fn a_wrap_with_every_item_stored_and_every_lot_reconciled_raises_nothing() {
    let mut s = Set::standard();
    s.at("09:00");
    s.colt_with_actor();
    s.at("09:10");
    s.ok(Some("first-ad"), r#"{"do":"cut","scene":"church"}"#);
    s.ok(Some("actor"), &hand("colt", "armorer"));
    s.ok(Some("armorer"), r#"{"do":"unload","item":"colt"}"#);
    s.ok(Some("armorer"), r#"{"do":"store","item":"colt"}"#);
    s.at("18:00");
    s.clean(None, r#"{"do":"wrap"}"#);
    assert_eq!(s.incidents_of("missing-item"), 0);
}

// ---- the catalogue itself

#[test]
fn every_rule_of_the_catalogue_is_exercised_by_a_rule_test() {
    let sources = [
        include_str!("rules_ammunition.rs"),
        include_str!("rules_people.rs"),
        include_str!("rules_custody.rs"),
        include_str!("rules_checks.rs"),
        include_str!("rules_incidents.rs"),
        include_str!("rules_records.rs"),
    ]
    .concat();
    // `append-only` is shown by the tests at the top of this file without naming a refusal:
    // nothing in the core can break it, so nothing refuses under it.
    let untested: Vec<&str> = RULES
        .iter()
        .map(|r| r.id)
        .filter(|id| *id != RuleId::AppendOnly)
        .filter(|id| {
            !sources.contains(&format!("\"{id}\"")) && !sources.contains(&format!("RuleId::{id:?}"))
        })
        .map(RuleId::as_str)
        .collect();
    assert!(
        untested.is_empty(),
        "rules without a rule test: {untested:?}"
    );
    assert_eq!(
        RULES.len(),
        38,
        "37 rules of PROTOCOLS.md and one extension"
    );
}
