//! Events: the facts setguard records. `apply` is the only way state changes, and it reads only
//! these.
//!
//! # Never change this encoding
//! The ledger stores events for years and must read them back. Each event serializes as one JSON
//! object:
//! ```json
//! {"v":1,"at":"2021-10-21T11:45:00","by":"armorer","type":"loaded","item":"colt","lot":"dummies","rounds":6}
//! ```
//! - `v`: the encoding version, 1. A change that old readers could misread gets a new version,
//!   and readers keep reading every older one.
//! - `at`: local time on set (see [`At`]); `by`: the person who did it, absent when the system
//!   did (an alarm) or the sender must stay unknown (an anonymous concern).
//! - `type` and the other fields: one of [`EventBody`], in kebab-case; fields are never renamed
//!   or removed, only optional ones added.

use crate::command::{Command, ItemSpec, LotSpec, SceneChanges, SceneSpec};
use crate::model::*;
use crate::rules::{RuleId, Violation};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The current encoding version of [`Event`].
pub const EVENT_VERSION: u32 = 1;

/// One recorded fact, with when and by whom.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Event {
    pub v: u32,
    pub at: At,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<PersonId>,
    #[serde(flatten)]
    pub body: EventBody,
}

impl Event {
    pub fn new(at: At, by: Option<PersonId>, body: EventBody) -> Event {
        Event {
            v: EVENT_VERSION,
            at,
            by,
            body,
        }
    }

    /// The alarm this event raises, if it is one.
    pub fn alarm(&self) -> Option<RuleId> {
        match &self.body {
            EventBody::AlarmRaised { rule, .. } => Some(*rule),
            _ => None,
        }
    }
}

/// What an alarm is about, so that each thing raises its alarm once.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case", tag = "kind", content = "id")]
pub enum Subject {
    Item(ItemId),
    Lot(LotId),
    Incident(IncidentId),
    Concern(ConcernId),
    Person(PersonId),
    Production,
}

/// The facts. Field names follow the command vocabulary of `SCENARIOS.md`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum EventBody {
    ProductionOpened {
        id: ProductionId,
        name: String,
        policy: PolicyName,
        timezone: String,
    },
    PersonRegistered {
        id: PersonId,
        name: PersonName,
        prior_incidents: Vec<String>,
    },
    RoleAssigned {
        person: PersonId,
        role: Role,
    },
    CredentialGranted {
        person: PersonId,
        kind: CredentialKind,
        classes: Vec<WeaponClass>,
        expires: NaiveDate,
    },
    RedFlagAcknowledged {
        person: PersonId,
        reason: String,
    },
    ComplianceContactNamed {
        person: PersonId,
    },
    DutyAssigned {
        person: PersonId,
        duty: String,
        date: NaiveDate,
    },
    ItemRegistered(ItemSpec),
    LotRegistered(LotSpec),
    SceneScheduled(SceneSpec),
    SceneChanged {
        scene: SceneId,
        changes: SceneChanges,
    },
    LotVerified {
        lot: LotId,
        counted: Rounds,
        failed: Rounds,
    },
    TrainingPlanned {
        training: TrainingId,
        performer: PersonId,
        class: WeaponClass,
    },
    TrainingCancelled {
        training: TrainingId,
        reason: String,
    },
    TrainingRecorded {
        training: TrainingId,
        performer: PersonId,
        class: WeaponClass,
    },
    ExceptionSigned {
        kind: ExceptionKind,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scene: Option<SceneId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lot: Option<LotId>,
        reason: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        place: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        medic: Option<String>,
        /// The role the signer signed in (armorer or safety supervisor).
        signed_as: Role,
    },
    LineOfFirePlanned {
        scene: SceneId,
        shields: bool,
        remote_camera: bool,
        min_distance_ft: Feet,
    },
    DayStarted,
    DayWrapped,
    SafetyMeetingHeld {
        scenes: Vec<SceneId>,
        attendees: Vec<PersonId>,
    },
    Briefed {
        person: PersonId,
        scene: SceneId,
    },
    SceneCalled {
        scene: SceneId,
    },
    SceneCut {
        scene: SceneId,
    },
    CheckedOut {
        item: ItemId,
    },
    Stored {
        item: ItemId,
    },
    Loaded {
        item: ItemId,
        lot: LotId,
        rounds: Rounds,
        /// The called scene the rounds were loaded for, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scene: Option<SceneId>,
    },
    /// Rounds taken out of an item go back to their lots.
    Unloaded {
        item: ItemId,
        returned: Vec<LotRounds>,
    },
    Inspected {
        item: ItemId,
        state: InspectState,
        rounds: Rounds,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lot: Option<LotId>,
    },
    CheckConfirmed {
        item: ItemId,
    },
    SecondChecked {
        item: ItemId,
    },
    HandedOver {
        item: ItemId,
        to: PersonId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scene: Option<SceneId>,
    },
    SetDown {
        item: ItemId,
        place: String,
    },
    PickedUp {
        item: ItemId,
    },
    Announced {
        item: ItemId,
        status: Status,
    },
    BreakCalled {
        kind: String,
    },
    Resumed,
    /// A discharge, with the rounds it used from each lot loaded in the item.
    Discharged {
        item: ItemId,
        intended: bool,
        rounds: Rounds,
        fired: Vec<LotRounds>,
    },
    IncidentReported {
        incident: IncidentId,
        kind: IncidentKind,
        items: Vec<ItemId>,
        lots: Vec<LotId>,
        summary: String,
    },
    IncidentClosed {
        incident: IncidentId,
        root_cause: String,
        corrective_action: String,
    },
    /// A concern; `by` on the event is absent when it was raised anonymously.
    ConcernRaised {
        concern: ConcernId,
        text: String,
        urgent: bool,
        anonymous: bool,
    },
    ConcernAnswered {
        concern: ConcernId,
        response: String,
    },
    /// A correction: `event` is the seq, in this production's record, of the event it corrects,
    /// which stays on record as it was.
    Corrected {
        event: u64,
        reason: String,
    },
    Resigned {
        reason: String,
    },
    WalkedOut {
        people: Vec<PersonId>,
        reason: String,
    },
    WorkStopped {
        reason: String,
    },
    WorkResumed {
        reason: String,
    },
    /// An alarm: named by the rule that raised it, about one thing, raised once.
    AlarmRaised {
        rule: RuleId,
        about: Subject,
        message: String,
    },
    /// A refused attempt, kept because who tried what is evidence too.
    Refused {
        attempted: Command,
        violations: Vec<Violation>,
    },
}

/// A number of rounds from one lot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LotRounds {
    pub lot: LotId,
    pub rounds: Rounds,
}
