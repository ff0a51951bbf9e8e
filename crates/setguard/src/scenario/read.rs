//! Reading a scenario file (`SCENARIOS.md`) into a [`Scenario`]: every step's command built and
//! every name checked before anything runs, so a file that can't be read is reported with its
//! line and column (exit 2) and never half-replayed.

use super::build::{
    self, Built, ITEM_FIELDS, LOT_FIELDS, PERSON_FIELDS, PRODUCTION_FIELDS, RefKind, RefUse,
    SCENE_FIELDS,
};
use super::fields::{Fields, IdKind, IdUse, RawTable};
use super::pos::{Diagnostic, Pos, Source};
use chrono::NaiveDate;
use serde::Deserialize;
use setguard_core::*;
use std::collections::{BTreeMap, BTreeSet};
use toml::Spanned;

/// A scenario that can be run: set-up registrations, then steps, all built into commands.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The file's name as given on the command line.
    pub file: String,
    pub production: ProductionInfo,
    /// `open-production`, then each person (registration, credentials, roles), items, lots and
    /// scenes, in that order, made at the first step's time with no actor.
    pub setup: Vec<Registration>,
    pub steps: Vec<Step>,
    /// Fields written but not used by their command: reported, not fatal.
    pub warnings: Vec<Diagnostic>,
}

/// The `[production]` table, for the timeline's header.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ProductionInfo {
    pub id: String,
    pub name: String,
    pub policy: PolicyName,
    pub timezone: String,
}

/// One registration of the set-up tables.
#[derive(Debug, Clone)]
pub struct Registration {
    pub pos: Pos,
    /// What in the file it comes from, e.g. `[[person]] armorer: role armorer`.
    pub source: String,
    pub command: Command,
}

/// What a step expects of its command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    Ok,
    /// Refused; with a rule, that rule must be among those the refusal lists.
    Refused(Option<RuleId>),
}

/// One `[[step]]`.
#[derive(Debug, Clone)]
pub struct Step {
    pub pos: Pos,
    pub at: At,
    pub by: Option<PersonId>,
    /// The command; an incident, concern or training named by a ref is filled in at run time.
    pub command: Command,
    pub ref_use: Option<RefUse>,
    /// The name `ref` gives to what the step creates.
    pub defines: Option<String>,
    pub expect: Expect,
    /// The alarms expected while the clock moves to `at` and from the step itself.
    pub alarms: BTreeSet<RuleId>,
}

/// Why a file could not be read: one message per place, in file order.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", lines(.diagnostics))]
pub struct ReadError {
    pub diagnostics: Vec<Diagnostic>,
}

fn lines(ds: &[Diagnostic]) -> String {
    ds.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// More than this many errors in one file is noise: the first ones are the ones to fix.
const MAX_ERRORS: usize = 20;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    production: Option<Spanned<RawTable>>,
    #[serde(default)]
    person: Vec<Spanned<RawTable>>,
    #[serde(default)]
    item: Vec<Spanned<RawTable>>,
    #[serde(default)]
    lot: Vec<Spanned<RawTable>>,
    #[serde(default)]
    scene: Vec<Spanned<RawTable>>,
    #[serde(default)]
    step: Vec<Spanned<RawTable>>,
}

/// A credential of a `[[person]]` table.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCredential {
    kind: CredentialKind,
    #[serde(default)]
    classes: Vec<WeaponClass>,
    expires: NaiveDate,
}

/// Reads a scenario. `name` is used in messages (`name:line:column: ...`).
pub fn parse_scenario(name: &str, text: &str) -> Result<Scenario, ReadError> {
    let lines = super::pos::line_starts(text);
    let src = Source {
        name,
        text,
        lines: &lines,
    };
    let raw: RawFile = toml::from_str(text).map_err(|e| ReadError {
        diagnostics: vec![src.error(e.span().map_or(0, |s| s.start), e.message().trim())],
    })?;
    let mut r = Reader {
        src,
        errors: Vec::new(),
        warnings: Vec::new(),
        declared: BTreeSet::new(),
        uses: Vec::new(),
    };
    let production = r.production(raw.production);
    let mut setup: Vec<Registration> = production.iter().map(|(reg, _)| reg.clone()).collect();
    for t in raw.person {
        setup.extend(r.person(t));
    }
    for (tables, word, fields) in [
        (raw.item, "register-item", ITEM_FIELDS),
        (raw.lot, "register-lot", LOT_FIELDS),
        (raw.scene, "schedule-scene", SCENE_FIELDS),
    ] {
        for t in tables {
            setup.extend(r.table(t, word, fields));
        }
    }
    let steps = r.steps(raw.step);
    r.check_ids();
    if let (true, Some((_, info))) = (r.errors.is_empty(), production) {
        return Ok(Scenario {
            file: name.to_owned(),
            production: info,
            setup,
            steps,
            warnings: r.warnings,
        });
    }
    if r.errors.is_empty() {
        // Only reached if [production] was there but not read, which `production` reports;
        // an error without a message would still be an error.
        r.errors.push(Diagnostic::error(
            name,
            Pos::START,
            "the [production] table could not be read",
        ));
    }
    r.errors.sort();
    r.errors.dedup();
    let extra = r.errors.len().saturating_sub(MAX_ERRORS);
    r.errors.truncate(MAX_ERRORS);
    if extra > 0 {
        let last = r.errors.last().map_or(Pos::START, |d| d.pos);
        r.errors.push(Diagnostic::error(
            name,
            last,
            format!("... and {extra} more errors"),
        ));
    }
    Err(ReadError {
        diagnostics: r.errors,
    })
}

struct Reader<'s> {
    src: Source<'s>,
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
    /// Ids declared by a table or a registering step, anywhere in the file.
    declared: BTreeSet<(IdKind, String)>,
    uses: Vec<IdUse>,
}

impl<'s> Reader<'s> {
    fn fields(&self, t: Spanned<RawTable>) -> Fields<'s> {
        let at = t.span().start;
        Fields::new(self.src, at, t.into_inner())
    }

    /// Unknown fields of a set-up table are errors: the table has a fixed set of fields.
    fn reject_unknown(&mut self, f: &Fields, table: &str, known: &[&str]) -> bool {
        let unknown = f.unknown(known);
        for (k, offset) in &unknown {
            self.errors.push(self.src.error(
                *offset,
                format!(
                    "unknown field `{k}` in {table}; its fields are {}",
                    known.join(", ")
                ),
            ));
        }
        unknown.is_empty()
    }

    fn declare(&mut self, kind: IdKind, id: &str) {
        self.declared.insert((kind, id.to_owned()));
    }

    /// Declares a table's id before the table is read, so one mistake in it is reported once
    /// and not again at every use of the id.
    fn declare_early(&mut self, kind: IdKind, f: &Fields) {
        if let Some(id) = f.peek_str("id") {
            self.declare(kind, id);
        }
    }

    fn production(
        &mut self,
        t: Option<Spanned<RawTable>>,
    ) -> Option<(Registration, ProductionInfo)> {
        let Some(t) = t else {
            self.errors.push(Diagnostic::error(
                self.src.name,
                Pos::START,
                "no [production] table; a scenario starts with [production] and its id, name, \
                 policy (standard | california | no-live-fire) and timezone",
            ));
            return None;
        };
        let mut f = self.fields(t);
        if !self.reject_unknown(&f, "[production]", PRODUCTION_FIELDS) {
            return None;
        }
        match build::build("open-production", f.at, &mut f) {
            Ok(Built { command, .. }) => {
                let Command::OpenProduction {
                    id,
                    name,
                    policy,
                    timezone,
                } = &command
                else {
                    return None;
                };
                let info = ProductionInfo {
                    id: id.to_string(),
                    name: name.clone(),
                    policy: *policy,
                    timezone: timezone.clone(),
                };
                let reg = Registration {
                    pos: self.src.pos(f.at),
                    source: format!("[production] {id}"),
                    command,
                };
                Some((reg, info))
            }
            Err(e) => {
                self.errors.push(e.with_context("[production]"));
                None
            }
        }
    }

    fn person(&mut self, t: Spanned<RawTable>) -> Vec<Registration> {
        let mut f = self.fields(t);
        self.declare_early(IdKind::Person, &f);
        if !self.reject_unknown(&f, "[[person]]", PERSON_FIELDS) {
            return Vec::new();
        }
        match self.person_inner(&mut f) {
            Ok(regs) => regs,
            Err(e) => {
                self.errors.push(e.with_context("[[person]]"));
                Vec::new()
            }
        }
    }

    fn person_inner(&mut self, f: &mut Fields) -> Result<Vec<Registration>, Diagnostic> {
        let pos = self.src.pos(f.at);
        let Built { command, .. } = build::build("register-person", f.at, f)?;
        let Command::RegisterPerson { id, .. } = &command else {
            return Ok(Vec::new());
        };
        let person = id.clone();
        self.declare(IdKind::Person, person.as_str());
        let credentials: Vec<RawCredential> = f.or_default("credentials")?;
        let roles: Vec<Role> = f.or_default("roles")?;
        let mut regs = vec![Registration {
            pos,
            source: format!("[[person]] {person}"),
            command,
        }];
        for c in credentials {
            regs.push(Registration {
                pos: self.src.pos(f.offset_of("credentials")),
                source: format!("[[person]] {person}: credential {}", c.kind),
                command: Command::GrantCredential {
                    person: person.clone(),
                    kind: c.kind,
                    classes: c.classes,
                    expires: c.expires,
                },
            });
        }
        for role in roles {
            regs.push(Registration {
                pos: self.src.pos(f.offset_of("roles")),
                source: format!("[[person]] {person}: role {role}"),
                command: Command::AssignRole {
                    person: person.clone(),
                    role,
                },
            });
        }
        Ok(regs)
    }

    /// An `[[item]]`, `[[lot]]` or `[[scene]]` table: the fields of its registering command.
    fn table(&mut self, t: Spanned<RawTable>, word: &str, known: &[&str]) -> Option<Registration> {
        let mut f = self.fields(t);
        let (table, kind) = match word {
            "register-item" => ("[[item]]", IdKind::Item),
            "register-lot" => ("[[lot]]", IdKind::Lot),
            _ => ("[[scene]]", IdKind::Scene),
        };
        self.declare_early(kind, &f);
        if !self.reject_unknown(&f, table, known) {
            return None;
        }
        match build::build(word, f.at, &mut f) {
            Ok(Built { command, .. }) => {
                let id = self.note_declaration(&command)?;
                self.uses.extend(f.id_uses());
                Some(Registration {
                    pos: self.src.pos(f.at),
                    source: format!("{table} {id}"),
                    command,
                })
            }
            Err(e) => {
                self.errors.push(e.with_context(table));
                None
            }
        }
    }

    /// Records the id a registering command declares, and returns it.
    fn note_declaration(&mut self, cmd: &Command) -> Option<String> {
        let (kind, id) = match cmd {
            Command::RegisterPerson { id, .. } => (IdKind::Person, id.as_str()),
            Command::RegisterItem(s) => (IdKind::Item, s.id.as_str()),
            Command::RegisterLot(s) => (IdKind::Lot, s.id.as_str()),
            Command::ScheduleScene(s) => (IdKind::Scene, s.id.as_str()),
            _ => return None,
        };
        self.declare(kind, id);
        Some(id.to_owned())
    }

    fn steps(&mut self, tables: Vec<Spanned<RawTable>>) -> Vec<Step> {
        if tables.is_empty() {
            self.errors.push(Diagnostic::error(
                self.src.name,
                self.src.pos(self.src.text.len()),
                "no [[step]]: a scenario needs at least one step (its time is when the set-up \
                 tables are registered)",
            ));
        }
        let mut steps = Vec::new();
        let mut last: Option<(At, Pos)> = None;
        // ref name -> (where defined, what it creates if the `do` word says)
        let mut refs: BTreeMap<String, (Pos, Option<RefKind>)> = BTreeMap::new();
        for t in tables {
            let mut f = self.fields(t);
            match self.step(&mut f, &mut last, &mut refs) {
                Ok(step) => steps.push(step),
                Err(e) => self.errors.push(e),
            }
        }
        steps
    }

    fn step(
        &mut self,
        f: &mut Fields,
        last: &mut Option<(At, Pos)>,
        refs: &mut BTreeMap<String, (Pos, Option<RefKind>)>,
    ) -> Result<Step, Diagnostic> {
        let pos = self.src.pos(f.at);
        let known: Vec<&str> = build::STEP_FIELDS
            .iter()
            .chain(build::COMMAND_FIELDS)
            .copied()
            .collect();
        if let Some((k, offset)) = f.unknown(&known).into_iter().next() {
            return Err(self.src.error(
                offset,
                format!(
                    "unknown field `{k}` in [[step]]; a step has at, by, do, expect, rule, ref, \
                     alarms and the fields of its command (see SCENARIOS.md)"
                ),
            ));
        }
        let word: String = f.req("do", "a [[step]]")?;
        let word_offset = f.offset_of("do");
        let registers = match word.as_str() {
            "register-person" => Some(IdKind::Person),
            "register-item" => Some(IdKind::Item),
            "register-lot" => Some(IdKind::Lot),
            "schedule-scene" => Some(IdKind::Scene),
            _ => None,
        };
        if let Some(kind) = registers {
            self.declare_early(kind, f);
        }
        let at = f
            .parsed("at", At::parse)?
            .ok_or_else(|| f.error(f.at, "a [[step]] needs the field `at` (e.g. at = \"2021-10-21T11:45\"), which is missing here"))?;
        let at_offset = f.offset_of("at");
        if let Some((prev, prev_pos)) = *last
            && at < prev
        {
            return Err(f.error(
                    at_offset,
                    format!(
                        "time goes backwards: {at} is before {prev}, the time of the step at line {}; steps are in time order",
                        prev_pos.line
                    ),
                ));
        }
        *last = Some((at, pos));
        let by: Option<PersonId> = f.opt("by")?;
        let expect_word: Option<String> = f.opt("expect")?;
        let rule = f.parsed("rule", |s| s.parse::<RuleId>())?;
        let expect = match expect_word.as_deref() {
            None | Some("ok") => {
                if rule.is_some() {
                    return Err(f.error(
                        f.offset_of("rule"),
                        "`rule` names the rule a refusal lists; it goes with expect = \"refused\"",
                    ));
                }
                Expect::Ok
            }
            Some("refused") => Expect::Refused(rule),
            Some(other) => {
                return Err(f.error(
                    f.offset_of("expect"),
                    format!("field `expect`: {other:?} is not an outcome; expected \"ok\" or \"refused\""),
                ));
            }
        };
        let alarm_words: Vec<String> = f.or_default("alarms")?;
        let mut alarms = BTreeSet::new();
        for a in alarm_words {
            let id = a
                .parse::<RuleId>()
                .map_err(|e| f.error(f.offset_of("alarms"), format!("field `alarms`: {e}")))?;
            alarms.insert(id);
        }
        let defines: Option<String> = f.opt("ref")?;
        let Built { command, ref_use } = build::build(&word, word_offset, f)?;

        if by.is_none() && command.needs_actor() {
            return Err(f.error(
                f.at,
                format!("`{word}` needs `by`: the id of the person who does it"),
            ));
        }
        if let Some(r) = &ref_use {
            match refs.get(&r.name) {
                None => {
                    return Err(f.error(
                        r.offset,
                        format!(
                            "ref `{}` is not defined: name {} with `ref = \"{}\"` on the earlier step that creates it",
                            r.name,
                            r.kind.noun(),
                            r.name
                        ),
                    ));
                }
                Some((def_pos, Some(kind))) if *kind != r.kind => {
                    return Err(f.error(
                        r.offset,
                        format!(
                            "ref `{}` (line {}) names {}, but this field needs {}",
                            r.name,
                            def_pos.line,
                            kind.noun(),
                            r.kind.noun()
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
        if let Some(name) = &defines {
            let offset = f.offset_of("ref");
            if name.trim().is_empty() {
                return Err(f.error(offset, "field `ref`: a ref name can't be empty"));
            }
            if matches!(expect, Expect::Refused(_)) {
                return Err(f.error(
                    offset,
                    "a refused step creates nothing for `ref` to name; remove `ref` or expect \"ok\"",
                ));
            }
            if let Some((def_pos, _)) = refs.get(name) {
                return Err(f.error(
                    offset,
                    format!(
                        "ref `{name}` is already defined by the step at line {}; each ref names one thing",
                        def_pos.line
                    ),
                ));
            }
            refs.insert(name.clone(), (pos, RefKind::created_by(&word)));
        }
        self.note_declaration(&command);
        self.uses.extend(f.id_uses());
        for (k, offset) in f.unused() {
            self.warnings.push(self.src.warning(
                offset,
                format!("field `{k}` is not used by `{word}`; ignored"),
            ));
        }
        Ok(Step {
            pos,
            at,
            by,
            command,
            ref_use,
            defines,
            expect,
            alarms,
        })
    }

    /// Every person, item, lot and scene named anywhere must be declared somewhere in the file.
    fn check_ids(&mut self) {
        for u in std::mem::take(&mut self.uses) {
            if !self.declared.contains(&(u.kind, u.id.clone())) {
                self.errors.push(self.src.error(
                    u.offset,
                    format!(
                        "field `{}`: unknown {} `{}`; declare it in a {} table or a `{}` step",
                        u.field,
                        u.kind.noun(),
                        u.id,
                        u.kind.table(),
                        u.kind.register_word()
                    ),
                ));
            }
        }
    }
}

impl Diagnostic {
    /// Says which table an error is in, for tables whose header is far from the mistake.
    fn with_context(mut self, table: &str) -> Diagnostic {
        self.message = format!("in {table}: {}", self.message);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"
[production]
id = "p"
name = "P"

[[item]]
id = "colt"
kind = "functional"
class = "revolver"

[[person]]
id = "armorer"
name = "A"
roles = ["armorer"]
credentials = [{ kind = "handler", expires = 2030-01-01 }]

[[step]]
at = "2021-10-21T09:00"
by = "armorer"
do = "check-out"
item = "colt"
"#;

    fn read(text: &str) -> Result<Scenario, ReadError> {
        parse_scenario("t.toml", text)
    }

    fn first_error(text: &str) -> Diagnostic {
        match read(text) {
            Ok(_) => panic!("read a bad file"),
            Err(e) => e.diagnostics[0].clone(),
        }
    }

    #[test]
    fn set_up_is_production_then_people_with_credentials_before_roles_then_items() {
        let s = read(SMALL).unwrap_or_else(|e| panic!("{e}"));
        let words: Vec<&str> = s.setup.iter().map(|r| r.command.name()).collect();
        assert_eq!(
            words,
            [
                "open-production",
                "register-person",
                "grant-credential",
                "assign-role",
                "register-item"
            ]
        );
        assert_eq!(s.production.policy, PolicyName::Standard);
        assert_eq!(s.steps.len(), 1);
        assert_eq!(
            s.steps[0].pos,
            Pos {
                line: 17,
                column: 1
            }
        );
        assert!(s.warnings.is_empty());
    }

    #[test]
    fn a_ref_used_for_the_wrong_kind_of_thing_is_an_error() {
        let text = format!(
            "{SMALL}\n[[step]]\nat = \"2021-10-21T09:10\"\nby = \"armorer\"\ndo = \"raise-concern\"\ntext = \"x\"\nref = \"c\"\n\n\
             [[step]]\nat = \"2021-10-21T09:20\"\nby = \"armorer\"\ndo = \"close-incident\"\nincident = \"c\"\n"
        );
        let d = first_error(&text);
        assert!(d.message.contains("names a concern"), "{d}");
    }

    #[test]
    fn rule_without_refused_is_an_error() {
        let text = SMALL.replace(
            "item = \"colt\"",
            "item = \"colt\"\nrule = \"lot-verified\"",
        );
        let d = first_error(&text);
        assert!(d.message.contains("expect = \"refused\""), "{d}");
    }

    #[test]
    fn unknown_top_level_table_is_an_error_at_its_header() {
        let d = first_error(&format!("{SMALL}\n[[steps]]\nat = 1\n"));
        assert!(d.message.contains("unknown field `steps`"), "{d}");
        assert_eq!(d.pos.column, 3);
    }

    #[test]
    fn empty_and_garbage_files_are_errors_not_panics() {
        for text in [
            "",
            "\u{0}",
            "[[step]]",
            "step = 5",
            "[production]\nid = 5",
            "a.b.c = 1",
        ] {
            assert!(read(text).is_err(), "{text:?}");
        }
    }
}
