//! Strategies for arbitrary values of the encoding: every `EventBody` variant, every `Command`,
//! and the ids, names and vocabularies they carry.

use chrono::{NaiveDate, NaiveDateTime};
use proptest::prelude::*;
use proptest::sample::select;
use setguard_core::*;

// ---- scalars ------------------------------------------------------------------------------

/// Any text: control characters, quotes and non-ASCII included (free text is stored as given).
pub fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-zA-Z0-9 ,.'-]{0,24}",
        1 => any::<String>(),
        1 => Just(String::new()),
        1 => "[\"\\\\/\u{0}-\u{1f}\u{7f}é€😀]{1,8}",
    ]
}

fn id_text() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._-]{1,64}"
}

pub fn person_id() -> impl Strategy<Value = PersonId> {
    id_text().prop_map(|s| PersonId::parse(&s).unwrap())
}
pub fn item_id() -> impl Strategy<Value = ItemId> {
    id_text().prop_map(|s| ItemId::parse(&s).unwrap())
}
pub fn lot_id() -> impl Strategy<Value = LotId> {
    id_text().prop_map(|s| LotId::parse(&s).unwrap())
}
pub fn scene_id() -> impl Strategy<Value = SceneId> {
    id_text().prop_map(|s| SceneId::parse(&s).unwrap())
}
pub fn production_id() -> impl Strategy<Value = ProductionId> {
    id_text().prop_map(|s| ProductionId::parse(&s).unwrap())
}
pub fn incident_id() -> impl Strategy<Value = IncidentId> {
    any::<u32>().prop_map(IncidentId)
}
pub fn concern_id() -> impl Strategy<Value = ConcernId> {
    any::<u32>().prop_map(ConcernId)
}
pub fn training_id() -> impl Strategy<Value = TrainingId> {
    any::<u32>().prop_map(TrainingId)
}

/// Short texts that parse (they are stored trimmed).
pub fn person_name() -> impl Strategy<Value = PersonName> {
    "\\PC{1,40}".prop_filter_map("not a name", |s| PersonName::parse(&s).ok())
}
pub fn calibre() -> impl Strategy<Value = Calibre> {
    "\\PC{1,32}".prop_filter_map("not a calibre", |s| Calibre::parse(&s).ok())
}
pub fn serial() -> impl Strategy<Value = Serial> {
    "\\PC{1,40}".prop_filter_map("not a serial", |s| Serial::parse(&s).ok())
}

pub fn rounds() -> impl Strategy<Value = Rounds> {
    prop_oneof![3 => (0u32..100).prop_map(Rounds), 1 => any::<u32>().prop_map(Rounds)]
}

/// Distances a plan would write: whole feet, quarters and tenths (exact through JSON).
pub fn feet() -> impl Strategy<Value = Feet> {
    prop_oneof![
        (0u32..10_000).prop_map(|n| Feet::new(f64::from(n) / 4.0).unwrap()),
        (0u32..10_000).prop_map(|n| Feet::new(f64::from(n) / 10.0).unwrap()),
    ]
}

pub fn date() -> impl Strategy<Value = NaiveDate> {
    // 1970-01-01 .. about 2200
    (0i64..84_000)
        .prop_map(|d| NaiveDate::from_ymd_opt(1970, 1, 1).unwrap() + chrono::Days::new(d as u64))
}

pub fn at() -> impl Strategy<Value = At> {
    (date(), 0u32..86_400).prop_map(|(d, s)| {
        let t = chrono::NaiveTime::from_num_seconds_from_midnight_opt(s, 0).unwrap();
        At::from_naive(NaiveDateTime::new(d, t))
    })
}

macro_rules! vocab {
    ($($f:ident: $t:ty),+ $(,)?) => {$(
        pub fn $f() -> impl Strategy<Value = $t> {
            select(<$t>::ALL)
        }
    )+};
}
vocab!(
    role: Role,
    credential_kind: CredentialKind,
    item_kind: ItemKind,
    weapon_class: WeaponClass,
    ammo_kind: AmmoKind,
    scene_kind: SceneKind,
    inspect_state: InspectState,
    status: Status,
    incident_kind: IncidentKind,
    exception_kind: ExceptionKind,
    policy_name: PolicyName,
);

pub fn rule_id() -> impl Strategy<Value = RuleId> {
    select(RULES.iter().map(|r| r.id).collect::<Vec<_>>())
}

fn opt<T: std::fmt::Debug + Clone>(
    s: impl Strategy<Value = T>,
) -> impl Strategy<Value = Option<T>> {
    prop::option::of(s)
}
fn vec_of<T: std::fmt::Debug>(s: impl Strategy<Value = T>) -> impl Strategy<Value = Vec<T>> {
    prop::collection::vec(s, 0..4)
}

// ---- compound values ----------------------------------------------------------------------

pub fn item_spec() -> impl Strategy<Value = ItemSpec> {
    (
        item_id(),
        item_kind(),
        weapon_class(),
        opt(calibre()),
        opt(serial()),
    )
        .prop_map(|(id, kind, class, calibre, serial)| ItemSpec {
            id,
            kind,
            class,
            calibre,
            serial,
        })
}

pub fn lot_spec() -> impl Strategy<Value = LotSpec> {
    (lot_id(), ammo_kind(), calibre(), rounds(), text()).prop_map(
        |(id, ammo, calibre, rounds, source)| LotSpec {
            id,
            ammo,
            calibre,
            rounds,
            source,
        },
    )
}

pub fn scene_spec() -> impl Strategy<Value = SceneSpec> {
    (
        scene_id(),
        date(),
        scene_kind(),
        vec_of(item_id()),
        vec_of(person_id()),
        vec_of(person_id()),
        rounds(),
        any::<bool>(),
    )
        .prop_map(
            |(id, date, kind, items, performers, roster, blank_rounds, points_toward_people)| {
                SceneSpec {
                    id,
                    date,
                    kind,
                    items,
                    performers,
                    roster,
                    blank_rounds,
                    points_toward_people,
                }
            },
        )
}

pub fn scene_changes() -> impl Strategy<Value = SceneChanges> {
    (
        opt(date()),
        opt(scene_kind()),
        opt(vec_of(item_id())),
        opt(vec_of(person_id())),
        opt(vec_of(person_id())),
        opt(rounds()),
        opt(any::<bool>()),
    )
        .prop_map(
            |(date, kind, items, performers, roster, blank_rounds, points_toward_people)| {
                SceneChanges {
                    date,
                    kind,
                    items,
                    performers,
                    roster,
                    blank_rounds,
                    points_toward_people,
                }
            },
        )
}

pub fn subject() -> impl Strategy<Value = Subject> {
    prop_oneof![
        item_id().prop_map(Subject::Item),
        lot_id().prop_map(Subject::Lot),
        incident_id().prop_map(Subject::Incident),
        concern_id().prop_map(Subject::Concern),
        person_id().prop_map(Subject::Person),
        Just(Subject::Production),
    ]
}

pub fn violation() -> impl Strategy<Value = Violation> {
    (rule_id(), text()).prop_map(|(rule, message)| Violation { rule, message })
}

pub fn lot_rounds() -> impl Strategy<Value = LotRounds> {
    (lot_id(), rounds()).prop_map(|(lot, rounds)| LotRounds { lot, rounds })
}

/// Every command of the vocabulary, with arbitrary arguments.
pub fn command() -> impl Strategy<Value = Command> {
    use Command as C;
    prop_oneof![
        (production_id(), text(), policy_name(), text()).prop_map(
            |(id, name, policy, timezone)| {
                C::OpenProduction {
                    id,
                    name,
                    policy,
                    timezone,
                }
            }
        ),
        (person_id(), person_name(), vec_of(text())).prop_map(|(id, name, prior_incidents)| {
            C::RegisterPerson {
                id,
                name,
                prior_incidents,
            }
        }),
        (person_id(), role()).prop_map(|(person, role)| C::AssignRole { person, role }),
        (
            person_id(),
            credential_kind(),
            vec_of(weapon_class()),
            date()
        )
            .prop_map(|(person, kind, classes, expires)| C::GrantCredential {
                person,
                kind,
                classes,
                expires
            }),
        (person_id(), text()).prop_map(|(person, reason)| C::AcknowledgeRedFlag { person, reason }),
        person_id().prop_map(|person| C::NameComplianceContact { person }),
        (person_id(), text()).prop_map(|(person, duty)| C::AssignDuty { person, duty }),
        item_spec().prop_map(C::RegisterItem),
        lot_spec().prop_map(C::RegisterLot),
        scene_spec().prop_map(C::ScheduleScene),
        (scene_id(), scene_changes())
            .prop_map(|(scene, changes)| C::ChangeScene { scene, changes }),
        (lot_id(), rounds(), rounds()).prop_map(|(lot, counted, failed)| C::VerifyLot {
            lot,
            counted,
            failed
        }),
        (person_id(), weapon_class())
            .prop_map(|(performer, class)| C::PlanTraining { performer, class }),
        (training_id(), text())
            .prop_map(|(training, reason)| C::CancelTraining { training, reason }),
        (person_id(), weapon_class())
            .prop_map(|(performer, class)| C::RecordTraining { performer, class }),
        (
            exception_kind(),
            opt(scene_id()),
            opt(lot_id()),
            text(),
            opt(text()),
            opt(text())
        )
            .prop_map(
                |(kind, scene, lot, reason, place, medic)| C::ApproveException {
                    kind,
                    scene,
                    lot,
                    reason,
                    place,
                    medic
                }
            ),
        (scene_id(), any::<bool>(), any::<bool>(), feet()).prop_map(
            |(scene, shields, remote_camera, min_distance_ft)| C::LineOfFirePlan {
                scene,
                shields,
                remote_camera,
                min_distance_ft
            }
        ),
        Just(C::StartDay),
        Just(C::Wrap),
        (vec_of(scene_id()), vec_of(person_id()))
            .prop_map(|(scenes, attendees)| C::SafetyMeeting { scenes, attendees }),
        (person_id(), scene_id()).prop_map(|(person, scene)| C::Brief { person, scene }),
        scene_id().prop_map(|scene| C::CallScene { scene }),
        scene_id().prop_map(|scene| C::Cut { scene }),
        item_id().prop_map(|item| C::CheckOut { item }),
        item_id().prop_map(|item| C::Store { item }),
        (item_id(), lot_id(), rounds()).prop_map(|(item, lot, rounds)| C::Load {
            item,
            lot,
            rounds
        }),
        item_id().prop_map(|item| C::Unload { item }),
        (item_id(), inspect_state(), opt(rounds()), opt(lot_id())).prop_map(
            |(item, state, rounds, lot)| C::Inspect {
                item,
                state,
                rounds,
                lot
            }
        ),
        item_id().prop_map(|item| C::ConfirmCheck { item }),
        item_id().prop_map(|item| C::SecondCheck { item }),
        (item_id(), person_id(), opt(scene_id())).prop_map(|(item, to, scene)| C::HandOver {
            item,
            to,
            scene
        }),
        (item_id(), text()).prop_map(|(item, place)| C::SetDown { item, place }),
        item_id().prop_map(|item| C::PickUp { item }),
        (item_id(), status()).prop_map(|(item, status)| C::Announce { item, status }),
        text().prop_map(|kind| C::Break { kind }),
        Just(C::Resume),
        (item_id(), any::<bool>(), rounds()).prop_map(|(item, intended, rounds)| C::Discharge {
            item,
            intended,
            rounds
        }),
        (incident_kind(), vec_of(item_id()), vec_of(lot_id()), text()).prop_map(
            |(kind, items, lots, summary)| C::ReportIncident {
                kind,
                items,
                lots,
                summary
            }
        ),
        (incident_id(), text(), text()).prop_map(|(incident, root_cause, corrective_action)| {
            C::CloseIncident {
                incident,
                root_cause,
                corrective_action,
            }
        }),
        (text(), any::<bool>(), any::<bool>()).prop_map(|(text, urgent, anonymous)| {
            C::RaiseConcern {
                text,
                urgent,
                anonymous,
            }
        }),
        (concern_id(), text())
            .prop_map(|(concern, response)| C::RespondConcern { concern, response }),
        text().prop_map(|reason| C::Resign { reason }),
        (any::<u64>(), text()).prop_map(|(event, reason)| C::Correct { event, reason }),
        (vec_of(person_id()), text()).prop_map(|(people, reason)| C::Walkout { people, reason }),
        text().prop_map(|reason| C::StopWork { reason }),
        text().prop_map(|reason| C::ResumeWork { reason }),
        Just(C::Advance),
    ]
}

/// Every event body, with arbitrary fields.
pub fn event_body() -> impl Strategy<Value = EventBody> {
    use EventBody as B;
    prop_oneof![
        (production_id(), text(), policy_name(), text()).prop_map(
            |(id, name, policy, timezone)| {
                B::ProductionOpened {
                    id,
                    name,
                    policy,
                    timezone,
                }
            }
        ),
        (person_id(), person_name(), vec_of(text())).prop_map(|(id, name, prior_incidents)| {
            B::PersonRegistered {
                id,
                name,
                prior_incidents,
            }
        }),
        (person_id(), role()).prop_map(|(person, role)| B::RoleAssigned { person, role }),
        (
            person_id(),
            credential_kind(),
            vec_of(weapon_class()),
            date()
        )
            .prop_map(|(person, kind, classes, expires)| B::CredentialGranted {
                person,
                kind,
                classes,
                expires
            }),
        (person_id(), text())
            .prop_map(|(person, reason)| B::RedFlagAcknowledged { person, reason }),
        person_id().prop_map(|person| B::ComplianceContactNamed { person }),
        (person_id(), text(), date()).prop_map(|(person, duty, date)| B::DutyAssigned {
            person,
            duty,
            date
        }),
        item_spec().prop_map(B::ItemRegistered),
        lot_spec().prop_map(B::LotRegistered),
        scene_spec().prop_map(B::SceneScheduled),
        (scene_id(), scene_changes())
            .prop_map(|(scene, changes)| B::SceneChanged { scene, changes }),
        (lot_id(), rounds(), rounds()).prop_map(|(lot, counted, failed)| B::LotVerified {
            lot,
            counted,
            failed
        }),
        (training_id(), person_id(), weapon_class()).prop_map(|(training, performer, class)| {
            B::TrainingPlanned {
                training,
                performer,
                class,
            }
        }),
        (training_id(), text())
            .prop_map(|(training, reason)| B::TrainingCancelled { training, reason }),
        (training_id(), person_id(), weapon_class()).prop_map(|(training, performer, class)| {
            B::TrainingRecorded {
                training,
                performer,
                class,
            }
        }),
        (
            exception_kind(),
            opt(scene_id()),
            opt(lot_id()),
            text(),
            opt(text()),
            opt(text()),
            role()
        )
            .prop_map(|(kind, scene, lot, reason, place, medic, signed_as)| {
                B::ExceptionSigned {
                    kind,
                    scene,
                    lot,
                    reason,
                    place,
                    medic,
                    signed_as,
                }
            }),
        (scene_id(), any::<bool>(), any::<bool>(), feet()).prop_map(
            |(scene, shields, remote_camera, min_distance_ft)| B::LineOfFirePlanned {
                scene,
                shields,
                remote_camera,
                min_distance_ft
            }
        ),
        Just(B::DayStarted),
        Just(B::DayWrapped),
        (vec_of(scene_id()), vec_of(person_id()))
            .prop_map(|(scenes, attendees)| B::SafetyMeetingHeld { scenes, attendees }),
        (person_id(), scene_id()).prop_map(|(person, scene)| B::Briefed { person, scene }),
        scene_id().prop_map(|scene| B::SceneCalled { scene }),
        scene_id().prop_map(|scene| B::SceneCut { scene }),
        item_id().prop_map(|item| B::CheckedOut { item }),
        item_id().prop_map(|item| B::Stored { item }),
        (item_id(), lot_id(), rounds(), opt(scene_id())).prop_map(|(item, lot, rounds, scene)| {
            B::Loaded {
                item,
                lot,
                rounds,
                scene,
            }
        }),
        (item_id(), vec_of(lot_rounds()))
            .prop_map(|(item, returned)| B::Unloaded { item, returned }),
        (item_id(), inspect_state(), rounds(), opt(lot_id())).prop_map(
            |(item, state, rounds, lot)| B::Inspected {
                item,
                state,
                rounds,
                lot
            }
        ),
        item_id().prop_map(|item| B::CheckConfirmed { item }),
        item_id().prop_map(|item| B::SecondChecked { item }),
        (item_id(), person_id(), opt(scene_id())).prop_map(|(item, to, scene)| B::HandedOver {
            item,
            to,
            scene
        }),
        (item_id(), text()).prop_map(|(item, place)| B::SetDown { item, place }),
        item_id().prop_map(|item| B::PickedUp { item }),
        (item_id(), status()).prop_map(|(item, status)| B::Announced { item, status }),
        text().prop_map(|kind| B::BreakCalled { kind }),
        Just(B::Resumed),
        (item_id(), any::<bool>(), rounds(), vec_of(lot_rounds())).prop_map(
            |(item, intended, rounds, fired)| B::Discharged {
                item,
                intended,
                rounds,
                fired
            }
        ),
        (
            incident_id(),
            incident_kind(),
            vec_of(item_id()),
            vec_of(lot_id()),
            text()
        )
            .prop_map(
                |(incident, kind, items, lots, summary)| B::IncidentReported {
                    incident,
                    kind,
                    items,
                    lots,
                    summary
                }
            ),
        (incident_id(), text(), text()).prop_map(|(incident, root_cause, corrective_action)| {
            B::IncidentClosed {
                incident,
                root_cause,
                corrective_action,
            }
        }),
        (concern_id(), text(), any::<bool>(), any::<bool>()).prop_map(
            |(concern, text, urgent, anonymous)| B::ConcernRaised {
                concern,
                text,
                urgent,
                anonymous
            }
        ),
        (concern_id(), text())
            .prop_map(|(concern, response)| B::ConcernAnswered { concern, response }),
        text().prop_map(|reason| B::Resigned { reason }),
        (any::<u64>(), text()).prop_map(|(event, reason)| B::Corrected { event, reason }),
        (vec_of(person_id()), text()).prop_map(|(people, reason)| B::WalkedOut { people, reason }),
        text().prop_map(|reason| B::WorkStopped { reason }),
        text().prop_map(|reason| B::WorkResumed { reason }),
        (rule_id(), subject(), text()).prop_map(|(rule, about, message)| B::AlarmRaised {
            rule,
            about,
            message
        }),
        (command(), vec_of(violation())).prop_map(|(attempted, violations)| B::Refused {
            attempted,
            violations
        }),
    ]
}

/// An event as `decide` and `tick` make them: version 1, with or without a person.
pub fn event() -> impl Strategy<Value = Event> {
    (at(), opt(person_id()), event_body()).prop_map(|(at, by, body)| Event::new(at, by, body))
}

/// The `type` word of an event body, as documented: the variant in kebab-case.
pub fn type_word(body: &EventBody) -> String {
    let debug = format!("{body:?}");
    let name: String = debug
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}
