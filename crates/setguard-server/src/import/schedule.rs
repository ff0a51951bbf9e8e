//! The shooting schedule: one row per scene, in the setguard format or in a Movie Magic
//! Scheduling breakdown export's column layout (`docs/imports.md`). A scene not yet scheduled is
//! a `schedule-scene`; one already scheduled is a `change-scene` of only the fields the file
//! changes, or "unchanged".

use super::formats::{
    Cell, Columns, Seen, boolean, cell, entries, iso_date, list, missing_columns, normalize,
    tool_date,
};
use super::{Plan, Planned, Problem, Row, Table};
use chrono::NaiveDate;
use setguard_core::{
    Command, ItemId, PersonId, Rounds, SceneChanges, SceneId, SceneKind, SceneSpec, State,
};

// The setguard format.
const DATE: &[&str] = &["date"];
const KIND: &[&str] = &["kind"];
const ITEMS: &[&str] = &["items"];
const PERFORMERS: &[&str] = &["performers"];
const ROSTER: &[&str] = &["roster"];
const BLANKS: &[&str] = &["blankrounds"];
const POINTS: &[&str] = &["pointstowardpeople"];

/// Every column of the setguard format, as written in the docs, in order.
pub const COLUMNS: &[&str] = &[
    "id",
    "date",
    "kind",
    "items",
    "performers",
    "roster",
    "blank_rounds",
    "points_toward_people",
];

// A Movie Magic Scheduling breakdown export (headers compared without case or punctuation).
const MM_SCENE: &[&str] = &["scene", "scenenumber", "sceneno", "scno", "sc"];
const MM_DATE: &[&str] = &["shootdate", "shootingdate", "date", "scheduleddate"];
const MM_CAST: &[&str] = &["cast", "castmembers", "castmember", "castids"];
const MM_WEAPONS: &[&str] = &["weapons", "weapon"];
const MM_PROPS: &[&str] = &["props", "prop"];

/// The name the layout goes by in messages and the docs.
pub const MOVIE_MAGIC: &str = "Movie Magic Scheduling breakdown export";
pub const SETGUARD: &str = "setguard schedule format";

/// A scene as a row says it. `None`: the file has no such column (left as it is on record, or
/// the default for a new scene).
#[derive(Debug, Clone, PartialEq)]
struct SceneRow {
    id: SceneId,
    date: NaiveDate,
    kind: Option<SceneKind>,
    items: Option<Vec<ItemId>>,
    performers: Option<Vec<PersonId>>,
    roster: Option<Vec<PersonId>>,
    blank_rounds: Option<Rounds>,
    points_toward_people: Option<bool>,
}

/// The commands a schedule file asks for, against `state`. The layout is told by the header:
/// an `id` column is the setguard format; a `Scene #` column without one, Movie Magic's.
pub fn plan(table: &Table, state: &State) -> Result<Plan, Vec<Problem>> {
    let cols = Columns::new(table);
    let movie_magic = !cols.has(&["id"]) && cols.has(MM_SCENE);
    let (rows, ignored) = if movie_magic {
        movie_magic_rows(table, state)?
    } else {
        (setguard_rows(table, state)?, Vec::new())
    };
    let id_column = cols
        .find(if movie_magic { MM_SCENE } else { &["id"] })
        .map_or(1, |i| i + 1);
    let entries = rows
        .into_iter()
        .map(|(line, r)| scene_entry(line, id_column, r, state))
        .collect();
    Ok(Plan {
        layout: if movie_magic { MOVIE_MAGIC } else { SETGUARD },
        entries,
        ignored_columns: ignored,
    })
}

fn setguard_rows(table: &Table, state: &State) -> Result<Vec<(u64, SceneRow)>, Vec<Problem>> {
    if let Some(p) = missing_columns(
        table,
        "setguard schedule format; a Movie Magic export needs `Scene #`, `Shoot Date` and \
         `Cast Members`",
        &[("id", &["id"]), ("date", DATE)],
    ) {
        return Err(vec![p]);
    }
    let cols = Columns::new(table);
    let known: &[&[&str]] = &[
        &["id"],
        DATE,
        KIND,
        ITEMS,
        PERFORMERS,
        ROSTER,
        BLANKS,
        POINTS,
    ];
    let mut problems = cols.duplicates(known);
    for (i, h) in cols.others(known) {
        problems.push(Problem::at(
            table.header_line,
            Some(i + 1),
            format!(
                "unknown column `{h}`; the schedule format's columns are {}",
                COLUMNS.join(", ")
            ),
        ));
    }
    let at = |names: &[&str]| cols.find(names);
    let (id_at, date_at) = (at(&["id"]), at(DATE));
    let mut seen = Seen::default();
    let mut out = Vec::new();
    for row in &table.rows {
        let mut bad = Vec::new();
        let id = scene_id(table, row, id_at, &mut seen, &mut bad);
        let date = Cell::of(table, row, date_at.unwrap_or(1));
        let date = iso_date(&date).map_err(|p| bad.push(p)).ok();
        let kind = cell(table, row, at(KIND)).and_then(|c| {
            if c.is_empty() {
                return Some(SceneKind::Take);
            }
            c.text
                .parse::<SceneKind>()
                .map_err(|e| bad.push(c.problem(e)))
                .ok()
        });
        let items = cell(table, row, at(ITEMS)).map(|c| known_items(&c, state, &mut bad));
        let performers = cell(table, row, at(PERFORMERS))
            .map(|c| known_people(&c, state, "performer", &mut bad));
        let roster = cell(table, row, at(ROSTER))
            .map(|c| known_people(&c, state, "roster member", &mut bad));
        let blank_rounds = cell(table, row, at(BLANKS)).and_then(|c| {
            if c.is_empty() {
                return Some(Rounds(0));
            }
            c.text
                .parse::<u32>()
                .map(Rounds)
                .map_err(|_| {
                    bad.push(c.problem(format!(
                        "`{}` is not a number of rounds; write a whole number, 0 or more",
                        c.text
                    )))
                })
                .ok()
        });
        let points =
            cell(table, row, at(POINTS)).and_then(|c| boolean(&c).map_err(|p| bad.push(p)).ok());
        match (id, date) {
            (Some(id), Some(date)) if bad.is_empty() => out.push((
                row.line,
                SceneRow {
                    id,
                    date,
                    kind,
                    items,
                    performers,
                    roster,
                    blank_rounds,
                    points_toward_people: points,
                },
            )),
            _ => problems.extend(bad),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

type Rows = (Vec<(u64, SceneRow)>, Vec<String>);

fn movie_magic_rows(table: &Table, state: &State) -> Result<Rows, Vec<Problem>> {
    if let Some(p) = missing_columns(
        table,
        MOVIE_MAGIC,
        &[
            ("Scene #", MM_SCENE),
            ("Shoot Date", MM_DATE),
            ("Cast Members", MM_CAST),
        ],
    ) {
        return Err(vec![p]);
    }
    let cols = Columns::new(table);
    let known: &[&[&str]] = &[MM_SCENE, MM_DATE, MM_CAST, MM_WEAPONS, MM_PROPS];
    let mut problems = cols.duplicates(known);
    let ignored: Vec<String> = cols.others(known).into_iter().map(|(_, h)| h).collect();
    let (scene_at, date_at, cast_at) =
        (cols.find(MM_SCENE), cols.find(MM_DATE), cols.find(MM_CAST));
    let (weapons_at, props_at) = (cols.find(MM_WEAPONS), cols.find(MM_PROPS));
    let mut seen = Seen::default();
    let mut out = Vec::new();
    for row in &table.rows {
        let mut bad = Vec::new();
        let id = scene_id(table, row, scene_at, &mut seen, &mut bad);
        let date = Cell::of(table, row, date_at.unwrap_or(1));
        let date = tool_date(&date).map_err(|p| bad.push(p)).ok();
        let cast_cell = Cell::of(table, row, cast_at.unwrap_or(2));
        let mut performers = Vec::new();
        for entry in entries(cast_cell.text) {
            match cast_member(entry, state) {
                Ok(p) if !performers.contains(&p) => performers.push(p),
                Ok(_) => {}
                Err(e) => bad.push(cast_cell.problem(e)),
            }
        }
        // Weapons must all be registered items; props only count when they are.
        let mut items = Vec::new();
        if let Some(c) = cell(table, row, weapons_at) {
            for entry in entries(c.text) {
                match item_named(entry, state) {
                    Some(i) if !items.contains(&i) => items.push(i),
                    Some(_) => {}
                    None => bad.push(c.problem(format!(
                        "unknown weapon `{entry}`: no item with this id or serial is registered \
                         to this production"
                    ))),
                }
            }
        }
        if let Some(c) = cell(table, row, props_at) {
            for entry in entries(c.text) {
                if let Some(i) = item_named(entry, state).filter(|i| !items.contains(i)) {
                    items.push(i);
                }
            }
        }
        match (id, date) {
            (Some(id), Some(date)) if bad.is_empty() => out.push((
                row.line,
                SceneRow {
                    id,
                    date,
                    kind: None,
                    items: Some(items),
                    roster: None,
                    performers: Some(performers),
                    blank_rounds: None,
                    points_toward_people: None,
                },
            )),
            _ => problems.extend(bad),
        }
    }
    if problems.is_empty() {
        Ok((out, ignored))
    } else {
        Err(problems)
    }
}

fn scene_id(
    table: &Table,
    row: &Row,
    at: Option<usize>,
    seen: &mut Seen,
    bad: &mut Vec<Problem>,
) -> Option<SceneId> {
    let c = Cell::of(table, row, at.unwrap_or(0));
    match SceneId::parse(c.text) {
        Ok(id) => match seen.check(&c, "scene") {
            Ok(()) => Some(id),
            Err(p) => {
                bad.push(p);
                None
            }
        },
        Err(e) => {
            bad.push(c.problem(format!("`{}`: {e}", c.text)));
            None
        }
    }
}

fn known_items(c: &Cell<'_>, state: &State, bad: &mut Vec<Problem>) -> Vec<ItemId> {
    let ids = list(c, ItemId::parse).unwrap_or_else(|p| {
        bad.extend(p);
        Vec::new()
    });
    for id in &ids {
        if !state.items.contains_key(id) {
            bad.push(c.problem(format!(
                "unknown item `{id}`: not registered to this production"
            )));
        }
    }
    ids
}

fn known_people(c: &Cell<'_>, state: &State, what: &str, bad: &mut Vec<Problem>) -> Vec<PersonId> {
    let ids = list(c, PersonId::parse).unwrap_or_else(|p| {
        bad.extend(p);
        Vec::new()
    });
    for id in &ids {
        if state.person(id).is_none() {
            bad.push(c.problem(format!(
                "unknown {what} `{id}`: not on the crew list (import the crew first)"
            )));
        }
    }
    ids
}

/// A cast entry of a scheduling tool (`1. HARLAND`, `1 - Rosa Diaz`, `ben`): its leading cast
/// number is dropped, and the rest must be a person's id or name on the crew list (case and
/// spacing ignored).
fn cast_member(entry: &str, state: &State) -> Result<PersonId, String> {
    let name = strip_number(entry);
    if name.is_empty() {
        return Err(format!(
            "cast entry `{entry}` has a number but no name; setguard finds performers by id or \
             name"
        ));
    }
    let key = normalize(name);
    let by_id: Vec<&PersonId> = state
        .people
        .keys()
        .filter(|id| normalize(id.as_str()) == key)
        .collect();
    if let [one] = by_id.as_slice() {
        return Ok((*one).clone());
    }
    let by_name: Vec<&PersonId> = state
        .people
        .values()
        .filter(|p| normalize(p.name.as_str()) == key)
        .map(|p| &p.id)
        .collect();
    match by_name.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(format!(
            "unknown performer `{name}`: no one on the crew list has this id or name (import \
             the crew first)"
        )),
        many => Err(format!(
            "cast entry `{name}` names {} people on the crew list ({}); use the person's id",
            many.len(),
            many.iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// `1. HARLAND` -> `HARLAND`; `12A - Drum` -> `Drum`.
fn strip_number(entry: &str) -> &str {
    let t = entry.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    if digits == 0 {
        return t;
    }
    let rest = &t[digits..];
    match rest.strip_prefix(['.', ')', ':', '-']) {
        Some(r) => r.trim_start_matches(['-', ' ']).trim(),
        None if rest.starts_with(' ') => rest.trim_start_matches([' ', '-']).trim(),
        None if rest.is_empty() => "",
        None => t,
    }
}

/// The registered item an entry names: by id, else by serial (case and spacing ignored).
fn item_named(entry: &str, state: &State) -> Option<ItemId> {
    let key = normalize(strip_number(entry));
    if key.is_empty() {
        return None;
    }
    state
        .items
        .values()
        .find(|i| normalize(i.spec.id.as_str()) == key)
        .or_else(|| {
            state.items.values().find(|i| {
                i.spec
                    .serial
                    .as_ref()
                    .is_some_and(|s| normalize(s.as_str()) == key)
            })
        })
        .map(|i| i.spec.id.clone())
}

fn ids<T: std::fmt::Display>(v: &[T]) -> String {
    if v.is_empty() {
        "none".to_owned()
    } else {
        v.iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A row against the scene on record, if any.
fn scene_entry(line: u64, column: usize, r: SceneRow, state: &State) -> Planned {
    let Some(on_record) = state.scenes.get(&r.id).map(|s| &s.spec) else {
        let performers = r.performers.unwrap_or_default();
        let spec = SceneSpec {
            id: r.id,
            date: r.date,
            kind: r.kind.unwrap_or(SceneKind::Take),
            items: r.items.unwrap_or_default(),
            // A tool's export has no roster: everyone it names is the cast.
            roster: r.roster.unwrap_or_else(|| performers.clone()),
            performers,
            blank_rounds: r.blank_rounds.unwrap_or_default(),
            points_toward_people: r.points_toward_people.unwrap_or(false),
        };
        return Planned {
            line,
            column,
            what: format!(
                "schedule scene {} on {} ({}; items: {}; performers: {}; roster: {})",
                spec.id,
                spec.date,
                spec.kind,
                ids(&spec.items),
                ids(&spec.performers),
                ids(&spec.roster)
            ),
            command: Some(Command::ScheduleScene(spec)),
        };
    };
    fn changed<T: PartialEq + Clone>(new: Option<T>, old: &T) -> Option<T> {
        new.filter(|n| n != old)
    }
    let changes = SceneChanges {
        date: changed(Some(r.date), &on_record.date),
        kind: changed(r.kind, &on_record.kind),
        items: changed(r.items, &on_record.items),
        performers: changed(r.performers, &on_record.performers),
        roster: changed(r.roster, &on_record.roster),
        blank_rounds: changed(r.blank_rounds, &on_record.blank_rounds),
        points_toward_people: changed(r.points_toward_people, &on_record.points_toward_people),
    };
    if changes == SceneChanges::default() {
        return Planned {
            line,
            column,
            what: format!("scene {} on {}", r.id, on_record.date),
            command: None,
        };
    }
    let mut said = Vec::new();
    if let Some(d) = changes.date {
        said.push(format!("date {} -> {d}", on_record.date));
    }
    if let Some(k) = changes.kind {
        said.push(format!("kind {} -> {k}", on_record.kind));
    }
    if let Some(v) = &changes.items {
        said.push(format!("items {} -> {}", ids(&on_record.items), ids(v)));
    }
    if let Some(v) = &changes.performers {
        said.push(format!(
            "performers {} -> {}",
            ids(&on_record.performers),
            ids(v)
        ));
    }
    if let Some(v) = &changes.roster {
        said.push(format!("roster {} -> {}", ids(&on_record.roster), ids(v)));
    }
    if let Some(v) = changes.blank_rounds {
        said.push(format!("blank rounds {} -> {v}", on_record.blank_rounds));
    }
    if let Some(v) = changes.points_toward_people {
        said.push(format!(
            "points toward people {} -> {v}",
            on_record.points_toward_people
        ));
    }
    Planned {
        line,
        column,
        what: format!(
            "change scene {} ({}; its safety meetings and briefings must be held again)",
            r.id,
            said.join("; ")
        ),
        command: Some(Command::ChangeScene {
            scene: r.id,
            changes,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::{judge_all, read_table, sorted};
    use setguard_core::{At, Ctx, ItemKind, ItemSpec, PersonName, WeaponClass, judge};

    fn state() -> State {
        let mut s = crate::import::crew::tests::open_state();
        let now = At::parse("2026-01-05T08:00").unwrap();
        let mut cmds = vec![Command::RegisterItem(ItemSpec {
            id: ItemId::parse("colt").unwrap(),
            kind: ItemKind::BlankAdapted,
            class: WeaponClass::Revolver,
            calibre: None,
            serial: Some(setguard_core::Serial::parse("R-0001").unwrap()),
        })];
        for (id, name) in [
            ("rosa", "Rosa Diaz"),
            ("ben", "Ben Actor"),
            ("cj", "C. J. First"),
        ] {
            cmds.push(Command::RegisterPerson {
                id: PersonId::parse(id).unwrap(),
                name: PersonName::parse(name).unwrap(),
                prior_incidents: vec![],
            });
        }
        for c in cmds {
            for e in judge(&s, &c, &Ctx { now, by: None }).unwrap().events {
                s.apply(&e);
            }
        }
        s
    }

    fn specs(text: &str, s: &State) -> Vec<SceneSpec> {
        plan(&read_table(text.as_bytes()).unwrap(), s)
            .unwrap()
            .entries
            .into_iter()
            .map(|e| match e.command {
                Some(Command::ScheduleScene(spec)) => spec,
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn both_layouts_give_the_same_scenes() {
        let s = state();
        let ours = "id,date,items,performers,roster\n\
            12,2026-02-03,colt,ben,ben\n\
            14A,2026-02-04,,ben rosa,ben rosa\n";
        let theirs = "Sheet #,Scene #,Int/Ext,Set,Day/Night,Shoot Date,Cast Members,Weapons,Props\n\
            1,12,EXT,SALOON,DAY,02/03/2026,2. BEN ACTOR,R-0001,\"Whiskey glass, COLT\"\n\
            2,14A,INT,CHURCH,NIGHT,\"Feb 4, 2026\",\"1. Rosa Diaz, 2. ben\",,Bible\n";
        let a = specs(ours, &s);
        let b = specs(theirs, &s);
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].items, b[0].items);
        assert_eq!(a[0], b[0]);
        // Order of the cast differs; the set of performers is the same.
        let sorted_people = |v: &[PersonId]| {
            let mut v = v.to_vec();
            v.sort();
            v
        };
        assert_eq!(
            sorted_people(&a[1].performers),
            sorted_people(&b[1].performers)
        );
        assert_eq!(a[1].date, b[1].date);
        let p = plan(&read_table(theirs.as_bytes()).unwrap(), &s).unwrap();
        assert_eq!(p.layout, MOVIE_MAGIC);
        assert_eq!(
            p.ignored_columns,
            ["Sheet #", "Int/Ext", "Set", "Day/Night"]
        );
    }

    #[test]
    fn a_scene_on_record_is_changed_or_unchanged() {
        let mut s = state();
        let first = "id,date,performers,roster\n12,2026-02-03,ben,ben\n";
        let p = plan(&read_table(first.as_bytes()).unwrap(), &s).unwrap();
        let now = At::parse("2026-01-05T09:00").unwrap();
        for e in judge_all(&s, &p.entries, now, |_| {}).unwrap().events {
            s.apply(&e);
        }
        let same = plan(&read_table(first.as_bytes()).unwrap(), &s).unwrap();
        assert!(same.entries[0].command.is_none());
        let moved = "id,date\n12,2026-02-05\n";
        let p = plan(&read_table(moved.as_bytes()).unwrap(), &s).unwrap();
        match &p.entries[0].command {
            Some(Command::ChangeScene { changes, .. }) => {
                assert_eq!(changes.date, NaiveDate::from_ymd_opt(2026, 2, 5));
                assert_eq!(changes.performers, None);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unknown_and_duplicate_ids_and_bad_dates_are_named() {
        let s = state();
        let text = "id,date,items,performers\n\
            12,2026-02-30,colt,nobody\n\
            12,2026-02-03,winchester,ben\n";
        let p = sorted(plan(&read_table(text.as_bytes()).unwrap(), &s).unwrap_err());
        let shown: Vec<String> = p.iter().map(|p| p.to_string()).collect();
        assert_eq!(shown.len(), 4, "{shown:#?}");
        assert!(
            shown[0].starts_with("2:2: date: `2026-02-30` is not a date"),
            "{shown:#?}"
        );
        assert!(
            shown[1].starts_with("2:4: performers: unknown performer `nobody`"),
            "{shown:#?}"
        );
        assert!(
            shown[2].starts_with("3:1: id: scene `12` is already on line 2"),
            "{shown:#?}"
        );
        assert!(
            shown[3].starts_with("3:3: items: unknown item `winchester`"),
            "{shown:#?}"
        );
        let mm = "Scene #,Shoot Date,Cast Members\n12,21/10/2021,9. NOBODY\n";
        let p = sorted(plan(&read_table(mm.as_bytes()).unwrap(), &s).unwrap_err());
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p[0].message.contains("MM/DD/YYYY"));
        assert!(p[1].message.contains("unknown performer `NOBODY`"));
        let p = plan(&read_table(b"Scene #,Set\n12,SALOON\n").unwrap(), &s).unwrap_err();
        assert!(
            p[0].message
                .starts_with("missing columns: `Shoot Date`, `Cast Members`"),
            "{p:?}"
        );
    }

    #[test]
    fn cast_numbers_are_dropped() {
        assert_eq!(strip_number("1. HARLAND"), "HARLAND");
        assert_eq!(strip_number("12 - Drum"), "Drum");
        assert_eq!(strip_number("3) Ben"), "Ben");
        assert_eq!(strip_number("ben"), "ben");
        assert_eq!(strip_number("7"), "");
        assert_eq!(strip_number("2nd-unit"), "2nd-unit");
    }
}
