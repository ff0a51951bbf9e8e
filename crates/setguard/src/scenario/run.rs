//! Running a [`Scenario`] through the core, step by step, on the clock the steps set, into a
//! [`Timeline`]: what was recorded, refused or raised, and where the file's expectations were not
//! met.
//!
//! Events go to a [`Journal`] before they are applied, so the same loop can later replay into a
//! ledger; [`Memory`] keeps nothing beyond the state.

use super::build::{RefKind, with_ref_id};
use super::describe::describe;
use super::read::{Expect, ProductionInfo, Scenario};
use serde::Serialize;
use setguard_core::*;
use std::collections::{BTreeMap, BTreeSet};
use std::convert::Infallible;

/// Where recorded events go before they change the state.
pub trait Journal {
    type Error;
    fn append(&mut self, event: &Event) -> Result<(), Self::Error>;
}

/// Replays into memory only: events are applied to the state and not kept.
#[derive(Debug, Default, Clone, Copy)]
pub struct Memory;

impl Journal for Memory {
    type Error = Infallible;
    fn append(&mut self, _event: &Event) -> Result<(), Infallible> {
        Ok(())
    }
}

/// One file's replay.
#[derive(Debug, Clone, Serialize)]
pub struct Timeline {
    pub file: String,
    pub production: ProductionInfo,
    /// The registrations of the set-up tables, made at the first step's time.
    pub setup: Vec<Entry>,
    pub steps: Vec<Entry>,
    pub summary: Summary,
}

/// What happened to one registration or step.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub line: usize,
    pub at: At,
    /// Who did it; absent for set-up, for the passing of time and for an anonymous concern,
    /// whose sender is never shown.
    pub by: Option<String>,
    #[serde(rename = "do")]
    pub word: String,
    /// The command in a few words, e.g. `hand-over colt -> actor`.
    pub what: String,
    pub outcome: Outcome,
    /// Why a command that makes no sense for this production was not judged (shown as refused).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invalid: Option<String>,
    pub violations: Vec<Violation>,
    pub alarms: Vec<Alarm>,
    pub mismatches: Vec<String>,
    /// Inspections that lapsed by time before this step: information, never a mismatch.
    pub notices: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Ok,
    Refused,
    /// The step could not be built (its ref names nothing the replay created).
    NotRun,
}

/// An alarm raised while the clock moved to a step or by the step itself.
#[derive(Debug, Clone, Serialize)]
pub struct Alarm {
    pub rule: RuleId,
    pub about: Subject,
    pub message: String,
}

/// Counts for one file.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub steps: usize,
    pub recorded: usize,
    pub refused: usize,
    pub alarms: usize,
    pub mismatches: usize,
}

impl Timeline {
    /// Every mismatch with its line, in file order (set-up first).
    pub fn mismatches(&self) -> impl Iterator<Item = (&Entry, &String)> {
        self.setup
            .iter()
            .chain(&self.steps)
            .flat_map(|e| e.mismatches.iter().map(move |m| (e, m)))
    }
}

/// What a `ref` was bound to.
#[derive(Debug, Clone, Copy)]
enum Bound {
    Incident(IncidentId),
    Concern(ConcernId),
    Training(TrainingId),
}

impl Bound {
    fn kind(self) -> RefKind {
        match self {
            Bound::Incident(_) => RefKind::Incident,
            Bound::Concern(_) => RefKind::Concern,
            Bound::Training(_) => RefKind::Training,
        }
    }
    fn number(self) -> u32 {
        match self {
            Bound::Incident(i) => i.0,
            Bound::Concern(c) => c.0,
            Bound::Training(t) => t.0,
        }
    }
    /// The first incident, concern or training that `events` create.
    fn created(events: &[Event]) -> Option<Bound> {
        events.iter().find_map(|e| match &e.body {
            EventBody::IncidentReported { incident, .. } => Some(Bound::Incident(*incident)),
            EventBody::ConcernRaised { concern, .. } => Some(Bound::Concern(*concern)),
            EventBody::TrainingPlanned { training, .. }
            | EventBody::TrainingRecorded { training, .. } => Some(Bound::Training(*training)),
            _ => None,
        })
    }
}

/// Replays a scenario into memory.
pub fn run(scenario: &Scenario) -> Timeline {
    match run_into(scenario, &mut Memory) {
        Ok(t) => t,
        Err(never) => match never {},
    }
}

/// Replays a scenario, each event going to `journal` before it is applied.
pub fn run_into<J: Journal>(scenario: &Scenario, journal: &mut J) -> Result<Timeline, J::Error> {
    let mut r = Runner {
        state: State::new(),
        journal,
        refs: BTreeMap::new(),
    };
    let mut setup = Vec::new();
    let mut carried: Vec<Alarm> = Vec::new();
    if let Some(first) = scenario.steps.first() {
        for reg in &scenario.setup {
            let (mut entry, alarms, _) = r.judge(first.at, None, &reg.command, reg.pos.line)?;
            entry.what = reg.source.clone();
            // A set-up table is expected to be registered: a refusal is a mismatch.
            if let Some(m) = expectation(Expect::Ok, &entry) {
                entry.mismatches.push(m);
            }
            // Alarms raised by the set-up are listed with the first step, which happens at the
            // same moment, so a scenario can expect them.
            carried.extend(alarms);
            setup.push(entry);
        }
    }

    let mut steps = Vec::new();
    for step in &scenario.steps {
        let notices: Vec<String> = lapsed_checks(&r.state, step.at)
            .into_iter()
            .map(|(item, sentence)| format!("{item}: {sentence}"))
            .collect();
        let mut alarms = std::mem::take(&mut carried);
        for ev in tick(&r.state, step.at) {
            alarms.extend(alarm_of(&ev));
            r.record(&ev)?;
        }

        let anonymous = matches!(
            step.command,
            Command::RaiseConcern {
                anonymous: true,
                ..
            }
        );
        // The sender of an anonymous concern is never recorded or shown.
        let by = if anonymous { None } else { step.by.clone() };

        let ref_name = step.ref_use.as_ref().map(|u| u.name.as_str());
        let (mut entry, created) = match r.resolve(step) {
            Ok(cmd) => {
                let (entry, step_alarms, created) =
                    r.judge(step.at, by.clone(), &cmd, step.pos.line)?;
                alarms.extend(step_alarms);
                (entry, created)
            }
            Err(why) => {
                let mut e = Entry::new(step.pos.line, step.at, by.clone(), &step.command);
                e.outcome = Outcome::NotRun;
                e.mismatches.push(why);
                (e, None)
            }
        };
        entry.what = describe(&step.command, ref_name);
        entry.notices = notices;

        if let Some(name) = &step.defines {
            match created {
                Some(b) if entry.outcome == Outcome::Ok => {
                    r.refs.insert(name.clone(), b);
                }
                _ => entry.mismatches.push(format!(
                    "ref `{name}`: the step created no incident, concern or training to name"
                )),
            }
        }
        if entry.outcome != Outcome::NotRun
            && let Some(m) = expectation(step.expect, &entry)
        {
            entry.mismatches.push(m);
        }
        let raised: BTreeSet<RuleId> = alarms.iter().map(|a| a.rule).collect();
        for rule in raised.difference(&step.alarms) {
            entry.mismatches.push(format!(
                "alarm {rule} was raised but is not listed in `alarms`"
            ));
        }
        for rule in step.alarms.difference(&raised) {
            entry.mismatches.push(format!(
                "alarm {rule} is listed in `alarms` but was not raised"
            ));
        }
        entry.alarms = alarms;
        steps.push(entry);
    }

    let mut summary = Summary {
        steps: steps.len(),
        ..Summary::default()
    };
    for e in setup.iter().chain(&steps) {
        summary.alarms += e.alarms.len();
        summary.mismatches += e.mismatches.len();
    }
    for e in &steps {
        match e.outcome {
            Outcome::Ok => summary.recorded += 1,
            Outcome::Refused => summary.refused += 1,
            Outcome::NotRun => {}
        }
    }
    Ok(Timeline {
        file: scenario.file.clone(),
        production: scenario.production.clone(),
        setup,
        steps,
        summary,
    })
}

fn alarm_of(ev: &Event) -> Option<Alarm> {
    match &ev.body {
        EventBody::AlarmRaised {
            rule,
            about,
            message,
        } => Some(Alarm {
            rule: *rule,
            about: about.clone(),
            message: message.clone(),
        }),
        _ => ev.alarm().map(|rule| Alarm {
            rule,
            about: Subject::Production,
            message: String::new(),
        }),
    }
}

/// How the outcome compares with what the step expected.
fn expectation(expect: Expect, entry: &Entry) -> Option<String> {
    let got = || match (&entry.outcome, &entry.invalid) {
        (Outcome::Ok, _) => "ok".to_owned(),
        (_, Some(msg)) => format!("refused as invalid ({msg})"),
        _ => format!(
            "refused by {}",
            entry
                .violations
                .iter()
                .map(|v| v.rule.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    match expect {
        Expect::Ok if entry.outcome == Outcome::Ok => None,
        Expect::Ok => Some(format!("expected ok, got {}", got())),
        Expect::Refused(_) if entry.outcome == Outcome::Ok => {
            Some(format!("expected refused, got {}", got()))
        }
        Expect::Refused(None) => None,
        Expect::Refused(Some(rule)) if entry.violations.iter().any(|v| v.rule == rule) => None,
        Expect::Refused(Some(rule)) => Some(format!("expected refused by {rule}, got {}", got())),
    }
}

struct Runner<'j, J> {
    state: State,
    journal: &'j mut J,
    refs: BTreeMap<String, Bound>,
}

impl Entry {
    fn new(line: usize, at: At, by: Option<PersonId>, cmd: &Command) -> Entry {
        Entry {
            line,
            at,
            by: by.map(|p| p.to_string()),
            word: cmd.name().to_owned(),
            what: String::new(),
            outcome: Outcome::Ok,
            invalid: None,
            violations: Vec::new(),
            alarms: Vec::new(),
            mismatches: Vec::new(),
            notices: Vec::new(),
        }
    }
}

impl<J: Journal> Runner<'_, J> {
    fn record(&mut self, ev: &Event) -> Result<(), J::Error> {
        self.journal.append(ev)?;
        self.state.apply(ev);
        Ok(())
    }

    /// The step's command with its ref, if any, turned into the id the replay gave it.
    fn resolve(&self, step: &super::read::Step) -> Result<Command, String> {
        let Some(u) = &step.ref_use else {
            return Ok(step.command.clone());
        };
        match self.refs.get(&u.name) {
            Some(b) if b.kind() == u.kind => Ok(with_ref_id(&step.command, b.number())),
            Some(b) => Err(format!(
                "ref `{}` names {}, not {}; not run",
                u.name,
                b.kind().noun(),
                u.kind.noun()
            )),
            None => Err(format!(
                "ref `{}` names nothing: the step that defines it created nothing; not run",
                u.name
            )),
        }
    }

    /// Decides one command and records what follows; returns its entry, the alarms it raised
    /// and the first incident, concern or training it created.
    fn judge(
        &mut self,
        at: At,
        by: Option<PersonId>,
        cmd: &Command,
        line: usize,
    ) -> Result<(Entry, Vec<Alarm>, Option<Bound>), J::Error> {
        let mut entry = Entry::new(line, at, by.clone(), cmd);
        let mut alarms = Vec::new();
        let mut created = None;
        let ctx = Ctx {
            now: at,
            by: by.clone(),
        };
        match judge(&self.state, cmd, &ctx) {
            Ok(j) if j.refused.is_empty() => {
                for ev in &j.events {
                    alarms.extend(alarm_of(ev));
                    self.record(ev)?;
                }
                created = Bound::created(&j.events);
            }
            Ok(j) => {
                entry.outcome = Outcome::Refused;
                entry.violations = j.refused;
                for ev in &j.events {
                    self.record(ev)?;
                }
            }
            Err(inv) => {
                entry.outcome = Outcome::Refused;
                entry.invalid = Some(inv.message);
            }
        }
        Ok((entry, alarms, created))
    }
}
