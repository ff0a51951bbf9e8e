//! Incidents, concerns and stop-work: what goes wrong is investigated, what people raise is
//! answered, and anyone can stop the work.

use super::{RuleId, Violation};
use crate::model::*;
use crate::state::{Incident, Item, Lot, State};

/// `incident-quarantines`: an item held by an open incident goes only back to a handler and into
/// storage. Source: NM OHSB findings (two misfires on Rust were never investigated); SKSAR8.
pub fn item_quarantined(item: &Item) -> Option<Violation> {
    let inc = item.quarantined_by.iter().next()?;
    Some(Violation::new(
        RuleId::IncidentQuarantines,
        format!(
            "The {} is quarantined by {inc} until a safety supervisor closes it: it may only go back to a handler and into storage.",
            item.label()
        ),
    ))
}

/// `incident-quarantines` for a lot.
pub fn lot_quarantined(lot: &Lot) -> Option<Violation> {
    let inc = lot.quarantined_by.iter().next()?;
    Some(Violation::new(
        RuleId::IncidentQuarantines,
        format!(
            "Lot {} is quarantined by {inc} until a safety supervisor closes it.",
            lot.spec.id
        ),
    ))
}

/// `live-round-stops-all`: a live round found anywhere stops all firearm work until the incident
/// is closed and every lot verified again. Source: MISSION F8.
pub fn live_round_stops_all(state: &State, doing: &str) -> Option<Violation> {
    let why = state.live_round_stop()?;
    Some(Violation::new(
        RuleId::LiveRoundStopsAll,
        format!(
            "A live round was found on this production and all firearm work is stopped: {why}. No {doing} until then."
        ),
    ))
}

/// `incident-closed-properly`: only a safety supervisor who was not involved closes an incident,
/// with a root cause and a corrective action. Source: NM OHSB findings; SKSAR8.
pub fn incident_closed_properly(
    state: &State,
    actor: &PersonId,
    inc: &Incident,
    root_cause: &str,
    corrective_action: &str,
) -> Option<Violation> {
    let mut problems = Vec::new();
    if !state.has_role(actor, Role::SafetySupervisor) {
        problems.push(format!(
            "{} is not a safety supervisor",
            state.name_of(actor)
        ));
    } else if inc.involved.contains(actor) {
        problems.push(format!("{} was involved in it", state.name_of(actor)));
    }
    if root_cause.trim().is_empty() {
        problems.push("no root cause is given".to_owned());
    }
    if corrective_action.trim().is_empty() {
        problems.push("no corrective action is given".to_owned());
    }
    if problems.is_empty() {
        return None;
    }
    Some(Violation::new(
        RuleId::IncidentClosedProperly,
        format!(
            "{} ({}) can't be closed: {}. An uninvolved safety supervisor closes it with root cause and corrective action.",
            inc.id,
            inc.kind,
            problems.join(", ")
        ),
    ))
}

/// `concern-answered`: a concern is answered by the safety supervisor or the compliance contact.
/// Source: NM OHSB findings; MISSION F6 (complaints ignored).
pub fn concern_answerer(state: &State, actor: &PersonId) -> Option<Violation> {
    if state.has_role(actor, Role::SafetySupervisor)
        || state.compliance_contact.as_ref() == Some(actor)
    {
        return None;
    }
    Some(Violation::new(
        RuleId::ConcernAnswered,
        format!(
            "{} can't answer a safety concern: the safety supervisor or the compliance contact answers it.",
            state.name_of(actor)
        ),
    ))
}

/// `walkout-escalates`: a resignation or walkout over safety blocks firearm scenes until the
/// safety supervisor resumes work. Source: MISSION F6 (the camera crew walked out that morning).
pub fn walkout_escalates(state: &State) -> Option<Violation> {
    let w = state.walkout.as_ref()?;
    Some(Violation::new(
        RuleId::WalkoutEscalates,
        format!(
            "Crew left over safety at {} ({}): no firearm scene until the safety supervisor answers it and resumes work.",
            w.since.clock(),
            if w.reason.is_empty() {
                "no reason given"
            } else {
                &w.reason
            }
        ),
    ))
}

/// `stop-work`: while work is stopped, no check-out, load, hand-over to a performer or firearm
/// scene. Source: CA Labor Code 9152.
pub fn stop_work(state: &State, doing: &str) -> Option<Violation> {
    let s = state.stop_work.as_ref()?;
    let who =
        s.by.as_ref()
            .map(|p| state.name_of(p))
            .unwrap_or_else(|| "someone".to_owned());
    Some(Violation::new(
        RuleId::StopWork,
        format!(
            "Work was stopped by {who} at {} ({}): no {doing} until the safety supervisor resumes it.",
            s.since.clock(),
            if s.reason.is_empty() {
                "no reason given"
            } else {
                &s.reason
            }
        ),
    ))
}

/// `stop-work` at `resume-work`: only the safety supervisor resumes, with a reason.
pub fn resume_work(state: &State, actor: &PersonId, reason: &str) -> Option<Violation> {
    let mut problems = Vec::new();
    if !state.has_role(actor, Role::SafetySupervisor) {
        problems.push(format!(
            "{} is not the safety supervisor",
            state.name_of(actor)
        ));
    }
    if reason.trim().is_empty() {
        problems.push("no reason is given".to_owned());
    }
    if problems.is_empty() {
        return None;
    }
    Some(Violation::new(
        RuleId::StopWork,
        format!("Work can't resume: {}.", problems.join(" and ")),
    ))
}
