//! Staffing and set-up: the production, its people, items, lots, scenes, trainings and signed
//! exceptions.

use super::{D, InvalidKind, Rejection, invalid};
use crate::command::Command;
use crate::event::{Event, EventBody, Subject};
use crate::model::*;
use crate::rules::{RuleId, Violation, ammunition, checks, custody, people};

pub(super) fn decide(d: &mut D, cmd: &Command) -> Result<Vec<Event>, Rejection> {
    let day = d.s.shooting_day(d.now);
    match cmd {
        Command::OpenProduction {
            id,
            name,
            policy,
            timezone,
        } => {
            if d.s.production.is_some() {
                return Err(invalid(
                    InvalidKind::Conflict,
                    "this production is already open",
                ));
            }
            Ok(vec![d.ev(EventBody::ProductionOpened {
                id: id.clone(),
                name: name.clone(),
                policy: *policy,
                timezone: timezone.clone(),
            })])
        }
        Command::RegisterPerson {
            id,
            name,
            prior_incidents,
        } => {
            if d.s.people.contains_key(id) {
                return Err(invalid(
                    InvalidKind::Conflict,
                    format!("\"{id}\" is already on the crew list"),
                ));
            }
            Ok(vec![d.ev(EventBody::PersonRegistered {
                id: id.clone(),
                name: name.clone(),
                prior_incidents: prior_incidents.clone(),
            })])
        }
        Command::AssignRole { person, role } => {
            let p = d.person(person)?;
            d.check(people::handler_qualified_for_role(d.s, p, *role, day));
            d.check(people::red_flag_acknowledged(p, *role));
            Ok(vec![d.ev(EventBody::RoleAssigned {
                person: person.clone(),
                role: *role,
            })])
        }
        Command::GrantCredential {
            person,
            kind,
            classes,
            expires,
        } => {
            d.person(person)?;
            Ok(vec![d.ev(EventBody::CredentialGranted {
                person: person.clone(),
                kind: *kind,
                classes: classes.clone(),
                expires: *expires,
            })])
        }
        Command::AcknowledgeRedFlag { person, reason } => {
            d.person(person)?;
            let actor = d.actor()?;
            d.check(people::producer_acknowledges(d.s, &actor));
            Ok(vec![d.ev(EventBody::RedFlagAcknowledged {
                person: person.clone(),
                reason: reason.clone(),
            })])
        }
        Command::NameComplianceContact { person } => {
            d.person(person)?;
            Ok(vec![d.ev(EventBody::ComplianceContactNamed {
                person: person.clone(),
            })])
        }
        Command::AssignDuty { person, duty } => {
            let p = d.person(person)?;
            d.check(people::armorer_sole_duty(d.s, p, duty, day));
            Ok(vec![d.ev(EventBody::DutyAssigned {
                person: person.clone(),
                duty: duty.clone(),
                date: day,
            })])
        }
        Command::RegisterItem(spec) => {
            if d.s.items.contains_key(&spec.id) {
                return Err(invalid(
                    InvalidKind::Conflict,
                    format!("item \"{}\" is already registered", spec.id),
                ));
            }
            d.check(checks::no_live_fire_item(d.s, spec.kind, &spec.id));
            Ok(vec![d.ev(EventBody::ItemRegistered(spec.clone()))])
        }
        Command::RegisterLot(spec) => {
            if d.s.lots.contains_key(&spec.id) {
                return Err(invalid(
                    InvalidKind::Conflict,
                    format!("lot \"{}\" is already registered", spec.id),
                ));
            }
            d.check(checks::no_live_fire_lot(d.s, &spec.id));
            d.check(ammunition::no_live_ammo(d.s, spec));
            Ok(vec![d.ev(EventBody::LotRegistered(spec.clone()))])
        }
        Command::ScheduleScene(spec) => {
            if d.s.scenes.contains_key(&spec.id) {
                return Err(invalid(
                    InvalidKind::Conflict,
                    format!("scene \"{}\" is already scheduled", spec.id),
                ));
            }
            d.people(&spec.performers)?;
            d.people(&spec.roster)?;
            d.known_items(&spec.items);
            Ok(vec![d.ev(EventBody::SceneScheduled(spec.clone()))])
        }
        Command::ChangeScene { scene, changes } => {
            d.scene(scene)?;
            if let Some(p) = &changes.performers {
                d.people(p)?;
            }
            if let Some(r) = &changes.roster {
                d.people(r)?;
            }
            if let Some(i) = &changes.items {
                d.known_items(i);
            }
            Ok(vec![d.ev(EventBody::SceneChanged {
                scene: scene.clone(),
                changes: changes.clone(),
            })])
        }
        Command::VerifyLot {
            lot,
            counted,
            failed,
        } => verify_lot(d, lot, *counted, *failed),
        Command::PlanTraining { performer, class } => {
            d.person(performer)?;
            let actor = d.actor()?;
            d.check(people::specialist_decides_training(d.s, &actor, "plan"));
            let training = TrainingId(d.s.trainings.len() as u32 + 1);
            Ok(vec![d.ev(EventBody::TrainingPlanned {
                training,
                performer: performer.clone(),
                class: *class,
            })])
        }
        Command::CancelTraining { training, reason } => {
            let t = d.s.trainings.get(training).ok_or_else(|| {
                invalid(
                    InvalidKind::NotFound,
                    format!("{training} is not on record"),
                )
            })?;
            if t.cancelled.is_some() {
                return Err(invalid(
                    InvalidKind::Conflict,
                    format!("{training} is already cancelled"),
                ));
            }
            let actor = d.actor()?;
            d.check(people::specialist_decides_training(d.s, &actor, "cancel"));
            Ok(vec![d.ev(EventBody::TrainingCancelled {
                training: *training,
                reason: reason.clone(),
            })])
        }
        Command::RecordTraining { performer, class } => {
            d.person(performer)?;
            let actor = d.actor()?;
            d.check(people::specialist_decides_training(d.s, &actor, "record"));
            // The training planned for this performer and class, if any, is the one now given.
            let planned = d.s.trainings.iter().find(|(_, t)| {
                &t.performer == performer
                    && t.class == *class
                    && t.recorded.is_none()
                    && t.cancelled.is_none()
            });
            let training = planned
                .map(|(id, _)| *id)
                .unwrap_or(TrainingId(d.s.trainings.len() as u32 + 1));
            Ok(vec![d.ev(EventBody::TrainingRecorded {
                training,
                performer: performer.clone(),
                class: *class,
            })])
        }
        Command::ApproveException {
            kind,
            scene,
            lot,
            reason,
            place,
            medic,
        } => approve_exception(d, *kind, scene.as_ref(), lot.as_ref(), reason, place, medic),
        Command::LineOfFirePlan {
            scene,
            shields,
            remote_camera,
            min_distance_ft,
        } => {
            d.scene(scene)?;
            Ok(vec![d.ev(EventBody::LineOfFirePlanned {
                scene: scene.clone(),
                shields: *shields,
                remote_camera: *remote_camera,
                min_distance_ft: *min_distance_ft,
            })])
        }
        _ => Ok(Vec::new()),
    }
}

/// `verify-lot`: round by round, by a handler; a round that is not inert condemns the lot, opens
/// a live-round-found incident and raises `dummy-inert` (for dummies) or `live-round-stops-all`.
fn verify_lot(
    d: &mut D,
    lot_id: &LotId,
    counted: Rounds,
    failed: Rounds,
) -> Result<Vec<Event>, Rejection> {
    let lot = d.lot(lot_id)?;
    let actor = d.actor()?;
    if failed > counted {
        return Err(invalid(
            InvalidKind::BadRequest,
            format!("{failed} rounds failed but only {counted} were counted"),
        ));
    }
    d.check(custody::handler_hands_over(
        d.s,
        &actor,
        "verify a lot of ammunition",
    ));
    if lot.condemned {
        d.check(ammunition::lot_verified(lot, d.s));
    }
    d.check(ammunition::count_matches(lot, counted));
    let mut events = vec![d.ev(EventBody::LotVerified {
        lot: lot_id.clone(),
        counted,
        failed,
    })];
    if failed.0 > 0 {
        let incident = d.next_incident(0);
        let (rule, message) = if lot.spec.ammo == AmmoKind::Dummy {
            (
                RuleId::DummyInert,
                ammunition::dummy_inert_alarm(lot, failed),
            )
        } else {
            (
                RuleId::LiveRoundStopsAll,
                format!(
                    "{failed} live round(s) found in lot {}: all firearm work on the production stops.",
                    lot.spec.id
                ),
            )
        };
        events.push(d.ev(EventBody::IncidentReported {
            incident,
            kind: IncidentKind::LiveRoundFound,
            items: Vec::new(),
            lots: vec![lot_id.clone()],
            summary: format!("{failed} round(s) failed verification in lot {lot_id}"),
        }));
        events.push(d.system(EventBody::AlarmRaised {
            rule,
            about: Subject::Incident(incident),
            message,
        }));
    }
    Ok(events)
}

/// `approve-exception`: a replica-rehearsal exception needs both the armorer's and the safety
/// supervisor's signature; a live-ammo exception exists only under `california`, naming the place
/// and the medic.
fn approve_exception(
    d: &mut D,
    kind: ExceptionKind,
    scene: Option<&SceneId>,
    lot: Option<&LotId>,
    reason: &str,
    place: &Option<String>,
    medic: &Option<String>,
) -> Result<Vec<Event>, Rejection> {
    let actor = d.actor()?;
    let is_armorer = d.s.is_handler(&actor);
    let is_supervisor = d.s.has_role(&actor, Role::SafetySupervisor);
    let signed_as = match kind {
        ExceptionKind::ReplicaRehearsal => {
            let Some(scene_id) = scene else {
                return Err(invalid(
                    InvalidKind::BadRequest,
                    "a replica-rehearsal exception names its `scene`",
                ));
            };
            let s = d.scene(scene_id)?;
            if s.rehearsal_signed_by.values().any(|p| p == &actor) {
                d.check(Some(Violation::new(
                    RuleId::ReplicaRehearsal,
                    format!(
                        "{} has already signed this rehearsal exception: the second signature must come from another person.",
                        d.s.name_of(&actor)
                    ),
                )));
            }
            match (is_armorer, is_supervisor) {
                (true, true) if s.rehearsal_signed_by.contains_key(&Role::Armorer) => {
                    Role::SafetySupervisor
                }
                (true, _) => Role::Armorer,
                (false, true) => Role::SafetySupervisor,
                (false, false) => {
                    d.check(Some(Violation::new(
                        RuleId::ReplicaRehearsal,
                        format!(
                            "{} can't sign a rehearsal exception: only the armorer and the safety supervisor sign it.",
                            d.s.name_of(&actor)
                        ),
                    )));
                    Role::Crew
                }
            }
        }
        ExceptionKind::LiveAmmo => {
            if lot.is_none() {
                return Err(invalid(
                    InvalidKind::BadRequest,
                    "a live-ammo exception names its `lot`",
                ));
            }
            let mut problems = Vec::new();
            if !d.s.policy.california_rules {
                problems.push(
                    "live ammunition has no exception under this production's policy".to_owned(),
                );
            }
            if !is_armorer && !is_supervisor {
                problems.push(format!(
                    "{} is neither the armorer nor the safety supervisor",
                    d.s.name_of(&actor)
                ));
            }
            if place.as_deref().is_none_or(|p| p.trim().is_empty()) {
                problems.push("it must name the place".to_owned());
            }
            if medic.as_deref().is_none_or(|m| m.trim().is_empty()) {
                problems.push("it must name the medic".to_owned());
            }
            if reason.trim().is_empty() {
                problems.push("it must give which of the three 9155 exceptions applies".to_owned());
            }
            if !problems.is_empty() {
                d.check(Some(Violation::new(
                    RuleId::NoLiveAmmo,
                    format!(
                        "The live-ammunition exception can't be approved: {}.",
                        problems.join("; ")
                    ),
                )));
            }
            if is_armorer {
                Role::Armorer
            } else {
                Role::SafetySupervisor
            }
        }
    };
    Ok(vec![d.ev(EventBody::ExceptionSigned {
        kind,
        scene: scene.cloned(),
        lot: lot.cloned(),
        reason: reason.to_owned(),
        place: place.clone(),
        medic: medic.clone(),
        signed_as,
    })])
}
