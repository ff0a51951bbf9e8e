//! The incident, concern and stop-work rules of the catalogue: each refusing (or raising its
//! alarm) where `PROTOCOLS.md` says, and the nearest correct action let through.

mod support;
use support::*;

const CALL: &str = r#"{"do":"call-scene","scene":"church"}"#;
const INSPECT_DUMMIES: &str =
    r#"{"do":"inspect","item":"colt","state":"dummies","rounds":6,"lot":"dummies"}"#;

/// The church take with blanks, the colt in the actor's hands, at 09:00.
fn colt_with_actor_loaded_with_blanks(s: &mut Set) {
    s.at("09:00");
    s.ready_colt_with_blanks();
    s.clean(Some("armorer"), &hand("colt", "actor"));
}

/// A second firearm scene today with the colt (`saloon`).
fn schedule_saloon(s: &mut Set) {
    s.ok(None, &format!(r#"{{"do":"schedule-scene","id":"saloon","date":"{DAY}","items":["colt"],"performers":["actor"],"roster":["actor","dp"]}}"#));
}

/// A scene today with the replica only (`walk`).
fn schedule_walk(s: &mut Set) {
    s.ok(None, &format!(r#"{{"do":"schedule-scene","id":"walk","date":"{DAY}","items":["replica"],"performers":["actor"],"roster":["actor","dp"]}}"#));
}

// ---- incident-quarantines (alarm at discharge, report-incident; refuses check-out, load,
// inspect, hand-over to a performer)

#[test]
fn an_intended_discharge_of_blanks_in_a_called_scene_raises_nothing() {
    let mut s = Set::standard();
    colt_with_actor_loaded_with_blanks(&mut s);
    s.clean(
        Some("actor"),
        r#"{"do":"discharge","item":"colt","rounds":2}"#,
    );
    assert_eq!(s.incidents_of("unexpected-discharge"), 0);
}

#[test]
fn a_discharge_that_was_not_intended_raises_incident_quarantines_and_quarantines_the_item() {
    let mut s = Set::standard();
    colt_with_actor_loaded_with_blanks(&mut s);
    let alarms = s.ok(
        Some("actor"),
        r#"{"do":"discharge","item":"colt","intended":false}"#,
    );
    assert_eq!(alarms, vec![RuleId::IncidentQuarantines]);
    assert!(s.last_alarm_message().contains("R-0001"));
    assert_eq!(s.incidents_of("unexpected-discharge"), 1);
    // The item may go back to a handler and into storage, and nowhere else.
    s.clean(Some("actor"), &hand("colt", "armorer"));
    s.clean(Some("armorer"), r#"{"do":"unload","item":"colt"}"#);
    s.clean(Some("armorer"), r#"{"do":"store","item":"colt"}"#);
    s.refused_only(
        Some("armorer"),
        r#"{"do":"check-out","item":"colt"}"#,
        &["incident-quarantines"],
    );
}

#[test]
fn a_discharge_outside_a_called_scene_is_unexpected() {
    let mut s = Set::standard();
    colt_with_actor_loaded_with_blanks(&mut s);
    s.ok(Some("first-ad"), r#"{"do":"cut","scene":"church"}"#);
    let alarms = s.ok(Some("actor"), r#"{"do":"discharge","item":"colt"}"#);
    assert_eq!(alarms, vec![RuleId::IncidentQuarantines]);
}

#[test]
fn a_discharge_during_a_break_is_unexpected() {
    let mut s = Set::standard();
    colt_with_actor_loaded_with_blanks(&mut s);
    s.ok(Some("first-ad"), r#"{"do":"break","kind":"lunch"}"#);
    let alarms = s.ok(Some("actor"), r#"{"do":"discharge","item":"colt"}"#);
    assert_eq!(alarms, vec![RuleId::IncidentQuarantines]);
    assert!(s.last_alarm_message().contains("lunch"));
}

#[test]
fn a_discharge_from_an_item_inspected_with_dummies_is_unexpected() {
    let mut s = Set::standard();
    s.at("09:00");
    s.colt_with_actor();
    let alarms = s.ok(Some("actor"), r#"{"do":"discharge","item":"colt"}"#);
    assert_eq!(alarms, vec![RuleId::IncidentQuarantines]);
    assert!(s.last_alarm_message().contains("dummies"));
}

#[test]
fn a_discharge_from_an_item_the_record_shows_without_blanks_is_unexpected() {
    let mut s = Set::standard();
    s.ok(Some("first-ad"), CALL);
    s.colt_out();
    let alarms = s.ok(Some("armorer"), r#"{"do":"discharge","item":"colt"}"#);
    assert_eq!(alarms, vec![RuleId::IncidentQuarantines]);
    assert!(s.last_alarm_message().contains("no blanks"));
}

#[test]
fn a_reported_misfire_squib_pyro_mishap_or_unexpected_discharge_raises_incident_quarantines() {
    for kind in ["misfire", "squib", "pyro-mishap", "unexpected-discharge"] {
        let mut s = Set::standard();
        let alarms = s.ok(
            Some("armorer"),
            &format!(
                r#"{{"do":"report-incident","kind":"{kind}","items":["colt"],"lots":["blanks"]}}"#
            ),
        );
        assert_eq!(alarms, vec![RuleId::IncidentQuarantines], "{kind}");
    }
}

#[test]
fn an_injury_near_miss_or_missing_item_raises_no_alarm_at_once() {
    for kind in ["injury", "near-miss", "missing-item"] {
        let mut s = Set::standard();
        s.clean(
            Some("dp"),
            &format!(r#"{{"do":"report-incident","kind":"{kind}","summary":"reported"}}"#),
        );
        s.clean(Some("armorer"), r#"{"do":"check-out","item":"colt"}"#);
    }
}

#[test]
fn a_quarantined_item_is_refused_at_check_out_until_the_incident_is_closed() {
    let mut s = Set::standard();
    s.ok(
        Some("armorer"),
        r#"{"do":"report-incident","kind":"misfire","items":["colt"],"summary":"click, no bang"}"#,
    );
    let out = r#"{"do":"check-out","item":"colt"}"#;
    let vs = s.refused_only(Some("armorer"), out, &["incident-quarantines"]);
    assert!(Set::message_of(&vs, "incident-quarantines").contains("R-0001"));
    s.clean(
        Some("safety"),
        r#"{"do":"close-incident","incident":1,"root_cause":"worn firing pin","corrective_action":"pin replaced and test-fired off set"}"#,
    );
    s.clean(Some("armorer"), out);
}

#[test]
fn a_quarantined_item_is_refused_at_load_inspect_and_hand_over_to_a_performer() {
    let mut s = Set::standard();
    s.at("09:00");
    s.ready_colt_with_dummies();
    s.ok(
        Some("dp"),
        r#"{"do":"report-incident","kind":"misfire","items":["colt"],"summary":"a click on the last take"}"#,
    );
    s.refused_only(
        Some("armorer"),
        &hand("colt", "actor"),
        &["incident-quarantines"],
    );
    s.refused_only(
        Some("armorer"),
        r#"{"do":"load","item":"colt","lot":"dummies","rounds":1}"#,
        &["incident-quarantines"],
    );
    s.refused_only(Some("armorer"), INSPECT_DUMMIES, &["incident-quarantines"]);
    // Back into storage is always allowed.
    s.clean(Some("armorer"), r#"{"do":"unload","item":"colt"}"#);
    s.clean(Some("armorer"), r#"{"do":"store","item":"colt"}"#);
}

#[test]
fn a_quarantined_lot_is_refused_at_load() {
    let mut s = Set::standard();
    s.ok(
        Some("armorer"),
        r#"{"do":"report-incident","kind":"squib","lots":["blanks"],"summary":"a weak blank"}"#,
    );
    s.ok(Some("first-ad"), CALL);
    s.colt_out();
    let vs = s.refused_only(
        Some("armorer"),
        r#"{"do":"load","item":"colt","lot":"blanks","rounds":2}"#,
        &["incident-quarantines"],
    );
    assert!(Set::message_of(&vs, "incident-quarantines").contains("blanks"));
    s.clean(
        Some("armorer"),
        r#"{"do":"load","item":"colt","lot":"dummies","rounds":6}"#,
    );
}

// ---- live-round-stops-all (alarm at report-incident, verify-lot; refuses check-out, load,
// hand-over to a performer, call-scene of a firearm scene)

const LIVE_ROUND: &str = r#"{"do":"report-incident","kind":"live-round-found","summary":"a live round in the dummy box"}"#;

#[test]
fn reporting_a_live_round_raises_live_round_stops_all() {
    let mut s = Set::standard();
    assert_eq!(
        s.ok(Some("dp"), LIVE_ROUND),
        vec![RuleId::LiveRoundStopsAll]
    );
}

#[test]
fn a_blank_that_fails_verification_raises_live_round_stops_all() {
    let mut s = Set::standard();
    s.ok(
        None,
        r#"{"do":"register-lot","id":"more-blanks","ammo":"blank","calibre":".45 Colt","rounds":10}"#,
    );
    let alarms = s.ok(
        Some("armorer"),
        r#"{"do":"verify-lot","lot":"more-blanks","counted":10,"failed":1}"#,
    );
    assert_eq!(alarms, vec![RuleId::LiveRoundStopsAll]);
    assert_eq!(s.incidents_of("live-round-found"), 1);
}

#[test]
fn a_live_round_stops_check_out_load_hand_over_and_calling_a_firearm_scene() {
    let mut s = Set::standard();
    s.revolver("colt2", "R-0002");
    schedule_saloon(&mut s);
    schedule_walk(&mut s);
    s.at("09:00");
    s.ready_colt_with_dummies();
    s.ok(Some("dp"), LIVE_ROUND);
    s.refused_only(
        Some("armorer"),
        &hand("colt", "actor"),
        &["live-round-stops-all"],
    );
    s.refusal(
        Some("armorer"),
        r#"{"do":"load","item":"colt","lot":"dummies","rounds":1}"#,
        "live-round-stops-all",
    );
    s.refused_only(
        Some("armorer"),
        r#"{"do":"check-out","item":"colt2"}"#,
        &["live-round-stops-all"],
    );
    s.refused_only(
        Some("first-ad"),
        r#"{"do":"call-scene","scene":"saloon"}"#,
        &["live-round-stops-all"],
    );
    // Work without firearms goes on.
    s.clean(Some("armorer"), r#"{"do":"check-out","item":"replica"}"#);
    s.clean(Some("first-ad"), r#"{"do":"call-scene","scene":"walk"}"#);
}

#[test]
fn firearm_work_resumes_only_when_the_incident_is_closed_and_every_lot_is_verified_again() {
    let mut s = Set::standard();
    s.ok(Some("dp"), LIVE_ROUND);
    s.ok(
        Some("safety"),
        r#"{"do":"close-incident","incident":1,"root_cause":"live rounds stored with dummies","corrective_action":"live ammunition banned from the truck"}"#,
    );
    let out = r#"{"do":"check-out","item":"colt"}"#;
    let vs = s.refused_only(Some("armorer"), out, &["live-round-stops-all"]);
    assert!(Set::message_of(&vs, "live-round-stops-all").contains("verified again"));
    s.ok(
        Some("armorer"),
        r#"{"do":"verify-lot","lot":"dummies","counted":50}"#,
    );
    s.refused_only(Some("armorer"), out, &["live-round-stops-all"]);
    s.ok(
        Some("armorer"),
        r#"{"do":"verify-lot","lot":"blanks","counted":20}"#,
    );
    s.clean(Some("armorer"), out);
}

// ---- incident-closed-properly (close-incident; alarm as time passes)

const NEAR_MISS: &str =
    r#"{"do":"report-incident","kind":"near-miss","summary":"muzzle swept the crew"}"#;
const CLOSE_1: &str = r#"{"do":"close-incident","incident":1,"root_cause":"no line-of-fire plan","corrective_action":"plan and shields for every scene pointing at people"}"#;

#[test]
fn only_a_safety_supervisor_closes_an_incident_with_root_cause_and_corrective_action() {
    let mut s = Set::standard();
    s.ok(Some("dp"), NEAR_MISS);
    let vs = s.refused_only(Some("first-ad"), CLOSE_1, &["incident-closed-properly"]);
    assert!(Set::message_of(&vs, "incident-closed-properly").contains("F. AD"));
    s.refused_only(
        Some("safety"),
        r#"{"do":"close-incident","incident":1,"corrective_action":"retrain"}"#,
        &["incident-closed-properly"],
    );
    s.refused_only(
        Some("safety"),
        r#"{"do":"close-incident","incident":1,"root_cause":"carelessness"}"#,
        &["incident-closed-properly"],
    );
    s.clean(Some("safety"), CLOSE_1);
}

#[test]
fn a_safety_supervisor_who_reported_the_incident_can_not_close_it() {
    let mut s = Set::standard();
    s.person("safety2", "T. Second", &["safety-supervisor"]);
    s.ok(Some("safety"), NEAR_MISS);
    let vs = s.refused_only(Some("safety"), CLOSE_1, &["incident-closed-properly"]);
    assert!(Set::message_of(&vs, "incident-closed-properly").contains("involved"));
    s.clean(Some("safety2"), CLOSE_1);
}

#[test]
fn a_safety_supervisor_who_held_the_item_can_not_close_the_incident() {
    let mut s = Set::standard();
    s.person("safety2", "T. Second", &["safety-supervisor"]);
    s.ok(Some("safety"), r#"{"do":"check-out","item":"replica"}"#);
    s.ok(
        Some("dp"),
        r#"{"do":"report-incident","kind":"pyro-mishap","items":["replica"],"summary":"flash pot too close"}"#,
    );
    s.refused_only(Some("safety"), CLOSE_1, &["incident-closed-properly"]);
    s.clean(Some("safety2"), CLOSE_1);
}

#[test]
fn an_incident_open_past_24_hours_escalates_once() {
    let mut s = Set::standard();
    s.at("09:00");
    s.ok(Some("dp"), NEAR_MISS);
    assert!(s.at_on(NEXT_DAY, "08:59").is_empty());
    assert_eq!(
        s.at_on(NEXT_DAY, "09:01"),
        vec![RuleId::IncidentClosedProperly]
    );
    assert!(s.last_alarm_message().contains("incident #1"));
    assert!(s.at_on(NEXT_DAY, "12:00").is_empty(), "raised once");
}

#[test]
fn an_incident_closed_within_24_hours_does_not_escalate() {
    let mut s = Set::standard();
    s.at("09:00");
    s.ok(Some("dp"), NEAR_MISS);
    s.at("17:00");
    s.clean(Some("safety"), CLOSE_1);
    assert!(s.at_on(NEXT_DAY, "12:00").is_empty());
}

// ---- concern-answered (respond-concern; alarm as time passes)

const CONCERN: &str = r#"{"do":"raise-concern","text":"the cart is left open at lunch"}"#;
const ANSWER_1: &str =
    r#"{"do":"respond-concern","concern":1,"response":"the cart is locked from today"}"#;

#[test]
fn only_the_safety_supervisor_or_the_compliance_contact_answers_a_concern() {
    let mut s = Set::standard();
    s.ok(Some("dp"), CONCERN);
    for by in ["first-ad", "producer", "armorer"] {
        let vs = s.refused_only(Some(by), ANSWER_1, &["concern-answered"]);
        assert!(!Set::message_of(&vs, "concern-answered").is_empty());
    }
    s.clean(Some("safety"), ANSWER_1);
    // A compliance contact who is not the safety supervisor answers too.
    s.ok(
        None,
        r#"{"do":"name-compliance-contact","person":"producer"}"#,
    );
    s.ok(Some("dp"), CONCERN);
    s.clean(
        Some("producer"),
        r#"{"do":"respond-concern","concern":2,"response":"noted and fixed"}"#,
    );
}

#[test]
fn an_unanswered_concern_escalates_after_24_hours_once() {
    let mut s = Set::standard();
    s.at("09:00");
    s.ok(Some("dp"), CONCERN);
    assert!(s.at("20:00").is_empty());
    assert_eq!(s.at_on(NEXT_DAY, "09:01"), vec![RuleId::ConcernAnswered]);
    assert!(s.at_on(NEXT_DAY, "12:00").is_empty(), "raised once");
}

#[test]
fn an_urgent_concern_escalates_after_one_hour() {
    let mut s = Set::standard();
    s.at("09:00");
    s.ok(
        Some("dp"),
        r#"{"do":"raise-concern","text":"two misfires this morning","urgent":true}"#,
    );
    assert!(s.at("09:59").is_empty());
    assert_eq!(s.at("10:01"), vec![RuleId::ConcernAnswered]);
}

#[test]
fn a_concern_answered_in_time_does_not_escalate() {
    let mut s = Set::standard();
    s.at("09:00");
    s.ok(
        Some("dp"),
        r#"{"do":"raise-concern","text":"two misfires this morning","urgent":true}"#,
    );
    s.at("09:30");
    s.clean(Some("safety"), ANSWER_1);
    assert!(s.at_on(NEXT_DAY, "12:00").is_empty());
}

#[test]
fn an_anonymous_concern_never_identifies_its_sender() {
    let mut s = Set::standard();
    s.at("09:00");
    let before = s.log.len();
    s.ok(
        Some("dp"),
        r#"{"do":"raise-concern","text":"the armorer is also doing props","urgent":true,"anonymous":true}"#,
    );
    assert_eq!(s.at("10:01"), vec![RuleId::ConcernAnswered]);
    let after = &s.log[before..];
    assert_eq!(after.len(), 2);
    for e in after {
        assert_eq!(e.by, None, "{e:?}");
        let json = serde_json::to_string(e).unwrap();
        assert!(
            !json.contains("\"dp\"") && !json.contains("Photography"),
            "{json}"
        );
    }
    // Raised with no sender at all, it is recorded just the same.
    s.clean(
        None,
        r#"{"do":"raise-concern","text":"nobody checks the blanks","anonymous":true}"#,
    );
}

// ---- walkout-escalates (alarm at resign, walkout; refuses call-scene of a firearm scene)

#[test]
fn a_resignation_over_safety_escalates_and_blocks_firearm_scenes_until_work_resumes() {
    let mut s = Set::standard();
    schedule_walk(&mut s);
    let alarms = s.ok(
        Some("dp"),
        r#"{"do":"resign","reason":"two misfires, nobody investigates"}"#,
    );
    assert_eq!(alarms, vec![RuleId::WalkoutEscalates]);
    assert!(s.last_alarm_message().contains("D. Photography"));
    let vs = s.refused_only(Some("first-ad"), CALL, &["walkout-escalates"]);
    assert!(Set::message_of(&vs, "walkout-escalates").contains("misfires"));
    // A scene without firearms may still be called.
    s.clean(Some("first-ad"), r#"{"do":"call-scene","scene":"walk"}"#);
    s.clean(
        Some("safety"),
        r#"{"do":"resume-work","reason":"misfires investigated; new armorer on set"}"#,
    );
    s.clean(Some("first-ad"), CALL);
}

#[test]
fn a_walkout_escalates_and_blocks_firearm_scenes_until_the_safety_supervisor_resumes_work() {
    let mut s = Set::standard();
    let alarms = s.ok(
        Some("first-ad"),
        r#"{"do":"walkout","people":["dp"],"reason":"unsafe gun handling"}"#,
    );
    assert_eq!(alarms, vec![RuleId::WalkoutEscalates]);
    assert!(s.last_alarm_message().contains("D. Photography"));
    s.refused_only(Some("first-ad"), CALL, &["walkout-escalates"]);
    s.refused_only(
        Some("first-ad"),
        r#"{"do":"resume-work","reason":"they can be replaced"}"#,
        &["stop-work"],
    );
    s.clean(
        Some("safety"),
        r#"{"do":"resume-work","reason":"camera crew's concerns answered"}"#,
    );
    s.clean(Some("first-ad"), CALL);
}

// ---- stop-work (resume-work; refuses check-out, load, hand-over to a performer, call-scene
// of a firearm scene)

#[test]
fn anyone_may_stop_work_and_then_no_check_out_load_hand_over_or_firearm_scene_goes_ahead() {
    let mut s = Set::standard();
    s.revolver("colt2", "R-0002");
    schedule_saloon(&mut s);
    schedule_walk(&mut s);
    s.at("09:00");
    s.ready_colt_with_dummies();
    s.clean(
        Some("dp"),
        r#"{"do":"stop-work","reason":"smoke in the church"}"#,
    );
    let vs = s.refused_only(Some("armorer"), &hand("colt", "actor"), &["stop-work"]);
    let m = Set::message_of(&vs, "stop-work");
    assert!(m.contains("D. Photography") && m.contains("smoke"), "{m}");
    s.refused_only(
        Some("armorer"),
        r#"{"do":"load","item":"colt","lot":"dummies","rounds":1}"#,
        &["stop-work"],
    );
    s.refused_only(
        Some("armorer"),
        r#"{"do":"check-out","item":"colt2"}"#,
        &["stop-work"],
    );
    s.refused_only(
        Some("first-ad"),
        r#"{"do":"call-scene","scene":"saloon"}"#,
        &["stop-work"],
    );
    // Making things safe goes on: unload and store.
    s.clean(Some("armorer"), r#"{"do":"unload","item":"colt"}"#);
    s.clean(Some("armorer"), r#"{"do":"store","item":"colt"}"#);
    // A scene with no firearm may still be called.
    s.clean(Some("first-ad"), r#"{"do":"call-scene","scene":"walk"}"#);
}

#[test]
fn only_the_safety_supervisor_resumes_work_and_only_with_a_reason() {
    let mut s = Set::standard();
    s.ok(
        Some("actor"),
        r#"{"do":"stop-work","reason":"I don't feel safe"}"#,
    );
    s.refused_only(
        Some("first-ad"),
        r#"{"do":"resume-work","reason":"we are losing light"}"#,
        &["stop-work"],
    );
    s.refused_only(Some("safety"), r#"{"do":"resume-work"}"#, &["stop-work"]);
    s.refused_only(
        Some("armorer"),
        r#"{"do":"check-out","item":"colt"}"#,
        &["stop-work"],
    );
    s.clean(
        Some("safety"),
        r#"{"do":"resume-work","reason":"talked it through with the actor; re-briefed"}"#,
    );
    s.clean(Some("armorer"), r#"{"do":"check-out","item":"colt"}"#);
}

#[test]
fn while_work_is_stopped_no_item_is_handed_to_a_performer_not_even_a_replica() {
    // PROTOCOLS.md: "while stopped, no check-out, load, hand-over to a performer ..."; the core
    // refuses the replica's check-out while stopped, and must refuse its hand-over as well.
    let mut s = Set::standard();
    s.ok(Some("armorer"), r#"{"do":"check-out","item":"replica"}"#);
    s.ok(
        Some("dp"),
        r#"{"do":"stop-work","reason":"smoke in the church"}"#,
    );
    s.refused_only(
        Some("armorer"),
        r#"{"do":"check-out","item":"colt"}"#,
        &["stop-work"],
    );
    s.refused_only(Some("armorer"), &hand("replica", "actor"), &["stop-work"]);
}
