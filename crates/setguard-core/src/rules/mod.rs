//! The rules of `PROTOCOLS.md`, one module per group of the catalogue. Each rule is a small
//! function named after its id that returns the [`Violation`] it finds, if any, with a sentence a
//! person on set understands. `decide` calls them at the commands the catalogue names.

mod catalogue;

pub mod ammunition;
pub mod checks;
pub mod custody;
pub mod incidents;
pub mod people;

pub use catalogue::{RULES, Rule, RuleId};

use serde::{Deserialize, Serialize};

/// One rule a command breaks, and why, in words for the set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Violation {
    pub rule: RuleId,
    pub message: String,
}

impl Violation {
    pub fn new(rule: RuleId, message: impl Into<String>) -> Violation {
        Violation {
            rule,
            message: message.into(),
        }
    }
}

/// Collects the violations of one command, so a refusal lists every rule broken.
#[derive(Debug, Default)]
pub struct Findings(pub Vec<Violation>);

impl Findings {
    pub fn check(&mut self, v: Option<Violation>) {
        if let Some(v) = v
            && !self.0.iter().any(|x| x.rule == v.rule)
        {
            self.0.push(v);
        }
    }
    pub fn all(&mut self, vs: impl IntoIterator<Item = Violation>) {
        for v in vs {
            self.check(Some(v));
        }
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
