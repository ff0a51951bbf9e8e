//! Checks, status and announcements: "cold" is computed from a signed inspection the performer
//! watched, never a word someone says.

use super::{RuleId, Violation};
use crate::model::*;
use crate::state::{Inspection, Item, Lapse, Scene, State};

/// Why an item has no current inspection.
#[derive(Debug, Clone, PartialEq)]
pub enum NoCheck {
    Never,
    Lapsed(Lapse),
}

/// The item's inspection if it still counts at `now`: not voided by a break, a change of hands,
/// a load or unload, and not older than the policy allows.
pub fn current_inspection<'a>(
    state: &State,
    item: &'a Item,
    now: At,
) -> Result<&'a Inspection, NoCheck> {
    let insp = item.inspection.as_ref().ok_or(NoCheck::Never)?;
    if let Some(l) = &insp.voided {
        return Err(NoCheck::Lapsed(l.clone()));
    }
    let expires = insp.at.plus_minutes(state.policy.check_valid_minutes);
    if now > expires {
        return Err(NoCheck::Lapsed(Lapse::TimedOut { at: expires }));
    }
    Ok(insp)
}

/// The sentence for a check that lapsed. Source of the rule `check-lapses`: MISSION F9 (the Rust
/// revolver was loaded before lunch and not checked after it) and the "out of sight" rule.
pub fn lapse_sentence(state: &State, item: &Item, lapse: &Lapse) -> String {
    let checked = item
        .inspection
        .as_ref()
        .map(|i| {
            format!(
                "was last checked at {} by {}",
                i.at.clock(),
                state.name_of(&i.by)
            )
        })
        .unwrap_or_else(|| "was checked".to_owned());
    let (why, rule) = match lapse {
        Lapse::Break { kind, at } => {
            let kind = if kind.is_empty() {
                "the break"
            } else {
                kind.as_str()
            };
            (
                format!("before {kind} ({})", at.clock()),
                "Checks lapse at a break",
            )
        }
        Lapse::LeftHands { at } => (
            format!("and has changed hands since ({})", at.clock()),
            "A check lapses when the item leaves the handler's hands",
        ),
        Lapse::Loaded { at } => (
            format!("and was loaded since ({})", at.clock()),
            "A check lapses when the item is loaded",
        ),
        Lapse::Unloaded { at } => (
            format!("and was unloaded since ({})", at.clock()),
            "A check lapses when the item is unloaded",
        ),
        Lapse::TimedOut { at } => (
            format!("and that check lapsed at {}", at.clock()),
            "A check lasts only a few minutes",
        ),
    };
    format!(
        "The {} {checked}, {why}. {rule}: the armorer must check it again in front of the performer.",
        item.label()
    )
}

/// `checked-before-handover` and `check-lapses`: the violations when an item has no current
/// inspection. A lapsed check breaks both rules; a missing one breaks the first.
pub fn no_current_check(state: &State, item: &Item, why: &NoCheck, doing: &str) -> Vec<Violation> {
    match why {
        NoCheck::Never => vec![Violation::new(
            RuleId::CheckedBeforeHandover,
            format!(
                "The {} has not been inspected: the armorer must check it in front of the performer before {doing}.",
                item.label()
            ),
        )],
        NoCheck::Lapsed(l) => {
            let s = lapse_sentence(state, item, l);
            vec![
                Violation::new(RuleId::CheckLapses, s.clone()),
                Violation::new(RuleId::CheckedBeforeHandover, s),
            ]
        }
    }
}

/// `checked-before-handover`: the performer confirmed they watched the current inspection.
/// Source: Bulletin #1; CA Labor Code 9153.
pub fn performer_confirmed(
    state: &State,
    item: &Item,
    insp: &Inspection,
    performer: &PersonId,
) -> Option<Violation> {
    if insp.confirmed_by.contains(performer) {
        return None;
    }
    Some(Violation::new(
        RuleId::CheckedBeforeHandover,
        format!(
            "{} has not confirmed watching the {}'s check at {}: they must confirm it before taking it.",
            state.name_of(performer),
            item.label(),
            insp.at.clock()
        ),
    ))
}

/// `scene-planned`: a firing item goes to a performer only for a scene scheduled that day that
/// lists both. Source: CA Labor Code 9153(a)(1); Bulletin #1.
pub fn scene_planned(
    state: &State,
    item: &Item,
    performer: &PersonId,
    scene: Option<&Scene>,
    now: At,
) -> Option<Violation> {
    let who = state.name_of(performer);
    let Some(scene) = scene else {
        return Some(Violation::new(
            RuleId::ScenePlanned,
            format!(
                "No scene today lists both the {} and {who}: a firearm goes to a performer only for a planned scene.",
                item.label()
            ),
        ));
    };
    let mut problems = Vec::new();
    if scene.spec.date != state.shooting_day(now) {
        problems.push(format!("is scheduled for {}, not today", scene.spec.date));
    }
    if !scene.spec.items.contains(&item.spec.id) {
        problems.push(format!("does not list the {}", item.label()));
    }
    if !scene.spec.performers.contains(performer) {
        problems.push(format!("does not list {who} as a performer"));
    }
    if problems.is_empty() {
        return None;
    }
    Some(Violation::new(
        RuleId::ScenePlanned,
        format!("Scene {} {}.", scene.spec.id, problems.join(" and ")),
    ))
}

/// `second-check`: the first hand-over of a scene each day needs the first AD's or safety
/// supervisor's second check of the current inspection. Source: practice; NM OHSB findings.
pub fn second_check(
    state: &State,
    item: &Item,
    insp: &Inspection,
    scene: &SceneId,
    now: At,
) -> Option<Violation> {
    if state
        .handed_over
        .contains(&(state.shooting_day(now), scene.clone()))
        || insp.second_checked_by.is_some()
    {
        return None;
    }
    Some(Violation::new(
        RuleId::SecondCheck,
        format!(
            "This is the first hand-over for scene {scene} today: the first AD or safety supervisor must second-check the {} before it goes to the performer.",
            item.label()
        ),
    ))
}

/// `second-check` at `second-check`: only the first AD or safety supervisor gives it.
pub fn second_checker(state: &State, actor: &PersonId) -> Option<Violation> {
    if state.has_role(actor, Role::FirstAd) || state.has_role(actor, Role::SafetySupervisor) {
        return None;
    }
    Some(Violation::new(
        RuleId::SecondCheck,
        format!(
            "{} is neither the first AD nor the safety supervisor: only they give the second check.",
            state.name_of(actor)
        ),
    ))
}

/// `cold-is-verified`: "cold" only while the current inspection says empty, or dummies from a
/// verified lot. Source: MISSION F10 ("cold gun" after a glance).
pub fn cold_is_verified(state: &State, item: &Item, now: At) -> Vec<Violation> {
    let insp = match current_inspection(state, item, now) {
        Ok(i) => i,
        Err(NoCheck::Never) => {
            return vec![Violation::new(
                RuleId::ColdIsVerified,
                format!(
                    "The {} has not been inspected: nobody can call it cold.",
                    item.label()
                ),
            )];
        }
        Err(NoCheck::Lapsed(l)) => {
            let s = lapse_sentence(state, item, &l);
            return vec![
                Violation::new(RuleId::CheckLapses, s.clone()),
                Violation::new(
                    RuleId::ColdIsVerified,
                    format!("{s} Until then it can't be called cold."),
                ),
            ];
        }
    };
    let ok = match insp.state {
        InspectState::Empty => true,
        // Every lot with rounds in the item must be verified dummies, not only the one named.
        InspectState::Dummies => {
            insp.lot
                .iter()
                .chain(item.loaded.iter().map(|(l, _)| l))
                .all(|l| {
                    state.lots.get(l).is_some_and(|l| {
                        l.verified && !l.condemned && l.spec.ammo == AmmoKind::Dummy
                    })
                })
        }
        InspectState::Blanks => false,
    };
    if ok {
        return Vec::new();
    }
    let why = match insp.state {
        InspectState::Blanks => "holds blanks: it is hot".to_owned(),
        _ => "holds dummies from a lot that is not verified".to_owned(),
    };
    vec![Violation::new(
        RuleId::ColdIsVerified,
        format!(
            "The {} was checked at {} and {why}: it can't be announced cold.",
            item.label(),
            insp.at.clock()
        ),
    )]
}

/// `hot-announced`: a blank-loaded item is announced hot after loading and before hand-over.
/// Source: Bulletin #1.
pub fn hot_announced(state: &State, item: &Item) -> Option<Violation> {
    let has_blanks = item.loaded.iter().any(|(l, _)| {
        state
            .lots
            .get(l)
            .is_some_and(|l| l.spec.ammo == AmmoKind::Blank)
    });
    if !has_blanks {
        return None;
    }
    let announced_after_load = match (item.announced, item.load_changed) {
        (Some((Status::Hot, at)), Some(loaded)) => at >= loaded,
        _ => false,
    };
    if announced_after_load {
        return None;
    }
    Some(Violation::new(
        RuleId::HotAnnounced,
        format!(
            "The {} is loaded with blanks and has not been announced hot since it was loaded: announce it to the set first.",
            item.label()
        ),
    ))
}

/// `meeting-first`: a safety meeting that day covered the scene (as it is now) with the
/// performer and the whole roster present or briefed. Source: Bulletin #1; CA 9153(a)(4); on
/// Rust there was no safety meeting that day.
pub fn meeting_first(
    state: &State,
    scene: &Scene,
    performer: &PersonId,
    now: At,
) -> Option<Violation> {
    let cov = state
        .meetings
        .get(&(state.shooting_day(now), scene.spec.id.clone()))
        .filter(|c| c.held && c.version == scene.version);
    let Some(cov) = cov else {
        let changed = if scene.version > 0 {
            " (the scene was changed since any earlier meeting)"
        } else {
            ""
        };
        return Some(Violation::new(
            RuleId::MeetingFirst,
            format!(
                "No safety meeting has covered scene {} today{changed}: hold one before any firearm is handed over.",
                scene.spec.id
            ),
        ));
    };
    let missing: Vec<String> = std::iter::once(performer)
        .chain(scene.spec.roster.iter())
        .filter(|p| !cov.present.contains(*p) && !cov.briefed.contains(*p))
        .map(|p| state.name_of(p))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if missing.is_empty() {
        return None;
    }
    Some(Violation::new(
        RuleId::MeetingFirst,
        format!(
            "Not everyone on scene {} was at today's safety meeting or briefed since: {}.",
            scene.spec.id,
            missing.join(", ")
        ),
    ))
}

/// `replica-rehearsal`: a rehearsal uses non-firing replicas unless the armorer and the safety
/// supervisor both signed an exception for that scene. Source: BBC; MISSION F11.
pub fn replica_rehearsal(item: &Item, scene: &Scene) -> Option<Violation> {
    if scene.spec.kind != SceneKind::Rehearsal || !item.is_firing() || scene.rehearsal_exception() {
        return None;
    }
    Some(Violation::new(
        RuleId::ReplicaRehearsal,
        format!(
            "Scene {} is a rehearsal: use a non-firing replica, not the {}, unless the armorer and the safety supervisor sign an exception.",
            scene.spec.id,
            item.label()
        ),
    ))
}

/// `line-of-fire`: a scene that points a firearm toward people or the camera has a plan with
/// shields or a remote camera, and enough distance when blanks are fired. Source: Bulletin #1.
pub fn line_of_fire(state: &State, scene: &Scene) -> Option<Violation> {
    if !scene.spec.points_toward_people || !scene.is_firearm_scene(&state.items) {
        return None;
    }
    let Some(plan) = &scene.line_of_fire else {
        return Some(Violation::new(
            RuleId::LineOfFire,
            format!(
                "Scene {} points a firearm toward people or the camera and has no line-of-fire plan.",
                scene.spec.id
            ),
        ));
    };
    let mut problems = Vec::new();
    if !plan.shields && !plan.remote_camera {
        problems.push("needs shields or a remote camera".to_owned());
    }
    let min = state.policy.blank_min_distance_ft;
    if scene.spec.blank_rounds.0 > 0 && plan.min_distance_ft.get() < min {
        problems.push(format!(
            "keeps only {} from the muzzle where blanks are fired ({min} ft needed)",
            plan.min_distance_ft
        ));
    }
    if problems.is_empty() {
        return None;
    }
    Some(Violation::new(
        RuleId::LineOfFire,
        format!(
            "The line-of-fire plan for scene {} {}.",
            scene.spec.id,
            problems.join(" and ")
        ),
    ))
}

/// `no-live-fire-policy`: functional and blank-adapted items are refused. Source: Rust's restart.
pub fn no_live_fire_item(state: &State, kind: ItemKind, id: &ItemId) -> Option<Violation> {
    if !state.policy.no_live_fire || !kind.takes_blanks() {
        return None;
    }
    Some(Violation::new(
        RuleId::NoLiveFirePolicy,
        format!(
            "This production allows no working or blank-firing guns: {id} ({}) can't be registered.",
            kind.label()
        ),
    ))
}

/// `no-live-fire-policy`: all ammunition is refused.
pub fn no_live_fire_lot(state: &State, id: &LotId) -> Option<Violation> {
    if !state.policy.no_live_fire {
        return None;
    }
    Some(Violation::new(
        RuleId::NoLiveFirePolicy,
        format!("This production allows no ammunition of any kind: lot {id} can't be registered."),
    ))
}

/// `inspection-matches-record` (extension): an inspection agrees with what the record says is in
/// the item, so a "cold" can't rest on a check that contradicts the load.
pub fn inspection_matches_record(
    state: &State,
    item: &Item,
    found: InspectState,
    rounds: Option<Rounds>,
    lot: Option<&LotId>,
) -> Option<Violation> {
    let loaded_kinds: Vec<AmmoKind> = item
        .loaded
        .iter()
        .filter_map(|(l, _)| state.lots.get(l).map(|l| l.spec.ammo))
        .collect();
    let in_item = item.loaded_rounds();
    let record = if item.loaded.is_empty() {
        "empty".to_owned()
    } else {
        let lots: Vec<String> = item
            .loaded
            .iter()
            .map(|(l, r)| format!("{r} from lot {l}"))
            .collect();
        format!("loaded with {}", lots.join(" and "))
    };
    let agrees = match found {
        InspectState::Empty => item.loaded.is_empty(),
        InspectState::Dummies => {
            !loaded_kinds.is_empty() && loaded_kinds.iter().all(|k| *k == AmmoKind::Dummy)
        }
        InspectState::Blanks => {
            !loaded_kinds.is_empty() && loaded_kinds.iter().all(|k| *k == AmmoKind::Blank)
        }
    } && rounds
        .is_none_or(|r| found == InspectState::Empty && r.0 == 0 || r.0 == in_item)
        && lot.is_none_or(|l| item.loaded.iter().any(|(x, _)| x == l));
    if agrees {
        return None;
    }
    Some(Violation::new(
        RuleId::InspectionMatchesRecord,
        format!(
            "The record says the {} is {record}, but the check found it {found}: unload it, count the rounds, and report any difference.",
            item.label()
        ),
    ))
}
