//! The crew list: one row per person, in the setguard format (`docs/imports.md`). A new person
//! is a `register-person`, then a `grant-credential` per credential, then an `assign-role` per
//! role (the order of a scenario's `[[person]]` table); for someone already on the crew list,
//! only the credentials and roles they do not have yet. An import never removes anything.

use super::formats::{Cell, Columns, Seen, cell, iso_date, list, missing_columns};
use super::{Plan, Planned, Problem, Table};
use setguard_core::{
    Command, CredentialKind, PersonId, PersonName, Role, State, WeaponClass, state::Person,
};

const ID: &[&str] = &["id", "personid", "person"];
const NAME: &[&str] = &["name", "fullname"];
const ROLES: &[&str] = &["roles", "role"];
const PRIOR: &[&str] = &["priorincidents"];

/// The credential columns: (kind, expiry column, classes column if the kind has classes).
type CredentialColumns = (
    CredentialKind,
    &'static [&'static str],
    Option<&'static [&'static str]>,
);
const CREDENTIALS: &[CredentialColumns] = &[
    (
        CredentialKind::Handler,
        &["handlerexpires"],
        Some(&["handlerclasses"]),
    ),
    (CredentialKind::CsatfS, &["csatfsexpires"], None),
    (CredentialKind::CsatfS2, &["csatfs2expires"], None),
    (
        CredentialKind::Training,
        &["trainingexpires"],
        Some(&["trainingclasses"]),
    ),
    (
        CredentialKind::SafetySupervisor,
        &["safetysupervisorexpires"],
        None,
    ),
];

/// Every column of the format, as written in the docs, in order.
pub const COLUMNS: &[&str] = &[
    "id",
    "name",
    "roles",
    "prior_incidents",
    "handler_expires",
    "handler_classes",
    "csatf_s_expires",
    "csatf_s2_expires",
    "training_expires",
    "training_classes",
    "safety_supervisor_expires",
];

fn known() -> Vec<&'static [&'static str]> {
    let mut k = vec![ID, NAME, ROLES, PRIOR];
    for (_, exp, classes) in CREDENTIALS {
        k.push(exp);
        k.extend(classes.iter().copied());
    }
    k
}

/// The commands a crew file asks for, against `state`.
pub fn plan(table: &Table, state: &State) -> Result<Plan, Vec<Problem>> {
    if let Some(p) = missing_columns(table, "setguard crew format", &[("id", ID), ("name", NAME)]) {
        return Err(vec![p]);
    }
    let cols = Columns::new(table);
    let known = known();
    let mut problems = cols.duplicates(&known);
    for (i, h) in cols.others(&known) {
        problems.push(Problem::at(
            table.header_line,
            Some(i + 1),
            format!(
                "unknown column `{h}`; the crew format's columns are {}",
                COLUMNS.join(", ")
            ),
        ));
    }
    let (id_at, name_at) = (cols.find(ID), cols.find(NAME));
    let (roles_at, prior_at) = (cols.find(ROLES), cols.find(PRIOR));
    let creds: Vec<(CredentialKind, Option<usize>, Option<usize>)> = CREDENTIALS
        .iter()
        .map(|(k, e, c)| (*k, cols.find(e), c.and_then(|c| cols.find(c))))
        .collect();
    let mut seen = Seen::default();
    let mut entries = Vec::new();
    for row in &table.rows {
        let mut bad = Vec::new();
        let id_cell = Cell::of(table, row, id_at.unwrap_or(0));
        let id = match PersonId::parse(id_cell.text) {
            Ok(id) => Some(id),
            Err(e) => {
                bad.push(id_cell.problem(format!("`{}`: {e}", id_cell.text)));
                None
            }
        };
        if id.is_some()
            && let Err(p) = seen.check(&id_cell, "person")
        {
            bad.push(p);
        }
        let name_cell = Cell::of(table, row, name_at.unwrap_or(1));
        let name = PersonName::parse(name_cell.text)
            .map_err(|e| bad.push(name_cell.problem(e)))
            .ok();
        let roles = match cell(table, row, roles_at) {
            Some(c) => list(&c, |w| w.parse::<Role>()).unwrap_or_else(|p| {
                bad.extend(p);
                Vec::new()
            }),
            None => Vec::new(),
        };
        let prior: Vec<String> = cell(table, row, prior_at)
            .map(|c| {
                c.text
                    .split(['|', ';'])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let mut grants = Vec::new();
        for (kind, exp_at, classes_at) in &creds {
            let column = exp_at.map_or(1, |i| i + 1);
            let exp = cell(table, row, *exp_at).filter(|c| !c.is_empty());
            let classes = cell(table, row, *classes_at).filter(|c| !c.is_empty());
            let classes_v = match &classes {
                Some(c) => list(c, |w| w.parse::<WeaponClass>()).unwrap_or_else(|p| {
                    bad.extend(p);
                    Vec::new()
                }),
                None => Vec::new(),
            };
            match (exp, classes) {
                (Some(e), _) => match iso_date(&e) {
                    Ok(d) => grants.push((*kind, classes_v, d, column)),
                    Err(p) => bad.push(p),
                },
                (None, Some(c)) => bad.push(c.problem(format!(
                    "classes without an expiry date: give `{kind}_expires` too"
                ))),
                (None, None) => {}
            }
        }
        let (Some(id), Some(name)) = (id, name) else {
            problems.extend(bad);
            continue;
        };
        if !bad.is_empty() {
            problems.extend(bad);
            continue;
        }
        let at = |i: Option<usize>| i.map_or(1, |i| i + 1);
        let on_record = state.person(&id);
        entries.extend(person_entries(
            PersonRow {
                line: row.line,
                id_column: at(id_at),
                roles_column: at(roles_at),
                id,
                name,
                prior_incidents: prior,
                grants,
                roles,
            },
            on_record,
        ));
    }
    if problems.is_empty() {
        Ok(Plan {
            layout: "setguard crew format",
            entries,
            ignored_columns: Vec::new(),
        })
    } else {
        Err(problems)
    }
}

/// A row read, with the columns its commands are shown at when refused.
struct PersonRow {
    line: u64,
    id_column: usize,
    roles_column: usize,
    id: PersonId,
    name: PersonName,
    prior_incidents: Vec<String>,
    /// Kind, classes, expiry, and the column of the expiry.
    grants: Vec<(CredentialKind, Vec<WeaponClass>, chrono::NaiveDate, usize)>,
    roles: Vec<Role>,
}

/// What one row comes to, against the person on record (if any).
fn person_entries(row: PersonRow, on_record: Option<&Person>) -> Vec<Planned> {
    let PersonRow {
        line,
        id_column,
        roles_column,
        id,
        name,
        prior_incidents,
        grants,
        roles,
    } = row;
    let mut out = Vec::new();
    let entry = |column: usize, what: String, command: Option<Command>| Planned {
        line,
        column,
        what,
        command,
    };
    match on_record {
        None => out.push(entry(
            id_column,
            format!("register person {id} ({name})"),
            Some(Command::RegisterPerson {
                id: id.clone(),
                name,
                prior_incidents,
            }),
        )),
        Some(p) if p.name == name => {
            out.push(entry(id_column, format!("person {id} ({name})"), None));
        }
        Some(p) => out.push(entry(
            id_column,
            format!(
                "person {id}: on the crew list as \"{}\" (an import never renames; the file says \
                 \"{name}\")",
                p.name
            ),
            None,
        )),
    }
    for (kind, classes, expires, column) in grants {
        let classes_text = if classes.is_empty() {
            "every class".to_owned()
        } else {
            classes
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let what = format!("grant {id} a {kind} credential ({classes_text}) expiring {expires}");
        let held = on_record.is_some_and(|p| {
            p.credentials
                .iter()
                .any(|c| c.kind == kind && c.classes == classes && c.expires == expires)
        });
        out.push(entry(
            column,
            if held {
                format!("{id}'s {kind} credential ({classes_text}) expiring {expires}")
            } else {
                what
            },
            (!held).then(|| Command::GrantCredential {
                person: id.clone(),
                kind,
                classes,
                expires,
            }),
        ));
    }
    for role in roles {
        let held = on_record.is_some_and(|p| p.has(role));
        out.push(entry(
            roles_column,
            if held {
                format!("{id}'s role {role}")
            } else {
                format!("give {id} the role {role}")
            },
            (!held).then(|| Command::AssignRole {
                person: id.clone(),
                role,
            }),
        ));
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::import::{judge_all, read_table};
    use setguard_core::{At, Ctx, PolicyName, ProductionId, judge};

    pub(crate) fn open_state() -> State {
        let mut s = State::new();
        let now = At::parse("2026-01-05T08:00").unwrap();
        let cmd = Command::OpenProduction {
            id: ProductionId::parse("western").unwrap(),
            name: "A Western".into(),
            policy: PolicyName::Standard,
            timezone: "UTC".into(),
        };
        for e in judge(&s, &cmd, &Ctx { now, by: None }).unwrap().events {
            s.apply(&e);
        }
        s
    }

    const CREW: &str = "id,name,roles,handler_expires,handler_classes,training_expires,training_classes\n\
        rosa,Rosa Diaz,armorer,2030-01-01,revolver pistol,,\n\
        ben,Ben Actor,performer,,,2030-01-01,revolver\n\
        cj,C. J. First,first-ad,,,,\n";

    #[test]
    fn a_new_crew_is_registered_then_credentialed_then_given_roles() {
        let s = open_state();
        let plan = plan(&read_table(CREW.as_bytes()).unwrap(), &s).unwrap();
        let words: Vec<_> = plan
            .entries
            .iter()
            .map(|e| e.command.as_ref().unwrap().name())
            .collect();
        assert_eq!(
            words,
            [
                "register-person",
                "grant-credential",
                "assign-role",
                "register-person",
                "grant-credential",
                "assign-role",
                "register-person",
                "assign-role"
            ]
        );
        assert_eq!(plan.entries[1].line, 2);
        let now = At::parse("2026-01-05T09:00").unwrap();
        let out = judge_all(&s, &plan.entries, now, |_| {}).unwrap();
        assert_eq!(out.commands, 8);
        // Importing the same file again changes nothing.
        let mut after = s.clone();
        for e in &out.events {
            after.apply(e);
        }
        let again = super::plan(&read_table(CREW.as_bytes()).unwrap(), &after).unwrap();
        assert!(again.entries.iter().all(|e| e.command.is_none()));
    }

    #[test]
    fn every_bad_cell_is_named_by_line_and_column() {
        let s = open_state();
        let text = "id,name,roles,handler_expires\n\
            rosa,Rosa Diaz,armourer,01/01/2030\n\
            bad id,B,,\n\
            rosa,Rosa Again,,\n";
        let p = plan(&read_table(text.as_bytes()).unwrap(), &s).unwrap_err();
        let shown: Vec<String> = crate::import::sorted(p)
            .iter()
            .map(|p| p.to_string())
            .collect();
        assert_eq!(shown.len(), 4, "{shown:#?}");
        assert!(shown[0].starts_with("2:3: roles: `armourer`"), "{shown:#?}");
        assert!(
            shown[1].starts_with(
                "2:4: handler_expires: `01/01/2030` is not a date; write dates as YYYY-MM-DD"
            ),
            "{shown:#?}"
        );
        assert!(shown[2].starts_with("3:1: id: `bad id`"), "{shown:#?}");
        assert!(
            shown[3].starts_with("4:1: id: person `rosa` is already on line 2"),
            "{shown:#?}"
        );
    }

    #[test]
    fn missing_and_unknown_columns() {
        let s = open_state();
        let p = plan(&read_table(b"person_name,roles\nx,crew\n").unwrap(), &s).unwrap_err();
        assert!(
            p[0].message.starts_with("missing columns: `id`, `name`"),
            "{p:?}"
        );
        let p = plan(&read_table(b"id,name,handler_expire\nx,X,\n").unwrap(), &s).unwrap_err();
        assert_eq!((p[0].line, p[0].column), (1, Some(3)));
        assert!(p[0].message.contains("unknown column `handler_expire`"));
    }

    #[test]
    fn a_handler_role_without_a_credential_is_refused_by_the_rule() {
        let s = open_state();
        let plan = plan(
            &read_table(b"id,name,roles\nrosa,Rosa,armorer\n").unwrap(),
            &s,
        )
        .unwrap();
        let now = At::parse("2026-01-05T09:00").unwrap();
        let p = judge_all(&s, &plan.entries, now, |_| {}).unwrap_err();
        assert_eq!(p[0].line, 2);
        assert!(p[0].message.contains("handler-qualified"), "{p:?}");
    }
}
