//! A day on set driven by random steps: each step moves the clock, lets `tick` raise what is due,
//! then gives one command of the on-set vocabulary through `decide`, records what follows (a
//! `refused` event for a refusal, as `setguard replay` does) and checks every invariant.
//!
//! Steps are abstract (indices into fixed pools of people, items, lots and scenes), and most of
//! them are "apt": the person and arguments are picked from the state the way a crew would (the
//! holder hands over, the armorer inspects what the record says is in the item), so that random
//! sequences reach deep states (a performer holding a loaded revolver after a full safe
//! hand-over) instead of being refused at the first rule.

use crate::fingerprint;
use crate::support::{DAY, Set};
use proptest::prelude::*;
use proptest::sample::select;
use setguard_core::rules::checks::current_inspection;
use setguard_core::state::{Custody, Deadline};
use setguard_core::*;
use std::collections::{BTreeMap, BTreeSet, HashSet};

// ---- the production ----------------------------------------------------------------------

pub const PEOPLE: [&str; 8] = [
    "armorer", "asst", "first-ad", "safety", "producer", "actor", "actor2", "dp",
];
const ARMORER: usize = 0;
const ASST: usize = 1;
const FIRST_AD: usize = 2;
const SAFETY: usize = 3;
const ACTOR: usize = 5;
const ACTOR2: usize = 6;

/// `ghost` is never registered (production-items-only).
pub const ITEMS: [&str; 5] = ["colt", "rifle", "airsoft", "replica", "ghost"];
/// `live1`, `live2` and `extra` start unregistered; `register-lot` may add them.
pub const LOTS: [&str; 8] = [
    "dummies",
    "blanks",
    "dummies-old",
    "rifle-blanks",
    "dummies-b",
    "live1",
    "live2",
    "extra",
];
const NEW_LOTS: [usize; 3] = [5, 6, 7];
pub const SCENES: [&str; 4] = ["church", "barn", "rehearsal", "tomorrow"];

fn pid(i: usize) -> PersonId {
    PersonId::parse(PEOPLE[i % PEOPLE.len()]).unwrap()
}
fn iid(i: usize) -> ItemId {
    ItemId::parse(ITEMS[i % ITEMS.len()]).unwrap()
}
fn lid(i: usize) -> LotId {
    LotId::parse(LOTS[i % LOTS.len()]).unwrap()
}
fn sid(i: usize) -> SceneId {
    SceneId::parse(SCENES[i % SCENES.len()]).unwrap()
}

/// The fixture's standard production (armorer, first AD, safety supervisor, producer, a trained
/// actor, the colt, a replica, verified dummies and blanks, the church scene), plus an assistant
/// armorer for the rifle and pistol classes, an untrained second actor, a rifle, an airsoft
/// pistol, an unverified lot from another production, rifle blanks, and three more scenes: the
/// barn (two performers, points toward people), a rehearsal, and one scheduled tomorrow.
pub fn production(policy: PolicyName) -> Set {
    let mut s = Set::with_policy(policy.as_str());
    let tomorrow =
        chrono::NaiveDate::parse_from_str(DAY, "%Y-%m-%d").unwrap() + chrono::Days::new(1);
    for json in [
        r#"{"do":"register-person","id":"asst","name":"B. Assistant"}"#,
        r#"{"do":"grant-credential","person":"asst","kind":"handler","classes":["rifle","pistol"],"expires":"2030-01-01"}"#,
        r#"{"do":"grant-credential","person":"asst","kind":"csatf-s","expires":"2030-01-01"}"#,
        r#"{"do":"assign-role","person":"asst","role":"assistant-armorer"}"#,
        r#"{"do":"register-person","id":"actor2","name":"B. Actor"}"#,
        r#"{"do":"grant-credential","person":"actor2","kind":"csatf-s2","expires":"2030-01-01"}"#,
        r#"{"do":"assign-role","person":"actor2","role":"performer"}"#,
        r#"{"do":"register-item","id":"rifle","kind":"functional","class":"rifle","calibre":"5.56 NATO","serial":"RF-1"}"#,
        r#"{"do":"register-item","id":"airsoft","kind":"airsoft","class":"pistol","serial":"AS-1"}"#,
        r#"{"do":"register-lot","id":"dummies-old","ammo":"dummy","calibre":".45 Colt","rounds":12,"source":"another production"}"#,
        r#"{"do":"register-lot","id":"rifle-blanks","ammo":"blank","calibre":"5.56NATO","rounds":10,"source":"Acme"}"#,
        r#"{"do":"register-lot","id":"dummies-b","ammo":"dummy","calibre":".45 Colt","rounds":30,"source":"Acme dummies"}"#,
    ] {
        s.ok(None, json);
    }
    s.ok(
        Some("asst"),
        r#"{"do":"verify-lot","lot":"rifle-blanks","counted":10}"#,
    );
    s.ok(
        Some("armorer"),
        r#"{"do":"verify-lot","lot":"dummies-b","counted":30}"#,
    );
    s.ok(None, &format!(
        r#"{{"do":"schedule-scene","id":"barn","date":"{DAY}","items":["colt","rifle","airsoft","replica"],"performers":["actor","actor2"],"roster":["actor","actor2","dp","first-ad"],"blank_rounds":4,"points_toward_people":true}}"#
    ));
    s.ok(None, &format!(
        r#"{{"do":"schedule-scene","id":"rehearsal","date":"{DAY}","kind":"rehearsal","items":["colt","replica"],"performers":["actor"],"roster":["actor","dp"]}}"#
    ));
    s.ok(None, &format!(
        r#"{{"do":"schedule-scene","id":"tomorrow","date":"{tomorrow}","items":["colt"],"performers":["actor"],"roster":["actor"],"blank_rounds":2}}"#
    ));
    s
}

/// The production under `policy`, its record and the time, set up once per policy.
fn set_up(policy: PolicyName) -> (State, Vec<Event>, At) {
    use std::sync::OnceLock;
    static STANDARD: OnceLock<(State, Vec<Event>, At)> = OnceLock::new();
    static CALIFORNIA: OnceLock<(State, Vec<Event>, At)> = OnceLock::new();
    static NO_LIVE_FIRE: OnceLock<(State, Vec<Event>, At)> = OnceLock::new();
    let cell = match policy {
        PolicyName::Standard => &STANDARD,
        PolicyName::California => &CALIFORNIA,
        PolicyName::NoLiveFire => &NO_LIVE_FIRE,
    };
    cell.get_or_init(|| {
        let s = production(policy);
        (s.state, s.log, s.now)
    })
    .clone()
}

// ---- steps -------------------------------------------------------------------------------

/// Who gives a command.
#[derive(Debug, Clone, Copy)]
pub enum Who {
    /// The person a crew would expect (the holder, the armorer, the first AD...).
    Apt,
    Any(usize),
    Nobody,
}

#[derive(Debug, Clone)]
pub enum Op {
    CheckOut(usize),
    Store(usize),
    Load {
        item: usize,
        lot: usize,
        rounds: u32,
    },
    Unload(usize),
    Inspect {
        item: usize,
        state: InspectState,
        rounds: Option<u32>,
        lot: Option<usize>,
    },
    ConfirmCheck(usize),
    SecondCheck(usize),
    HandOver {
        item: usize,
        to: usize,
        scene: Option<usize>,
    },
    SetDown(usize),
    PickUp(usize),
    Announce {
        item: usize,
        status: Status,
    },
    Break,
    Resume,
    CallScene(usize),
    Cut(usize),
    Discharge {
        item: usize,
        intended: bool,
        rounds: u32,
    },
    ReportIncident {
        kind: IncidentKind,
        items: u8,
        lots: u8,
    },
    CloseIncident {
        pick: u32,
        proper: bool,
    },
    VerifyLot {
        lot: usize,
        counted: u32,
        failed: u32,
    },
    RegisterLot {
        lot: usize,
        ammo: AmmoKind,
    },
    ApproveLiveAmmo {
        lot: usize,
        reason: bool,
        place: bool,
        medic: bool,
    },
    ApproveRehearsal(usize),
    StopWork,
    ResumeWork {
        reason: bool,
    },
    SafetyMeeting {
        scenes: u8,
        attendees: u8,
    },
    Brief {
        person: usize,
        scene: usize,
    },
    RecordTraining {
        person: usize,
        class: WeaponClass,
    },
    CancelTraining(u32),
    LineOfFirePlan {
        scene: usize,
        shields: bool,
        remote: bool,
        feet: u32,
    },
    ChangeScene {
        scene: usize,
        blank_rounds: Option<u32>,
        performer: Option<usize>,
    },
    RaiseConcern {
        urgent: bool,
        anonymous: bool,
    },
    RespondConcern(u32),
    Walkout,
    Resign,
    GrantCredential {
        person: usize,
        kind: CredentialKind,
        class: WeaponClass,
    },
    AssignRole {
        person: usize,
        role: Role,
    },
    Wrap,
    StartDay,
    Advance,
    /// A routine: the safe hand-over of an item for a scene, one apt step each, whole or in
    /// one of its stages (see [`Stage`]).
    Prepare {
        item: usize,
        /// The first lot (an index into the item's usual lots), and whether a second load
        /// comes from the next one.
        lots: (Option<usize>, bool),
        barn: bool,
        train: bool,
        stage: Stage,
    },
    /// A routine: cut, hand the item back to a handler, unload and store it.
    Return {
        item: usize,
    },
    /// A routine: approve a live-ammo exception for a lot, then register the lot as live.
    LiveLot {
        lot: usize,
    },
    /// A routine: the armorer verifies every lot again, counting what each box holds.
    Reverify,
}

/// The stages of the safe hand-over routine.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stage {
    All,
    /// Meeting, line-of-fire plan, training, call, check-out and one or two loads.
    Ready,
    /// Inspect, the performer's confirmation, the second check and the announcement.
    Check,
    /// The hand-over itself.
    Give,
}

/// One step: minutes that pass, who acts, whether the arguments are picked from the state
/// ("apt") or taken as generated, a coin for the apt choices, and the command.
#[derive(Debug, Clone)]
pub struct Step {
    pub minutes: u32,
    pub who: Who,
    pub apt: bool,
    pub flip: bool,
    pub op: Op,
}

fn item() -> impl Strategy<Value = usize> {
    prop_oneof![30 => 0usize..4, 1 => Just(4usize)]
}
fn lot() -> impl Strategy<Value = usize> {
    0usize..LOTS.len()
}
fn scene() -> impl Strategy<Value = usize> {
    0usize..SCENES.len()
}
fn person() -> impl Strategy<Value = usize> {
    0usize..PEOPLE.len()
}

pub fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => item().prop_map(Op::CheckOut),
        5 => item().prop_map(Op::Store),
        7 => (item(), lot(), 0u32..8).prop_map(|(item, lot, rounds)| Op::Load { item, lot, rounds }),
        3 => item().prop_map(Op::Unload),
        10 => (item(), select(InspectState::ALL), prop::option::of(0u32..8), prop::option::of(lot()))
            .prop_map(|(item, state, rounds, lot)| Op::Inspect { item, state, rounds, lot }),
        8 => item().prop_map(Op::ConfirmCheck),
        5 => item().prop_map(Op::SecondCheck),
        12 => (item(), person(), prop::option::weighted(0.2, scene()))
            .prop_map(|(item, to, scene)| Op::HandOver { item, to, scene }),
        3 => item().prop_map(Op::SetDown),
        3 => item().prop_map(Op::PickUp),
        7 => (item(), select(Status::ALL)).prop_map(|(item, status)| Op::Announce { item, status }),
        2 => Just(Op::Break),
        2 => Just(Op::Resume),
        5 => scene().prop_map(Op::CallScene),
        3 => scene().prop_map(Op::Cut),
        2 => (item(), prop::bool::weighted(0.8), 0u32..4)
            .prop_map(|(item, intended, rounds)| Op::Discharge { item, intended, rounds }),
        2 => (select(IncidentKind::ALL), any::<u8>(), any::<u8>())
            .prop_map(|(kind, items, lots)| Op::ReportIncident { kind, items, lots }),
        3 => (any::<u32>(), prop::bool::weighted(0.8))
            .prop_map(|(pick, proper)| Op::CloseIncident { pick, proper }),
        4 => (lot(), 0u32..60, prop_oneof![3 => Just(0u32), 1 => 1u32..3])
            .prop_map(|(lot, counted, failed)| Op::VerifyLot { lot, counted, failed }),
        2 => (0usize..NEW_LOTS.len(), prop_oneof![4 => Just(AmmoKind::Live), 1 => select(AmmoKind::ALL)])
            .prop_map(|(i, ammo)| Op::RegisterLot { lot: NEW_LOTS[i], ammo }),
        2 => (0usize..NEW_LOTS.len(), prop::bool::weighted(0.8), prop::bool::weighted(0.8), prop::bool::weighted(0.8))
            .prop_map(|(i, reason, place, medic)| Op::ApproveLiveAmmo { lot: NEW_LOTS[i], reason, place, medic }),
        1 => scene().prop_map(Op::ApproveRehearsal),
        2 => Just(Op::StopWork),
        2 => prop::bool::weighted(0.8).prop_map(|reason| Op::ResumeWork { reason }),
        4 => (any::<u8>(), any::<u8>()).prop_map(|(scenes, attendees)| Op::SafetyMeeting { scenes, attendees }),
        2 => (person(), scene()).prop_map(|(person, scene)| Op::Brief { person, scene }),
        2 => (person(), select(WeaponClass::ALL)).prop_map(|(person, class)| Op::RecordTraining { person, class }),
        1 => any::<u32>().prop_map(Op::CancelTraining),
        2 => (scene(), any::<bool>(), any::<bool>(), 0u32..40)
            .prop_map(|(scene, shields, remote, feet)| Op::LineOfFirePlan { scene, shields, remote, feet }),
        1 => (scene(), prop::option::of(0u32..6), prop::option::of(person()))
            .prop_map(|(scene, blank_rounds, performer)| Op::ChangeScene { scene, blank_rounds, performer }),
        1 => (any::<bool>(), any::<bool>()).prop_map(|(urgent, anonymous)| Op::RaiseConcern { urgent, anonymous }),
        1 => any::<u32>().prop_map(Op::RespondConcern),
        1 => prop_oneof![Just(Op::Walkout), Just(Op::Resign)],
        1 => (person(), select(CredentialKind::ALL), select(WeaponClass::ALL))
            .prop_map(|(person, kind, class)| Op::GrantCredential { person, kind, class }),
        1 => (person(), select(Role::ALL)).prop_map(|(person, role)| Op::AssignRole { person, role }),
        1 => prop_oneof![Just(Op::Wrap), Just(Op::StartDay), Just(Op::Advance)],
        8 => (
            item(),
            (prop::option::of(0usize..4), prop::bool::weighted(0.3)),
            any::<bool>(),
            prop::bool::weighted(0.6),
            prop_oneof![3 => Just(Stage::All), 1 => Just(Stage::Ready), 2 => Just(Stage::Check), 1 => Just(Stage::Give)],
        )
            .prop_map(|(item, lots, barn, train, stage)| Op::Prepare { item, lots, barn, train, stage }),
        3 => item().prop_map(|item| Op::Return { item }),
        1 => (0usize..NEW_LOTS.len()).prop_map(|i| Op::LiveLot { lot: NEW_LOTS[i] }),
        1 => Just(Op::Reverify),
    ]
}

/// The steps with every routine written out as the apt steps it stands for.
pub fn expand(steps: &[Step]) -> Vec<Step> {
    let mut out = Vec::new();
    for st in steps {
        let sub = |minutes: u32, flip: bool, op: Op| Step {
            minutes,
            who: Who::Apt,
            apt: true,
            flip,
            op,
        };
        match st.op {
            Op::Prepare {
                item,
                lots,
                barn,
                train,
                stage,
            } => {
                let perf = st.flip;
                let scene = if item == 1 || item == 2 || (item == 0 && barn) {
                    1
                } else {
                    0
                };
                let mut minutes = st.minutes;
                let mut push = |flip: bool, op: Op| {
                    out.push(sub(minutes, flip, op));
                    minutes = 1;
                };
                if matches!(stage, Stage::All | Stage::Ready) {
                    push(
                        false,
                        Op::SafetyMeeting {
                            scenes: 0b11,
                            attendees: 0,
                        },
                    );
                    if scene == 1 {
                        push(
                            false,
                            Op::LineOfFirePlan {
                                scene,
                                shields: true,
                                remote: false,
                                feet: 25,
                            },
                        );
                    }
                    if train {
                        let class = match item {
                            1 => WeaponClass::Rifle,
                            2 => WeaponClass::Pistol,
                            _ => WeaponClass::Revolver,
                        };
                        push(
                            false,
                            Op::RecordTraining {
                                person: apt_performer(item, perf),
                                class,
                            },
                        );
                    }
                    push(false, Op::CallScene(scene));
                    push(false, Op::CheckOut(item));
                    if let Some(lot) = lots.0 {
                        push(
                            false,
                            Op::Load {
                                item,
                                lot,
                                rounds: 0,
                            },
                        );
                        if lots.1 {
                            push(
                                false,
                                Op::Load {
                                    item,
                                    lot: lot + 1,
                                    rounds: 0,
                                },
                            );
                        }
                    }
                }
                if matches!(stage, Stage::All | Stage::Check) {
                    let inspect = Op::Inspect {
                        item,
                        state: InspectState::Empty,
                        rounds: None,
                        lot: None,
                    };
                    push(perf, inspect);
                    push(perf, Op::ConfirmCheck(item));
                    push(false, Op::SecondCheck(item));
                    push(
                        false,
                        Op::Announce {
                            item,
                            status: Status::Cold,
                        },
                    );
                }
                if matches!(stage, Stage::All | Stage::Give) {
                    push(
                        perf,
                        Op::HandOver {
                            item,
                            to: 0,
                            scene: None,
                        },
                    );
                }
            }
            Op::Return { item } => {
                out.push(sub(st.minutes, false, Op::Cut(0)));
                out.push(sub(
                    1,
                    st.flip,
                    Op::HandOver {
                        item,
                        to: 0,
                        scene: None,
                    },
                ));
                out.push(sub(1, false, Op::Unload(item)));
                out.push(sub(1, false, Op::Store(item)));
            }
            Op::LiveLot { lot } => {
                out.push(sub(
                    st.minutes,
                    st.flip,
                    Op::ApproveLiveAmmo {
                        lot,
                        reason: true,
                        place: true,
                        medic: true,
                    },
                ));
                out.push(sub(
                    1,
                    false,
                    Op::RegisterLot {
                        lot,
                        ammo: AmmoKind::Live,
                    },
                ));
            }
            Op::Reverify => {
                for lot in 0..LOTS.len() {
                    let minutes = if lot == 0 { st.minutes } else { 0 };
                    out.push(sub(
                        minutes,
                        false,
                        Op::VerifyLot {
                            lot,
                            counted: 0,
                            failed: 0,
                        },
                    ));
                }
            }
            _ => out.push(st.clone()),
        }
    }
    out
}

fn minutes() -> impl Strategy<Value = u32> {
    prop_oneof![
        24 => Just(0u32),
        36 => 1u32..=5,
        18 => 6u32..=20,
        6 => 21u32..=90,
        1 => select(vec![300u32, 720, 1440, 1500]),
    ]
}

fn who() -> impl Strategy<Value = Who> {
    prop_oneof![
        85 => Just(Who::Apt),
        14 => person().prop_map(Who::Any),
        1 => Just(Who::Nobody),
    ]
}

pub fn step() -> impl Strategy<Value = Step> {
    (
        minutes(),
        who(),
        prop::bool::weighted(0.8),
        any::<bool>(),
        op(),
    )
        .prop_map(|(minutes, who, apt, flip, op)| Step {
            minutes,
            who,
            apt,
            flip,
            op,
        })
}

pub fn steps(max: usize) -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(step(), 1..=max)
}

// ---- from a step to a command ------------------------------------------------------------

/// The handler a crew would send for an item: the armorer for the revolvers, the assistant for
/// the rifle and the pistol; `flip` sends the other one.
fn apt_handler(item: usize, flip: bool) -> usize {
    let first = if matches!(item, 1 | 2) { ASST } else { ARMORER };
    match (first, flip) {
        (ARMORER, true) => ASST,
        (ASST, true) => ARMORER,
        (p, _) => p,
    }
}

/// The performer a scene lists with the item.
fn apt_performer(item: usize, flip: bool) -> usize {
    match (item, flip) {
        (0, true) | (1, false) => ACTOR2,
        _ => ACTOR,
    }
}

fn holder(s: &State, item: usize) -> Option<PersonId> {
    match &s.items.get(&iid(item))?.custody {
        Custody::Held { by, .. } => Some(by.clone()),
        _ => None,
    }
}

/// The person who would handle an item: its holder, else the handler for it.
fn apt_item_actor(s: &State, item: usize, flip: bool) -> PersonId {
    holder(s, item).unwrap_or_else(|| pid(apt_handler(item, flip)))
}

fn ids<T>(mask: u8, n: usize, f: impl Fn(usize) -> T) -> Vec<T> {
    (0..n).filter(|i| mask & (1 << i) != 0).map(f).collect()
}

/// The person and command a step stands for, in this state.
pub fn command(s: &State, st: &Step) -> (Option<PersonId>, Command) {
    use Command as C;
    let apt = st.apt;
    let flip = st.flip;
    let mut apt_by = None;
    let cmd = match st.op {
        Op::CheckOut(i) => {
            apt_by = Some(pid(apt_handler(i, flip)));
            C::CheckOut { item: iid(i) }
        }
        Op::Store(i) => {
            apt_by = Some(apt_item_actor(s, i, flip));
            C::Store { item: iid(i) }
        }
        Op::Load { item, lot, rounds } => {
            apt_by = Some(apt_item_actor(s, item, flip));
            let (lot, rounds) = if apt {
                let candidates: &[usize] = match item {
                    0 => &[0, 4, 1, 2],
                    1 => &[3, 0],
                    _ => &[0],
                };
                let l = candidates[lot % candidates.len()];
                let blank = s
                    .lots
                    .get(&lid(l))
                    .is_some_and(|x| x.spec.ammo == AmmoKind::Blank);
                (
                    l,
                    if blank {
                        1 + rounds % 2
                    } else {
                        1 + rounds % 6
                    },
                )
            } else {
                (lot, rounds)
            };
            C::Load {
                item: iid(item),
                lot: lid(lot),
                rounds: Rounds(rounds),
            }
        }
        Op::Unload(i) => {
            apt_by = Some(apt_item_actor(s, i, flip));
            C::Unload { item: iid(i) }
        }
        Op::Inspect {
            item,
            state,
            rounds,
            lot,
        } => {
            apt_by = Some(apt_item_actor(s, item, flip));
            if apt {
                // What the record says is in the item.
                let it = s.items.get(&iid(item));
                let loaded = it.map(|i| i.loaded.clone()).unwrap_or_default();
                let state = match loaded.first().and_then(|(l, _)| s.lots.get(l)) {
                    None => InspectState::Empty,
                    Some(l) if l.spec.ammo == AmmoKind::Blank => InspectState::Blanks,
                    Some(_) => InspectState::Dummies,
                };
                let n: u32 = loaded.iter().map(|(_, r)| r.0).sum();
                C::Inspect {
                    item: iid(item),
                    state,
                    rounds: (!flip).then_some(Rounds(n)),
                    lot: if flip {
                        None
                    } else {
                        loaded.first().map(|(l, _)| l.clone())
                    },
                }
            } else {
                C::Inspect {
                    item: iid(item),
                    state,
                    rounds: rounds.map(Rounds),
                    lot: lot.map(lid),
                }
            }
        }
        Op::ConfirmCheck(i) => {
            apt_by = Some(pid(apt_performer(i, flip)));
            C::ConfirmCheck { item: iid(i) }
        }
        Op::SecondCheck(i) => {
            apt_by = Some(pid(if flip { SAFETY } else { FIRST_AD }));
            C::SecondCheck { item: iid(i) }
        }
        Op::HandOver { item, to, scene } => {
            apt_by = Some(apt_item_actor(s, item, flip));
            let to = if apt {
                let from_handler = holder(s, item).is_none_or(|h| s.is_handler(&h));
                if from_handler {
                    apt_performer(item, flip)
                } else {
                    apt_handler(item, flip)
                }
            } else {
                to
            };
            C::HandOver {
                item: iid(item),
                to: pid(to),
                scene: scene.map(sid),
            }
        }
        Op::SetDown(i) => {
            apt_by = Some(apt_item_actor(s, i, flip));
            C::SetDown {
                item: iid(i),
                place: if flip {
                    String::new()
                } else {
                    "the cart".to_owned()
                },
            }
        }
        Op::PickUp(i) => {
            apt_by = Some(pid(apt_handler(i, flip)));
            C::PickUp { item: iid(i) }
        }
        Op::Announce { item, status } => {
            apt_by = Some(apt_item_actor(s, item, flip));
            let status = if apt {
                let hot = s.items.get(&iid(item)).is_some_and(|it| {
                    it.loaded.iter().any(|(l, _)| {
                        s.lots
                            .get(l)
                            .is_some_and(|l| l.spec.ammo == AmmoKind::Blank)
                    })
                });
                if hot { Status::Hot } else { Status::Cold }
            } else {
                status
            };
            C::Announce {
                item: iid(item),
                status,
            }
        }
        Op::Break => {
            apt_by = Some(pid(FIRST_AD));
            C::Break {
                kind: if flip {
                    "lunch".to_owned()
                } else {
                    String::new()
                },
            }
        }
        Op::Resume => {
            apt_by = Some(pid(FIRST_AD));
            C::Resume
        }
        Op::CallScene(sc) => {
            apt_by = Some(pid(FIRST_AD));
            C::CallScene { scene: sid(sc) }
        }
        Op::Cut(sc) => {
            apt_by = Some(pid(FIRST_AD));
            // An apt cut cuts a scene that is called.
            let scene = if apt {
                s.called.iter().next().cloned().unwrap_or_else(|| sid(sc))
            } else {
                sid(sc)
            };
            C::Cut { scene }
        }
        Op::Discharge {
            item,
            intended,
            rounds,
        } => {
            apt_by = holder(s, item).or(Some(pid(ACTOR)));
            C::Discharge {
                item: iid(item),
                intended: intended || apt,
                rounds: Rounds(if apt { 1 } else { rounds }),
            }
        }
        Op::ReportIncident { kind, items, lots } => {
            apt_by = Some(pid(if flip { ACTOR } else { FIRST_AD }));
            C::ReportIncident {
                kind,
                items: ids(items, ITEMS.len(), iid),
                lots: ids(lots, LOTS.len(), lid),
                summary: "reported on set".to_owned(),
            }
        }
        Op::CloseIncident { pick, proper } => {
            apt_by = Some(pid(SAFETY));
            let open: Vec<IncidentId> = s.open_incidents().map(|i| i.id).collect();
            let incident = if apt && !open.is_empty() {
                open[pick as usize % open.len()]
            } else {
                IncidentId(pick % (s.incidents.len() as u32 + 2))
            };
            C::CloseIncident {
                incident,
                root_cause: if proper {
                    "found".to_owned()
                } else {
                    String::new()
                },
                corrective_action: if proper {
                    "fixed".to_owned()
                } else {
                    " ".to_owned()
                },
            }
        }
        Op::VerifyLot {
            lot,
            counted,
            failed,
        } => {
            apt_by = Some(pid(ARMORER));
            // An apt check, half the time, is of a box the armorer has been loading from.
            let in_use: Vec<LotId> = s
                .items
                .values()
                .flat_map(|i| i.loaded.iter().map(|(l, _)| l.clone()))
                .collect();
            let lot = match in_use.get(counted as usize % in_use.len().max(1)) {
                Some(l) if apt && flip => l.clone(),
                _ => lid(lot),
            };
            let counted = match s.lots.get(&lot) {
                Some(l) if apt => l.in_stock(),
                _ => counted,
            };
            C::VerifyLot {
                lot,
                counted: Rounds(counted),
                failed: Rounds(failed.min(counted)),
            }
        }
        Op::RegisterLot { lot, ammo } => C::RegisterLot(LotSpec {
            id: lid(lot),
            ammo,
            calibre: Calibre::parse(".45 Colt").unwrap(),
            rounds: Rounds(10),
            source: "range".to_owned(),
        }),
        Op::ApproveLiveAmmo {
            lot,
            reason,
            place,
            medic,
        } => {
            apt_by = Some(pid(if flip { SAFETY } else { ARMORER }));
            C::ApproveException {
                kind: ExceptionKind::LiveAmmo,
                scene: None,
                lot: Some(lid(lot)),
                reason: if reason {
                    "sound recording".to_owned()
                } else {
                    String::new()
                },
                place: place.then(|| "the range".to_owned()),
                medic: medic.then(|| "M. Medic".to_owned()),
            }
        }
        Op::ApproveRehearsal(sc) => {
            apt_by = Some(pid(if flip { SAFETY } else { ARMORER }));
            C::ApproveException {
                kind: ExceptionKind::ReplicaRehearsal,
                scene: Some(sid(sc)),
                lot: None,
                reason: "blocking".to_owned(),
                place: None,
                medic: None,
            }
        }
        Op::StopWork => {
            apt_by = Some(pid(if flip { ACTOR } else { SAFETY }));
            C::StopWork {
                reason: "smoke".to_owned(),
            }
        }
        Op::ResumeWork { reason } => {
            apt_by = Some(pid(SAFETY));
            C::ResumeWork {
                reason: if reason {
                    "cleared".to_owned()
                } else {
                    String::new()
                },
            }
        }
        Op::SafetyMeeting { scenes, attendees } => {
            apt_by = Some(pid(FIRST_AD));
            let scenes = ids(scenes, SCENES.len(), sid);
            let attendees = if apt {
                PEOPLE.iter().map(|p| PersonId::parse(p).unwrap()).collect()
            } else {
                ids(attendees, PEOPLE.len(), pid)
            };
            C::SafetyMeeting { scenes, attendees }
        }
        Op::Brief { person, scene } => {
            apt_by = Some(pid(FIRST_AD));
            C::Brief {
                person: pid(person),
                scene: sid(scene),
            }
        }
        Op::RecordTraining { person, class } => {
            apt_by = Some(pid(if flip { SAFETY } else { ARMORER }));
            C::RecordTraining {
                performer: pid(person),
                class,
            }
        }
        Op::CancelTraining(pick) => {
            apt_by = Some(pid(SAFETY));
            C::CancelTraining {
                training: TrainingId(1 + pick % (s.trainings.len() as u32 + 1)),
                reason: "cut".to_owned(),
            }
        }
        Op::LineOfFirePlan {
            scene,
            shields,
            remote,
            feet,
        } => C::LineOfFirePlan {
            scene: sid(scene),
            shields,
            remote_camera: remote,
            min_distance_ft: Feet::new(f64::from(feet)).unwrap(),
        },
        Op::ChangeScene {
            scene,
            blank_rounds,
            performer,
        } => C::ChangeScene {
            scene: sid(scene),
            changes: SceneChanges {
                blank_rounds: blank_rounds.map(Rounds),
                performers: performer.map(|p| vec![pid(p)]),
                ..SceneChanges::default()
            },
        },
        Op::RaiseConcern { urgent, anonymous } => {
            apt_by = Some(pid(if flip { ACTOR2 } else { ACTOR }));
            C::RaiseConcern {
                text: "the cart is unattended".to_owned(),
                urgent,
                anonymous,
            }
        }
        Op::RespondConcern(pick) => {
            apt_by = Some(pid(SAFETY));
            C::RespondConcern {
                concern: ConcernId(1 + pick % (s.concerns.len() as u32 + 1)),
                response: "looked into it".to_owned(),
            }
        }
        Op::Walkout => {
            apt_by = Some(pid(FIRST_AD));
            C::Walkout {
                people: vec![pid(7)],
                reason: "unsafe".to_owned(),
            }
        }
        Op::Resign => {
            apt_by = Some(pid(7));
            C::Resign {
                reason: "unsafe".to_owned(),
            }
        }
        Op::GrantCredential {
            person,
            kind,
            class,
        } => C::GrantCredential {
            person: pid(person),
            kind,
            classes: vec![class],
            expires: chrono::NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(),
        },
        Op::AssignRole { person, role } => C::AssignRole {
            person: pid(person),
            role,
        },
        Op::Wrap => C::Wrap,
        Op::StartDay => C::StartDay,
        Op::Advance => C::Advance,
        Op::Prepare { .. } | Op::Return { .. } | Op::LiveLot { .. } | Op::Reverify => C::Advance,
    };
    let by = match st.who {
        Who::Apt => apt_by.or_else(|| cmd.needs_actor().then(|| pid(FIRST_AD))),
        Who::Any(p) => Some(pid(p)),
        Who::Nobody => None,
    };
    (by, cmd)
}

// ---- invariants --------------------------------------------------------------------------

/// Which invariants a run checks (each property test checks one group, so that one broken
/// invariant does not hide another).
#[derive(Debug, Clone, Copy, Default)]
pub struct Checks {
    /// Every item in one place with a known person; `firing_out`, `handlers` and the rounds of
    /// every lot add up.
    pub custody: bool,
    /// A firing item reaches a non-handler only by a checked, performer-confirmed hand-over.
    pub handover: bool,
    /// `cold` only on a current inspection that says empty or verified dummies; checks lapse.
    pub cold: bool,
    /// A quarantined item is never handed to a non-handler, loaded, inspected or checked out.
    pub quarantine: bool,
    /// No live lot registered or loaded without a California 9155 exception.
    pub live: bool,
    /// `decide` changes nothing and is deterministic; a refusal changes only the refusal
    /// counters; replaying the record (also through JSON, also from a snapshot) rebuilds the
    /// same state.
    pub records: bool,
    /// Time never goes backwards; `tick` raises each deadline's alarm once.
    pub time: bool,
}

/// How a firing item came to its current holder.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Arrival {
    /// Taken by a handler (check-out, pick-up) or handed to one.
    ByHandler,
    /// Handed to a non-handler after a current inspection they confirmed.
    CheckedHandOver,
    /// Any other way: a bug.
    Unchecked,
}

struct Run {
    checks: Checks,
    state: State,
    log: Vec<Event>,
    now: At,
    trace: Vec<Trace>,
    arrivals: BTreeMap<ItemId, Arrival>,
    alarms_raised: HashSet<(RuleId, Subject, At)>,
}

fn rule_of(d: &Deadline) -> RuleId {
    match d {
        Deadline::Unattended(_) => RuleId::NeverUnattended,
        Deadline::Return(_) => RuleId::ReturnAfterCut,
        Deadline::IncidentOpen(_) => RuleId::IncidentClosedProperly,
        Deadline::ConcernDue(_) => RuleId::ConcernAnswered,
    }
}

/// What happened, kept cheaply and written out only when an invariant breaks.
enum Trace {
    Tick(Event),
    Command {
        now: At,
        by: Option<PersonId>,
        cmd: Command,
        outcome: Result<Vec<Event>, Rejection>,
    },
}

fn line(now: At, by: &Option<PersonId>, cmd: &Command) -> String {
    format!(
        "{} by {}: {}",
        now.naive().format("%d %H:%M"),
        by.as_ref().map_or("-", |p| p.as_str()),
        serde_json::to_string(cmd).unwrap()
    )
}

impl std::fmt::Display for Trace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Trace::Tick(e) => write!(f, "  tick {}", short(e)),
            Trace::Command {
                now,
                by,
                cmd,
                outcome,
            } => {
                write!(f, "{}\n    -> ", line(*now, by, cmd))?;
                match outcome {
                    Ok(events) => {
                        let events: Vec<String> = events.iter().map(short).collect();
                        write!(f, "ok: {}", events.join("\n           "))
                    }
                    Err(Rejection::Refused(vs)) => {
                        let rules: Vec<&str> = vs.iter().map(|v| v.rule.as_str()).collect();
                        write!(f, "refused {rules:?}")
                    }
                    Err(Rejection::Invalid(inv)) => write!(f, "invalid: {}", inv.message),
                }
            }
        }
    }
}

fn short(e: &Event) -> String {
    let json = serde_json::to_string(e).unwrap();
    // Drop the `"v":1,` noise from the trace.
    json.replacen("\"v\":1,", "", 1)
}

impl Run {
    fn fail(&self, what: String) -> Result<(), String> {
        let mut msg = format!(
            "INVARIANT BROKEN: {what}\n--- the run (policy {}; the production set up at {DAY} 07:00) ---\n",
            self.state.policy.name
        );
        for t in &self.trace {
            msg.push_str(&t.to_string());
            msg.push('\n');
        }
        Err(msg)
    }

    /// Checks one event against the state just before it is applied, then applies it.
    fn record(&mut self, e: &Event) -> Result<(), String> {
        let pre = &self.state;
        let c = self.checks;
        if c.time
            && let Some(last) = pre.last_at
            && e.at < last
        {
            return self.fail(format!(
                "event stamped {:?} before the last one ({last:?}): {}",
                e.at,
                short(e)
            ));
        }
        match &e.body {
            EventBody::HandedOver { item, to, .. } => {
                let Some(it) = pre.items.get(item) else {
                    return self.fail(format!("hand-over of an unknown item: {}", short(e)));
                };
                let to_handler = pre.is_handler(to);
                if c.handover && it.is_firing() && !to_handler {
                    match current_inspection(pre, it, e.at) {
                        Ok(insp) if insp.confirmed_by.contains(to) => {}
                        Ok(insp) => {
                            return self.fail(format!(
                                "firing item handed to non-handler {to} whose inspection they did not confirm (confirmed by {:?}): {}",
                                insp.confirmed_by,
                                short(e)
                            ));
                        }
                        Err(why) => {
                            return self.fail(format!(
                                "firing item handed to non-handler {to} without a current inspection ({why:?}): {}",
                                short(e)
                            ));
                        }
                    }
                    if !e.by.as_ref().is_some_and(|b| pre.is_handler(b)) {
                        return self.fail(format!(
                            "firing item handed to a performer by a non-handler: {}",
                            short(e)
                        ));
                    }
                    if pre.stop_work.is_some() || pre.live_round_stop().is_some() {
                        return self.fail(format!(
                            "firing item handed to a performer while work is stopped: {}",
                            short(e)
                        ));
                    }
                }
                if c.quarantine && !it.quarantined_by.is_empty() && !to_handler {
                    return self.fail(format!(
                        "quarantined item (by {:?}) handed to non-handler {to}: {}",
                        it.quarantined_by,
                        short(e)
                    ));
                }
                let arrival = if to_handler {
                    Arrival::ByHandler
                } else if it.is_firing() {
                    match current_inspection(pre, it, e.at) {
                        Ok(insp) if insp.confirmed_by.contains(to) => Arrival::CheckedHandOver,
                        _ => Arrival::Unchecked,
                    }
                } else {
                    Arrival::Unchecked
                };
                self.arrivals.insert(item.clone(), arrival);
            }
            EventBody::CheckedOut { item } | EventBody::PickedUp { item } => {
                if c.quarantine
                    && matches!(e.body, EventBody::CheckedOut { .. })
                    && pre
                        .items
                        .get(item)
                        .is_some_and(|i| !i.quarantined_by.is_empty())
                {
                    return self.fail(format!("quarantined item checked out: {}", short(e)));
                }
                let by_handler = e.by.as_ref().is_some_and(|b| pre.is_handler(b));
                self.arrivals.insert(
                    item.clone(),
                    if by_handler {
                        Arrival::ByHandler
                    } else {
                        Arrival::Unchecked
                    },
                );
            }
            EventBody::Loaded { item, lot, .. } => {
                if c.quarantine
                    && pre
                        .items
                        .get(item)
                        .is_some_and(|i| !i.quarantined_by.is_empty())
                {
                    return self.fail(format!("quarantined item loaded: {}", short(e)));
                }
                if c.live
                    && pre
                        .lots
                        .get(lot)
                        .is_some_and(|l| l.spec.ammo == AmmoKind::Live)
                    && !(pre.policy.california_rules && pre.live_exceptions.contains_key(lot))
                {
                    return self.fail(format!(
                        "live rounds loaded without an exception: {}",
                        short(e)
                    ));
                }
            }
            EventBody::Inspected { item, .. }
                if c.quarantine
                    && pre
                        .items
                        .get(item)
                        .is_some_and(|i| !i.quarantined_by.is_empty()) =>
            {
                return self.fail(format!("quarantined item inspected: {}", short(e)));
            }
            EventBody::Announced {
                item,
                status: Status::Cold,
            } if c.cold => {
                let Some(it) = pre.items.get(item) else {
                    return self.fail(format!("unknown item announced cold: {}", short(e)));
                };
                let verified_dummy = |l: &LotId| {
                    pre.lots.get(l).is_some_and(|l| {
                        l.spec.ammo == AmmoKind::Dummy && l.verified && !l.condemned
                    })
                };
                match current_inspection(pre, it, e.at) {
                    Ok(insp) => {
                        let ok = match insp.state {
                            InspectState::Empty => true,
                            InspectState::Dummies => insp.lot.as_ref().is_some_and(verified_dummy),
                            InspectState::Blanks => false,
                        };
                        if !ok {
                            return self.fail(format!(
                                "announced cold on an inspection that says {:?} (lot {:?}): {}",
                                insp.state,
                                insp.lot,
                                short(e)
                            ));
                        }
                    }
                    Err(why) => {
                        return self.fail(format!(
                            "announced cold without a current inspection ({why:?}): {}",
                            short(e)
                        ));
                    }
                }
                // And what the record says is in it agrees: nothing, or verified dummies.
                if !it.loaded.iter().all(|(l, _)| verified_dummy(l)) {
                    return self.fail(format!(
                        "announced cold while the record shows {:?} in it: {}",
                        it.loaded,
                        short(e)
                    ));
                }
            }
            EventBody::LotRegistered(spec)
                if c.live
                    && spec.ammo == AmmoKind::Live
                    && !(pre.policy.california_rules
                        && pre.live_exceptions.contains_key(&spec.id)) =>
            {
                return self.fail(format!(
                    "live lot registered under {} without an approved exception: {}",
                    pre.policy.name,
                    short(e)
                ));
            }
            EventBody::ExceptionSigned {
                kind: ExceptionKind::LiveAmmo,
                lot,
                reason,
                place,
                medic,
                ..
            } if c.live => {
                let blank = |s: &Option<String>| s.as_deref().is_none_or(|s| s.trim().is_empty());
                if !pre.policy.california_rules
                    || lot.is_none()
                    || reason.trim().is_empty()
                    || blank(place)
                    || blank(medic)
                {
                    return self.fail(format!(
                        "live-ammo exception approved without policy, place, medic or reason: {}",
                        short(e)
                    ));
                }
            }
            EventBody::Stored { item } => {
                self.arrivals.remove(item);
            }
            _ => {}
        }
        let lapses_on = match &e.body {
            EventBody::HandedOver { item, .. }
            | EventBody::SetDown { item, .. }
            | EventBody::Stored { item }
            | EventBody::Loaded { item, .. }
            | EventBody::Unloaded { item, .. } => vec![item.clone()],
            EventBody::BreakCalled { .. } => self.state.items.keys().cloned().collect(),
            _ => Vec::new(),
        };
        self.state.apply(e);
        self.log.push(e.clone());
        if c.cold {
            for item in lapses_on {
                if let Some(it) = self.state.items.get(&item)
                    && current_inspection(&self.state, it, e.at).is_ok()
                {
                    return self.fail(format!(
                        "{item}'s inspection still counts after {}",
                        short(e)
                    ));
                }
            }
        }
        Ok(())
    }

    /// The invariants of the state itself.
    fn check_state(&self) -> Result<(), String> {
        let s = &self.state;
        if self.checks.custody {
            let mut out = 0;
            for it in s.items.values() {
                match &it.custody {
                    Custody::Held { by, .. } | Custody::SetDown { by, .. } => {
                        if s.person(by).is_none() {
                            return self
                                .fail(format!("{} is with unknown person {by}", it.spec.id));
                        }
                        if it.is_firing() {
                            out += 1;
                        }
                    }
                    Custody::InStorage => {}
                }
            }
            if s.firing_out != out {
                return self.fail(format!(
                    "firing_out = {} but {out} firing items are out of storage",
                    s.firing_out
                ));
            }
            let handlers = s.people.values().filter(|p| p.is_handler()).count() as u32;
            if s.handlers != handlers {
                return self.fail(format!(
                    "handlers = {} but {handlers} people hold a handler role",
                    s.handlers
                ));
            }
            for l in s.lots.values() {
                let in_items: i64 = s
                    .items
                    .values()
                    .flat_map(|i| i.loaded.iter())
                    .filter(|(id, _)| *id == l.spec.id)
                    .map(|(_, r)| i64::from(r.0))
                    .sum();
                if l.outstanding() != in_items {
                    return self.fail(format!(
                        "lot {}: issued {} - fired {} - returned {} != {in_items} rounds in items",
                        l.spec.id, l.issued, l.fired, l.returned
                    ));
                }
                if l.spec.rounds.0 + l.returned < l.issued + l.removed {
                    return self.fail(format!(
                        "lot {} issued more rounds than it held: {l:?}",
                        l.spec.id
                    ));
                }
            }
        }
        if self.checks.handover {
            for it in s.items.values().filter(|i| i.is_firing()) {
                if let Some(h) = it.holder()
                    && !s.is_handler(h)
                {
                    let arrival = self.arrivals.get(&it.spec.id).copied();
                    if arrival != Some(Arrival::CheckedHandOver) {
                        return self.fail(format!(
                            "firing item {} is held by non-handler {h}, who got it by {arrival:?}",
                            it.spec.id
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    fn step(&mut self, st: &Step) -> Result<(), String> {
        self.now = self.now.plus_minutes(st.minutes);
        let now = self.now;

        // Time passes: the alarms that are due.
        let alarms = tick(&self.state, now);
        for a in &alarms {
            self.trace.push(Trace::Tick(a.clone()));
            if self.checks.time {
                let EventBody::AlarmRaised { rule, about, .. } = &a.body else {
                    return self.fail(format!("tick made a non-alarm event: {}", short(a)));
                };
                if a.at > now {
                    return self.fail(format!(
                        "tick stamped an alarm after now ({now:?}): {}",
                        short(a)
                    ));
                }
                // Its deadline is still set: alarms are recorded one by one.
                let due = self
                    .state
                    .deadlines
                    .iter()
                    .find(|(_, d)| d.subject() == *about && rule_of(d) == *rule)
                    .map(|(due, _)| *due);
                let Some(due) = due else {
                    return self.fail(format!(
                        "tick raised an alarm for no deadline: {}",
                        short(a)
                    ));
                };
                if !self.alarms_raised.insert((*rule, about.clone(), due)) {
                    return self.fail(format!(
                        "tick raised the same alarm twice (deadline {due:?}): {}",
                        short(a)
                    ));
                }
            }
            self.record(a)?;
        }
        if self.checks.time {
            let again = tick(&self.state, now);
            if !again.is_empty() {
                return self.fail(format!(
                    "tick raised again right after its alarms were recorded: {again:?}"
                ));
            }
        }
        self.check_state()?;

        // Someone gives a command.
        let (by, cmd) = command(&self.state, st);
        let ctx = Ctx {
            now,
            by: by.clone(),
        };
        let before = self.checks.records.then(|| self.state.clone());
        let result = decide(&self.state, &cmd, &ctx);
        self.trace.push(Trace::Command {
            now,
            by: by.clone(),
            cmd: cmd.clone(),
            outcome: result.clone(),
        });
        if let Some(before) = &before {
            let d = fingerprint::diff(before, &self.state, &[]);
            if !d.is_empty() {
                return self.fail(format!("decide changed the state:\n{}", d.join("\n")));
            }
            let again = decide(&self.state, &cmd, &ctx);
            if again != result {
                return self.fail(format!(
                    "decide is not deterministic: {}\n{result:?}\n{again:?}",
                    line(now, &by, &cmd)
                ));
            }
        }
        match result {
            Ok(events) => {
                for e in &events {
                    if self.checks.time && e.at != now {
                        return self.fail(format!(
                            "decide stamped an event at {:?}, not now: {}",
                            e.at,
                            short(e)
                        ));
                    }
                    self.record(e)?;
                }
            }
            Err(Rejection::Refused(violations)) => {
                if violations.is_empty() {
                    return self.fail("a refusal lists no rule".to_owned());
                }
                let ev = Event::new(
                    now,
                    by,
                    EventBody::Refused {
                        attempted: cmd,
                        violations,
                    },
                );
                self.record(&ev)?;
                if let Some(before) = &before {
                    let d =
                        fingerprint::diff(before, &self.state, &["refusals", "events", "last_at"]);
                    if !d.is_empty() {
                        return self.fail(format!(
                            "recording a refusal changed more than the refusal counters:\n{}",
                            d.join("\n")
                        ));
                    }
                }
            }
            Err(Rejection::Invalid(_)) => {}
        }
        self.check_state()
    }

    /// Rebuilds the state from the record, directly and through JSON, and compares.
    fn replay(&self) -> Result<(), String> {
        let mut direct = State::new();
        let mut via_json = State::new();
        for e in &self.log {
            direct.apply(e);
            let json = serde_json::to_string(e).unwrap();
            let back: Event = serde_json::from_str(&json)
                .map_err(|err| format!("event does not read back ({err}): {json}"))?;
            if &back != e {
                return self.fail(format!("event reads back different: {json}\n{back:?}"));
            }
            via_json.apply(&back);
        }
        let d = fingerprint::diff(&self.state, &direct, &[]);
        if !d.is_empty() {
            return self.fail(format!(
                "replaying the record rebuilds a different state:\n{}",
                d.join("\n")
            ));
        }
        let d = fingerprint::diff(&self.state, &via_json, &[]);
        if !d.is_empty() {
            return self.fail(format!(
                "replaying the JSON record rebuilds a different state:\n{}",
                d.join("\n")
            ));
        }
        // A snapshot (the state as JSON, read back) taken anywhere, plus the events after it,
        // is the same state: loading from a snapshot can be faster, never different.
        for cut in [self.log.len() / 3, 2 * self.log.len() / 3] {
            let mut before = State::new();
            for e in &self.log[..cut] {
                before.apply(e);
            }
            let json = serde_json::to_vec(&before).unwrap();
            let mut resumed: State = serde_json::from_slice(&json)
                .map_err(|err| format!("a snapshot at event {cut} does not read back: {err}"))?;
            if serde_json::to_vec(&resumed).unwrap() != json {
                return self.fail(format!("a snapshot at event {cut} reads back different"));
            }
            for e in &self.log[cut..] {
                resumed.apply(e);
            }
            let d = fingerprint::diff(&self.state, &resumed, &[]);
            if !d.is_empty() {
                return self.fail(format!(
                    "a snapshot at event {cut} plus the events after it is a different state:\n{}",
                    d.join("\n")
                ));
            }
        }
        if self.state.events != self.log.len() as u64 {
            return self.fail(format!(
                "{} events applied but {} recorded",
                self.state.events,
                self.log.len()
            ));
        }
        Ok(())
    }
}

/// Runs the steps on a fresh production under `policy`, checking `checks` after every one.
pub fn run(policy: PolicyName, steps: &[Step], checks: Checks) -> Result<(), String> {
    let (state, log, now) = set_up(policy);
    let mut r = Run {
        checks,
        state,
        log,
        now,
        trace: Vec::new(),
        arrivals: BTreeMap::new(),
        alarms_raised: HashSet::new(),
    };
    if checks.time {
        let mut last = None;
        for e in &r.log {
            if last.is_some_and(|l| e.at < l) {
                return r.fail(format!("set-up event out of order: {}", short(e)));
            }
            last = Some(e.at);
        }
    }
    r.check_state()?;
    for st in &expand(steps) {
        r.step(st)?;
    }
    if checks.records {
        r.replay()?;
    }
    Ok(())
}

/// Coverage counters, to see that the generator reaches deep states.
#[derive(Debug, Default)]
pub struct Coverage {
    pub commands: u64,
    pub recorded: u64,
    pub refused: u64,
    pub invalid: u64,
    pub handed_to_performer: u64,
    pub announced_cold: u64,
    pub loaded_blanks: u64,
    pub quarantines: u64,
    pub live_registered: u64,
    pub alarms_from_tick: u64,
    pub rules_refused: BTreeSet<&'static str>,
    pub handover_refusals: BTreeMap<String, u64>,
    /// Steps after which an item holds rounds from a lot that is not (or no longer) verified.
    pub unverified_rounds_in_items: u64,
    /// Cold announcements of an item loaded from two lots.
    pub cold_with_two_lots: u64,
}

/// Runs the steps without checks and counts what happened.
pub fn cover(policy: PolicyName, steps: &[Step], cov: &mut Coverage) {
    let (mut state, _, mut now) = set_up(policy);
    for st in &expand(steps) {
        now = now.plus_minutes(st.minutes);
        for a in tick(&state, now) {
            cov.alarms_from_tick += 1;
            state.apply(&a);
        }
        let (by, cmd) = command(&state, st);
        cov.commands += 1;
        match decide(&state, &cmd, &Ctx { now, by }) {
            Ok(events) => {
                cov.recorded += 1;
                for e in &events {
                    match &e.body {
                        EventBody::HandedOver { to, item, .. }
                            if !state.is_handler(to) && state.items[item].is_firing() =>
                        {
                            cov.handed_to_performer += 1
                        }
                        EventBody::Announced {
                            status: Status::Cold,
                            item,
                        } => {
                            cov.announced_cold += 1;
                            if state.items[item].loaded.len() > 1 {
                                cov.cold_with_two_lots += 1;
                            }
                        }
                        EventBody::Loaded { lot, .. }
                            if state.lots[lot].spec.ammo == AmmoKind::Blank =>
                        {
                            cov.loaded_blanks += 1
                        }
                        EventBody::IncidentReported { kind, .. } if kind.quarantines() => {
                            cov.quarantines += 1
                        }
                        EventBody::LotRegistered(spec) if spec.ammo == AmmoKind::Live => {
                            cov.live_registered += 1
                        }
                        _ => {}
                    }
                    state.apply(e);
                }
            }
            Err(Rejection::Refused(vs)) => {
                cov.refused += 1;
                if let Command::HandOver { to, item, .. } = &cmd
                    && !state.is_handler(to)
                    && state.items.get(item).is_some_and(|i| i.is_firing())
                {
                    let key = vs
                        .iter()
                        .map(|v| v.rule.as_str())
                        .collect::<Vec<_>>()
                        .join(",");
                    *cov.handover_refusals.entry(key).or_default() += 1;
                }
                for v in vs {
                    cov.rules_refused.insert(v.rule.as_str());
                }
            }
            Err(Rejection::Invalid(_)) => cov.invalid += 1,
        }
        if state.items.values().any(|i| {
            i.loaded
                .iter()
                .any(|(l, _)| state.lots.get(l).is_some_and(|l| !l.verified))
        }) {
            cov.unverified_rounds_in_items += 1;
        }
    }
}
