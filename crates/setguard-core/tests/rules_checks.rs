//! The checks, status and announcement rules of the catalogue, and the extension
//! `inspection-matches-record`: each refusing where `PROTOCOLS.md` says, and the nearest correct
//! action let through.

mod support;
use support::*;

const LOAD_DUMMIES: &str = r#"{"do":"load","item":"colt","lot":"dummies","rounds":6}"#;
const INSPECT_DUMMIES: &str =
    r#"{"do":"inspect","item":"colt","state":"dummies","rounds":6,"lot":"dummies"}"#;
const CONFIRM: &str = r#"{"do":"confirm-check","item":"colt"}"#;
const SECOND: &str = r#"{"do":"second-check","item":"colt"}"#;
const COLD: &str = r#"{"do":"announce","item":"colt","status":"cold"}"#;
const HOT: &str = r#"{"do":"announce","item":"colt","status":"hot"}"#;
const CALL: &str = r#"{"do":"call-scene","scene":"church"}"#;

// ---- scene-planned (hand-over)

#[test]
fn a_firearm_goes_to_a_performer_only_for_a_scene_scheduled_today() {
    let mut s = Set::standard();
    s.ok(None, &format!(r#"{{"do":"schedule-scene","id":"saloon","date":"{NEXT_DAY}","items":["colt"],"performers":["actor"],"roster":["actor","dp","first-ad"]}}"#));
    s.ok(Some("first-ad"), r#"{"do":"safety-meeting","scenes":["church","saloon"],"attendees":["actor","dp","first-ad","armorer"]}"#);
    s.ok(Some("first-ad"), CALL);
    s.colt_out();
    s.ok(Some("armorer"), LOAD_DUMMIES);
    s.inspect_dummies_for("actor");
    s.ok(Some("first-ad"), SECOND);
    s.ok(Some("armorer"), COLD);
    let vs = s.refused_only(
        Some("armorer"),
        r#"{"do":"hand-over","item":"colt","to":"actor","scene":"saloon"}"#,
        &["scene-planned"],
    );
    assert!(Set::message_of(&vs, "scene-planned").contains("not today"));
    s.clean(
        Some("armorer"),
        r#"{"do":"hand-over","item":"colt","to":"actor","scene":"church"}"#,
    );
}

#[test]
fn a_firearm_does_not_go_to_someone_no_scene_lists_as_a_performer() {
    let mut s = Set::standard();
    s.at("09:00");
    s.ready_colt_with_dummies();
    s.ok(Some("dp"), CONFIRM);
    let vs = s.refusal(Some("armorer"), &hand("colt", "dp"), "scene-planned");
    let m = Set::message_of(&vs, "scene-planned");
    assert!(m.contains("R-0001") && m.contains("D. Photography"), "{m}");
    s.clean(Some("armorer"), &hand("colt", "actor"));
}

#[test]
fn a_firearm_does_not_go_to_a_performer_for_a_scene_that_does_not_list_it() {
    let mut s = Set::standard();
    s.ok(None, &format!(r#"{{"do":"schedule-scene","id":"saloon","date":"{DAY}","items":["replica"],"performers":["actor"],"roster":["actor","dp","first-ad"]}}"#));
    s.ok(Some("first-ad"), r#"{"do":"safety-meeting","scenes":["church","saloon"],"attendees":["actor","dp","first-ad","armorer"]}"#);
    s.ok(Some("first-ad"), CALL);
    s.colt_out();
    s.ok(Some("armorer"), LOAD_DUMMIES);
    s.inspect_dummies_for("actor");
    s.ok(Some("first-ad"), SECOND);
    s.ok(Some("armorer"), COLD);
    let vs = s.refused_only(
        Some("armorer"),
        r#"{"do":"hand-over","item":"colt","to":"actor","scene":"saloon"}"#,
        &["scene-planned"],
    );
    assert!(Set::message_of(&vs, "scene-planned").contains("does not list the revolver R-0001"));
    s.clean(Some("armorer"), &hand("colt", "actor"));
}

// ---- checked-before-handover (hand-over)

#[test]
fn a_hand_over_of_an_item_never_inspected_is_refused() {
    let mut s = Set::standard();
    s.meeting();
    s.ok(Some("first-ad"), CALL);
    s.colt_out();
    s.ok(Some("armorer"), LOAD_DUMMIES);
    let vs = s.refused_only(
        Some("armorer"),
        &hand("colt", "actor"),
        &["checked-before-handover"],
    );
    assert!(Set::message_of(&vs, "checked-before-handover").contains("R-0001"));
    // Nobody can confirm or second-check an inspection that was never made.
    s.refused_only(Some("actor"), CONFIRM, &["checked-before-handover"]);
    s.refused_only(Some("first-ad"), SECOND, &["checked-before-handover"]);
    s.ok(Some("armorer"), INSPECT_DUMMIES);
    s.ok(Some("actor"), CONFIRM);
    s.ok(Some("first-ad"), SECOND);
    s.clean(Some("armorer"), &hand("colt", "actor"));
}

#[test]
fn a_hand_over_the_performer_did_not_confirm_watching_is_refused() {
    let mut s = Set::standard();
    s.meeting();
    s.ok(Some("first-ad"), CALL);
    s.colt_out();
    s.ok(Some("armorer"), LOAD_DUMMIES);
    s.ok(Some("armorer"), INSPECT_DUMMIES);
    s.ok(Some("first-ad"), SECOND);
    s.ok(Some("armorer"), COLD);
    let vs = s.refused_only(
        Some("armorer"),
        &hand("colt", "actor"),
        &["checked-before-handover"],
    );
    assert!(Set::message_of(&vs, "checked-before-handover").contains("A. Actor"));
    // Someone else's confirmation is not the performer's.
    s.ok(Some("dp"), CONFIRM);
    s.refused_only(
        Some("armorer"),
        &hand("colt", "actor"),
        &["checked-before-handover"],
    );
    s.ok(Some("actor"), CONFIRM);
    s.clean(Some("armorer"), &hand("colt", "actor"));
}

// ---- check-lapses (hand-over, announce)

/// Checks the colt again in the actor's sight, with the second check.
fn check_again(s: &mut Set) {
    s.ok(Some("armorer"), INSPECT_DUMMIES);
    s.ok(Some("actor"), CONFIRM);
    s.ok(Some("first-ad"), SECOND);
}

#[test]
fn a_check_lapses_at_a_break() {
    let mut s = Set::standard();
    s.at("09:00");
    s.ready_colt_with_dummies();
    s.at("09:02");
    s.ok(Some("first-ad"), r#"{"do":"break","kind":"lunch"}"#);
    s.at("09:04");
    s.ok(Some("first-ad"), r#"{"do":"resume"}"#);
    let vs = s.refused_only(
        Some("armorer"),
        &hand("colt", "actor"),
        &["check-lapses", "checked-before-handover"],
    );
    assert!(Set::message_of(&vs, "check-lapses").contains("lunch"));
    check_again(&mut s);
    s.clean(Some("armorer"), &hand("colt", "actor"));
}

#[test]
fn a_check_lapses_fifteen_minutes_after_it_was_made() {
    let mut s = Set::standard();
    s.at("09:00");
    s.ready_colt_with_dummies();
    s.at("09:16");
    let vs = s.refused_only(
        Some("armorer"),
        &hand("colt", "actor"),
        &["check-lapses", "checked-before-handover"],
    );
    assert!(Set::message_of(&vs, "check-lapses").contains("09:15"));
    check_again(&mut s);
    s.clean(Some("armorer"), &hand("colt", "actor"));
}

#[test]
fn a_check_still_counts_fourteen_minutes_after_it_was_made() {
    let mut s = Set::standard();
    s.at("09:00");
    s.ready_colt_with_dummies();
    s.at("09:14");
    s.clean(Some("armorer"), &hand("colt", "actor"));
}

#[test]
fn a_check_lapses_when_the_item_is_unloaded() {
    let mut s = Set::standard();
    s.at("09:00");
    s.ready_colt_with_dummies();
    s.ok(Some("armorer"), r#"{"do":"unload","item":"colt"}"#);
    let vs = s.refused_only(
        Some("armorer"),
        &hand("colt", "actor"),
        &["check-lapses", "checked-before-handover"],
    );
    assert!(Set::message_of(&vs, "check-lapses").contains("unloaded"));
    s.ok(Some("armorer"), LOAD_DUMMIES);
    check_again(&mut s);
    s.clean(Some("armorer"), &hand("colt", "actor"));
}

#[test]
fn a_check_lapses_when_the_item_is_loaded() {
    let mut s = Set::standard();
    s.at("09:00");
    s.ready_colt_with_dummies();
    s.ok(
        Some("armorer"),
        r#"{"do":"load","item":"colt","lot":"dummies","rounds":1}"#,
    );
    let vs = s.refused_only(
        Some("armorer"),
        &hand("colt", "actor"),
        &["check-lapses", "checked-before-handover"],
    );
    assert!(Set::message_of(&vs, "check-lapses").contains("loaded"));
    s.ok(
        Some("armorer"),
        r#"{"do":"inspect","item":"colt","state":"dummies","rounds":7,"lot":"dummies"}"#,
    );
    s.ok(Some("actor"), CONFIRM);
    s.ok(Some("first-ad"), SECOND);
    s.clean(Some("armorer"), &hand("colt", "actor"));
}

#[test]
fn a_check_lapses_when_the_item_leaves_the_handlers_hands() {
    let mut s = Set::standard();
    s.at("09:00");
    s.ready_colt_with_dummies();
    s.ok(
        Some("armorer"),
        r#"{"do":"set-down","item":"colt","place":"cart"}"#,
    );
    s.ok(Some("armorer"), r#"{"do":"pick-up","item":"colt"}"#);
    let vs = s.refused_only(
        Some("armorer"),
        &hand("colt", "actor"),
        &["check-lapses", "checked-before-handover"],
    );
    assert!(Set::message_of(&vs, "check-lapses").contains("changed hands"));
    check_again(&mut s);
    s.clean(Some("armorer"), &hand("colt", "actor"));
}

#[test]
fn calling_an_item_cold_after_its_check_lapsed_is_refused() {
    let mut s = Set::standard();
    s.at("09:00");
    s.colt_out();
    s.ok(
        Some("armorer"),
        r#"{"do":"inspect","item":"colt","state":"empty"}"#,
    );
    s.clean(Some("armorer"), COLD);
    s.at("09:16");
    s.refused_only(Some("armorer"), COLD, &["check-lapses", "cold-is-verified"]);
    s.ok(
        Some("armorer"),
        r#"{"do":"inspect","item":"colt","state":"empty"}"#,
    );
    s.clean(Some("armorer"), COLD);
}

// ---- second-check (hand-over)

#[test]
fn the_first_hand_over_for_a_scene_each_day_needs_a_second_check() {
    let mut s = Set::standard();
    s.meeting();
    s.ok(Some("first-ad"), CALL);
    s.colt_out();
    s.ok(Some("armorer"), LOAD_DUMMIES);
    s.inspect_dummies_for("actor");
    s.ok(Some("armorer"), COLD);
    let vs = s.refused_only(Some("armorer"), &hand("colt", "actor"), &["second-check"]);
    assert!(Set::message_of(&vs, "second-check").contains("church"));
    // The safety supervisor may give it as well as the first AD.
    s.clean(Some("safety"), SECOND);
    s.clean(Some("armorer"), &hand("colt", "actor"));
}

#[test]
fn only_the_first_ad_or_the_safety_supervisor_gives_the_second_check() {
    let mut s = Set::standard();
    s.colt_out();
    s.ok(Some("armorer"), LOAD_DUMMIES);
    s.inspect_dummies_for("actor");
    for by in ["dp", "armorer", "producer", "actor"] {
        let vs = s.refused_only(Some(by), SECOND, &["second-check"]);
        assert!(!Set::message_of(&vs, "second-check").is_empty());
    }
    s.clean(Some("first-ad"), SECOND);
}

#[test]
fn later_hand_overs_for_the_same_scene_that_day_need_no_second_check() {
    let mut s = Set::standard();
    s.at("09:00");
    s.colt_with_actor();
    s.at("09:05");
    s.ok(Some("actor"), &hand("colt", "armorer"));
    s.ok(Some("armorer"), INSPECT_DUMMIES);
    s.ok(Some("actor"), CONFIRM);
    s.clean(Some("armorer"), &hand("colt", "actor"));
}

#[test]
fn the_first_hand_over_for_a_scene_on_the_next_day_needs_a_second_check_again() {
    let mut s = Set::standard();
    s.ok(
        None,
        &format!(r#"{{"do":"change-scene","scene":"church","date":"{NEXT_DAY}"}}"#),
    );
    s.at("09:00");
    s.ok(Some("armorer"), r#"{"do":"check-out","item":"colt"}"#);
    s.at_on(NEXT_DAY, "09:00");
    s.meeting();
    s.ok(Some("first-ad"), CALL);
    s.ok(Some("armorer"), LOAD_DUMMIES);
    s.inspect_dummies_for("actor");
    s.refused_only(Some("armorer"), &hand("colt", "actor"), &["second-check"]);
}

#[test]
fn handing_a_replica_to_the_performer_does_not_stand_in_for_the_firearms_second_check() {
    // The second check is for the first hand-over of a *firing item* for the scene; a replica
    // handed over first must not spare the revolver its second check.
    let mut s = Set::standard();
    s.ok(
        None,
        r#"{"do":"change-scene","scene":"church","items":["colt","replica"]}"#,
    );
    s.at("09:00");
    s.meeting();
    s.ok(Some("first-ad"), CALL);
    s.ok(Some("armorer"), r#"{"do":"check-out","item":"replica"}"#);
    s.clean(Some("armorer"), &hand("replica", "actor"));
    s.clean(Some("actor"), &hand("replica", "armorer"));
    s.ok(Some("armorer"), r#"{"do":"store","item":"replica"}"#);
    s.colt_out();
    s.ok(Some("armorer"), LOAD_DUMMIES);
    s.inspect_dummies_for("actor");
    s.ok(Some("armorer"), COLD);
    s.refused_only(Some("armorer"), &hand("colt", "actor"), &["second-check"]);
}

// ---- cold-is-verified (announce)

#[test]
fn an_item_never_inspected_can_not_be_called_cold() {
    let mut s = Set::standard();
    s.colt_out();
    let vs = s.refused_only(Some("armorer"), COLD, &["cold-is-verified"]);
    assert!(Set::message_of(&vs, "cold-is-verified").contains("R-0001"));
    s.ok(
        Some("armorer"),
        r#"{"do":"inspect","item":"colt","state":"empty"}"#,
    );
    s.clean(Some("armorer"), COLD);
}

#[test]
fn an_item_inspected_with_blanks_can_not_be_called_cold_but_is_announced_hot() {
    let mut s = Set::standard();
    s.ok(Some("first-ad"), CALL);
    s.colt_out();
    s.ok(
        Some("armorer"),
        r#"{"do":"load","item":"colt","lot":"blanks","rounds":2}"#,
    );
    s.ok(
        Some("armorer"),
        r#"{"do":"inspect","item":"colt","state":"blanks","rounds":2,"lot":"blanks"}"#,
    );
    let vs = s.refused_only(Some("armorer"), COLD, &["cold-is-verified"]);
    assert!(Set::message_of(&vs, "cold-is-verified").contains("hot"));
    s.clean(Some("armorer"), HOT);
}

#[test]
fn dummies_from_a_lot_no_longer_verified_can_not_be_called_cold() {
    let mut s = Set::standard();
    s.colt_out();
    s.ok(Some("armorer"), LOAD_DUMMIES);
    s.ok(Some("armorer"), INSPECT_DUMMIES);
    s.clean(Some("armorer"), COLD);
    s.ok(
        Some("dp"),
        r#"{"do":"report-incident","kind":"live-round-found","summary":"a live round on the cart"}"#,
    );
    s.refused_only(Some("armorer"), COLD, &["cold-is-verified"]);
}

// ---- hot-announced (hand-over)

#[test]
fn a_blank_loaded_item_is_announced_hot_before_it_is_handed_over() {
    let mut s = Set::standard();
    s.meeting();
    s.ok(Some("first-ad"), CALL);
    s.colt_out();
    s.ok(
        Some("armorer"),
        r#"{"do":"load","item":"colt","lot":"blanks","rounds":2}"#,
    );
    s.ok(
        Some("armorer"),
        r#"{"do":"inspect","item":"colt","state":"blanks","rounds":2,"lot":"blanks"}"#,
    );
    s.ok(Some("actor"), CONFIRM);
    s.ok(Some("first-ad"), SECOND);
    let vs = s.refused_only(Some("armorer"), &hand("colt", "actor"), &["hot-announced"]);
    assert!(Set::message_of(&vs, "hot-announced").contains("R-0001"));
    s.clean(Some("armorer"), HOT);
    s.clean(Some("armorer"), &hand("colt", "actor"));
}

#[test]
fn a_hot_announcement_made_before_loading_does_not_count() {
    let mut s = Set::standard();
    s.at("09:00");
    s.meeting();
    s.ok(Some("first-ad"), CALL);
    s.colt_out();
    s.ok(Some("armorer"), HOT);
    s.at("09:01");
    s.ok(
        Some("armorer"),
        r#"{"do":"load","item":"colt","lot":"blanks","rounds":2}"#,
    );
    s.ok(
        Some("armorer"),
        r#"{"do":"inspect","item":"colt","state":"blanks","rounds":2,"lot":"blanks"}"#,
    );
    s.ok(Some("actor"), CONFIRM);
    s.ok(Some("first-ad"), SECOND);
    s.refused_only(Some("armorer"), &hand("colt", "actor"), &["hot-announced"]);
    s.ok(Some("armorer"), HOT);
    s.clean(Some("armorer"), &hand("colt", "actor"));
}

// ---- meeting-first (hand-over)

/// Everything of the safe hand-over but the meeting.
fn ready_without_meeting(s: &mut Set) {
    s.ok(Some("first-ad"), CALL);
    s.colt_out();
    s.ok(Some("armorer"), LOAD_DUMMIES);
    s.inspect_dummies_for("actor");
    s.ok(Some("first-ad"), SECOND);
    s.ok(Some("armorer"), COLD);
}

#[test]
fn no_hand_over_without_a_safety_meeting_that_day() {
    let mut s = Set::standard();
    ready_without_meeting(&mut s);
    let vs = s.refused_only(Some("armorer"), &hand("colt", "actor"), &["meeting-first"]);
    assert!(Set::message_of(&vs, "meeting-first").contains("church"));
    s.meeting();
    s.clean(Some("armorer"), &hand("colt", "actor"));
}

#[test]
fn everyone_on_the_roster_attends_the_meeting_or_is_briefed() {
    let mut s = Set::standard();
    s.ok(
        Some("first-ad"),
        r#"{"do":"safety-meeting","scenes":["church"],"attendees":["actor","first-ad","armorer"]}"#,
    );
    ready_without_meeting(&mut s);
    let vs = s.refused_only(Some("armorer"), &hand("colt", "actor"), &["meeting-first"]);
    assert!(Set::message_of(&vs, "meeting-first").contains("D. Photography"));
    s.ok(
        Some("first-ad"),
        r#"{"do":"brief","person":"dp","scene":"church"}"#,
    );
    s.clean(Some("armorer"), &hand("colt", "actor"));
}

#[test]
fn the_performer_attends_the_meeting_too() {
    let mut s = Set::standard();
    // The actor is on the roster anyway; take them off it to see the performer is needed.
    s.ok(
        None,
        r#"{"do":"change-scene","scene":"church","roster":["dp","first-ad"]}"#,
    );
    s.ok(
        Some("first-ad"),
        r#"{"do":"safety-meeting","scenes":["church"],"attendees":["dp","first-ad","armorer"]}"#,
    );
    ready_without_meeting(&mut s);
    let vs = s.refused_only(Some("armorer"), &hand("colt", "actor"), &["meeting-first"]);
    assert!(Set::message_of(&vs, "meeting-first").contains("A. Actor"));
    s.ok(
        Some("first-ad"),
        r#"{"do":"brief","person":"actor","scene":"church"}"#,
    );
    s.clean(Some("armorer"), &hand("colt", "actor"));
}

#[test]
fn changing_the_scene_voids_its_meeting() {
    let mut s = Set::standard();
    s.at("09:00");
    s.ready_colt_with_dummies();
    s.ok(
        None,
        r#"{"do":"change-scene","scene":"church","blank_rounds":1}"#,
    );
    let vs = s.refused_only(Some("armorer"), &hand("colt", "actor"), &["meeting-first"]);
    assert!(Set::message_of(&vs, "meeting-first").contains("changed"));
    s.meeting();
    s.clean(Some("armorer"), &hand("colt", "actor"));
}

#[test]
fn yesterdays_meeting_does_not_count_today() {
    let mut s = Set::standard();
    s.ok(
        None,
        &format!(r#"{{"do":"change-scene","scene":"church","date":"{NEXT_DAY}"}}"#),
    );
    s.at("17:00");
    s.meeting();
    s.at_on(NEXT_DAY, "09:00");
    ready_without_meeting(&mut s);
    s.refused_only(Some("armorer"), &hand("colt", "actor"), &["meeting-first"]);
    s.meeting();
    s.clean(Some("armorer"), &hand("colt", "actor"));
}

#[test]
fn a_briefing_given_before_the_meeting_does_not_count() {
    // semantics.md: "with the performer and every roster member among its attendees or
    // `brief`ed after".
    let mut s = Set::standard();
    s.at("08:00");
    s.ok(
        Some("first-ad"),
        r#"{"do":"brief","person":"dp","scene":"church"}"#,
    );
    s.at("08:30");
    s.ok(
        Some("first-ad"),
        r#"{"do":"safety-meeting","scenes":["church"],"attendees":["actor","first-ad","armorer"]}"#,
    );
    ready_without_meeting(&mut s);
    s.refused_only(Some("armorer"), &hand("colt", "actor"), &["meeting-first"]);
}

// ---- replica-rehearsal (hand-over; and who signs at approve-exception)

/// A rehearsal today with the colt and the replica; the colt ready for the actor.
fn rehearsal_with_the_colt_ready(s: &mut Set) {
    s.ok(None, &format!(r#"{{"do":"schedule-scene","id":"blocking","date":"{DAY}","kind":"rehearsal","items":["colt","replica"],"performers":["actor"],"roster":["actor","dp","first-ad"]}}"#));
    s.ok(Some("first-ad"), r#"{"do":"safety-meeting","scenes":["blocking"],"attendees":["actor","dp","first-ad","armorer"]}"#);
    s.ok(
        Some("first-ad"),
        r#"{"do":"call-scene","scene":"blocking"}"#,
    );
    s.colt_out();
    s.ok(Some("armorer"), LOAD_DUMMIES);
    s.inspect_dummies_for("actor");
    s.ok(Some("first-ad"), SECOND);
    s.ok(Some("armorer"), COLD);
}

const REHEARSAL_EXCEPTION: &str = r#"{"do":"approve-exception","kind":"replica-rehearsal","scene":"blocking","reason":"the cylinder must turn on camera"}"#;

#[test]
fn a_rehearsal_uses_a_replica_unless_armorer_and_safety_supervisor_both_signed_an_exception() {
    let mut s = Set::standard();
    rehearsal_with_the_colt_ready(&mut s);
    let vs = s.refused_only(
        Some("armorer"),
        &hand("colt", "actor"),
        &["replica-rehearsal"],
    );
    let m = Set::message_of(&vs, "replica-rehearsal");
    assert!(m.contains("blocking") && m.contains("R-0001"), "{m}");
    // One signature is not enough.
    s.clean(Some("armorer"), REHEARSAL_EXCEPTION);
    s.refused_only(
        Some("armorer"),
        &hand("colt", "actor"),
        &["replica-rehearsal"],
    );
    s.clean(Some("safety"), REHEARSAL_EXCEPTION);
    s.clean(Some("armorer"), &hand("colt", "actor"));
}

#[test]
fn the_replica_is_let_through_in_a_rehearsal() {
    let mut s = Set::standard();
    rehearsal_with_the_colt_ready(&mut s);
    s.ok(Some("armorer"), r#"{"do":"check-out","item":"replica"}"#);
    s.clean(Some("armorer"), &hand("replica", "actor"));
}

#[test]
fn only_the_armorer_and_the_safety_supervisor_sign_a_rehearsal_exception() {
    let mut s = Set::standard();
    rehearsal_with_the_colt_ready(&mut s);
    for by in ["first-ad", "producer", "actor"] {
        s.refused_only(Some(by), REHEARSAL_EXCEPTION, &["replica-rehearsal"]);
    }
}

// ---- line-of-fire (call-scene)

fn church_points_at_people(s: &mut Set) {
    s.ok(
        None,
        r#"{"do":"change-scene","scene":"church","points_toward_people":true}"#,
    );
}

#[test]
fn a_scene_pointing_a_firearm_at_people_needs_a_line_of_fire_plan() {
    let mut s = Set::standard();
    church_points_at_people(&mut s);
    let vs = s.refused_only(Some("first-ad"), CALL, &["line-of-fire"]);
    assert!(Set::message_of(&vs, "line-of-fire").contains("church"));
    s.ok(
        None,
        r#"{"do":"line-of-fire-plan","scene":"church","shields":true,"min_distance_ft":25}"#,
    );
    s.clean(Some("first-ad"), CALL);
}

#[test]
fn the_plan_needs_shields_or_a_remote_camera() {
    let mut s = Set::standard();
    church_points_at_people(&mut s);
    s.ok(
        None,
        r#"{"do":"line-of-fire-plan","scene":"church","min_distance_ft":25}"#,
    );
    s.refused_only(Some("first-ad"), CALL, &["line-of-fire"]);
    s.ok(
        None,
        r#"{"do":"line-of-fire-plan","scene":"church","remote_camera":true,"min_distance_ft":25}"#,
    );
    s.clean(Some("first-ad"), CALL);
}

#[test]
fn blanks_fired_toward_people_need_twenty_feet_from_the_muzzle() {
    let mut s = Set::standard();
    church_points_at_people(&mut s);
    s.ok(
        None,
        r#"{"do":"line-of-fire-plan","scene":"church","shields":true,"min_distance_ft":15}"#,
    );
    let vs = s.refused_only(Some("first-ad"), CALL, &["line-of-fire"]);
    assert!(Set::message_of(&vs, "line-of-fire").contains("20"));
    s.ok(
        None,
        r#"{"do":"line-of-fire-plan","scene":"church","shields":true,"min_distance_ft":20}"#,
    );
    s.clean(Some("first-ad"), CALL);
}

#[test]
fn without_blanks_a_shielded_plan_needs_no_minimum_distance() {
    let mut s = Set::standard();
    s.ok(
        None,
        r#"{"do":"change-scene","scene":"church","points_toward_people":true,"blank_rounds":0}"#,
    );
    s.ok(
        None,
        r#"{"do":"line-of-fire-plan","scene":"church","shields":true,"min_distance_ft":5}"#,
    );
    s.clean(Some("first-ad"), CALL);
}

#[test]
fn a_replica_pointed_at_people_needs_no_line_of_fire_plan() {
    let mut s = Set::standard();
    s.ok(None, &format!(r#"{{"do":"schedule-scene","id":"standoff","date":"{DAY}","items":["replica"],"performers":["actor"],"roster":["actor","dp"],"points_toward_people":true}}"#));
    s.clean(
        Some("first-ad"),
        r#"{"do":"call-scene","scene":"standoff"}"#,
    );
}

// ---- no-live-fire-policy (no-live-fire; register-item, register-lot)

#[test]
fn under_no_live_fire_working_and_blank_firing_guns_are_refused_and_replicas_let_through() {
    let mut s = Set::with_policy("no-live-fire");
    for kind in ["functional", "blank-adapted"] {
        let vs = s.refused_only(
            None,
            &format!(r#"{{"do":"register-item","id":"gun-{kind}","kind":"{kind}","class":"revolver","calibre":".45 Colt"}}"#),
            &["no-live-fire-policy"],
        );
        assert!(Set::message_of(&vs, "no-live-fire-policy").contains(&format!("gun-{kind}")));
    }
    for kind in ["airsoft", "rubber", "non-firing"] {
        s.clean(
            None,
            &format!(
                r#"{{"do":"register-item","id":"prop-{kind}","kind":"{kind}","class":"revolver"}}"#
            ),
        );
    }
}

#[test]
fn under_no_live_fire_all_ammunition_is_refused() {
    let mut s = Set::with_policy("no-live-fire");
    for ammo in ["dummy", "blank"] {
        s.refused_only(
            None,
            &format!(r#"{{"do":"register-lot","id":"box-{ammo}","ammo":"{ammo}","calibre":".45 Colt","rounds":10}}"#),
            &["no-live-fire-policy"],
        );
    }
    s.refused_only(
        None,
        r#"{"do":"register-lot","id":"box-live","ammo":"live","calibre":".45 Colt","rounds":10}"#,
        &["no-live-fire-policy", "no-live-ammo"],
    );
}

#[test]
fn under_the_standard_policy_a_working_firearm_is_registered() {
    let mut s = Set::standard();
    s.clean(
        None,
        r#"{"do":"register-item","id":"winchester","kind":"functional","class":"rifle","calibre":".30-30"}"#,
    );
}

// ---- inspection-matches-record (extension; inspect)

#[test]
fn an_inspection_saying_empty_when_the_record_shows_rounds_is_refused() {
    let mut s = Set::standard();
    s.colt_out();
    s.ok(Some("armorer"), LOAD_DUMMIES);
    let vs = s.refused_only(
        Some("armorer"),
        r#"{"do":"inspect","item":"colt","state":"empty"}"#,
        &["inspection-matches-record"],
    );
    let m = Set::message_of(&vs, "inspection-matches-record");
    assert!(
        m.contains("R-0001") && m.contains("6 from lot dummies"),
        "{m}"
    );
    s.clean(Some("armorer"), INSPECT_DUMMIES);
}

#[test]
fn an_inspection_finding_rounds_in_an_empty_item_is_refused() {
    let mut s = Set::standard();
    s.colt_out();
    s.refused_only(
        Some("armorer"),
        INSPECT_DUMMIES,
        &["inspection-matches-record"],
    );
    s.refused_only(
        Some("armorer"),
        r#"{"do":"inspect","item":"colt","state":"blanks"}"#,
        &["inspection-matches-record"],
    );
    s.clean(
        Some("armorer"),
        r#"{"do":"inspect","item":"colt","state":"empty","rounds":0}"#,
    );
}

#[test]
fn an_inspection_with_the_wrong_count_lot_or_kind_is_refused() {
    let mut s = Set::standard();
    s.ok(Some("first-ad"), CALL);
    s.colt_out();
    s.ok(Some("armorer"), LOAD_DUMMIES);
    for wrong in [
        r#"{"do":"inspect","item":"colt","state":"dummies","rounds":5,"lot":"dummies"}"#,
        r#"{"do":"inspect","item":"colt","state":"dummies","rounds":6,"lot":"blanks"}"#,
        r#"{"do":"inspect","item":"colt","state":"blanks","rounds":6}"#,
    ] {
        s.refused_only(Some("armorer"), wrong, &["inspection-matches-record"]);
    }
    // Without the optional count and lot, the kind alone must agree.
    s.clean(
        Some("armorer"),
        r#"{"do":"inspect","item":"colt","state":"dummies"}"#,
    );
    s.ok(Some("armorer"), r#"{"do":"unload","item":"colt"}"#);
    s.ok(
        Some("armorer"),
        r#"{"do":"load","item":"colt","lot":"blanks","rounds":2}"#,
    );
    s.refused_only(
        Some("armorer"),
        r#"{"do":"inspect","item":"colt","state":"dummies","rounds":2}"#,
        &["inspection-matches-record"],
    );
    s.clean(
        Some("armorer"),
        r#"{"do":"inspect","item":"colt","state":"blanks","rounds":2,"lot":"blanks"}"#,
    );
}
