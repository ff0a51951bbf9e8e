//! The production's policy: which rules apply and the figures they use.
//!
//! Every figure in `PROTOCOLS.md` (minutes, feet, hours, items per handler) is a setting here, with
//! the catalogue's default, so a rule never hides a number of its own.

use crate::model::PolicyName;
use serde::{Deserialize, Serialize};

/// The figures and switches of one production's safety policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    pub name: PolicyName,
    /// `never-unattended`: minutes an item may lie set down outside storage.
    pub unattended_minutes: u32,
    /// `return-after-cut`: minutes after a cut or a break for items to be back with a handler.
    pub return_minutes: u32,
    /// `check-lapses`: minutes an inspection stays valid.
    pub check_valid_minutes: u32,
    /// `incident-closed-properly`: hours an incident may stay open before it escalates.
    pub incident_escalation_hours: u32,
    /// `concern-answered`: hours to answer a concern, and for an urgent one.
    pub concern_hours: u32,
    pub urgent_concern_hours: u32,
    /// `line-of-fire`: minimum feet from the muzzle when blanks are fired toward people.
    pub blank_min_distance_ft: f64,
    /// `enough-handlers`: firing items out of storage per handler on the production.
    pub items_per_handler: u32,
    /// `near-fire-trained` and the California credentials of `handler-qualified` (CA 9156).
    pub california_rules: bool,
    /// `no-live-fire-policy`: only non-firing replicas, rubber and airsoft; no ammunition.
    pub no_live_fire: bool,
}

impl Policy {
    /// The policy with the catalogue's default figures.
    pub fn named(name: PolicyName) -> Policy {
        Policy {
            name,
            unattended_minutes: 5,
            return_minutes: 5,
            check_valid_minutes: 15,
            incident_escalation_hours: 24,
            concern_hours: 24,
            urgent_concern_hours: 1,
            blank_min_distance_ft: 20.0,
            items_per_handler: 4,
            california_rules: name == PolicyName::California,
            no_live_fire: name == PolicyName::NoLiveFire,
        }
    }

    /// Whether a rule marked for one policy applies under this one.
    pub fn applies(&self, only: Option<PolicyName>) -> bool {
        match only {
            None => true,
            Some(p) => p == self.name,
        }
    }
}

impl Default for Policy {
    fn default() -> Self {
        Policy::named(PolicyName::Standard)
    }
}
