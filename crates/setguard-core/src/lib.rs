//! The setguard safety core: every rule of the catalogue (`PROTOCOLS.md`), decided without I/O.
//!
//! Data flows one way: a command and who gives it -> [`decide`] against the current [`State`] ->
//! the [`Event`]s to record, or a [`Rejection`] naming every rule broken -> the caller records
//! the events -> [`State::apply`] -> the new state. Passing time is the only other input:
//! [`tick`] yields the alarms that deadlines raise. Nothing here reads a clock, a file or the
//! network, so the server and `setguard replay` decide identically.

pub mod authority;
pub mod command;
mod decide;
pub mod event;
pub mod model;
pub mod policy;
pub mod rules;
pub mod state;
mod tick;

pub use authority::{Authority, Forbidden, Giver, authority, may_give};
pub use command::{Command, ItemSpec, LotSpec, SceneChanges, SceneSpec};
pub use decide::{Ctx, Invalid, InvalidKind, Judgement, Rejection, decide, judge};
pub use event::{EVENT_VERSION, Event, EventBody, LotRounds, Subject};
pub use model::*;
pub use policy::Policy;
pub use rules::{RULES, Rule, RuleId, Violation};
pub use state::{STATE_FORMAT, State};
pub use tick::{lapsed_checks, tick};
