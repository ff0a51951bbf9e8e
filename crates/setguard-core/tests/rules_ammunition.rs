//! The ammunition rules of the catalogue: each refusing (or raising its alarm) where
//! `PROTOCOLS.md` says, and the nearest correct action let through.

mod support;
use support::*;

// ---- no-live-ammo (register-lot)

#[test]
fn registering_a_live_lot_is_refused_and_a_dummy_lot_is_let_through() {
    let mut s = Set::standard();
    let vs = s.refused_only(
        None,
        r#"{"do":"register-lot","id":"hot-box","ammo":"live","calibre":".45 Colt","rounds":50,"source":"gun shop"}"#,
        &["no-live-ammo"],
    );
    assert!(Set::message_of(&vs, "no-live-ammo").contains("hot-box"));
    s.clean(
        None,
        r#"{"do":"register-lot","id":"spare-dummies","ammo":"dummy","calibre":".45 Colt","rounds":50,"source":"Acme dummies"}"#,
    );
}

#[test]
fn under_the_standard_policy_no_live_ammunition_exception_can_be_approved() {
    let mut s = Set::standard();
    s.refused_only(
        Some("armorer"),
        r#"{"do":"approve-exception","kind":"live-ammo","lot":"range","reason":"range training","place":"Santa Fe range","medic":"M. Medic"}"#,
        &["no-live-ammo"],
    );
    s.refused_only(
        None,
        r#"{"do":"register-lot","id":"range","ammo":"live","calibre":".45 Colt","rounds":50}"#,
        &["no-live-ammo"],
    );
}

#[test]
fn under_california_a_live_lot_needs_an_approved_9155_exception_naming_place_and_medic() {
    let mut s = Set::with_policy("california");
    s.refused_only(
        None,
        r#"{"do":"register-lot","id":"range","ammo":"live","calibre":".45 Colt","rounds":50}"#,
        &["no-live-ammo"],
    );
    // An exception that names no medic is not approved.
    let vs = s.refused_only(
        Some("armorer"),
        r#"{"do":"approve-exception","kind":"live-ammo","lot":"range","reason":"range training","place":"Santa Fe range"}"#,
        &["no-live-ammo"],
    );
    assert!(Set::message_of(&vs, "no-live-ammo").contains("medic"));
    // Nor one that names no place.
    s.refused_only(
        Some("armorer"),
        r#"{"do":"approve-exception","kind":"live-ammo","lot":"range","reason":"range training","medic":"M. Medic"}"#,
        &["no-live-ammo"],
    );
    s.clean(
        Some("armorer"),
        r#"{"do":"approve-exception","kind":"live-ammo","lot":"range","reason":"range training","place":"Santa Fe range","medic":"M. Medic"}"#,
    );
    s.clean(
        None,
        r#"{"do":"register-lot","id":"range","ammo":"live","calibre":".45 Colt","rounds":50}"#,
    );
}

// ---- lot-verified (load, inspect; and the count at verify-lot)

#[test]
fn load_from_an_unverified_lot_is_refused_until_it_is_verified() {
    let mut s = Set::standard();
    s.ok(
        None,
        r#"{"do":"register-lot","id":"borrowed","ammo":"dummy","calibre":".45 Colt","rounds":10,"source":"another production"}"#,
    );
    s.colt_out();
    let vs = s.refused_only(
        Some("armorer"),
        r#"{"do":"load","item":"colt","lot":"borrowed","rounds":6}"#,
        &["lot-verified"],
    );
    let m = Set::message_of(&vs, "lot-verified");
    assert!(
        m.contains("borrowed") && m.contains("another production"),
        "{m}"
    );
    s.clean(
        Some("armorer"),
        r#"{"do":"verify-lot","lot":"borrowed","counted":10}"#,
    );
    s.clean(
        Some("armorer"),
        r#"{"do":"load","item":"colt","lot":"borrowed","rounds":6}"#,
    );
}

#[test]
fn a_verification_whose_count_does_not_match_the_box_is_refused() {
    let mut s = Set::standard();
    s.ok(
        None,
        r#"{"do":"register-lot","id":"box","ammo":"dummy","calibre":".45 Colt","rounds":10,"source":"in-house"}"#,
    );
    let vs = s.refused_only(
        Some("armorer"),
        r#"{"do":"verify-lot","lot":"box","counted":9}"#,
        &["lot-verified"],
    );
    assert!(Set::message_of(&vs, "lot-verified").contains("10"));
    s.clean(
        Some("armorer"),
        r#"{"do":"verify-lot","lot":"box","counted":10}"#,
    );
}

#[test]
fn inspecting_dummies_from_a_lot_that_must_be_verified_again_is_refused_until_it_is() {
    let mut s = Set::standard();
    s.colt_out();
    s.ok(
        Some("armorer"),
        r#"{"do":"load","item":"colt","lot":"dummies","rounds":6}"#,
    );
    // A live round found elsewhere: every lot must be verified again.
    s.ok(
        Some("dp"),
        r#"{"do":"report-incident","kind":"live-round-found","summary":"a live round on the cart"}"#,
    );
    s.refused_only(
        Some("armorer"),
        r#"{"do":"inspect","item":"colt","state":"dummies","rounds":6,"lot":"dummies"}"#,
        &["lot-verified"],
    );
    // 50 in the box, 6 of them in the colt.
    s.clean(
        Some("armorer"),
        r#"{"do":"verify-lot","lot":"dummies","counted":44}"#,
    );
    s.clean(
        Some("armorer"),
        r#"{"do":"inspect","item":"colt","state":"dummies","rounds":6,"lot":"dummies"}"#,
    );
}

#[test]
fn a_condemned_lot_can_never_be_verified_or_loaded_again() {
    let mut s = Set::standard();
    s.colt_out();
    s.ok(
        None,
        r#"{"do":"register-lot","id":"box","ammo":"dummy","calibre":".45 Colt","rounds":10}"#,
    );
    s.ok(
        Some("armorer"),
        r#"{"do":"verify-lot","lot":"box","counted":10,"failed":1}"#,
    );
    s.refusal(
        Some("armorer"),
        r#"{"do":"verify-lot","lot":"box","counted":9}"#,
        "lot-verified",
    );
    s.refusal(
        Some("armorer"),
        r#"{"do":"load","item":"colt","lot":"box","rounds":1}"#,
        "lot-verified",
    );
}

// ---- dummy-inert (alarm at verify-lot)

#[test]
fn a_dummy_that_fails_verification_raises_dummy_inert_and_opens_a_live_round_found_incident() {
    let mut s = Set::standard();
    s.ok(
        None,
        r#"{"do":"register-lot","id":"box","ammo":"dummy","calibre":".45 Colt","rounds":10,"source":"unknown"}"#,
    );
    let alarms = s.ok(
        Some("armorer"),
        r#"{"do":"verify-lot","lot":"box","counted":10,"failed":1}"#,
    );
    assert_eq!(alarms, vec![RuleId::DummyInert]);
    assert!(s.last_alarm_message().contains("box"));
    assert_eq!(s.incidents_of("live-round-found"), 1);
}

#[test]
fn a_dummy_lot_that_passes_verification_raises_nothing() {
    let mut s = Set::standard();
    s.ok(
        None,
        r#"{"do":"register-lot","id":"box","ammo":"dummy","calibre":".45 Colt","rounds":10,"source":"unknown"}"#,
    );
    s.clean(
        Some("armorer"),
        r#"{"do":"verify-lot","lot":"box","counted":10,"failed":0}"#,
    );
    assert_eq!(s.incidents_of("live-round-found"), 0);
}

// ---- blank-matched (load)

#[test]
fn blanks_of_another_calibre_are_refused_and_the_same_calibre_spelled_differently_is_let_through() {
    let mut s = Set::standard();
    for (id, calibre) in [("blanks-38", ".38 Special"), ("blanks-caps", ".45 COLT")] {
        s.ok(None, &format!(r#"{{"do":"register-lot","id":"{id}","ammo":"blank","calibre":"{calibre}","rounds":10}}"#));
        s.ok(
            Some("armorer"),
            &format!(r#"{{"do":"verify-lot","lot":"{id}","counted":10}}"#),
        );
    }
    s.ok(Some("first-ad"), r#"{"do":"call-scene","scene":"church"}"#);
    s.colt_out();
    let vs = s.refused_only(
        Some("armorer"),
        r#"{"do":"load","item":"colt","lot":"blanks-38","rounds":2}"#,
        &["blank-matched"],
    );
    assert!(Set::message_of(&vs, "blank-matched").contains("R-0001"));
    s.clean(
        Some("armorer"),
        r#"{"do":"load","item":"colt","lot":"blanks-caps","rounds":2}"#,
    );
}

#[test]
fn blanks_are_refused_in_an_airsoft_item() {
    let mut s = Set::standard();
    s.ok(
        None,
        r#"{"do":"register-item","id":"soft","kind":"airsoft","class":"revolver","calibre":".45 Colt","serial":"AS-9"}"#,
    );
    s.ok(
        None,
        r#"{"do":"change-scene","scene":"church","items":["colt","soft"]}"#,
    );
    s.ok(Some("first-ad"), r#"{"do":"call-scene","scene":"church"}"#);
    s.ok(Some("armorer"), r#"{"do":"check-out","item":"soft"}"#);
    let vs = s.refused_only(
        Some("armorer"),
        r#"{"do":"load","item":"soft","lot":"blanks","rounds":2}"#,
        &["blank-matched"],
    );
    assert!(Set::message_of(&vs, "blank-matched").contains("AS-9"));
    s.colt_out();
    s.clean(
        Some("armorer"),
        r#"{"do":"load","item":"colt","lot":"blanks","rounds":2}"#,
    );
}

#[test]
fn blanks_are_refused_in_a_non_firing_replica_under_blank_matched() {
    let mut s = Set::standard();
    s.ok(
        None,
        r#"{"do":"change-scene","scene":"church","items":["colt","replica"]}"#,
    );
    s.ok(Some("first-ad"), r#"{"do":"call-scene","scene":"church"}"#);
    s.ok(Some("armorer"), r#"{"do":"check-out","item":"replica"}"#);
    // PROTOCOLS.md: "blanks go only into a blank-capable item"; semantics.md: "Blanks need a
    // blank-adapted or functional item ... (`blank-matched`)". The refusal must name the rule.
    s.refusal(
        Some("armorer"),
        r#"{"do":"load","item":"replica","lot":"blanks","rounds":2}"#,
        "blank-matched",
    );
}

// ---- load-when-called (load)

#[test]
fn blanks_are_refused_until_the_scene_is_called_while_dummies_need_no_call() {
    let mut s = Set::standard();
    s.colt_out();
    s.refused_only(
        Some("armorer"),
        r#"{"do":"load","item":"colt","lot":"blanks","rounds":2}"#,
        &["load-when-called"],
    );
    s.clean(
        Some("armorer"),
        r#"{"do":"load","item":"colt","lot":"dummies","rounds":6}"#,
    );
    s.ok(Some("armorer"), r#"{"do":"unload","item":"colt"}"#);
    s.ok(Some("first-ad"), r#"{"do":"call-scene","scene":"church"}"#);
    s.clean(
        Some("armorer"),
        r#"{"do":"load","item":"colt","lot":"blanks","rounds":2}"#,
    );
}

#[test]
fn blanks_are_refused_once_the_scene_is_cut() {
    let mut s = Set::standard();
    s.ok(Some("first-ad"), r#"{"do":"call-scene","scene":"church"}"#);
    s.ok(Some("first-ad"), r#"{"do":"cut","scene":"church"}"#);
    s.colt_out();
    s.refused_only(
        Some("armorer"),
        r#"{"do":"load","item":"colt","lot":"blanks","rounds":2}"#,
        &["load-when-called"],
    );
}

#[test]
fn loading_more_blanks_than_the_scene_plans_is_refused_even_a_few_at_a_time() {
    let mut s = Set::standard();
    s.ok(Some("first-ad"), r#"{"do":"call-scene","scene":"church"}"#);
    s.colt_out();
    let vs = s.refused_only(
        Some("armorer"),
        r#"{"do":"load","item":"colt","lot":"blanks","rounds":3}"#,
        &["load-when-called"],
    );
    assert!(Set::message_of(&vs, "load-when-called").contains("plans 2"));
    s.clean(
        Some("armorer"),
        r#"{"do":"load","item":"colt","lot":"blanks","rounds":1}"#,
    );
    s.refused_only(
        Some("armorer"),
        r#"{"do":"load","item":"colt","lot":"blanks","rounds":2}"#,
        &["load-when-called"],
    );
    s.clean(
        Some("armorer"),
        r#"{"do":"load","item":"colt","lot":"blanks","rounds":1}"#,
    );
}

// ---- ammo-reconciled (alarm at wrap; and loading more than the box holds)

/// The church take with blanks: handed over, one fired, cut, returned to the armorer.
fn take_with_one_blank_fired(s: &mut Set) {
    s.at("09:00");
    s.ready_colt_with_blanks();
    s.clean(Some("armorer"), &hand("colt", "actor"));
    s.clean(
        Some("actor"),
        r#"{"do":"discharge","item":"colt","rounds":1}"#,
    );
    s.at("09:05");
    s.ok(Some("first-ad"), r#"{"do":"cut","scene":"church"}"#);
    s.clean(Some("actor"), &hand("colt", "armorer"));
}

#[test]
fn a_blank_left_in_a_stored_item_at_wrap_raises_ammo_reconciled_and_an_incident() {
    let mut s = Set::standard();
    take_with_one_blank_fired(&mut s);
    // Stored without unloading: one blank issued is neither fired nor returned.
    s.ok(Some("armorer"), r#"{"do":"store","item":"colt"}"#);
    let alarms = s.ok(None, r#"{"do":"wrap"}"#);
    assert_eq!(alarms, vec![RuleId::AmmoReconciled]);
    assert!(s.last_alarm_message().contains("blanks"));
    assert_eq!(s.incidents_of("missing-item"), 1);
}

#[test]
fn a_wrap_where_every_round_was_fired_or_returned_raises_nothing() {
    let mut s = Set::standard();
    take_with_one_blank_fired(&mut s);
    s.ok(Some("armorer"), r#"{"do":"unload","item":"colt"}"#);
    s.ok(Some("armorer"), r#"{"do":"store","item":"colt"}"#);
    s.clean(None, r#"{"do":"wrap"}"#);
    assert_eq!(s.incidents_of("missing-item"), 0);
}

#[test]
fn loading_more_rounds_than_the_box_holds_is_refused() {
    let mut s = Set::standard();
    s.colt_out();
    s.refused_only(
        Some("armorer"),
        r#"{"do":"load","item":"colt","lot":"dummies","rounds":51}"#,
        &["ammo-reconciled"],
    );
    s.clean(
        Some("armorer"),
        r#"{"do":"load","item":"colt","lot":"dummies","rounds":50}"#,
    );
}
