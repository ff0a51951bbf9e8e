//! When something goes wrong or someone speaks up: discharges, incidents, concerns, walkouts and
//! stop-work.

use super::{D, InvalidKind, Rejection, invalid};
use crate::command::Command;
use crate::event::{Event, EventBody, LotRounds, Subject};
use crate::model::*;
use crate::rules::{RuleId, incidents};
use crate::state::Item;

pub(super) fn decide(d: &mut D, cmd: &Command) -> Result<Vec<Event>, Rejection> {
    match cmd {
        Command::Discharge {
            item,
            intended,
            rounds,
        } => discharge(d, item, *intended, *rounds),
        Command::ReportIncident {
            kind,
            items,
            lots,
            summary,
        } => {
            d.actor()?;
            d.known_items(items);
            d.known_lots(lots);
            let incident = d.next_incident(0);
            let mut events = vec![d.ev(EventBody::IncidentReported {
                incident,
                kind: *kind,
                items: items.clone(),
                lots: lots.clone(),
                summary: summary.clone(),
            })];
            let alarm = if *kind == IncidentKind::LiveRoundFound {
                Some((
                    RuleId::LiveRoundStopsAll,
                    format!(
                        "A live round was found ({incident}): all firearm work on the production stops until it is closed and every lot is verified again."
                    ),
                ))
            } else if kind.quarantines() {
                Some((
                    RuleId::IncidentQuarantines,
                    format!(
                        "{incident} ({kind}): the items and lots involved are quarantined until a safety supervisor closes it."
                    ),
                ))
            } else {
                None
            };
            if let Some((rule, message)) = alarm {
                events.push(d.system(EventBody::AlarmRaised {
                    rule,
                    about: Subject::Incident(incident),
                    message,
                }));
            }
            Ok(events)
        }
        Command::CloseIncident {
            incident,
            root_cause,
            corrective_action,
        } => {
            let actor = d.actor()?;
            let inc = d.s.incidents.get(incident).ok_or_else(|| {
                invalid(
                    InvalidKind::NotFound,
                    format!("{incident} is not on record"),
                )
            })?;
            if inc.closed.is_some() {
                return Err(invalid(
                    InvalidKind::Conflict,
                    format!("{incident} is already closed"),
                ));
            }
            d.check(incidents::incident_closed_properly(
                d.s,
                &actor,
                inc,
                root_cause,
                corrective_action,
            ));
            Ok(vec![d.ev(EventBody::IncidentClosed {
                incident: *incident,
                root_cause: root_cause.clone(),
                corrective_action: corrective_action.clone(),
            })])
        }
        Command::RaiseConcern {
            text,
            urgent,
            anonymous,
        } => {
            let concern = ConcernId(d.s.concerns.len() as u32 + 1);
            // `decide` has already dropped the sender of an anonymous concern.
            Ok(vec![d.ev(EventBody::ConcernRaised {
                concern,
                text: text.clone(),
                urgent: *urgent,
                anonymous: *anonymous,
            })])
        }
        Command::RespondConcern { concern, response } => {
            let actor = d.actor()?;
            if !d.s.concerns.contains_key(concern) {
                return Err(invalid(
                    InvalidKind::NotFound,
                    format!("{concern} is not on record"),
                ));
            }
            d.check(incidents::concern_answerer(d.s, &actor));
            Ok(vec![d.ev(EventBody::ConcernAnswered {
                concern: *concern,
                response: response.clone(),
            })])
        }
        Command::Resign { reason } => {
            let actor = d.actor()?;
            let message = format!(
                "{} resigned over safety: escalated to the studio safety office and the union; firearm scenes wait for the safety supervisor.",
                d.s.name_of(&actor)
            );
            Ok(vec![
                d.ev(EventBody::Resigned {
                    reason: reason.clone(),
                }),
                d.system(EventBody::AlarmRaised {
                    rule: RuleId::WalkoutEscalates,
                    about: Subject::Person(actor),
                    message,
                }),
            ])
        }
        Command::Walkout { people, reason } => {
            d.people(people)?;
            let message = format!(
                "{} walked out over safety: escalated to the studio safety office and the union; firearm scenes wait for the safety supervisor.",
                if people.is_empty() {
                    "Crew".to_owned()
                } else {
                    people
                        .iter()
                        .map(|p| d.s.name_of(p))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            );
            Ok(vec![
                d.ev(EventBody::WalkedOut {
                    people: people.clone(),
                    reason: reason.clone(),
                }),
                d.system(EventBody::AlarmRaised {
                    rule: RuleId::WalkoutEscalates,
                    about: Subject::Production,
                    message,
                }),
            ])
        }
        Command::StopWork { reason } => Ok(vec![d.ev(EventBody::WorkStopped {
            reason: reason.clone(),
        })]),
        Command::ResumeWork { reason } => {
            let actor = d.actor()?;
            d.check(incidents::resume_work(d.s, &actor, reason));
            Ok(vec![d.ev(EventBody::WorkResumed {
                reason: reason.clone(),
            })])
        }
        _ => Ok(Vec::new()),
    }
}

/// Why a discharge is unexpected, if it is: not intended, outside a called scene that uses the
/// item, during a break, or from an item inspected as empty or dummies or not loaded with blanks
/// (rule `incident-quarantines`, "unexpected by definition").
fn unexpected(d: &D, it: &Item, intended: bool, rounds: Rounds) -> Option<String> {
    let mut why = Vec::new();
    if !intended {
        why.push("it was not intended".to_owned());
    }
    let in_called_scene =
        d.s.called
            .iter()
            .filter_map(|s| d.s.scenes.get(s))
            .any(|s| s.spec.items.contains(&it.spec.id));
    if !in_called_scene {
        why.push("no scene using it was called".to_owned());
    }
    if let Some(b) = &d.s.on_break {
        why.push(format!(
            "it happened during {}",
            if b.kind.is_empty() {
                "a break"
            } else {
                &b.kind
            }
        ));
    }
    if let Some(insp) = &it.inspection
        && insp.state != InspectState::Blanks
    {
        why.push(format!(
            "it was inspected as {} at {}",
            insp.state,
            insp.at.clock()
        ));
    }
    let blanks_loaded = it.loaded.iter().any(|(l, _)| {
        d.s.lots
            .get(l)
            .is_some_and(|l| l.spec.ammo == AmmoKind::Blank)
    });
    if !blanks_loaded {
        why.push("the record shows no blanks in it".to_owned());
    } else if rounds.0 > it.loaded_rounds() {
        why.push(format!(
            "{rounds} round(s) fired but the record shows only {} loaded",
            it.loaded_rounds()
        ));
    }
    if why.is_empty() {
        None
    } else {
        Some(why.join("; "))
    }
}

/// `discharge`: always recorded (it happened); an unexpected one opens an incident that
/// quarantines the item and the lots in it.
fn discharge(
    d: &mut D,
    item: &ItemId,
    intended: bool,
    rounds: Rounds,
) -> Result<Vec<Event>, Rejection> {
    let it = d.item(item)?;
    if rounds.0 == 0 {
        return Err(invalid(
            InvalidKind::BadRequest,
            "`rounds` must be at least 1",
        ));
    }
    let mut left = rounds.0;
    let mut fired = Vec::new();
    for (lot, r) in &it.loaded {
        if left == 0 {
            break;
        }
        let n = left.min(r.0);
        left -= n;
        fired.push(LotRounds {
            lot: lot.clone(),
            rounds: Rounds(n),
        });
    }
    let mut events = vec![d.ev(EventBody::Discharged {
        item: item.clone(),
        intended,
        rounds,
        fired,
    })];
    if let Some(why) = unexpected(d, it, intended, rounds) {
        let incident = d.next_incident(0);
        let lots: Vec<LotId> = it.loaded.iter().map(|(l, _)| l.clone()).collect();
        let message = format!(
            "Unexpected discharge of the {} ({why}): {incident} opened; the item and its lots are quarantined.",
            it.label()
        );
        events.push(d.ev(EventBody::IncidentReported {
            incident,
            kind: IncidentKind::UnexpectedDischarge,
            items: vec![item.clone()],
            lots,
            summary: message.clone(),
        }));
        events.push(d.system(EventBody::AlarmRaised {
            rule: RuleId::IncidentQuarantines,
            about: Subject::Incident(incident),
            message,
        }));
    }
    Ok(events)
}
