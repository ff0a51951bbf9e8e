//! Commands: what someone on set asks setguard to record. The vocabulary is that of
//! `SCENARIOS.md`, word for word, and the API uses the same words.
//!
//! Never change this encoding: refused attempts are stored in the ledger with the command that was
//! refused. Add commands and optional fields; never rename or remove one.

use crate::model::*;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

fn one_round() -> Rounds {
    Rounds(1)
}
fn yes() -> bool {
    true
}

/// An item as registered to the production.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ItemSpec {
    pub id: ItemId,
    pub kind: ItemKind,
    pub class: WeaponClass,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibre: Option<Calibre>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serial: Option<Serial>,
}

/// An ammunition lot as registered. Every lot starts unverified, whatever its source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct LotSpec {
    pub id: LotId,
    pub ammo: AmmoKind,
    pub calibre: Calibre,
    pub rounds: Rounds,
    #[serde(default)]
    pub source: String,
}

/// A scene on the schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SceneSpec {
    pub id: SceneId,
    pub date: NaiveDate,
    #[serde(default = "take")]
    pub kind: SceneKind,
    #[serde(default)]
    pub items: Vec<ItemId>,
    #[serde(default)]
    pub performers: Vec<PersonId>,
    #[serde(default)]
    pub roster: Vec<PersonId>,
    #[serde(default)]
    pub blank_rounds: Rounds,
    #[serde(default)]
    pub points_toward_people: bool,
}

fn take() -> SceneKind {
    SceneKind::Take
}

/// The fields of a scene that a `change-scene` changes; the others stay as they were.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SceneChanges {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<SceneKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<ItemId>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performers: Option<Vec<PersonId>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roster: Option<Vec<PersonId>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blank_rounds: Option<Rounds>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points_toward_people: Option<bool>,
}

impl SceneChanges {
    /// The scene as it is after the change.
    pub fn applied_to(&self, spec: &SceneSpec) -> SceneSpec {
        let mut s = spec.clone();
        if let Some(v) = self.date {
            s.date = v;
        }
        if let Some(v) = self.kind {
            s.kind = v;
        }
        if let Some(v) = &self.items {
            s.items = v.clone();
        }
        if let Some(v) = &self.performers {
            s.performers = v.clone();
        }
        if let Some(v) = &self.roster {
            s.roster = v.clone();
        }
        if let Some(v) = self.blank_rounds {
            s.blank_rounds = v;
        }
        if let Some(v) = self.points_toward_people {
            s.points_toward_people = v;
        }
        s
    }
}

/// Everything that can be asked of setguard, by whom is given alongside (see [`crate::Ctx`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "do", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Command {
    // ---- the production itself (the `[production]` and `[[person]]` tables of a scenario)
    /// Opens a production with its policy. Extension of `SCENARIOS.md`: the `[production]` table.
    OpenProduction {
        id: ProductionId,
        name: String,
        #[serde(default = "standard")]
        policy: PolicyName,
        #[serde(default)]
        timezone: String,
    },
    /// Puts a person on the crew list. Extension: the `[[person]]` table.
    RegisterPerson {
        id: PersonId,
        name: PersonName,
        #[serde(default)]
        prior_incidents: Vec<String>,
    },

    // ---- staffing and set-up
    AssignRole {
        person: PersonId,
        role: Role,
    },
    GrantCredential {
        person: PersonId,
        kind: CredentialKind,
        #[serde(default)]
        classes: Vec<WeaponClass>,
        expires: NaiveDate,
    },
    AcknowledgeRedFlag {
        person: PersonId,
        reason: String,
    },
    NameComplianceContact {
        person: PersonId,
    },
    AssignDuty {
        person: PersonId,
        duty: String,
    },
    RegisterItem(ItemSpec),
    RegisterLot(LotSpec),
    ScheduleScene(SceneSpec),
    ChangeScene {
        scene: SceneId,
        #[serde(flatten)]
        changes: SceneChanges,
    },
    VerifyLot {
        lot: LotId,
        counted: Rounds,
        #[serde(default)]
        failed: Rounds,
    },
    PlanTraining {
        performer: PersonId,
        class: WeaponClass,
    },
    CancelTraining {
        training: TrainingId,
        reason: String,
    },
    RecordTraining {
        performer: PersonId,
        class: WeaponClass,
    },
    ApproveException {
        kind: ExceptionKind,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scene: Option<SceneId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lot: Option<LotId>,
        #[serde(default)]
        reason: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        place: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        medic: Option<String>,
    },
    LineOfFirePlan {
        scene: SceneId,
        #[serde(default)]
        shields: bool,
        #[serde(default)]
        remote_camera: bool,
        #[serde(default)]
        min_distance_ft: Feet,
    },

    // ---- on the day
    StartDay,
    Wrap,
    SafetyMeeting {
        scenes: Vec<SceneId>,
        attendees: Vec<PersonId>,
    },
    Brief {
        person: PersonId,
        scene: SceneId,
    },
    CallScene {
        scene: SceneId,
    },
    Cut {
        scene: SceneId,
    },
    CheckOut {
        item: ItemId,
    },
    Store {
        item: ItemId,
    },
    Load {
        item: ItemId,
        lot: LotId,
        rounds: Rounds,
    },
    Unload {
        item: ItemId,
    },
    Inspect {
        item: ItemId,
        state: InspectState,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rounds: Option<Rounds>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lot: Option<LotId>,
    },
    ConfirmCheck {
        item: ItemId,
    },
    SecondCheck {
        item: ItemId,
    },
    HandOver {
        item: ItemId,
        to: PersonId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scene: Option<SceneId>,
    },
    SetDown {
        item: ItemId,
        #[serde(default)]
        place: String,
    },
    PickUp {
        item: ItemId,
    },
    Announce {
        item: ItemId,
        status: Status,
    },
    Break {
        #[serde(default)]
        kind: String,
    },
    Resume,
    Discharge {
        item: ItemId,
        #[serde(default = "yes")]
        intended: bool,
        #[serde(default = "one_round")]
        rounds: Rounds,
    },
    ReportIncident {
        kind: IncidentKind,
        #[serde(default)]
        items: Vec<ItemId>,
        #[serde(default)]
        lots: Vec<LotId>,
        #[serde(default)]
        summary: String,
    },
    CloseIncident {
        incident: IncidentId,
        #[serde(default)]
        root_cause: String,
        #[serde(default)]
        corrective_action: String,
    },
    RaiseConcern {
        text: String,
        #[serde(default)]
        urgent: bool,
        #[serde(default)]
        anonymous: bool,
    },
    RespondConcern {
        concern: ConcernId,
        response: String,
    },
    Resign {
        #[serde(default)]
        reason: String,
    },
    Walkout {
        #[serde(default)]
        people: Vec<PersonId>,
        #[serde(default)]
        reason: String,
    },
    StopWork {
        #[serde(default)]
        reason: String,
    },
    ResumeWork {
        #[serde(default)]
        reason: String,
    },
    /// A correction of something already recorded (extension; PROTOCOLS.md `append-only`): the
    /// record is never edited, so a mistake is corrected by a new event that names the one it
    /// corrects, by its seq in the production's record, and says what was wrong.
    Correct {
        event: u64,
        reason: String,
    },
    /// Nothing happens but time: deadlines that pass raise their alarms.
    Advance,
}

fn standard() -> PolicyName {
    PolicyName::Standard
}

impl Command {
    /// The word of the vocabulary (`do = "..."`).
    pub fn name(&self) -> &'static str {
        use Command::*;
        match self {
            OpenProduction { .. } => "open-production",
            RegisterPerson { .. } => "register-person",
            AssignRole { .. } => "assign-role",
            GrantCredential { .. } => "grant-credential",
            AcknowledgeRedFlag { .. } => "acknowledge-red-flag",
            NameComplianceContact { .. } => "name-compliance-contact",
            AssignDuty { .. } => "assign-duty",
            RegisterItem(_) => "register-item",
            RegisterLot(_) => "register-lot",
            ScheduleScene(_) => "schedule-scene",
            ChangeScene { .. } => "change-scene",
            VerifyLot { .. } => "verify-lot",
            PlanTraining { .. } => "plan-training",
            CancelTraining { .. } => "cancel-training",
            RecordTraining { .. } => "record-training",
            ApproveException { .. } => "approve-exception",
            LineOfFirePlan { .. } => "line-of-fire-plan",
            StartDay => "start-day",
            Wrap => "wrap",
            SafetyMeeting { .. } => "safety-meeting",
            Brief { .. } => "brief",
            CallScene { .. } => "call-scene",
            Cut { .. } => "cut",
            CheckOut { .. } => "check-out",
            Store { .. } => "store",
            Load { .. } => "load",
            Unload { .. } => "unload",
            Inspect { .. } => "inspect",
            ConfirmCheck { .. } => "confirm-check",
            SecondCheck { .. } => "second-check",
            HandOver { .. } => "hand-over",
            SetDown { .. } => "set-down",
            PickUp { .. } => "pick-up",
            Announce { .. } => "announce",
            Break { .. } => "break",
            Resume => "resume",
            Discharge { .. } => "discharge",
            ReportIncident { .. } => "report-incident",
            CloseIncident { .. } => "close-incident",
            RaiseConcern { .. } => "raise-concern",
            RespondConcern { .. } => "respond-concern",
            Resign { .. } => "resign",
            Walkout { .. } => "walkout",
            StopWork { .. } => "stop-work",
            ResumeWork { .. } => "resume-work",
            Correct { .. } => "correct",
            Advance => "advance",
        }
    }

    /// Whether the command must say who gives it. Set-up done by the production office (the
    /// tables of a scenario), the start and wrap of a day, the passing of time and an anonymous
    /// concern (whose sender must never be recorded) need no one.
    pub fn needs_actor(&self) -> bool {
        !matches!(
            self,
            Command::Advance
                | Command::OpenProduction { .. }
                | Command::RegisterPerson { .. }
                | Command::AssignRole { .. }
                | Command::GrantCredential { .. }
                | Command::NameComplianceContact { .. }
                | Command::AssignDuty { .. }
                | Command::RegisterItem(_)
                | Command::RegisterLot(_)
                | Command::ScheduleScene(_)
                | Command::ChangeScene { .. }
                | Command::LineOfFirePlan { .. }
                | Command::StartDay
                | Command::Wrap
                | Command::RaiseConcern {
                    anonymous: true,
                    ..
                }
        )
    }
}

/// Every command word, in the order of `SCENARIOS.md`, for help texts and error messages.
pub const COMMAND_WORDS: &[&str] = &[
    "assign-role",
    "grant-credential",
    "acknowledge-red-flag",
    "name-compliance-contact",
    "assign-duty",
    "register-item",
    "register-lot",
    "schedule-scene",
    "change-scene",
    "verify-lot",
    "plan-training",
    "cancel-training",
    "record-training",
    "approve-exception",
    "line-of-fire-plan",
    "start-day",
    "wrap",
    "safety-meeting",
    "brief",
    "call-scene",
    "cut",
    "check-out",
    "store",
    "load",
    "unload",
    "inspect",
    "confirm-check",
    "second-check",
    "hand-over",
    "set-down",
    "pick-up",
    "announce",
    "break",
    "resume",
    "discharge",
    "report-incident",
    "close-incident",
    "raise-concern",
    "respond-concern",
    "resign",
    "walkout",
    "stop-work",
    "resume-work",
    "advance",
    "register-person",
    "open-production",
    "correct",
];
