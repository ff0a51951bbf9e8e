//! Property tests of the domain core.
//!
//! 1. The event encoding: arbitrary events of every kind read back equal from their JSON, which
//!    always carries `"v":1`, `"at"` and `"type"`; golden events pin the exact encoding.
//! 2. Invariants over random days on set: random sequences of on-set commands by random people,
//!    with the clock moving forward, run through `tick` and `decide`; after every step the
//!    custody, hand-over, cold, quarantine, live-ammunition, record and time invariants hold
//!    (see `properties/sim.rs`). Each group is its own test, so one broken invariant does not
//!    hide another.

mod support;

#[path = "properties/fingerprint.rs"]
mod fingerprint;
#[path = "properties/sim.rs"]
mod sim;
#[path = "properties/strategies.rs"]
mod strategies;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use setguard_core::*;
use sim::{Checks, Step};

// ---- 1. the encoding ---------------------------------------------------------------------

proptest! {
    #![proptest_config(Config { cases: 512, ..Config::default() })]

    #[test]
    fn events_read_back_equal_from_their_json(ev in strategies::event()) {
        let json = serde_json::to_string(&ev).unwrap();
        let back: Event = serde_json::from_str(&json)
            .map_err(|e| TestCaseError::fail(format!("{e}: {json}")))?;
        prop_assert_eq!(&back, &ev, "{}", json);

        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        let obj = value.as_object().unwrap();
        prop_assert_eq!(obj.get("v"), Some(&serde_json::json!(1)), "{}", json);
        let at = ev.at.naive().format("%Y-%m-%dT%H:%M:%S").to_string();
        prop_assert_eq!(obj.get("at").and_then(|v| v.as_str()), Some(at.as_str()), "{}", json);
        let word = strategies::type_word(&ev.body);
        prop_assert_eq!(obj.get("type").and_then(|v| v.as_str()), Some(word.as_str()), "{}", json);
        prop_assert_eq!(obj.get("by").and_then(|v| v.as_str()), ev.by.as_ref().map(|p| p.as_str()), "{}", json);
        // `v`, `at` and `type` come first, as the documented example shows.
        prop_assert!(json.starts_with(&format!("{{\"v\":1,\"at\":\"{at}\"")), "{}", json);
    }

    #[test]
    fn commands_read_back_equal_from_their_json(cmd in strategies::command()) {
        let json = serde_json::to_string(&cmd).unwrap();
        let back: Command = serde_json::from_str(&json)
            .map_err(|e| TestCaseError::fail(format!("{e}: {json}")))?;
        prop_assert_eq!(&back, &cmd, "{}", json);
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(value.get("do").and_then(|v| v.as_str()), Some(cmd.name()), "{}", json);
        prop_assert!(command::COMMAND_WORDS.contains(&cmd.name()));
    }
}

fn at(s: &str) -> At {
    At::parse(s).unwrap()
}
fn p(s: &str) -> PersonId {
    PersonId::parse(s).unwrap()
}
fn item(s: &str) -> ItemId {
    ItemId::parse(s).unwrap()
}

/// The event encodes exactly as `golden`, and `golden` reads back as the event.
fn golden(ev: Event, golden: &str) {
    assert_eq!(serde_json::to_string(&ev).unwrap(), golden);
    let back: Event = serde_json::from_str(golden).unwrap();
    assert_eq!(back, ev);
}

#[test]
fn golden_loaded_event_is_the_documented_example() {
    golden(
        Event::new(
            at("2021-10-21T11:45"),
            Some(p("armorer")),
            EventBody::Loaded {
                item: item("colt"),
                lot: LotId::parse("dummies").unwrap(),
                rounds: Rounds(6),
                scene: None,
            },
        ),
        r#"{"v":1,"at":"2021-10-21T11:45:00","by":"armorer","type":"loaded","item":"colt","lot":"dummies","rounds":6}"#,
    );
}

#[test]
fn golden_alarms_have_no_person_and_name_their_subject() {
    golden(
        Event::new(
            at("2021-10-21T12:00"),
            None,
            EventBody::AlarmRaised {
                rule: RuleId::NeverUnattended,
                about: Subject::Item(item("colt")),
                message: "The revolver R-0001 is unattended.".to_owned(),
            },
        ),
        r#"{"v":1,"at":"2021-10-21T12:00:00","type":"alarm-raised","rule":"never-unattended","about":{"kind":"item","id":"colt"},"message":"The revolver R-0001 is unattended."}"#,
    );
    golden(
        Event::new(
            at("2021-10-21T12:00:30"),
            None,
            EventBody::AlarmRaised {
                rule: RuleId::WalkoutEscalates,
                about: Subject::Production,
                message: "Crew walked out.".to_owned(),
            },
        ),
        r#"{"v":1,"at":"2021-10-21T12:00:30","type":"alarm-raised","rule":"walkout-escalates","about":{"kind":"production"},"message":"Crew walked out."}"#,
    );
    golden(
        Event::new(
            at("2021-10-22T12:00"),
            None,
            EventBody::AlarmRaised {
                rule: RuleId::IncidentClosedProperly,
                about: Subject::Incident(IncidentId(3)),
                message: "escalated".to_owned(),
            },
        ),
        r#"{"v":1,"at":"2021-10-22T12:00:00","type":"alarm-raised","rule":"incident-closed-properly","about":{"kind":"incident","id":3},"message":"escalated"}"#,
    );
}

#[test]
fn golden_refused_event_keeps_the_command_as_given() {
    golden(
        Event::new(
            at("2021-10-21T09:00"),
            Some(p("first-ad")),
            EventBody::Refused {
                attempted: Command::CheckOut { item: item("colt") },
                violations: vec![Violation::new(
                    RuleId::HandlerHandsOver,
                    "F. AD is not the armorer.",
                )],
            },
        ),
        r#"{"v":1,"at":"2021-10-21T09:00:00","by":"first-ad","type":"refused","attempted":{"do":"check-out","item":"colt"},"violations":[{"rule":"handler-hands-over","message":"F. AD is not the armorer."}]}"#,
    );
}

#[test]
fn golden_registrations_flatten_their_spec() {
    golden(
        Event::new(
            at("2021-10-21T07:00"),
            None,
            EventBody::ItemRegistered(ItemSpec {
                id: item("colt"),
                kind: ItemKind::BlankAdapted,
                class: WeaponClass::Revolver,
                calibre: Some(Calibre::parse(".45 Colt").unwrap()),
                serial: Some(Serial::parse("R-0001").unwrap()),
            }),
        ),
        r#"{"v":1,"at":"2021-10-21T07:00:00","type":"item-registered","id":"colt","kind":"blank-adapted","class":"revolver","calibre":".45 Colt","serial":"R-0001"}"#,
    );
}

#[test]
fn golden_anonymous_concern_and_hand_over_and_day() {
    golden(
        Event::new(
            at("2021-10-21T06:30"),
            None,
            EventBody::ConcernRaised {
                concern: ConcernId(1),
                text: "Two misfires yesterday.".to_owned(),
                urgent: true,
                anonymous: true,
            },
        ),
        r#"{"v":1,"at":"2021-10-21T06:30:00","type":"concern-raised","concern":1,"text":"Two misfires yesterday.","urgent":true,"anonymous":true}"#,
    );
    golden(
        Event::new(
            at("2021-10-21T12:08"),
            Some(p("armorer")),
            EventBody::HandedOver {
                item: item("colt"),
                to: p("actor"),
                scene: Some(SceneId::parse("church").unwrap()),
            },
        ),
        r#"{"v":1,"at":"2021-10-21T12:08:00","by":"armorer","type":"handed-over","item":"colt","to":"actor","scene":"church"}"#,
    );
    golden(
        Event::new(
            at("2021-10-21T06:00"),
            Some(p("first-ad")),
            EventBody::DayStarted,
        ),
        r#"{"v":1,"at":"2021-10-21T06:00:00","by":"first-ad","type":"day-started"}"#,
    );
}

// ---- 2. invariants over random days on set -----------------------------------------------

const CASES: u32 = 256;
const MAX_STEPS: usize = 60;

fn policy() -> impl Strategy<Value = PolicyName> {
    prop_oneof![Just(PolicyName::Standard), Just(PolicyName::California)]
}

fn check(policy: PolicyName, steps: &[Step], checks: Checks) -> Result<(), TestCaseError> {
    sim::run(policy, steps, checks).map_err(TestCaseError::fail)
}

proptest! {
    #![proptest_config(Config { cases: CASES, ..Config::default() })]

    /// Every item is in one place, with a person on the crew list; `firing_out` and `handlers`
    /// count what they say; every round issued from a lot is in an item, fired or returned.
    #[test]
    fn custody_is_always_known(policy in policy(), steps in sim::steps(MAX_STEPS)) {
        check(policy, &steps, Checks { custody: true, ..Checks::default() })?;
    }

    /// A firing item reaches a non-handler only by a hand-over with a current inspection the
    /// performer confirmed, given by a handler while work is not stopped.
    #[test]
    fn firing_items_reach_performers_only_checked(policy in policy(), steps in sim::steps(MAX_STEPS)) {
        check(policy, &steps, Checks { handover: true, ..Checks::default() })?;
    }

    /// `cold` only while the current inspection says empty or verified dummies (and the record
    /// agrees); a hand-over, set-down, store, load, unload or break ends an inspection.
    #[test]
    fn cold_is_only_announced_on_a_verified_check(policy in policy(), steps in sim::steps(MAX_STEPS)) {
        check(policy, &steps, Checks { cold: true, ..Checks::default() })?;
    }

    /// A quarantined item is never handed to a non-handler, loaded, inspected or checked out.
    #[test]
    fn quarantined_items_stay_quarantined(policy in policy(), steps in sim::steps(MAX_STEPS)) {
        check(policy, &steps, Checks { quarantine: true, ..Checks::default() })?;
    }

    /// No live lot is registered or loaded unless the policy is california and an approved
    /// exception (reason, place, medic) exists for it.
    #[test]
    fn live_ammunition_only_by_exception(policy in policy(), steps in sim::steps(MAX_STEPS)) {
        check(policy, &steps, Checks { live: true, ..Checks::default() })?;
    }

    /// `decide` never changes the state and answers the same twice; a refusal changes only the
    /// refusal counters; the record, replayed directly or through JSON, rebuilds the same state.
    #[test]
    fn state_changes_only_by_events_and_replays(policy in policy(), steps in sim::steps(MAX_STEPS)) {
        check(policy, &steps, Checks { records: true, ..Checks::default() })?;
    }

    /// Events are never stamped before the one before them, and `tick` raises each deadline's
    /// alarm once.
    #[test]
    fn time_moves_forward_and_alarms_are_raised_once(policy in policy(), steps in sim::steps(MAX_STEPS)) {
        check(policy, &steps, Checks { time: true, ..Checks::default() })?;
    }
}

/// The generator reaches the deep states the invariants are about (a guard against a generator
/// that only ever gets refused).
#[test]
fn random_days_reach_deep_states() {
    let mut runner = TestRunner::deterministic();
    let strategy = (policy(), sim::steps(MAX_STEPS));
    let mut cov = sim::Coverage::default();
    for _ in 0..CASES / 2 {
        let (policy, steps) = strategy.new_tree(&mut runner).unwrap().current();
        sim::cover(policy, &steps, &mut cov);
    }
    eprintln!("{cov:#?}");
    assert!(cov.recorded * 4 > cov.commands, "{cov:#?}");
    assert!(cov.handed_to_performer >= 20, "{cov:#?}");
    assert!(cov.announced_cold >= 40, "{cov:#?}");
    assert!(cov.loaded_blanks >= 5, "{cov:#?}");
    assert!(cov.quarantines >= 20, "{cov:#?}");
    assert!(cov.live_registered >= 5, "{cov:#?}");
    assert!(cov.alarms_from_tick >= 20, "{cov:#?}");
    assert!(cov.unverified_rounds_in_items >= 20, "{cov:#?}");
}

/// The minimal counterexample proptest found for the quarantine invariant (kept as a plain test
/// so that it fails on every run, whatever the random seed): an unexpected discharge recorded
/// against the non-firing replica quarantines it, and the armorer may still hand it to anyone.
#[test]
fn a_quarantined_replica_is_not_handed_to_a_non_handler() {
    use sim::{Op, Step, Who};
    let step = |apt, op| Step {
        minutes: 0,
        who: Who::Apt,
        apt,
        flip: false,
        op,
    };
    let steps = vec![
        step(false, Op::CheckOut(3)),
        step(
            true,
            Op::Discharge {
                item: 3,
                intended: false,
                rounds: 0,
            },
        ),
        step(
            false,
            Op::HandOver {
                item: 3,
                to: 2,
                scene: None,
            },
        ),
    ];
    let checks = Checks {
        quarantine: true,
        ..Checks::default()
    };
    if let Err(e) = sim::run(PolicyName::Standard, &steps, checks) {
        panic!("{e}");
    }
}

/// A counterexample to the cold invariant found by reading the core and not (yet) by the random
/// search, which reaches it too rarely: the colt is loaded from two verified dummy lots, one of
/// them then fails verification (a round is not inert: the lot is condemned), the other is
/// verified again, and an inspection naming the good lot lets the colt be announced cold while the
/// record still shows rounds from the condemned lot in it.
#[test]
fn cold_is_never_announced_over_rounds_from_a_condemned_lot() {
    use sim::{Op, Stage, Step, Who};
    let step = |minutes, flip, op| Step {
        minutes,
        who: Who::Apt,
        apt: true,
        flip,
        op,
    };
    let prepare = |stage| Op::Prepare {
        item: 0,
        lots: (Some(0), true),
        barn: false,
        train: false,
        stage,
    };
    let steps = vec![
        step(120, false, prepare(Stage::Ready)),
        step(
            1,
            true,
            Op::VerifyLot {
                lot: 0,
                counted: 1,
                failed: 1,
            },
        ),
        step(1, false, Op::Reverify),
        step(1, false, prepare(Stage::Check)),
    ];
    if let Err(e) = sim::run(
        PolicyName::Standard,
        &steps,
        Checks {
            cold: true,
            ..Checks::default()
        },
    ) {
        panic!("{e}");
    }
}
