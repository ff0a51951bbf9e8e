//! People and roles: who may hold which job, with which credentials, and what they may do.

use super::{RuleId, Violation};
use crate::model::*;
use crate::state::{Item, Person, State};
use chrono::NaiveDate;

/// What the person's latest credential of this kind says, to explain why it does not count.
fn expired_note(p: &Person, kind: CredentialKind, day: NaiveDate) -> String {
    match p.any_credential(kind) {
        Some(c) if c.expires < day => {
            format!(" (the one on record expired {})", c.expires)
        }
        Some(c) if !c.classes.is_empty() => {
            let classes: Vec<&str> = c.classes.iter().map(|k| k.as_str()).collect();
            format!(" (the one on record covers {} only)", classes.join(", "))
        }
        _ => String::new(),
    }
}

/// `handler-qualified` at `assign-role`: armorer, assistant armorer and property master hold a
/// current handler credential; under California also CSATF S. Source: CA Labor Code 9153(b),
/// 9156; the BBC's account of the Rust armorer's training.
pub fn handler_qualified_for_role(
    state: &State,
    p: &Person,
    role: Role,
    day: NaiveDate,
) -> Option<Violation> {
    if !role.is_handler() {
        return None;
    }
    let mut missing = Vec::new();
    if p.credential(CredentialKind::Handler, None, day).is_none() {
        missing.push(format!(
            "a current handler credential{}",
            expired_note(p, CredentialKind::Handler, day)
        ));
    }
    if state.policy.california_rules && p.credential(CredentialKind::CsatfS, None, day).is_none() {
        missing.push("a current CSATF S safety pass".to_owned());
    }
    if missing.is_empty() {
        return None;
    }
    Some(Violation::new(
        RuleId::HandlerQualified,
        format!(
            "{} can't be made {}: they need {}.",
            p.name,
            role.title(),
            missing.join(" and ")
        ),
    ))
}

/// `handler-qualified` at `check-out`: the handler's credential covers this item's class today.
pub fn handler_qualified_for_item(
    state: &State,
    p: &Person,
    item: &Item,
    day: NaiveDate,
) -> Option<Violation> {
    if !item.is_firing() || !p.is_handler() {
        return None;
    }
    let covered = p
        .credential(CredentialKind::Handler, Some(item.spec.class), day)
        .is_some();
    let csatf_s = p.credential(CredentialKind::CsatfS, None, day).is_some();
    if covered && state.policy.california_rules && !csatf_s {
        return Some(Violation::new(
            RuleId::HandlerQualified,
            format!(
                "{} has no current CSATF S safety pass{}: under California rules they can't take the {} out of storage.",
                p.name,
                expired_note(p, CredentialKind::CsatfS, day),
                item.label()
            ),
        ));
    }
    if covered {
        return None;
    }
    Some(Violation::new(
        RuleId::HandlerQualified,
        format!(
            "{} has no current handler credential for a {}{}: they can't take the {} out of storage.",
            p.name,
            item.spec.class,
            expired_note(p, CredentialKind::Handler, day),
            item.label()
        ),
    ))
}

/// `near-fire-trained` (California): everyone on a firearm scene's roster holds CSATF S2 or
/// better (S, or a handler's credential). Source: CA Labor Code 9156.
pub fn near_fire_trained(state: &State, roster: &[PersonId], day: NaiveDate) -> Option<Violation> {
    if !state.policy.california_rules {
        return None;
    }
    let untrained: Vec<String> = roster
        .iter()
        .filter(|id| {
            state.person(id).is_none_or(|p| {
                [
                    CredentialKind::CsatfS2,
                    CredentialKind::CsatfS,
                    CredentialKind::Handler,
                ]
                .iter()
                .all(|k| p.credential(*k, None, day).is_none())
            })
        })
        .map(|id| state.name_of(id))
        .collect();
    if untrained.is_empty() {
        return None;
    }
    Some(Violation::new(
        RuleId::NearFireTrained,
        format!(
            "Not everyone on this firearm scene is trained to work near fire. No current CSATF S2 pass: {}.",
            untrained.join(", ")
        ),
    ))
}

/// `performer-trained`: a performer receives a firing item only with a training record (or a
/// current training credential) for its class. Source: Bulletin #1; Australian Screen Safety.
pub fn performer_trained(
    state: &State,
    performer: &PersonId,
    item: &Item,
    day: NaiveDate,
) -> Option<Violation> {
    let class = item.spec.class;
    let recorded = state.trainings.values().any(|t| {
        &t.performer == performer
            && t.class == class
            && t.recorded.is_some()
            && t.cancelled.is_none()
    });
    let credential = state
        .person(performer)
        .and_then(|p| p.credential(CredentialKind::Training, Some(class), day))
        .is_some();
    if recorded || credential {
        return None;
    }
    Some(Violation::new(
        RuleId::PerformerTrained,
        format!(
            "{} has no training on record for a {}: the armorer or safety supervisor must train them before the {} is handed over.",
            state.name_of(performer),
            class,
            item.label()
        ),
    ))
}

/// `specialist-decides-training`: only a handler or the safety supervisor plans, records or
/// cancels firearm training; a producer can't cut it. Source: NM OHSB findings on Rust.
pub fn specialist_decides_training(
    state: &State,
    actor: &PersonId,
    what: &str,
) -> Option<Violation> {
    if state.is_handler(actor) || state.has_role(actor, Role::SafetySupervisor) {
        return None;
    }
    Some(Violation::new(
        RuleId::SpecialistDecidesTraining,
        format!(
            "{} can't {what} firearm training: only the armorer or the safety supervisor decides it.",
            state.name_of(actor)
        ),
    ))
}

/// `armorer-sole-duty`: on a day with a firearm scene an armorer or property master gets no
/// other duty. Source: CA Labor Code 9153(a)(3); the Rust armorer also worked props.
pub fn armorer_sole_duty(
    state: &State,
    p: &Person,
    duty: &str,
    day: NaiveDate,
) -> Option<Violation> {
    let sole = [Role::Armorer, Role::PropertyMaster]
        .into_iter()
        .find(|r| p.has(*r))?;
    if !state.firearm_day(day) {
        return None;
    }
    Some(Violation::new(
        RuleId::ArmorerSoleDuty,
        format!(
            "{} is the {} and {day} has a firearm scene: they can't also take \"{duty}\". Firearms are their only job that day.",
            p.name,
            sole.title()
        ),
    ))
}

/// `enough-handlers`: no more than N firing items out of storage per handler. Source: CA Labor
/// Code 9153(a)(6).
pub fn enough_handlers(state: &State, item: &Item) -> Option<Violation> {
    if !item.is_firing() {
        return None;
    }
    let limit = state.handlers * state.policy.items_per_handler;
    if state.firing_out < limit {
        return None;
    }
    Some(Violation::new(
        RuleId::EnoughHandlers,
        format!(
            "{} firing items are already out for {} handler(s); the policy allows {} per handler. Store one or bring in another handler before taking out the {}.",
            state.firing_out,
            state.handlers,
            state.policy.items_per_handler,
            item.label()
        ),
    ))
}

/// `compliance-contact`: a compliance contact is named before any item leaves storage. Source:
/// CA Labor Code 9153(a)(5).
pub fn compliance_contact(state: &State) -> Option<Violation> {
    if state.compliance_contact.is_some() {
        return None;
    }
    Some(Violation::new(
        RuleId::ComplianceContact,
        "No compliance contact is named for this production: name one before anything leaves storage.",
    ))
}

/// `red-flag-acknowledged`: a safety-critical role for someone with prior incidents needs a
/// producer's signed acknowledgement first. Source: the Rust first AD's earlier complaints.
pub fn red_flag_acknowledged(p: &Person, role: Role) -> Option<Violation> {
    if !role.is_safety_critical() || p.prior_incidents.is_empty() || p.red_flag_acknowledged {
        return None;
    }
    Some(Violation::new(
        RuleId::RedFlagAcknowledged,
        format!(
            "{} has {} prior incident(s) on record ({}). A producer must sign an acknowledgement before they can be {}.",
            p.name,
            p.prior_incidents.len(),
            p.prior_incidents.join("; "),
            role.title()
        ),
    ))
}

/// Only a producer signs a red-flag acknowledgement (`red-flag-acknowledged`).
pub fn producer_acknowledges(state: &State, actor: &PersonId) -> Option<Violation> {
    if state.has_role(actor, Role::Producer) {
        return None;
    }
    Some(Violation::new(
        RuleId::RedFlagAcknowledged,
        format!(
            "{} is not a producer: only a producer acknowledges a red flag.",
            state.name_of(actor)
        ),
    ))
}
