//! `decide`: the one place a command is judged. (Being written.)

use crate::command::Command;
use crate::event::Event;
use crate::model::*;
use crate::rules::Violation;
use crate::state::State;

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

/// Judges a command against the production's state.
pub fn decide(_state: &State, _cmd: &Command, _ctx: &Ctx) -> Result<Vec<Event>, Rejection> {
    Ok(Vec::new())
}
