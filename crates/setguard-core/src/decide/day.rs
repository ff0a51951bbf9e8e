//! The shooting day: meetings, calling and cutting scenes, breaks, and wrap.

use super::{D, Rejection};
use crate::command::Command;
use crate::event::{Event, EventBody, Subject};
use crate::model::*;
use crate::rules::{RuleId, ammunition, checks, custody, incidents, people};
use crate::state::Custody;

pub(super) fn decide(d: &mut D, cmd: &Command) -> Result<Vec<Event>, Rejection> {
    match cmd {
        Command::StartDay => Ok(vec![d.ev(EventBody::DayStarted)]),
        Command::Wrap => Ok(wrap(d)),
        Command::SafetyMeeting { scenes, attendees } => {
            for s in scenes {
                d.scene(s)?;
            }
            d.people(attendees)?;
            Ok(vec![d.ev(EventBody::SafetyMeetingHeld {
                scenes: scenes.clone(),
                attendees: attendees.clone(),
            })])
        }
        Command::Brief { person, scene } => {
            d.person(person)?;
            d.scene(scene)?;
            Ok(vec![d.ev(EventBody::Briefed {
                person: person.clone(),
                scene: scene.clone(),
            })])
        }
        Command::CallScene { scene } => {
            let s = d.scene(scene)?;
            if s.is_firearm_scene(&d.s.items) {
                d.check(checks::line_of_fire(d.s, s));
                d.check(people::near_fire_trained(d.s, &s.spec.roster, d.now.date()));
                d.check(incidents::live_round_stops_all(
                    d.s,
                    "firearm scene can be called",
                ));
                d.check(incidents::walkout_escalates(d.s));
                d.check(incidents::stop_work(d.s, "firearm scene can be called"));
            }
            Ok(vec![d.ev(EventBody::SceneCalled {
                scene: scene.clone(),
            })])
        }
        Command::Cut { scene } => {
            d.scene(scene)?;
            Ok(vec![d.ev(EventBody::SceneCut {
                scene: scene.clone(),
            })])
        }
        Command::Break { kind } => Ok(vec![d.ev(EventBody::BreakCalled { kind: kind.clone() })]),
        Command::Resume => Ok(vec![d.ev(EventBody::Resumed)]),
        _ => Ok(Vec::new()),
    }
}

/// `wrap-inventory` and `ammo-reconciled`: at wrap every item is back in storage and every lot
/// balances; each thing missing opens a missing-item incident and raises its alarm.
fn wrap(d: &D) -> Vec<Event> {
    let mut events = vec![d.ev(EventBody::DayWrapped)];
    let mut opened = 0;
    for item in
        d.s.items
            .values()
            .filter(|i| i.custody != Custody::InStorage)
    {
        let incident = d.next_incident(opened);
        opened += 1;
        let message = format!(
            "At wrap the {} is not back in storage: it is {}.",
            item.label(),
            custody::whereabouts(d.s, item)
        );
        events.push(d.system(EventBody::IncidentReported {
            incident,
            kind: IncidentKind::MissingItem,
            items: vec![item.spec.id.clone()],
            lots: Vec::new(),
            summary: message.clone(),
        }));
        events.push(d.system(EventBody::AlarmRaised {
            rule: RuleId::WrapInventory,
            about: Subject::Item(item.spec.id.clone()),
            message,
        }));
    }
    for lot in d.s.lots.values() {
        if let Some(message) = ammunition::ammo_reconciled(lot) {
            let incident = d.next_incident(opened);
            opened += 1;
            events.push(d.system(EventBody::IncidentReported {
                incident,
                kind: IncidentKind::MissingItem,
                items: Vec::new(),
                lots: vec![lot.spec.id.clone()],
                summary: message.clone(),
            }));
            events.push(d.system(EventBody::AlarmRaised {
                rule: RuleId::AmmoReconciled,
                about: Subject::Lot(lot.spec.id.clone()),
                message,
            }));
        }
    }
    events
}
