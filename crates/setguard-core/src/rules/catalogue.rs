//! The rule catalogue of `PROTOCOLS.md`: every rule's stable id, the sentence a person on set
//! reads, where it is checked and its source. The ids are a contract: add rules, never rename one.

use crate::model::PolicyName;
use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! catalogue {
    ($( $variant:ident = $id:literal, $group:literal, $only:expr,
        $sentence:literal, $checked:literal, $source:literal; )+) => {
        /// A rule of the catalogue, by its stable id.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum RuleId {
            $( #[serde(rename = $id)] $variant, )+
        }

        /// Every rule, in the order of `PROTOCOLS.md`.
        pub const RULES: &[Rule] = &[
            $( Rule {
                id: RuleId::$variant,
                group: $group,
                only_under: $only,
                sentence: $sentence,
                checked_at: $checked,
                source: $source,
            }, )+
        ];

        impl RuleId {
            /// The id as written in `PROTOCOLS.md`, scenario files and the API.
            pub fn as_str(self) -> &'static str {
                match self { $( RuleId::$variant => $id, )+ }
            }
        }

        impl std::str::FromStr for RuleId {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $( $id => Ok(RuleId::$variant), )+
                    _ => Err(format!("{s:?} is not a rule id; `setguard rules` lists them")),
                }
            }
        }

        #[cfg(feature = "schema")]
        impl schemars::JsonSchema for RuleId {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                "RuleId".into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({
                    "type": "string",
                    "enum": [$($id),+],
                    "description": "A rule of the catalogue, by its stable id (`setguard rules`).",
                })
            }
        }
    };
}

/// One rule's entry in the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rule {
    pub id: RuleId,
    /// The catalogue's group: ammunition, people, custody, checks, incidents, records.
    pub group: &'static str,
    /// `Some(policy)` when the rule applies only under that policy.
    pub only_under: Option<PolicyName>,
    pub sentence: &'static str,
    pub checked_at: &'static str,
    pub source: &'static str,
}

impl RuleId {
    /// The catalogue entry of this rule.
    pub fn rule(self) -> &'static Rule {
        // RULES lists every variant once, in declaration order.
        &RULES[self as usize]
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

const CA: Option<PolicyName> = Some(PolicyName::California);
const NLF: Option<PolicyName> = Some(PolicyName::NoLiveFire);

catalogue! {
    NoLiveAmmo = "no-live-ammo", "ammunition", None,
        "Live ammunition is never registered or loaded; under the california policy the only exceptions are the three of Labor Code 9155, each approved naming the place and the medic.",
        "register-lot, approve-exception (live-ammo)", "CSATF Safety Bulletin #1; CA Labor Code 9155";
    LotVerified = "lot-verified", "ammunition", None,
        "A dummy or blank lot can't be loaded until the armorer has verified it round by round and the count matches; lots from another production, unknown or in-house sources start unverified.",
        "load, inspect, verify-lot (the count)", "NM OHSB findings; the Rust dummy box";
    DummyInert = "dummy-inert", "ammunition", None,
        "A dummy is verified inert (no primer, no powder, drilled case or rattle); a round that fails raises a live-round-found incident.",
        "alarm at verify-lot", "practice; Rust";
    BlankMatched = "blank-matched", "ammunition", None,
        "Blanks go only into a blank-capable item of the same calibre.",
        "load", "CSATF Safety Bulletin #1; Ontario guideline 39";
    LoadWhenCalled = "load-when-called", "ammunition", None,
        "Blanks are loaded only for a scene that has been called, and never more rounds than it plans.",
        "load", "CSATF Safety Bulletin #1; practice";
    AmmoReconciled = "ammo-reconciled", "ammunition", None,
        "At wrap, rounds issued = fired + returned for every lot; a difference is an incident.",
        "alarm at wrap; load (more than the box holds)", "CSATF Safety Bulletin #1; NSW armourer's register";

    HandlerQualified = "handler-qualified", "people", None,
        "Armorer, assistant armorer and property master hold a current handler credential covering the weapon class (California: Entertainment Firearms Permit and CSATF S).",
        "assign-role, check-out", "CA Labor Code 9153(b), 9156; BBC";
    NearFireTrained = "near-fire-trained", "people", CA,
        "Everyone on a firearm scene's roster holds CSATF S2 or better.",
        "call-scene", "CA Labor Code 9156";
    PerformerTrained = "performer-trained", "people", None,
        "No hand-over to a performer without a training record for that weapon class.",
        "hand-over", "CSATF Safety Bulletin #1; Australian Screen Safety guidance";
    SpecialistDecidesTraining = "specialist-decides-training", "people", None,
        "Only a handler or the safety supervisor plans, records or cancels firearm training.",
        "plan-training, record-training, cancel-training", "NM OHSB findings";
    ArmorerSoleDuty = "armorer-sole-duty", "people", None,
        "On a day with a firearm scene, an armorer or property master gets no other duty.",
        "assign-duty", "CA Labor Code 9153(a)(3)";
    EnoughHandlers = "enough-handlers", "people", None,
        "No more than 4 firing items out of storage per handler on the production (a policy setting).",
        "check-out", "CA Labor Code 9153(a)(6)";
    ComplianceContact = "compliance-contact", "people", None,
        "A compliance contact is named before any item leaves storage.",
        "check-out", "CA Labor Code 9153(a)(5)";
    RedFlagAcknowledged = "red-flag-acknowledged", "people", None,
        "A safety-critical role for someone with prior incidents on record needs a producer's acknowledgement first.",
        "assign-role", "the Rust first AD's history";

    CustodyKnown = "custody-known", "custody", None,
        "Every item is at every moment in storage, held by one named person, or set down by one; only its holder passes it on.",
        "hand-over, set-down, load, unload, store, inspect, check-out, pick-up", "NSW armourer's register; CSATF Safety Bulletin #1";
    HandlerHandsOver = "handler-hands-over", "custody", None,
        "Only a handler hands a firing item to a performer, picks one up, takes it out of or into storage, loads, unloads or inspects it, or verifies a lot.",
        "hand-over, pick-up, check-out, store, load, unload, inspect, verify-lot", "CA Labor Code 9153(a)(2)";
    NeverUnattended = "never-unattended", "custody", None,
        "An item set down outside storage and not picked up or stored within 5 minutes raises an alarm.",
        "alarm as time passes", "CSATF Safety Bulletin #1; MISSION F3";
    ReturnAfterCut = "return-after-cut", "custody", None,
        "After a cut or at a break, every item a performer holds is back with a handler within 5 minutes, or an alarm is raised.",
        "alarm as time passes", "practice; the Hexum and Rust cases";
    ProductionItemsOnly = "production-items-only", "custody", None,
        "Only items and lots registered to the production are used.",
        "every command naming an item or lot", "CSATF Safety Bulletin #1";

    ScenePlanned = "scene-planned", "checks", None,
        "A firing item goes to a performer only for a scene scheduled that day that lists both the item and the performer.",
        "hand-over", "CA Labor Code 9153(a)(1); CSATF Safety Bulletin #1";
    CheckedBeforeHandover = "checked-before-handover", "checks", None,
        "A hand-over to a performer needs an inspection by the handler, then the performer's confirmation that they watched it.",
        "hand-over, confirm-check, second-check", "CSATF Safety Bulletin #1; CA Labor Code 9153";
    CheckLapses = "check-lapses", "checks", None,
        "An inspection lapses at any break, when the item leaves the handler's hands, when it is loaded or unloaded, and 15 minutes after it was done.",
        "hand-over, announce, confirm-check, second-check", "MISSION F9; the out-of-sight rule";
    SecondCheck = "second-check", "checks", None,
        "The first hand-over for a scene each day needs the first AD's or safety supervisor's second check of the current inspection.",
        "hand-over, second-check", "practice; NM OHSB findings";
    ColdIsVerified = "cold-is-verified", "checks", None,
        "An item may be announced cold only while its current inspection says empty, or dummies from a verified lot.",
        "announce", "MISSION F10";
    HotAnnounced = "hot-announced", "checks", None,
        "A blank-loaded item is announced hot after loading and before it is handed over.",
        "hand-over", "CSATF Safety Bulletin #1";
    MeetingFirst = "meeting-first", "checks", None,
        "No hand-over for a scene until a safety meeting that day covered the scene with the performer and everyone on the roster present or briefed; a change to the scene voids it.",
        "hand-over", "CSATF Safety Bulletin #1; CA Labor Code 9153(a)(4)";
    ReplicaRehearsal = "replica-rehearsal", "checks", None,
        "A rehearsal uses non-firing replicas unless an exception for that scene was signed by the armorer and the safety supervisor.",
        "hand-over, approve-exception", "BBC; MISSION F11";
    LineOfFire = "line-of-fire", "checks", None,
        "A scene where a firearm points toward people or the camera has a line-of-fire plan with shields or a remote camera, and at least 20 ft from the muzzle when blanks are fired.",
        "call-scene", "CSATF Safety Bulletin #1; AEAA";
    NoLiveFirePolicy = "no-live-fire-policy", "checks", NLF,
        "Under the no-live-fire policy, functional and blank-adapted items and all ammunition are refused.",
        "register-item, register-lot", "Rust's restart (2023)";

    IncidentQuarantines = "incident-quarantines", "incidents", None,
        "A misfire, unexpected discharge, squib or pyrotechnic mishap quarantines the items and lots involved until the incident is closed; a quarantined item may only go back to a handler and into storage.",
        "alarm at discharge, report-incident; check-out, load, inspect, hand-over to a performer", "NM OHSB findings; UK SKSAR8";
    LiveRoundStopsAll = "live-round-stops-all", "incidents", None,
        "A live round found anywhere stops all firearm work on the production until the incident is closed and every lot verified again.",
        "alarm at report-incident, verify-lot; check-out, load, hand-over to a performer, call-scene of a firearm scene", "MISSION F8";
    IncidentClosedProperly = "incident-closed-properly", "incidents", None,
        "Only a safety supervisor not involved closes an incident, with root cause and corrective action; an incident open past 24 hours raises an escalation.",
        "close-incident; alarm as time passes", "NM OHSB findings; UK SKSAR8";
    ConcernAnswered = "concern-answered", "incidents", None,
        "A safety concern is answered by the safety supervisor or compliance contact within 24 hours (1 hour if urgent), or it escalates; an anonymous reporter is never identified.",
        "respond-concern; alarm as time passes", "NM OHSB findings; MISSION F6";
    WalkoutEscalates = "walkout-escalates", "incidents", None,
        "A resignation or walkout over safety raises an escalation and blocks firearm scenes until the safety supervisor resumes work.",
        "alarm at resign, walkout; call-scene of a firearm scene", "MISSION F6";
    StopWork = "stop-work", "incidents", None,
        "Anyone may stop work; while stopped, no check-out, load, hand-over to a performer or call of a firearm scene; only the safety supervisor resumes, with a reason.",
        "resume-work; check-out, load, hand-over, call-scene", "CA Labor Code 9152";

    AppendOnly = "append-only", "records", None,
        "Nothing recorded is edited or deleted; a correction is a new event that names the one it corrects.",
        "the ledger and every API", "ATF ruling 2016-1; MISSION F13";
    WrapInventory = "wrap-inventory", "records", None,
        "At wrap every item is back in storage and every lot reconciled; anything missing raises a missing-item incident.",
        "alarm at wrap", "CSATF Safety Bulletin #1; NSW armourer's register";

    InspectionMatchesRecord = "inspection-matches-record", "checks", None,
        "An inspection must agree with what the record says is in the item; a difference means rounds are unaccounted for: unload, count, and report it.",
        "inspect", "extension: keeps cold-is-verified honest when the record and the check disagree";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_is_listed_once_in_declaration_order() {
        for (i, r) in RULES.iter().enumerate() {
            assert_eq!(r.id as usize, i, "{} out of order", r.id);
            assert_eq!(r.id.as_str().parse::<RuleId>().unwrap(), r.id);
        }
    }
}
