//! The custody rules of the catalogue: each refusing (or raising its alarm) where `PROTOCOLS.md`
//! says, and the nearest correct action let through.

mod support;
use support::*;

// ---- custody-known (hand-over, set-down, load, unload, store; and inspect, check-out, pick-up)

#[test]
fn handing_over_an_item_one_does_not_hold_is_refused_and_the_holder_may() {
    let mut s = Set::standard();
    let vs = s.refusal(Some("armorer"), &hand("colt", "actor"), "custody-known");
    let m = Set::message_of(&vs, "custody-known");
    assert!(m.contains("R-0001") && m.contains("in storage"), "{m}");
    s.at("09:00");
    s.colt_with_actor();
    // The actor holds it: the armorer can't pass it on.
    let vs = s.refusal(Some("armorer"), &hand("colt", "dp"), "custody-known");
    assert!(Set::message_of(&vs, "custody-known").contains("A. Actor"));
    s.clean(Some("actor"), &hand("colt", "armorer"));
}

#[test]
fn setting_down_an_item_one_does_not_hold_is_refused() {
    let mut s = Set::standard();
    s.colt_out();
    let vs = s.refused_only(
        Some("dp"),
        r#"{"do":"set-down","item":"colt","place":"cart"}"#,
        &["custody-known"],
    );
    let m = Set::message_of(&vs, "custody-known");
    assert!(
        m.contains("D. Photography") && m.contains("A. Armorer"),
        "{m}"
    );
    s.clean(
        Some("armorer"),
        r#"{"do":"set-down","item":"colt","place":"cart"}"#,
    );
}

#[test]
fn loading_and_unloading_need_the_item_in_hand() {
    let mut s = Set::standard();
    let load = r#"{"do":"load","item":"colt","lot":"dummies","rounds":6}"#;
    s.refused_only(Some("armorer"), load, &["custody-known"]);
    s.colt_out();
    s.clean(Some("armorer"), load);
    s.ok(
        Some("armorer"),
        r#"{"do":"set-down","item":"colt","place":"cart"}"#,
    );
    let unload = r#"{"do":"unload","item":"colt"}"#;
    let vs = s.refused_only(Some("armorer"), unload, &["custody-known"]);
    assert!(Set::message_of(&vs, "custody-known").contains("cart"));
    s.ok(Some("armorer"), r#"{"do":"pick-up","item":"colt"}"#);
    s.clean(Some("armorer"), unload);
}

#[test]
fn storing_needs_the_item_in_hand() {
    let mut s = Set::standard();
    let store = r#"{"do":"store","item":"colt"}"#;
    // Already in storage.
    s.refused_only(Some("armorer"), store, &["custody-known"]);
    s.colt_out();
    s.ok(
        Some("armorer"),
        r#"{"do":"set-down","item":"colt","place":"cart"}"#,
    );
    s.refused_only(Some("armorer"), store, &["custody-known"]);
    s.ok(Some("armorer"), r#"{"do":"pick-up","item":"colt"}"#);
    s.clean(Some("armorer"), store);
}

#[test]
fn inspecting_needs_the_item_in_hand() {
    let mut s = Set::standard();
    let inspect = r#"{"do":"inspect","item":"colt","state":"empty"}"#;
    s.refused_only(Some("armorer"), inspect, &["custody-known"]);
    s.colt_out();
    s.clean(Some("armorer"), inspect);
}

#[test]
fn only_an_item_in_storage_is_checked_out_and_only_one_set_down_is_picked_up() {
    let mut s = Set::standard();
    let pick = r#"{"do":"pick-up","item":"colt"}"#;
    s.refused_only(Some("armorer"), pick, &["custody-known"]);
    s.colt_out();
    s.refused_only(
        Some("armorer"),
        r#"{"do":"check-out","item":"colt"}"#,
        &["custody-known"],
    );
    s.refused_only(Some("armorer"), pick, &["custody-known"]);
    s.ok(
        Some("armorer"),
        r#"{"do":"set-down","item":"colt","place":"cart"}"#,
    );
    s.clean(Some("armorer"), pick);
}

// ---- handler-hands-over (hand-over, pick-up, check-out, store, load, unload, inspect,
// verify-lot)

#[test]
fn only_a_handler_takes_a_firing_item_out_of_storage() {
    let mut s = Set::standard();
    let vs = s.refused_only(
        Some("first-ad"),
        r#"{"do":"check-out","item":"colt"}"#,
        &["handler-hands-over"],
    );
    assert!(Set::message_of(&vs, "handler-hands-over").contains("F. AD"));
    s.clean(Some("armorer"), r#"{"do":"check-out","item":"colt"}"#);
}

#[test]
fn only_a_handler_picks_up_a_firing_item() {
    let mut s = Set::standard();
    s.colt_out();
    s.ok(
        Some("armorer"),
        r#"{"do":"set-down","item":"colt","place":"cart"}"#,
    );
    let pick = r#"{"do":"pick-up","item":"colt"}"#;
    s.refused_only(Some("first-ad"), pick, &["handler-hands-over"]);
    s.clean(Some("armorer"), pick);
}

#[test]
fn a_performer_can_not_pass_a_firearm_to_another_performer_but_may_return_it() {
    let mut s = Set::standard();
    s.at("09:00");
    s.colt_with_actor();
    let vs = s.refusal(Some("actor"), &hand("colt", "dp"), "handler-hands-over");
    assert!(Set::message_of(&vs, "handler-hands-over").contains("A. Actor"));
    s.clean(Some("actor"), &hand("colt", "armorer"));
}

#[test]
fn a_performer_can_not_load_unload_inspect_or_store_a_firearm() {
    let mut s = Set::standard();
    s.at("09:00");
    s.colt_with_actor();
    for cmd in [
        r#"{"do":"load","item":"colt","lot":"dummies","rounds":1}"#,
        r#"{"do":"unload","item":"colt"}"#,
        r#"{"do":"inspect","item":"colt","state":"dummies","rounds":6,"lot":"dummies"}"#,
        r#"{"do":"store","item":"colt"}"#,
    ] {
        s.refused_only(Some("actor"), cmd, &["handler-hands-over"]);
    }
    s.clean(Some("actor"), &hand("colt", "armorer"));
    s.clean(Some("armorer"), r#"{"do":"unload","item":"colt"}"#);
    s.clean(
        Some("armorer"),
        r#"{"do":"inspect","item":"colt","state":"empty"}"#,
    );
    s.clean(Some("armorer"), r#"{"do":"store","item":"colt"}"#);
}

#[test]
fn an_assistant_armorer_is_a_handler_and_may_hand_a_firearm_to_a_performer() {
    let mut s = Set::standard();
    s.handler("assistant", "A. Assistant", "assistant-armorer");
    s.at("09:00");
    s.ready_colt_with_dummies();
    // Handler to handler: a plain pass, no performer checks.
    s.clean(Some("armorer"), &hand("colt", "assistant"));
    // The check lapsed when the colt changed hands: the assistant checks it again.
    s.ok(
        Some("assistant"),
        r#"{"do":"inspect","item":"colt","state":"dummies","rounds":6,"lot":"dummies"}"#,
    );
    s.ok(Some("actor"), r#"{"do":"confirm-check","item":"colt"}"#);
    s.ok(Some("first-ad"), r#"{"do":"second-check","item":"colt"}"#);
    s.clean(Some("assistant"), &hand("colt", "actor"));
}

#[test]
fn only_a_handler_verifies_a_lot() {
    let mut s = Set::standard();
    s.ok(
        None,
        r#"{"do":"register-lot","id":"box","ammo":"blank","calibre":".45 Colt","rounds":10}"#,
    );
    let verify = r#"{"do":"verify-lot","lot":"box","counted":10}"#;
    for by in ["first-ad", "safety", "producer"] {
        s.refused_only(Some(by), verify, &["handler-hands-over"]);
    }
    s.clean(Some("armorer"), verify);
}

#[test]
fn anyone_may_take_out_pass_on_and_store_a_non_firing_replica() {
    let mut s = Set::standard();
    s.clean(Some("dp"), r#"{"do":"check-out","item":"replica"}"#);
    s.clean(Some("dp"), &hand("replica", "actor"));
    s.clean(Some("actor"), &hand("replica", "first-ad"));
    s.clean(
        Some("first-ad"),
        r#"{"do":"set-down","item":"replica","place":"table"}"#,
    );
    s.clean(Some("dp"), r#"{"do":"pick-up","item":"replica"}"#);
    s.clean(Some("dp"), r#"{"do":"store","item":"replica"}"#);
}

// ---- never-unattended (alarm as time passes)

#[test]
fn an_item_set_down_for_more_than_five_minutes_raises_never_unattended_once() {
    let mut s = Set::standard();
    s.at("09:00");
    s.colt_out();
    s.clean(
        Some("armorer"),
        r#"{"do":"set-down","item":"colt","place":"cart"}"#,
    );
    assert!(s.at("09:04").is_empty());
    assert_eq!(s.at("09:06"), vec![RuleId::NeverUnattended]);
    let m = s.last_alarm_message();
    assert!(m.contains("R-0001") && m.contains("cart"), "{m}");
    // Stamped with the moment the deadline passed, not when time was next looked at.
    let stamped = s.log.last().unwrap().at;
    assert_eq!(stamped.clock(), "09:05");
    assert!(s.at("09:30").is_empty(), "raised once");
}

#[test]
fn an_item_picked_up_or_stored_within_five_minutes_raises_nothing() {
    let mut s = Set::standard();
    s.at("09:00");
    s.colt_out();
    s.ok(
        Some("armorer"),
        r#"{"do":"set-down","item":"colt","place":"cart"}"#,
    );
    s.at("09:03");
    s.clean(Some("armorer"), r#"{"do":"pick-up","item":"colt"}"#);
    assert!(s.at("09:10").is_empty());
    s.ok(
        Some("armorer"),
        r#"{"do":"set-down","item":"colt","place":"cart"}"#,
    );
    s.at("09:12");
    s.ok(Some("armorer"), r#"{"do":"pick-up","item":"colt"}"#);
    s.clean(Some("armorer"), r#"{"do":"store","item":"colt"}"#);
    assert!(s.at("09:30").is_empty());
}

#[test]
fn a_set_down_replica_is_watched_too() {
    let mut s = Set::standard();
    s.at("09:00");
    s.ok(Some("dp"), r#"{"do":"check-out","item":"replica"}"#);
    s.ok(
        Some("dp"),
        r#"{"do":"set-down","item":"replica","place":"pew"}"#,
    );
    assert_eq!(s.at("09:06"), vec![RuleId::NeverUnattended]);
    assert!(s.last_alarm_message().contains("NF-1"));
}

// ---- return-after-cut (alarm as time passes)

#[test]
fn a_firearm_still_with_the_performer_five_minutes_after_the_cut_raises_an_alarm_once() {
    let mut s = Set::standard();
    s.at("09:00");
    s.colt_with_actor();
    s.at("09:10");
    s.ok(Some("first-ad"), r#"{"do":"cut","scene":"church"}"#);
    assert!(s.at("09:14").is_empty());
    assert_eq!(s.at("09:16"), vec![RuleId::ReturnAfterCut]);
    let m = s.last_alarm_message();
    assert!(m.contains("R-0001") && m.contains("A. Actor"), "{m}");
    assert!(s.at("09:30").is_empty(), "raised once");
}

#[test]
fn a_firearm_returned_within_five_minutes_of_the_cut_raises_nothing() {
    let mut s = Set::standard();
    s.at("09:00");
    s.colt_with_actor();
    s.at("09:10");
    s.ok(Some("first-ad"), r#"{"do":"cut","scene":"church"}"#);
    s.at("09:14");
    s.clean(Some("actor"), &hand("colt", "armorer"));
    assert!(s.at("09:30").is_empty());
}

#[test]
fn a_break_starts_the_same_clock() {
    let mut s = Set::standard();
    s.at("09:00");
    s.colt_with_actor();
    s.at("09:10");
    s.ok(Some("first-ad"), r#"{"do":"break","kind":"lunch"}"#);
    assert_eq!(s.at("09:16"), vec![RuleId::ReturnAfterCut]);
}

#[test]
fn a_firearm_a_performer_sets_down_after_the_cut_is_back_once_a_handler_picks_it_up() {
    let mut s = Set::standard();
    s.at("09:00");
    s.colt_with_actor();
    s.at("09:10");
    s.ok(Some("first-ad"), r#"{"do":"cut","scene":"church"}"#);
    s.ok(
        Some("actor"),
        r#"{"do":"set-down","item":"colt","place":"altar"}"#,
    );
    s.at("09:12");
    s.clean(Some("armorer"), r#"{"do":"pick-up","item":"colt"}"#);
    assert!(s.at("09:30").is_empty());
}

#[test]
fn every_item_a_performer_holds_must_be_back_after_a_cut_not_only_the_scenes_items() {
    // PROTOCOLS.md: "after `cut` or at a `break`, every item a performer holds is back with a
    // handler within 5 minutes, or an alarm is raised".
    let mut s = Set::standard();
    s.at("09:00");
    s.ok(Some("armorer"), r#"{"do":"check-out","item":"replica"}"#);
    s.ok(Some("armorer"), &hand("replica", "actor"));
    s.ok(Some("first-ad"), r#"{"do":"call-scene","scene":"church"}"#);
    s.at("09:10");
    s.ok(Some("first-ad"), r#"{"do":"cut","scene":"church"}"#);
    assert_eq!(
        s.at("09:16"),
        vec![RuleId::ReturnAfterCut],
        "the replica the actor still holds after the cut"
    );
}

// ---- production-items-only (every command naming an item or lot)

#[test]
fn every_command_naming_an_unregistered_item_is_refused() {
    let mut s = Set::standard();
    s.ok(Some("first-ad"), r#"{"do":"call-scene","scene":"church"}"#);
    let cmds: &[(&str, &str)] = &[
        ("armorer", r#"{"do":"check-out","item":"ghost"}"#),
        ("armorer", r#"{"do":"store","item":"ghost"}"#),
        (
            "armorer",
            r#"{"do":"load","item":"ghost","lot":"dummies","rounds":1}"#,
        ),
        ("armorer", r#"{"do":"unload","item":"ghost"}"#),
        (
            "armorer",
            r#"{"do":"inspect","item":"ghost","state":"empty"}"#,
        ),
        ("actor", r#"{"do":"confirm-check","item":"ghost"}"#),
        ("first-ad", r#"{"do":"second-check","item":"ghost"}"#),
        (
            "armorer",
            r#"{"do":"hand-over","item":"ghost","to":"actor"}"#,
        ),
        (
            "armorer",
            r#"{"do":"set-down","item":"ghost","place":"cart"}"#,
        ),
        ("armorer", r#"{"do":"pick-up","item":"ghost"}"#),
        (
            "armorer",
            r#"{"do":"announce","item":"ghost","status":"cold"}"#,
        ),
        ("actor", r#"{"do":"discharge","item":"ghost"}"#),
        (
            "armorer",
            r#"{"do":"report-incident","kind":"misfire","items":["ghost"]}"#,
        ),
    ];
    for (by, cmd) in cmds {
        let vs = s.refused_only(Some(by), cmd, &["production-items-only"]);
        assert!(Set::message_of(&vs, "production-items-only").contains("ghost"));
    }
    s.refused_only(
        None,
        &format!(r#"{{"do":"schedule-scene","id":"saloon","date":"{DAY}","items":["ghost"],"performers":["actor"]}}"#),
        &["production-items-only"],
    );
    s.refused_only(
        None,
        r#"{"do":"change-scene","scene":"church","items":["colt","ghost"]}"#,
        &["production-items-only"],
    );
}

#[test]
fn every_command_naming_an_unregistered_lot_is_refused() {
    let mut s = Set::standard();
    s.colt_out();
    let cmds: &[&str] = &[
        r#"{"do":"load","item":"colt","lot":"ghost-box","rounds":1}"#,
        r#"{"do":"inspect","item":"colt","state":"dummies","rounds":1,"lot":"ghost-box"}"#,
        r#"{"do":"verify-lot","lot":"ghost-box","counted":10}"#,
        r#"{"do":"report-incident","kind":"misfire","lots":["ghost-box"]}"#,
    ];
    for cmd in cmds {
        let vs = s.refused_only(Some("armorer"), cmd, &["production-items-only"]);
        assert!(Set::message_of(&vs, "production-items-only").contains("ghost-box"));
    }
}

#[test]
fn an_item_and_a_lot_once_registered_are_used() {
    let mut s = Set::standard();
    s.revolver("ghost", "G-1");
    s.ok(
        None,
        r#"{"do":"register-lot","id":"ghost-box","ammo":"dummy","calibre":".45 Colt","rounds":10}"#,
    );
    s.clean(
        Some("armorer"),
        r#"{"do":"verify-lot","lot":"ghost-box","counted":10}"#,
    );
    s.clean(Some("armorer"), r#"{"do":"check-out","item":"ghost"}"#);
    s.clean(
        Some("armorer"),
        r#"{"do":"load","item":"ghost","lot":"ghost-box","rounds":1}"#,
    );
}
