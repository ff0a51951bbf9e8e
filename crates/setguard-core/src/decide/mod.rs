//! `decide`: the one place a command is judged, for the server and `setguard replay` alike.
//!
//! It reads the state and the command, asks every rule the catalogue names for that command, and
//! returns either the events to record or a refusal listing every rule broken. It changes
//! nothing: the caller records the events and applies them.

mod day;
mod handling;
mod records;
mod safety;
mod setup;

use crate::command::Command;
use crate::event::{Event, EventBody};
use crate::model::*;
use crate::rules::{Findings, Violation, custody};
use crate::state::{Item, Lot, Person, Scene, State};

/// Who gives the command, and when: the clock is passed in, never read.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub now: At,
    pub by: Option<PersonId>,
}

/// A command that is not recorded.
#[derive(Debug, Clone, PartialEq)]
pub enum Rejection {
    /// The command breaks these rules of the catalogue (every one of them is listed).
    Refused(Vec<Violation>),
    /// The command makes no sense against this production (an unknown person, an incident
    /// already closed...): a client's mistake, not a safety rule.
    Invalid(Invalid),
}

/// A command that can't be judged against this production, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Invalid {
    pub kind: InvalidKind,
    pub message: String,
}

/// What kind of mistake an [`Invalid`] command is (the server maps it to a status).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvalidKind {
    /// It names something the production does not have.
    NotFound,
    /// It conflicts with what is recorded (a duplicate id, an incident already closed).
    Conflict,
    /// It is missing something it needs (who gives it, a reason).
    BadRequest,
}

fn invalid(kind: InvalidKind, message: impl Into<String>) -> Rejection {
    Rejection::Invalid(Invalid {
        kind,
        message: message.into(),
    })
}

/// What a command comes to, as it is recorded: the events of an accepted command, or one
/// `refused` event (refused attempts are evidence too) with the rules it broke.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    pub events: Vec<Event>,
    /// Empty when the command was accepted.
    pub refused: Vec<Violation>,
}

/// Judges a command and says what to record: [`decide`], with a refusal turned into its
/// `refused` event. Only an [`Invalid`] command records nothing. Replay and the server both
/// record through this, so a refusal reads the same in both.
pub fn judge(state: &State, cmd: &Command, ctx: &Ctx) -> Result<Judgement, Invalid> {
    match decide(state, cmd, ctx) {
        Ok(events) => Ok(Judgement {
            events,
            refused: Vec::new(),
        }),
        Err(Rejection::Refused(violations)) => {
            // An anonymous concern is never refused, so its sender is never recorded here.
            let by = match cmd {
                Command::RaiseConcern {
                    anonymous: true, ..
                } => None,
                _ => ctx.by.clone(),
            };
            Ok(Judgement {
                events: vec![Event::new(
                    ctx.now,
                    by,
                    EventBody::Refused {
                        attempted: cmd.clone(),
                        violations: violations.clone(),
                    },
                )],
                refused: violations,
            })
        }
        Err(Rejection::Invalid(inv)) => Err(inv),
    }
}

/// Judges a command against the production's state at `ctx.now`.
pub fn decide(state: &State, cmd: &Command, ctx: &Ctx) -> Result<Vec<Event>, Rejection> {
    if let Some(last) = state.last_at
        && ctx.now < last
    {
        return Err(invalid(
            InvalidKind::BadRequest,
            format!("time can't go backwards: the record is already at {last}"),
        ));
    }
    let mut d = D {
        s: state,
        now: ctx.now,
        by: ctx.by.clone(),
        found: Findings::default(),
    };
    match cmd {
        Command::OpenProduction { .. } => {}
        Command::RaiseConcern {
            anonymous: true, ..
        } => {
            // The sender of an anonymous concern is never looked at, let alone recorded.
            d.by = None;
        }
        _ => {
            if state.production.is_none() {
                return Err(invalid(
                    InvalidKind::BadRequest,
                    "no production is open yet: open the production first",
                ));
            }
        }
    }
    if let Some(by) = &d.by {
        if state.person(by).is_none() {
            return Err(invalid(
                InvalidKind::NotFound,
                format!("\"{by}\" is not on this production's crew list"),
            ));
        }
    } else if cmd.needs_actor() {
        return Err(invalid(
            InvalidKind::BadRequest,
            format!("`{}` must say who gives it", cmd.name()),
        ));
    }
    let events = match cmd {
        Command::OpenProduction { .. }
        | Command::RegisterPerson { .. }
        | Command::AssignRole { .. }
        | Command::GrantCredential { .. }
        | Command::AcknowledgeRedFlag { .. }
        | Command::NameComplianceContact { .. }
        | Command::AssignDuty { .. }
        | Command::RegisterItem(_)
        | Command::RegisterLot(_)
        | Command::ScheduleScene(_)
        | Command::ChangeScene { .. }
        | Command::VerifyLot { .. }
        | Command::PlanTraining { .. }
        | Command::CancelTraining { .. }
        | Command::RecordTraining { .. }
        | Command::ApproveException { .. }
        | Command::LineOfFirePlan { .. } => setup::decide(&mut d, cmd)?,
        Command::StartDay
        | Command::Wrap
        | Command::SafetyMeeting { .. }
        | Command::Brief { .. }
        | Command::CallScene { .. }
        | Command::Cut { .. }
        | Command::Break { .. }
        | Command::Resume
        | Command::Advance => day::decide(&mut d, cmd)?,
        Command::CheckOut { .. }
        | Command::Store { .. }
        | Command::Load { .. }
        | Command::Unload { .. }
        | Command::Inspect { .. }
        | Command::ConfirmCheck { .. }
        | Command::SecondCheck { .. }
        | Command::HandOver { .. }
        | Command::SetDown { .. }
        | Command::PickUp { .. }
        | Command::Announce { .. } => handling::decide(&mut d, cmd)?,
        Command::Discharge { .. }
        | Command::ReportIncident { .. }
        | Command::CloseIncident { .. }
        | Command::RaiseConcern { .. }
        | Command::RespondConcern { .. }
        | Command::Resign { .. }
        | Command::Walkout { .. }
        | Command::StopWork { .. }
        | Command::ResumeWork { .. } => safety::decide(&mut d, cmd)?,
        Command::Correct { event, reason } => records::correct(&d, *event, reason)?,
    };
    if d.found.is_empty() {
        Ok(events)
    } else {
        Err(Rejection::Refused(d.found.0))
    }
}

/// One decision in progress: the state, who and when, and the rules found broken so far.
struct D<'a> {
    s: &'a State,
    now: At,
    by: Option<PersonId>,
    found: Findings,
}

impl<'a> D<'a> {
    /// The person giving the command (present: `decide` checked `needs_actor`).
    fn actor(&self) -> Result<PersonId, Rejection> {
        self.by.clone().ok_or_else(|| {
            invalid(
                InvalidKind::BadRequest,
                "this command must say who gives it",
            )
        })
    }
    fn ev(&self, body: EventBody) -> Event {
        Event::new(self.now, self.by.clone(), body)
    }
    /// A system event (an alarm, an incident the rules raise): no one's hand.
    fn system(&self, body: EventBody) -> Event {
        Event::new(self.now, None, body)
    }
    fn check(&mut self, v: Option<Violation>) {
        self.found.check(v);
    }
    fn all(&mut self, vs: impl IntoIterator<Item = Violation>) {
        self.found.all(vs);
    }
    /// An item of the production; any other is refused under `production-items-only`.
    fn item(&self, id: &ItemId) -> Result<&'a Item, Rejection> {
        self.s
            .items
            .get(id)
            .ok_or_else(|| Rejection::Refused(vec![custody::unknown_item(id)]))
    }
    fn lot(&self, id: &LotId) -> Result<&'a Lot, Rejection> {
        self.s
            .lots
            .get(id)
            .ok_or_else(|| Rejection::Refused(vec![custody::unknown_lot(id)]))
    }
    fn person(&self, id: &PersonId) -> Result<&'a Person, Rejection> {
        self.s.person(id).ok_or_else(|| {
            invalid(
                InvalidKind::NotFound,
                format!("\"{id}\" is not on this production's crew list"),
            )
        })
    }
    fn people(&self, ids: &[PersonId]) -> Result<(), Rejection> {
        ids.iter().try_for_each(|p| self.person(p).map(|_| ()))
    }
    fn scene(&self, id: &SceneId) -> Result<&'a Scene, Rejection> {
        self.s.scenes.get(id).ok_or_else(|| {
            invalid(
                InvalidKind::NotFound,
                format!("\"{id}\" is not a scene on this production's schedule"),
            )
        })
    }
    /// Items named by a scene or an incident must be the production's.
    fn known_items(&mut self, ids: &[ItemId]) {
        for id in ids {
            if !self.s.items.contains_key(id) {
                self.found.check(Some(custody::unknown_item(id)));
            }
        }
    }
    fn known_lots(&mut self, ids: &[LotId]) {
        for id in ids {
            if !self.s.lots.contains_key(id) {
                self.found.check(Some(custody::unknown_lot(id)));
            }
        }
    }
    fn next_incident(&self, offset: u32) -> IncidentId {
        IncidentId(self.s.incidents.len() as u32 + 1 + offset)
    }
}
