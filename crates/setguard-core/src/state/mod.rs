//! The production as it stands: what `decide` reads and only `apply` changes.
//!
//! Everything a rule needs at a hand-over is kept indexed here (by id, by day and scene), so a
//! decision costs a few map look-ups however long the production's record is.

mod apply;
mod pairs;

use crate::command::{ItemSpec, LotSpec, SceneSpec};
use crate::event::Subject;
use crate::model::*;
use crate::policy::Policy;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What a serialized [`State`] means: a snapshot written under another format is rebuilt from
/// the events rather than trusted. Change the number whenever a field of the state, or what
/// `apply` makes of an event, changes; the crate version is part of it so that a new release
/// never trusts an old one's snapshots.
pub const STATE_FORMAT: &str = concat!("setguard-state/1 (", env!("CARGO_PKG_VERSION"), ")");

/// A production's whole state, rebuilt from its events.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct State {
    pub production: Option<Production>,
    pub policy: Policy,
    pub people: BTreeMap<PersonId, Person>,
    pub items: BTreeMap<ItemId, Item>,
    pub lots: BTreeMap<LotId, Lot>,
    pub scenes: BTreeMap<SceneId, Scene>,
    pub trainings: BTreeMap<TrainingId, Training>,
    pub incidents: BTreeMap<IncidentId, Incident>,
    pub concerns: BTreeMap<ConcernId, Concern>,
    /// Live-ammunition exceptions (California 9155), by the lot they allow.
    pub live_exceptions: BTreeMap<LotId, LiveException>,
    pub compliance_contact: Option<PersonId>,
    /// Items whose last inspection has not been voided (it may still time out), so that finding
    /// the checks that lapse with time does not walk every item of the production.
    pub inspected: BTreeSet<ItemId>,
    /// Scenes called and not yet cut.
    pub called: BTreeSet<SceneId>,
    pub on_break: Option<Break>,
    /// When `start-day` began the current shooting day (cleared at `wrap`).
    pub day_started: Option<At>,
    pub stop_work: Option<Stoppage>,
    /// A resignation or walkout over safety not yet answered by `resume-work`.
    pub walkout: Option<Stoppage>,
    /// Safety meetings and briefings by day and scene.
    #[serde(with = "pairs")]
    pub meetings: HashMap<(NaiveDate, SceneId), Coverage>,
    /// Scenes that have had their first hand-over to a performer on a day.
    pub handed_over: BTreeSet<(NaiveDate, SceneId)>,
    /// Deadlines that raise an alarm when passed, in time order. Each is removed when met or
    /// when its alarm is raised, so an alarm is raised once.
    pub deadlines: BTreeSet<(At, Deadline)>,
    /// The same deadlines by what they are about, to clear one when it is met.
    #[serde(with = "pairs")]
    pub deadline_at: HashMap<Deadline, At>,
    /// Number of people currently holding a handler role.
    pub handlers: u32,
    /// Firing items currently out of storage.
    pub firing_out: u32,
    /// Refused attempts by rule, for the dashboard and reports.
    pub refusals: BTreeMap<crate::rules::RuleId, u64>,
    /// Events applied.
    pub events: u64,
    /// The time of the last event applied; time never goes backwards.
    pub last_at: Option<At>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Production {
    pub id: ProductionId,
    pub name: String,
    pub timezone: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    pub id: PersonId,
    pub name: PersonName,
    pub roles: BTreeSet<Role>,
    pub credentials: Vec<Credential>,
    pub prior_incidents: Vec<String>,
    pub red_flag_acknowledged: bool,
    pub duties: Vec<(NaiveDate, String)>,
}

impl Person {
    pub fn is_handler(&self) -> bool {
        self.roles.iter().any(|r| r.is_handler())
    }
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
    /// A credential of this kind that is current on `day` and covers `class` (a credential that
    /// names no class covers every class).
    pub fn credential(
        &self,
        kind: CredentialKind,
        class: Option<WeaponClass>,
        day: NaiveDate,
    ) -> Option<&Credential> {
        self.credentials.iter().find(|c| {
            c.kind == kind
                && c.expires >= day
                && match class {
                    None => true,
                    Some(k) => c.classes.is_empty() || c.classes.contains(&k),
                }
        })
    }
    /// Any credential of this kind, current or not (to say why it doesn't count).
    pub fn any_credential(&self, kind: CredentialKind) -> Option<&Credential> {
        self.credentials
            .iter()
            .filter(|c| c.kind == kind)
            .max_by_key(|c| c.expires)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Credential {
    pub kind: CredentialKind,
    pub classes: Vec<WeaponClass>,
    pub expires: NaiveDate,
}

/// Where an item is. There is no fourth place: an item is never "somewhere".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Custody {
    InStorage,
    Held {
        by: PersonId,
        since: At,
    },
    SetDown {
        by: PersonId,
        place: String,
        since: At,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub spec: ItemSpec,
    pub custody: Custody,
    /// Rounds in the item now, by lot.
    pub loaded: Vec<(LotId, Rounds)>,
    /// When it was last loaded or unloaded.
    pub load_changed: Option<At>,
    /// The last inspection, kept after it lapses (an unexpected discharge is judged against it).
    pub inspection: Option<Inspection>,
    /// The last announcement.
    pub announced: Option<(Status, At)>,
    /// Open incidents that quarantine it.
    pub quarantined_by: BTreeSet<IncidentId>,
}

impl Item {
    pub fn is_firing(&self) -> bool {
        self.spec.kind.is_firing()
    }
    pub fn holder(&self) -> Option<&PersonId> {
        match &self.custody {
            Custody::Held { by, .. } => Some(by),
            _ => None,
        }
    }
    pub fn loaded_rounds(&self) -> u32 {
        self.loaded.iter().map(|(_, r)| r.0).sum()
    }
    /// "revolver R-0001": how the item is named in sentences.
    pub fn label(&self) -> String {
        let name = self
            .spec
            .serial
            .as_ref()
            .map(|s| s.as_str())
            .unwrap_or(self.spec.id.as_str());
        if self.is_firing() {
            format!("{} {}", self.spec.class, name)
        } else {
            format!("{} {} {}", self.spec.kind.label(), self.spec.class, name)
        }
    }
}

/// Why an inspection no longer counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lapse {
    Break { kind: String, at: At },
    LeftHands { at: At },
    Loaded { at: At },
    Unloaded { at: At },
    TimedOut { at: At },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inspection {
    pub by: PersonId,
    pub at: At,
    pub state: InspectState,
    pub rounds: Rounds,
    pub lot: Option<LotId>,
    pub confirmed_by: BTreeSet<PersonId>,
    pub second_checked_by: Option<PersonId>,
    pub voided: Option<Lapse>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lot {
    pub spec: LotSpec,
    pub verified: bool,
    /// A lot in which a round failed verification is never used again.
    pub condemned: bool,
    /// Set when a live round is found on the production: the lot must be verified again.
    pub needs_reverify: bool,
    pub issued: u32,
    pub returned: u32,
    pub fired: u32,
    /// Rounds taken out of the lot because they failed verification.
    pub removed: u32,
    pub quarantined_by: BTreeSet<IncidentId>,
}

impl Lot {
    /// Rounds in the box now.
    pub fn in_stock(&self) -> u32 {
        (self.spec.rounds.0 + self.returned).saturating_sub(self.issued + self.removed)
    }
    /// Rounds issued and neither fired nor returned.
    pub fn outstanding(&self) -> i64 {
        i64::from(self.issued) - i64::from(self.fired) - i64::from(self.returned)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scene {
    pub spec: SceneSpec,
    /// Bumped by every `change-scene`: meetings for an older version no longer count.
    pub version: u32,
    pub line_of_fire: Option<LineOfFire>,
    /// Signatures on a `replica-rehearsal` exception, by role.
    pub rehearsal_signed_by: BTreeMap<Role, PersonId>,
}

impl Scene {
    pub fn is_firearm_scene(&self, items: &BTreeMap<ItemId, Item>) -> bool {
        self.spec
            .items
            .iter()
            .any(|i| items.get(i).is_some_and(Item::is_firing))
    }
    pub fn rehearsal_exception(&self) -> bool {
        match (
            self.rehearsal_signed_by.get(&Role::Armorer),
            self.rehearsal_signed_by.get(&Role::SafetySupervisor),
        ) {
            (Some(a), Some(s)) => a != s,
            _ => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineOfFire {
    pub shields: bool,
    pub remote_camera: bool,
    pub min_distance_ft: Feet,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Training {
    pub performer: PersonId,
    pub class: WeaponClass,
    pub planned_by: Option<PersonId>,
    pub recorded: Option<At>,
    pub cancelled: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveException {
    pub reason: String,
    pub place: String,
    pub medic: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    pub id: IncidentId,
    pub kind: IncidentKind,
    pub items: Vec<ItemId>,
    pub lots: Vec<LotId>,
    pub summary: String,
    pub reported_at: At,
    pub reported_by: Option<PersonId>,
    /// People involved (reporter, holders of the items): none of them may close it.
    pub involved: BTreeSet<PersonId>,
    pub closed: Option<At>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Concern {
    pub id: ConcernId,
    pub text: String,
    pub urgent: bool,
    pub anonymous: bool,
    pub raised_at: At,
    pub answered: Option<At>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Break {
    pub kind: String,
    pub since: At,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stoppage {
    pub reason: String,
    pub since: At,
    pub by: Option<PersonId>,
}

/// A day's safety meeting coverage of one scene.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Coverage {
    /// Whether a meeting covered the scene (a briefing alone does not).
    pub held: bool,
    /// The scene version the meeting covered.
    pub version: u32,
    pub present: BTreeSet<PersonId>,
    pub briefed: BTreeSet<PersonId>,
}

/// A deadline that raises an alarm when passed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Deadline {
    /// `never-unattended`: an item set down.
    Unattended(ItemId),
    /// `return-after-cut`: an item held by a performer after a cut or break.
    Return(ItemId),
    /// `incident-closed-properly`: an incident open too long.
    IncidentOpen(IncidentId),
    /// `concern-answered`: a concern not answered in time.
    ConcernDue(ConcernId),
}

impl Deadline {
    pub fn subject(&self) -> Subject {
        match self {
            Deadline::Unattended(i) | Deadline::Return(i) => Subject::Item(i.clone()),
            Deadline::IncidentOpen(i) => Subject::Incident(*i),
            Deadline::ConcernDue(c) => Subject::Concern(*c),
        }
    }
}

impl State {
    /// An empty state under the standard policy, before any production is opened.
    pub fn new() -> State {
        State::default()
    }
    pub fn person(&self, id: &PersonId) -> Option<&Person> {
        self.people.get(id)
    }
    pub fn is_handler(&self, id: &PersonId) -> bool {
        self.people.get(id).is_some_and(Person::is_handler)
    }
    pub fn has_role(&self, id: &PersonId, role: Role) -> bool {
        self.people.get(id).is_some_and(|p| p.has(role))
    }
    /// A person's name for sentences, or their id if unknown.
    pub fn name_of(&self, id: &PersonId) -> String {
        self.people
            .get(id)
            .map(|p| p.name.to_string())
            .unwrap_or_else(|| id.to_string())
    }
    /// The shooting day `now` belongs to: the date of the last `start-day` if that was less than
    /// a day ago and the day is not wrapped (a night shoot goes on past midnight), else the
    /// calendar date.
    pub fn shooting_day(&self, now: At) -> NaiveDate {
        match self.day_started {
            Some(start) if now < start.plus_hours(24) => start.date(),
            _ => now.date(),
        }
    }
    /// An open live-round incident, or a lot still to be verified again after one.
    pub fn live_round_stop(&self) -> Option<String> {
        if let Some(inc) = self
            .incidents
            .values()
            .find(|i| i.kind == IncidentKind::LiveRoundFound && i.closed.is_none())
        {
            return Some(format!("{} (a live round found) is still open", inc.id));
        }
        self.lots
            .values()
            .find(|l| l.needs_reverify && !l.condemned)
            .map(|l| {
                format!(
                    "lot {} has not been verified again since a live round was found",
                    l.spec.id
                )
            })
    }
    /// Open incidents in time order.
    pub fn open_incidents(&self) -> impl Iterator<Item = &Incident> {
        self.incidents.values().filter(|i| i.closed.is_none())
    }
    /// Whether a scene on `day` uses a firing item (for `armorer-sole-duty`).
    pub fn firearm_day(&self, day: NaiveDate) -> bool {
        self.scenes
            .values()
            .any(|s| s.spec.date == day && s.is_firearm_scene(&self.items))
    }
}
