//! The people-and-roles rules of the catalogue: each refusing where `PROTOCOLS.md` says, and the
//! nearest correct action let through.

mod support;
use support::*;

// ---- handler-qualified (assign-role, check-out)

#[test]
fn making_someone_a_handler_without_a_current_handler_credential_is_refused() {
    for role in ["armorer", "assistant-armorer", "property-master"] {
        let mut s = Set::standard();
        s.ok(
            None,
            r#"{"do":"register-person","id":"newbie","name":"N. Newbie"}"#,
        );
        let assign = format!(r#"{{"do":"assign-role","person":"newbie","role":"{role}"}}"#);
        let vs = s.refused_only(None, &assign, &["handler-qualified"]);
        assert!(Set::message_of(&vs, "handler-qualified").contains("N. Newbie"));
        // An expired credential does not count, and the refusal says so.
        s.ok(None, r#"{"do":"grant-credential","person":"newbie","kind":"handler","expires":"2020-12-31"}"#);
        let vs = s.refused_only(None, &assign, &["handler-qualified"]);
        assert!(Set::message_of(&vs, "handler-qualified").contains("expired"));
        s.ok(None, r#"{"do":"grant-credential","person":"newbie","kind":"handler","expires":"2030-01-01"}"#);
        s.clean(None, &assign);
    }
}

#[test]
fn roles_that_do_not_handle_firearms_need_no_handler_credential() {
    let mut s = Set::standard();
    s.ok(
        None,
        r#"{"do":"register-person","id":"grip","name":"G. Grip"}"#,
    );
    s.clean(
        None,
        r#"{"do":"assign-role","person":"grip","role":"crew"}"#,
    );
    s.clean(
        None,
        r#"{"do":"assign-role","person":"grip","role":"performer"}"#,
    );
}

#[test]
fn under_california_a_handler_also_needs_a_current_csatf_s_pass() {
    let mut s = Set::with_policy("california");
    s.ok(
        None,
        r#"{"do":"register-person","id":"newbie","name":"N. Newbie"}"#,
    );
    s.ok(
        None,
        r#"{"do":"grant-credential","person":"newbie","kind":"handler","expires":"2030-01-01"}"#,
    );
    let assign = r#"{"do":"assign-role","person":"newbie","role":"assistant-armorer"}"#;
    let vs = s.refused_only(None, assign, &["handler-qualified"]);
    assert!(Set::message_of(&vs, "handler-qualified").contains("CSATF S"));
    s.ok(
        None,
        r#"{"do":"grant-credential","person":"newbie","kind":"csatf-s","expires":"2030-01-01"}"#,
    );
    s.clean(None, assign);
}

#[test]
fn checking_out_an_item_whose_class_the_handlers_credential_does_not_cover_is_refused() {
    let mut s = Set::standard();
    s.ok(
        None,
        r#"{"do":"register-item","id":"winchester","kind":"functional","class":"rifle","calibre":".30-30","serial":"W-77"}"#,
    );
    // The armorer's handler credential covers revolvers only.
    let vs = s.refused_only(
        Some("armorer"),
        r#"{"do":"check-out","item":"winchester"}"#,
        &["handler-qualified"],
    );
    let m = Set::message_of(&vs, "handler-qualified");
    assert!(m.contains("A. Armorer") && m.contains("W-77"), "{m}");
    s.clean(Some("armorer"), r#"{"do":"check-out","item":"colt"}"#);
    s.ok(None, r#"{"do":"grant-credential","person":"armorer","kind":"handler","classes":["rifle"],"expires":"2030-01-01"}"#);
    s.clean(Some("armorer"), r#"{"do":"check-out","item":"winchester"}"#);
}

#[test]
fn checking_out_after_the_handlers_credential_expired_is_refused() {
    let mut s = Set::standard();
    s.ok(
        None,
        r#"{"do":"register-person","id":"second","name":"S. Second"}"#,
    );
    // Current through its expiry date.
    s.ok(None, &format!(r#"{{"do":"grant-credential","person":"second","kind":"handler","classes":["revolver"],"expires":"{DAY}"}}"#));
    s.ok(
        None,
        r#"{"do":"assign-role","person":"second","role":"assistant-armorer"}"#,
    );
    s.clean(Some("second"), r#"{"do":"check-out","item":"colt"}"#);
    s.clean(Some("second"), r#"{"do":"store","item":"colt"}"#);
    s.at_on(NEXT_DAY, "08:00");
    let vs = s.refused_only(
        Some("second"),
        r#"{"do":"check-out","item":"colt"}"#,
        &["handler-qualified"],
    );
    assert!(Set::message_of(&vs, "handler-qualified").contains("expired"));
}

// ---- near-fire-trained (CA; call-scene)

fn grip_on_the_church_roster(s: &mut Set) {
    s.ok(
        None,
        r#"{"do":"register-person","id":"grip","name":"G. Grip"}"#,
    );
    s.ok(
        None,
        r#"{"do":"change-scene","scene":"church","roster":["actor","dp","first-ad","grip"]}"#,
    );
}

#[test]
fn under_california_a_firearm_scene_with_an_untrained_person_on_the_roster_is_not_called() {
    let mut s = Set::with_policy("california");
    grip_on_the_church_roster(&mut s);
    let call = r#"{"do":"call-scene","scene":"church"}"#;
    let vs = s.refused_only(Some("first-ad"), call, &["near-fire-trained"]);
    assert!(Set::message_of(&vs, "near-fire-trained").contains("G. Grip"));
    // An expired pass does not count.
    s.ok(
        None,
        r#"{"do":"grant-credential","person":"grip","kind":"csatf-s2","expires":"2021-01-01"}"#,
    );
    s.refused_only(Some("first-ad"), call, &["near-fire-trained"]);
    s.ok(
        None,
        r#"{"do":"grant-credential","person":"grip","kind":"csatf-s2","expires":"2030-01-01"}"#,
    );
    s.clean(Some("first-ad"), call);
}

#[test]
fn under_the_standard_policy_the_roster_needs_no_s2_pass() {
    let mut s = Set::standard();
    grip_on_the_church_roster(&mut s);
    s.clean(Some("first-ad"), r#"{"do":"call-scene","scene":"church"}"#);
}

#[test]
fn under_california_a_scene_with_only_a_replica_needs_no_s2_pass() {
    let mut s = Set::with_policy("california");
    s.ok(
        None,
        r#"{"do":"register-person","id":"grip","name":"G. Grip"}"#,
    );
    s.ok(None, &format!(r#"{{"do":"schedule-scene","id":"walk","date":"{DAY}","items":["replica"],"performers":["actor"],"roster":["actor","grip"]}}"#));
    s.clean(Some("first-ad"), r#"{"do":"call-scene","scene":"walk"}"#);
}

// ---- performer-trained (hand-over)

/// A second performer, E. Extra, on the church scene, and the colt ready for them.
fn colt_ready_for_the_extra(s: &mut Set) {
    s.person("extra", "E. Extra", &["performer"]);
    s.ok(None, r#"{"do":"change-scene","scene":"church","performers":["actor","extra"],"roster":["actor","dp","first-ad","extra"]}"#);
    s.ready_colt_for("extra");
}

#[test]
fn handing_a_firearm_to_a_performer_without_training_is_refused_until_it_is_recorded() {
    let mut s = Set::standard();
    colt_ready_for_the_extra(&mut s);
    let vs = s.refused_only(
        Some("armorer"),
        &hand("colt", "extra"),
        &["performer-trained"],
    );
    let m = Set::message_of(&vs, "performer-trained");
    assert!(m.contains("E. Extra") && m.contains("R-0001"), "{m}");
    s.clean(
        Some("armorer"),
        r#"{"do":"record-training","performer":"extra","class":"revolver"}"#,
    );
    s.clean(Some("armorer"), &hand("colt", "extra"));
}

#[test]
fn training_for_another_weapon_class_does_not_count() {
    let mut s = Set::standard();
    colt_ready_for_the_extra(&mut s);
    s.ok(
        Some("armorer"),
        r#"{"do":"record-training","performer":"extra","class":"pistol"}"#,
    );
    s.refused_only(
        Some("armorer"),
        &hand("colt", "extra"),
        &["performer-trained"],
    );
}

#[test]
fn a_cancelled_training_does_not_count() {
    let mut s = Set::standard();
    colt_ready_for_the_extra(&mut s);
    // Training #1 is the actor's; the extra's is #2.
    s.ok(
        Some("armorer"),
        r#"{"do":"plan-training","performer":"extra","class":"revolver"}"#,
    );
    s.ok(
        Some("armorer"),
        r#"{"do":"record-training","performer":"extra","class":"revolver"}"#,
    );
    s.ok(
        Some("safety"),
        r#"{"do":"cancel-training","training":2,"reason":"recorded by mistake"}"#,
    );
    s.refused_only(
        Some("armorer"),
        &hand("colt", "extra"),
        &["performer-trained"],
    );
}

#[test]
fn a_current_training_credential_for_the_class_counts_as_training() {
    let mut s = Set::standard();
    colt_ready_for_the_extra(&mut s);
    s.ok(None, r#"{"do":"grant-credential","person":"extra","kind":"training","classes":["revolver"],"expires":"2030-01-01"}"#);
    s.clean(Some("armorer"), &hand("colt", "extra"));
}

// ---- specialist-decides-training (plan-training, record-training, cancel-training)

#[test]
fn a_producer_can_not_plan_record_or_cancel_firearm_training() {
    let mut s = Set::standard();
    for cmd in [
        r#"{"do":"plan-training","performer":"actor","class":"revolver"}"#,
        r#"{"do":"record-training","performer":"actor","class":"pistol"}"#,
        r#"{"do":"cancel-training","training":1,"reason":"over budget"}"#,
    ] {
        let vs = s.refused_only(Some("producer"), cmd, &["specialist-decides-training"]);
        assert!(Set::message_of(&vs, "specialist-decides-training").contains("P. Producer"));
    }
    // The first AD is no firearms specialist either.
    s.refused_only(
        Some("first-ad"),
        r#"{"do":"plan-training","performer":"actor","class":"revolver"}"#,
        &["specialist-decides-training"],
    );
}

#[test]
fn the_armorer_and_the_safety_supervisor_plan_record_and_cancel_training() {
    let mut s = Set::standard();
    s.clean(
        Some("armorer"),
        r#"{"do":"plan-training","performer":"actor","class":"pistol"}"#,
    );
    s.clean(
        Some("safety"),
        r#"{"do":"record-training","performer":"actor","class":"pistol"}"#,
    );
    s.clean(
        Some("safety"),
        r#"{"do":"plan-training","performer":"dp","class":"rifle"}"#,
    );
    s.clean(
        Some("armorer"),
        r#"{"do":"cancel-training","training":3,"reason":"scene cut from the script"}"#,
    );
}

// ---- armorer-sole-duty (assign-duty)

#[test]
fn the_armorer_or_property_master_gets_no_other_duty_on_a_firearm_day() {
    let mut s = Set::standard();
    let vs = s.refused_only(
        None,
        r#"{"do":"assign-duty","person":"armorer","duty":"props"}"#,
        &["armorer-sole-duty"],
    );
    assert!(Set::message_of(&vs, "armorer-sole-duty").contains("A. Armorer"));
    s.handler("props", "P. Master", "property-master");
    let vs = s.refused_only(
        None,
        r#"{"do":"assign-duty","person":"props","duty":"set dressing"}"#,
        &["armorer-sole-duty"],
    );
    assert!(Set::message_of(&vs, "armorer-sole-duty").contains("P. Master"));
}

#[test]
fn other_duties_are_let_through_for_other_crew_or_on_a_day_without_firearm_scenes() {
    let mut s = Set::standard();
    s.clean(
        None,
        r#"{"do":"assign-duty","person":"dp","duty":"second unit"}"#,
    );
    s.at_on(NEXT_DAY, "07:00");
    s.clean(
        None,
        r#"{"do":"assign-duty","person":"armorer","duty":"props"}"#,
    );
}

// ---- enough-handlers (check-out)

#[test]
fn a_fifth_firing_item_out_for_one_handler_is_refused() {
    let mut s = Set::standard();
    for (id, serial) in [
        ("colt2", "R-0002"),
        ("colt3", "R-0003"),
        ("colt4", "R-0004"),
        ("colt5", "R-0005"),
    ] {
        s.revolver(id, serial);
    }
    for id in ["colt", "colt2", "colt3", "colt4"] {
        s.clean(
            Some("armorer"),
            &format!(r#"{{"do":"check-out","item":"{id}"}}"#),
        );
    }
    let five = r#"{"do":"check-out","item":"colt5"}"#;
    let vs = s.refused_only(Some("armorer"), five, &["enough-handlers"]);
    assert!(Set::message_of(&vs, "enough-handlers").contains("R-0005"));
    // A replica does not count.
    s.clean(Some("armorer"), r#"{"do":"check-out","item":"replica"}"#);
    // One back in storage makes room.
    s.ok(Some("armorer"), r#"{"do":"store","item":"colt"}"#);
    s.clean(Some("armorer"), five);
}

#[test]
fn a_second_handler_on_the_production_raises_the_limit() {
    let mut s = Set::standard();
    for (id, serial) in [
        ("colt2", "R-0002"),
        ("colt3", "R-0003"),
        ("colt4", "R-0004"),
        ("colt5", "R-0005"),
    ] {
        s.revolver(id, serial);
    }
    for id in ["colt", "colt2", "colt3", "colt4"] {
        s.ok(
            Some("armorer"),
            &format!(r#"{{"do":"check-out","item":"{id}"}}"#),
        );
    }
    s.handler("assistant", "A. Assistant", "assistant-armorer");
    s.clean(Some("assistant"), r#"{"do":"check-out","item":"colt5"}"#);
}

// ---- compliance-contact (check-out)

#[test]
fn nothing_leaves_storage_before_a_compliance_contact_is_named() {
    let mut s = Set::build("standard", false);
    s.refused_only(
        Some("armorer"),
        r#"{"do":"check-out","item":"colt"}"#,
        &["compliance-contact"],
    );
    s.refused_only(
        Some("armorer"),
        r#"{"do":"check-out","item":"replica"}"#,
        &["compliance-contact"],
    );
    s.ok(
        None,
        r#"{"do":"name-compliance-contact","person":"safety"}"#,
    );
    s.clean(Some("armorer"), r#"{"do":"check-out","item":"colt"}"#);
    s.clean(Some("armorer"), r#"{"do":"check-out","item":"replica"}"#);
}

// ---- red-flag-acknowledged (assign-role)

fn register_hall(s: &mut Set) {
    s.ok(
        None,
        r#"{"do":"register-person","id":"hall","name":"D. Hall","prior_incidents":["fired from an earlier production after a discharge on set"]}"#,
    );
    s.ok(
        None,
        r#"{"do":"grant-credential","person":"hall","kind":"handler","expires":"2030-01-01"}"#,
    );
}

#[test]
fn a_safety_critical_role_for_someone_with_prior_incidents_needs_a_producers_acknowledgement() {
    for role in [
        "first-ad",
        "safety-supervisor",
        "armorer",
        "assistant-armorer",
        "property-master",
    ] {
        let mut s = Set::standard();
        register_hall(&mut s);
        let assign = format!(r#"{{"do":"assign-role","person":"hall","role":"{role}"}}"#);
        let vs = s.refused_only(None, &assign, &["red-flag-acknowledged"]);
        let m = Set::message_of(&vs, "red-flag-acknowledged");
        assert!(
            m.contains("D. Hall") && m.contains("earlier production"),
            "{m}"
        );
        s.clean(
            Some("producer"),
            r#"{"do":"acknowledge-red-flag","person":"hall","reason":"reviewed; supervised by the safety supervisor"}"#,
        );
        s.clean(None, &assign);
    }
}

#[test]
fn only_a_producer_acknowledges_a_red_flag() {
    let mut s = Set::standard();
    register_hall(&mut s);
    for by in ["first-ad", "safety", "armorer"] {
        s.refused_only(
            Some(by),
            r#"{"do":"acknowledge-red-flag","person":"hall","reason":"fine by me"}"#,
            &["red-flag-acknowledged"],
        );
    }
    s.refused_only(
        None,
        r#"{"do":"assign-role","person":"hall","role":"first-ad"}"#,
        &["red-flag-acknowledged"],
    );
}

#[test]
fn a_role_that_is_not_safety_critical_needs_no_acknowledgement() {
    let mut s = Set::standard();
    register_hall(&mut s);
    s.clean(
        None,
        r#"{"do":"assign-role","person":"hall","role":"crew"}"#,
    );
}
