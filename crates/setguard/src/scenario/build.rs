//! From one table's fields to the core's [`Command`], per `do` word, with the field names of
//! `SCENARIOS.md`. Defaults are those of the core's own serde defaults, so a scenario and the API
//! mean the same by an absent field.

use super::fields::Fields;
use super::pos::Diagnostic;
use setguard_core::command::COMMAND_WORDS;
use setguard_core::*;

/// Fields of a step that are about the step, not its command.
pub(crate) const STEP_FIELDS: &[&str] = &["at", "by", "do", "expect", "rule", "ref", "alarms"];

/// Every command field of the vocabulary (`SCENARIOS.md`), in no particular order.
pub(crate) const COMMAND_FIELDS: &[&str] = &[
    "person",
    "role",
    "kind",
    "classes",
    "expires",
    "reason",
    "duty",
    "id",
    "name",
    "prior_incidents",
    "policy",
    "timezone",
    "class",
    "calibre",
    "serial",
    "ammo",
    "rounds",
    "source",
    "date",
    "items",
    "performers",
    "roster",
    "blank_rounds",
    "points_toward_people",
    "scene",
    "lot",
    "counted",
    "failed",
    "performer",
    "training",
    "place",
    "medic",
    "shields",
    "remote_camera",
    "min_distance_ft",
    "scenes",
    "attendees",
    "item",
    "state",
    "to",
    "status",
    "intended",
    "lots",
    "summary",
    "incident",
    "root_cause",
    "corrective_action",
    "text",
    "urgent",
    "anonymous",
    "concern",
    "response",
    "people",
    "event",
];

/// The fields of the `[[item]]`, `[[lot]]` and `[[scene]]` tables and `[production]`.
pub(crate) const ITEM_FIELDS: &[&str] = &["id", "kind", "class", "calibre", "serial"];
pub(crate) const LOT_FIELDS: &[&str] = &["id", "ammo", "calibre", "rounds", "source"];
pub(crate) const SCENE_FIELDS: &[&str] = &[
    "id",
    "date",
    "kind",
    "items",
    "performers",
    "roster",
    "blank_rounds",
    "points_toward_people",
];
pub(crate) const PRODUCTION_FIELDS: &[&str] = &["id", "name", "policy", "timezone"];
pub(crate) const PERSON_FIELDS: &[&str] =
    &["id", "name", "roles", "credentials", "prior_incidents"];

/// What a ref names: the core numbers these itself, a scenario names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RefKind {
    Incident,
    Concern,
    Training,
}

impl RefKind {
    pub fn noun(self) -> &'static str {
        match self {
            RefKind::Incident => "an incident",
            RefKind::Concern => "a concern",
            RefKind::Training => "a training",
        }
    }
    /// What a step with this `do` word creates for its `ref`, when the word alone says so.
    pub fn created_by(word: &str) -> Option<RefKind> {
        match word {
            "report-incident" => Some(RefKind::Incident),
            "raise-concern" => Some(RefKind::Concern),
            "plan-training" | "record-training" => Some(RefKind::Training),
            _ => None,
        }
    }
}

/// A command whose incident, concern or training is named by a ref, resolved at run time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefUse {
    pub name: String,
    pub kind: RefKind,
    /// Where the ref name was written.
    pub offset: usize,
}

/// A command as read, and the ref it still needs, if any.
#[derive(Debug)]
pub(crate) struct Built {
    pub command: Command,
    pub ref_use: Option<RefUse>,
}

fn plain(command: Command) -> Result<Built, Diagnostic> {
    Ok(Built {
        command,
        ref_use: None,
    })
}

/// A ref name in field `field`: required, non-empty.
fn ref_name(f: &mut Fields, field: &str, kind: RefKind, what: &str) -> Result<RefUse, Diagnostic> {
    let name: String = f.req(field, what)?;
    let offset = f.offset_of(field);
    if name.trim().is_empty() {
        return Err(f.error(
            offset,
            format!("field `{field}`: a ref name can't be empty; use the `ref` of the step that created it"),
        ));
    }
    Ok(RefUse { name, kind, offset })
}

pub(crate) fn item_spec(f: &mut Fields, what: &str) -> Result<ItemSpec, Diagnostic> {
    Ok(ItemSpec {
        id: f.req("id", what)?,
        kind: f.req("kind", what)?,
        class: f.req("class", what)?,
        calibre: f.opt("calibre")?,
        serial: f.opt("serial")?,
    })
}

pub(crate) fn lot_spec(f: &mut Fields, what: &str) -> Result<LotSpec, Diagnostic> {
    Ok(LotSpec {
        id: f.req("id", what)?,
        ammo: f.req("ammo", what)?,
        calibre: f.req("calibre", what)?,
        rounds: f.req("rounds", what)?,
        source: f.or_default("source")?,
    })
}

pub(crate) fn scene_spec(f: &mut Fields, what: &str) -> Result<SceneSpec, Diagnostic> {
    Ok(SceneSpec {
        id: f.req("id", what)?,
        date: f.req("date", what)?,
        kind: f.opt("kind")?.unwrap_or(SceneKind::Take),
        items: f.or_default("items")?,
        performers: f.or_default("performers")?,
        roster: f.or_default("roster")?,
        blank_rounds: f.or_default("blank_rounds")?,
        points_toward_people: f.or_default("points_toward_people")?,
    })
}

/// The command for `word` from the table's fields. `word_offset` is where the word was written.
pub(crate) fn build(word: &str, word_offset: usize, f: &mut Fields) -> Result<Built, Diagnostic> {
    use Command as C;
    let w = format!("`{word}`");
    let w = w.as_str();
    match word {
        "open-production" => plain(C::OpenProduction {
            id: f.req("id", w)?,
            name: f.req("name", w)?,
            policy: f.opt("policy")?.unwrap_or(PolicyName::Standard),
            timezone: f.or_default("timezone")?,
        }),
        "register-person" => plain(C::RegisterPerson {
            id: f.req("id", w)?,
            name: f.req("name", w)?,
            prior_incidents: f.or_default("prior_incidents")?,
        }),
        "assign-role" => plain(C::AssignRole {
            person: f.req("person", w)?,
            role: f.req("role", w)?,
        }),
        "grant-credential" => plain(C::GrantCredential {
            person: f.req("person", w)?,
            kind: f.req("kind", w)?,
            classes: f.or_default("classes")?,
            expires: f.req("expires", w)?,
        }),
        "acknowledge-red-flag" => plain(C::AcknowledgeRedFlag {
            person: f.req("person", w)?,
            reason: f.req("reason", w)?,
        }),
        "name-compliance-contact" => plain(C::NameComplianceContact {
            person: f.req("person", w)?,
        }),
        "assign-duty" => plain(C::AssignDuty {
            person: f.req("person", w)?,
            duty: f.req("duty", w)?,
        }),
        "register-item" => plain(C::RegisterItem(item_spec(f, w)?)),
        "register-lot" => plain(C::RegisterLot(lot_spec(f, w)?)),
        "schedule-scene" => plain(C::ScheduleScene(scene_spec(f, w)?)),
        "change-scene" => plain(C::ChangeScene {
            scene: f.req("scene", w)?,
            changes: SceneChanges {
                date: f.opt("date")?,
                kind: f.opt("kind")?,
                items: f.opt("items")?,
                performers: f.opt("performers")?,
                roster: f.opt("roster")?,
                blank_rounds: f.opt("blank_rounds")?,
                points_toward_people: f.opt("points_toward_people")?,
            },
        }),
        "verify-lot" => plain(C::VerifyLot {
            lot: f.req("lot", w)?,
            counted: f.req("counted", w)?,
            failed: f.or_default("failed")?,
        }),
        "plan-training" => plain(C::PlanTraining {
            performer: f.req("performer", w)?,
            class: f.req("class", w)?,
        }),
        "record-training" => plain(C::RecordTraining {
            performer: f.req("performer", w)?,
            class: f.req("class", w)?,
        }),
        "cancel-training" => {
            let r = ref_name(f, "training", RefKind::Training, w)?;
            Ok(Built {
                command: C::CancelTraining {
                    training: TrainingId(0),
                    reason: f.req("reason", w)?,
                },
                ref_use: Some(r),
            })
        }
        "approve-exception" => plain(C::ApproveException {
            kind: f.req("kind", w)?,
            scene: f.opt("scene")?,
            lot: f.opt("lot")?,
            reason: f.or_default("reason")?,
            place: f.opt("place")?,
            medic: f.opt("medic")?,
        }),
        "line-of-fire-plan" => plain(C::LineOfFirePlan {
            scene: f.req("scene", w)?,
            shields: f.or_default("shields")?,
            remote_camera: f.or_default("remote_camera")?,
            min_distance_ft: f.or_default("min_distance_ft")?,
        }),
        "start-day" => plain(C::StartDay),
        "wrap" => plain(C::Wrap),
        "safety-meeting" => plain(C::SafetyMeeting {
            scenes: f.req("scenes", w)?,
            attendees: f.req("attendees", w)?,
        }),
        "brief" => plain(C::Brief {
            person: f.req("person", w)?,
            scene: f.req("scene", w)?,
        }),
        "call-scene" => plain(C::CallScene {
            scene: f.req("scene", w)?,
        }),
        "cut" => plain(C::Cut {
            scene: f.req("scene", w)?,
        }),
        "check-out" => plain(C::CheckOut {
            item: f.req("item", w)?,
        }),
        "store" => plain(C::Store {
            item: f.req("item", w)?,
        }),
        "load" => plain(C::Load {
            item: f.req("item", w)?,
            lot: f.req("lot", w)?,
            rounds: f.req("rounds", w)?,
        }),
        "unload" => plain(C::Unload {
            item: f.req("item", w)?,
        }),
        "inspect" => plain(C::Inspect {
            item: f.req("item", w)?,
            state: f.req("state", w)?,
            rounds: f.opt("rounds")?,
            lot: f.opt("lot")?,
        }),
        "confirm-check" => plain(C::ConfirmCheck {
            item: f.req("item", w)?,
        }),
        "second-check" => plain(C::SecondCheck {
            item: f.req("item", w)?,
        }),
        "hand-over" => plain(C::HandOver {
            item: f.req("item", w)?,
            to: f.req("to", w)?,
            scene: f.opt("scene")?,
        }),
        "set-down" => plain(C::SetDown {
            item: f.req("item", w)?,
            place: f.or_default("place")?,
        }),
        "pick-up" => plain(C::PickUp {
            item: f.req("item", w)?,
        }),
        "announce" => plain(C::Announce {
            item: f.req("item", w)?,
            status: f.req("status", w)?,
        }),
        "break" => plain(C::Break {
            kind: f.or_default("kind")?,
        }),
        "resume" => plain(C::Resume),
        "discharge" => plain(C::Discharge {
            item: f.req("item", w)?,
            intended: f.opt("intended")?.unwrap_or(true),
            rounds: f.opt("rounds")?.unwrap_or(Rounds(1)),
        }),
        "report-incident" => plain(C::ReportIncident {
            kind: f.req("kind", w)?,
            items: f.or_default("items")?,
            lots: f.or_default("lots")?,
            summary: f.or_default("summary")?,
        }),
        "close-incident" => {
            let r = ref_name(f, "incident", RefKind::Incident, w)?;
            Ok(Built {
                command: C::CloseIncident {
                    incident: IncidentId(0),
                    root_cause: f.or_default("root_cause")?,
                    corrective_action: f.or_default("corrective_action")?,
                },
                ref_use: Some(r),
            })
        }
        "raise-concern" => plain(C::RaiseConcern {
            text: f.req("text", w)?,
            urgent: f.or_default("urgent")?,
            anonymous: f.or_default("anonymous")?,
        }),
        "respond-concern" => {
            let r = ref_name(f, "concern", RefKind::Concern, w)?;
            Ok(Built {
                command: C::RespondConcern {
                    concern: ConcernId(0),
                    response: f.req("response", w)?,
                },
                ref_use: Some(r),
            })
        }
        "resign" => plain(C::Resign {
            reason: f.or_default("reason")?,
        }),
        "walkout" => plain(C::Walkout {
            people: f.or_default("people")?,
            reason: f.or_default("reason")?,
        }),
        "stop-work" => plain(C::StopWork {
            reason: f.or_default("reason")?,
        }),
        "resume-work" => plain(C::ResumeWork {
            reason: f.or_default("reason")?,
        }),
        "advance" => plain(C::Advance),
        "correct" => plain(C::Correct {
            event: f.req("event", w)?,
            reason: f.req("reason", w)?,
        }),
        other => Err(f.error(
            word_offset,
            format!(
                "unknown command `{other}`; `do` is one of: {}",
                COMMAND_WORDS.join(", ")
            ),
        )),
    }
}

/// Puts the id a ref resolved to into the command that named it.
pub(crate) fn with_ref_id(cmd: &Command, id: u32) -> Command {
    let mut c = cmd.clone();
    match &mut c {
        Command::CloseIncident { incident, .. } => *incident = IncidentId(id),
        Command::RespondConcern { concern, .. } => *concern = ConcernId(id),
        Command::CancelTraining { training, .. } => *training = TrainingId(id),
        _ => {}
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every word of the core's vocabulary is one this reader can build (the build match has a
    /// case for it, so it does not fall into "unknown command").
    #[test]
    fn every_command_word_is_known() {
        let src = super::super::pos::Source {
            name: "t",
            text: "",
            lines: &[0],
        };
        for word in COMMAND_WORDS {
            let mut f = Fields::new(src, 0, Default::default());
            if let Err(e) = build(word, 0, &mut f) {
                assert!(!e.message.contains("unknown command"), "{word}: {e}");
            }
        }
    }
}
