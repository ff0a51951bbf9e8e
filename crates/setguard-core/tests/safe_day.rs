//! The safe hand-over, end to end, through the core alone.

mod support;
use support::Set;

#[test]
fn a_correct_hand_over_with_dummies_is_recorded_with_no_alarm() {
    let mut s = Set::standard();
    s.at("09:00");
    s.ready_colt_with_dummies();
    assert!(
        s.ok(
            Some("armorer"),
            r#"{"do":"hand-over","item":"colt","to":"actor"}"#
        )
        .is_empty()
    );
    s.at("09:10");
    s.ok(Some("first-ad"), r#"{"do":"cut","scene":"church"}"#);
    s.at("09:12");
    s.ok(
        Some("actor"),
        r#"{"do":"hand-over","item":"colt","to":"armorer"}"#,
    );
    s.ok(Some("armorer"), r#"{"do":"unload","item":"colt"}"#);
    s.ok(Some("armorer"), r#"{"do":"store","item":"colt"}"#);
    assert!(s.at("18:00").is_empty());
    assert!(s.ok(None, r#"{"do":"wrap"}"#).is_empty());
}

#[test]
fn a_night_shoot_goes_on_past_midnight_under_the_day_it_started() {
    let mut s = Set::standard();
    s.at("18:00");
    s.ok(Some("first-ad"), r#"{"do":"start-day"}"#);
    s.ok(Some("first-ad"), r#"{"do":"safety-meeting","scenes":["church"],"attendees":["actor","dp","first-ad","armorer"]}"#);
    s.ok(Some("first-ad"), r#"{"do":"call-scene","scene":"church"}"#);
    // Past midnight: the calendar says the 22nd, the shooting day is still the 21st.
    s.now = setguard_core::At::parse("2021-10-22T00:30").unwrap();
    s.ok(Some("armorer"), r#"{"do":"check-out","item":"colt"}"#);
    s.ok(
        Some("armorer"),
        r#"{"do":"inspect","item":"colt","state":"empty"}"#,
    );
    s.ok(Some("actor"), r#"{"do":"confirm-check","item":"colt"}"#);
    s.ok(Some("first-ad"), r#"{"do":"second-check","item":"colt"}"#);
    assert!(
        s.ok(
            Some("armorer"),
            r#"{"do":"hand-over","item":"colt","to":"actor"}"#
        )
        .is_empty()
    );
}
