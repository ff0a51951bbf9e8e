//! `tick`: the alarms that passing time raises, each once. The server runs it on a timer and
//! before every command; `replay` runs it before every step.

use crate::event::{Event, EventBody};
use crate::model::*;
use crate::rules::RuleId;
use crate::rules::custody::whereabouts;
use crate::state::{Deadline, State};

/// The alarms raised by deadlines that have passed by `now`, each once, in time order. Applying
/// them clears their deadlines, so the next tick does not raise them again.
pub fn tick(state: &State, now: At) -> Vec<Event> {
    let mut out = Vec::new();
    for (due, deadline) in state.deadlines.iter() {
        if *due > now {
            break;
        }
        // Never before what is already recorded: the record's time only moves forward.
        let at = state.last_at.map_or(*due, |last| last.max(*due));
        let (rule, message) = match deadline {
            Deadline::Unattended(id) => {
                let Some(item) = state.items.get(id) else {
                    continue;
                };
                (
                    RuleId::NeverUnattended,
                    format!(
                        "The {} is unattended: {} for {} minutes.",
                        item.label(),
                        whereabouts(state, item),
                        state.policy.unattended_minutes
                    ),
                )
            }
            Deadline::Return(id) => {
                let Some(item) = state.items.get(id) else {
                    continue;
                };
                (
                    RuleId::ReturnAfterCut,
                    format!(
                        "The {} is not back with a handler {} minutes after the cut or break: it is {}.",
                        item.label(),
                        state.policy.return_minutes,
                        whereabouts(state, item)
                    ),
                )
            }
            Deadline::IncidentOpen(id) => {
                let Some(inc) = state.incidents.get(id) else {
                    continue;
                };
                (
                    RuleId::IncidentClosedProperly,
                    format!(
                        "{id} ({}) has been open {} hours without a root cause and corrective action: escalated to the studio safety office.",
                        inc.kind, state.policy.incident_escalation_hours
                    ),
                )
            }
            Deadline::ConcernDue(id) => {
                let Some(c) = state.concerns.get(id) else {
                    continue;
                };
                let hours = if c.urgent {
                    state.policy.urgent_concern_hours
                } else {
                    state.policy.concern_hours
                };
                (
                    RuleId::ConcernAnswered,
                    format!(
                        "{id}{} was not answered within {hours} hour(s): escalated to the studio safety office and the union.",
                        if c.urgent { " (urgent)" } else { "" }
                    ),
                )
            }
        };
        out.push(Event::new(
            at,
            None,
            EventBody::AlarmRaised {
                rule,
                about: deadline.subject(),
                message,
            },
        ));
    }
    out
}

/// Inspections that lapse by time after the last recorded moment and by `now`, as (item,
/// sentence), for a timeline's notices. A lapse is not an alarm: it only means the item must be
/// checked again before it is handed over or called cold.
pub fn lapsed_checks(state: &State, now: At) -> Vec<(ItemId, String)> {
    let Some(last) = state.last_at else {
        return Vec::new();
    };
    state
        .inspected
        .iter()
        .filter_map(|id| state.items.get(id))
        .filter_map(|item| {
            let insp = item.inspection.as_ref().filter(|i| i.voided.is_none())?;
            let lapses = insp.at.plus_minutes(state.policy.check_valid_minutes);
            (lapses > last && lapses < now).then(|| {
                (
                    item.spec.id.clone(),
                    format!(
                        "The check of the {} made at {} lapsed at {}.",
                        item.label(),
                        insp.at.clock(),
                        lapses.clock()
                    ),
                )
            })
        })
        .collect()
}
