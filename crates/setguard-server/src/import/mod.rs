//! Imports: the crew list and the shooting schedule from CSV, as commands of the core.
//!
//! Everything here is pure: file bytes -> a [`Table`] of rows with their line numbers ->
//! [`Planned`] commands (each with the line it came from) -> [`judge_all`], which judges them in
//! turn on a clone of the production's state exactly as replay does, and says what would be
//! recorded or every problem found. It lives in the server so that `setguard import` (the CLI)
//! and the import page (`crate::web::import`) read and judge a file with one copy of this code;
//! recording (in one append, so an import is all or nothing) is theirs. The formats are in
//! `docs/imports.md`.

pub mod crew;
pub mod formats;
pub mod schedule;

use setguard_core::{At, Command, Ctx, Event, State, judge, tick};
use std::fmt;

/// What is imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// People, their roles and credentials (with expiry).
    Crew,
    /// Scenes: dates, items, performers, roster.
    Schedule,
}

impl Kind {
    /// The word for it: `crew` or `schedule` (the CLI's argument, the page's form value).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Crew => "crew",
            Kind::Schedule => "schedule",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Kind {
    type Err = String;

    fn from_str(s: &str) -> Result<Kind, String> {
        match s.trim() {
            "crew" => Ok(Kind::Crew),
            "schedule" => Ok(Kind::Schedule),
            "" => Err("choose what the file holds: crew or schedule".to_owned()),
            other => Err(format!(
                "`{other}` is not something to import: choose crew or schedule"
            )),
        }
    }
}

/// One problem with a file, where it is. `column` counts fields from 1 (a spreadsheet's A = 1);
/// `None` is a problem with the whole line, shown as column 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: u64,
    pub column: Option<usize>,
    pub message: String,
}

impl Problem {
    pub fn at(line: u64, column: Option<usize>, message: impl Into<String>) -> Problem {
        Problem {
            line,
            column,
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.column {
            Some(c) => write!(f, "{}:{}: {}", self.line, c, self.message),
            None => write!(f, "{}:1: {}", self.line, self.message),
        }
    }
}

/// A CSV file read: its header and its rows, each with the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub headers: Vec<String>,
    pub header_line: u64,
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub line: u64,
    pub cells: Vec<String>,
}

/// A command the file asks for, or a note that something is already as the file says.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub line: u64,
    /// The cell a refusal of the command is shown at.
    pub column: usize,
    /// What it does, in words ("register person rosa (Rosa Diaz)").
    pub what: String,
    /// `None`: nothing to do ("unchanged: ...").
    pub command: Option<Command>,
}

/// What an import comes to when every command was accepted.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Every event to append, in order: alarms time had raised by `now` first (as the server
    /// records them before a command), then each command's events.
    pub events: Vec<Event>,
    /// One line per planned entry, in file order: whether it records something, and what.
    pub lines: Vec<(bool, String)>,
    /// Commands that will be recorded.
    pub commands: usize,
    /// Alarms that time had raised, recorded with the import.
    pub alarms: usize,
}

/// Reads `bytes` as CSV: UTF-8 (a BOM is fine), commas between fields, a header row, every row
/// as long as the header. Every problem is returned, by line.
pub fn read_table(bytes: &[u8]) -> Result<Table, Vec<Problem>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(_) => return Err(encoding_problems(bytes)),
    };
    // The header is the first line with anything on it: its separators tell the delimiter.
    let Some((header_no, header)) = text.lines().enumerate().find(|(_, l)| !l.trim().is_empty())
    else {
        return Err(vec![Problem::at(
            1,
            None,
            "the file is empty; it needs a header row naming its columns, then one row per entry",
        )]);
    };
    if !header.contains(',') {
        for (sep, name) in [(';', "';'"), ('\t', "tabs"), ('|', "'|'")] {
            if header.contains(sep) {
                return Err(vec![Problem::at(
                    header_no as u64 + 1,
                    None,
                    format!(
                        "this file uses {name} between fields; setguard reads commas (save it \
                         as \"CSV (comma delimited)\", or replace the {name} with commas)"
                    ),
                )]);
            }
        }
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    // The line of a byte offset (the csv crate's own line count skips blank lines).
    let starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let line_of = |pos: Option<&csv::Position>| -> u64 {
        pos.map_or(0, |p| {
            let mut byte = usize::try_from(p.byte()).unwrap_or(usize::MAX);
            // A record's position may be that of the blank lines before it.
            while matches!(text.as_bytes().get(byte), Some(b'\n' | b'\r')) {
                byte += 1;
            }
            starts.partition_point(|s| *s <= byte) as u64
        })
    };
    let mut problems = Vec::new();
    let mut headers: Option<(u64, Vec<String>)> = None;
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = line_of(e.position());
                problems.push(Problem::at(line, None, format!("not readable as CSV: {e}")));
                continue;
            }
        };
        let line = line_of(record.position());
        let cells: Vec<String> = record.iter().map(|c| c.trim().to_owned()).collect();
        if cells.iter().all(String::is_empty) {
            continue;
        }
        match &headers {
            None => headers = Some((line, cells)),
            Some((_, h)) => {
                if cells.len() > h.len() && cells[h.len()..].iter().any(|c| !c.is_empty()) {
                    problems.push(Problem::at(
                        line,
                        Some(h.len() + 1),
                        format!(
                            "this row has {} fields but the header names {} columns (a comma \
                             inside a value must be within double quotes)",
                            cells.len(),
                            h.len()
                        ),
                    ));
                    continue;
                }
                rows.push(Row { line, cells });
            }
        }
    }
    let Some((header_line, headers)) = headers else {
        return Err(vec![Problem::at(1, None, "the file has no header row")]);
    };
    if problems.is_empty() {
        Ok(Table {
            headers,
            header_line,
            rows,
        })
    } else {
        Err(problems)
    }
}

/// Every line that is not UTF-8, with the column (in characters) of its first bad byte.
fn encoding_problems(bytes: &[u8]) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
        if let Err(e) = std::str::from_utf8(line) {
            let good = e.valid_up_to();
            let character = String::from_utf8_lossy(&line[..good]).chars().count() + 1;
            // The field, counting the commas before it (a quoted comma may be miscounted).
            let field = line[..good].iter().filter(|b| **b == b',').count() + 1;
            problems.push(Problem::at(
                i as u64 + 1,
                Some(field),
                format!(
                    "not UTF-8 text (byte 0x{:02X} at character {character}); setguard reads \
                     UTF-8: save the file as \"CSV UTF-8\" (it may be Latin-1 or Windows-1252)",
                    line[good]
                ),
            ));
            if problems.len() == 20 {
                break;
            }
        }
    }
    problems
}

/// Judges every planned command in turn on a clone of `state`, at `now`, with no actor (office
/// commands, as a scenario's tables), after the alarms time has raised by `now` — exactly as
/// replay and the server judge them. Every refusal and invalid command is a problem; when there
/// is none, the events to append, in order.
pub fn judge_all(
    state: &State,
    plan: &[Planned],
    now: At,
    mut progress: impl FnMut(u64),
) -> Result<Outcome, Vec<Problem>> {
    let mut st = state.clone();
    let mut events = tick(state, now);
    let alarms = events.len();
    for a in &events {
        st.apply(a);
    }
    let ctx = Ctx { now, by: None };
    let mut problems = Vec::new();
    let mut lines = Vec::with_capacity(plan.len());
    let mut commands = 0;
    let mut failed_line = None;
    for (i, p) in plan.iter().enumerate() {
        progress(i as u64 + 1);
        let Some(cmd) = &p.command else {
            lines.push((false, p.what.clone()));
            continue;
        };
        lines.push((true, p.what.clone()));
        // After a line's first failure, its later commands would only fail with it.
        if failed_line == Some(p.line) {
            continue;
        }
        match judge(&st, cmd, &ctx) {
            Err(inv) => {
                failed_line = Some(p.line);
                problems.push(Problem::at(
                    p.line,
                    Some(p.column),
                    format!("can't {}: {}", p.what, inv.message),
                ));
            }
            Ok(j) if !j.refused.is_empty() => {
                failed_line = Some(p.line);
                for v in &j.refused {
                    problems.push(Problem::at(
                        p.line,
                        Some(p.column),
                        format!("refused to {}: {}: {}", p.what, v.rule, v.message),
                    ));
                }
            }
            Ok(j) => {
                for e in &j.events {
                    st.apply(e);
                }
                events.extend(j.events);
                commands += 1;
            }
        }
    }
    if problems.is_empty() {
        Ok(Outcome {
            events,
            lines,
            commands,
            alarms,
        })
    } else {
        Err(problems)
    }
}

/// Reads and maps a file of `kind` against the production's state: the commands it asks for,
/// with notes on the columns a scheduling tool's layout had that setguard does not use.
pub fn plan(kind: Kind, bytes: &[u8], state: &State) -> Result<Plan, Vec<Problem>> {
    let table = read_table(bytes)?;
    match kind {
        Kind::Crew => crew::plan(&table, state),
        Kind::Schedule => schedule::plan(&table, state),
    }
}

/// What a file asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Which layout the header matched, in words.
    pub layout: &'static str,
    pub entries: Vec<Planned>,
    /// Columns read but not used (a scheduling tool's categories setguard has no use for).
    pub ignored_columns: Vec<String>,
}

/// Sorts problems by line and column, the order a person fixes them in.
pub fn sorted(mut problems: Vec<Problem>) -> Vec<Problem> {
    problems.sort_by_key(|p| (p.line, p.column.unwrap_or(0)));
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_table_with_a_bom_and_quotes() {
        let t = read_table(b"\xEF\xBB\xBFid,name\nrosa,\"Diaz, Rosa\"\n\nbo,Bo\n").unwrap();
        assert_eq!(t.headers, vec!["id", "name"]);
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[0].cells[1], "Diaz, Rosa");
        assert_eq!(t.rows[0].line, 2);
        assert_eq!(t.rows[1].line, 4);
    }

    #[test]
    fn names_the_wrong_delimiter() {
        let p = read_table(b"id;name\nrosa;Rosa\n").unwrap_err();
        assert_eq!(p.len(), 1);
        assert!(
            p[0].message
                .contains("this file uses ';' between fields; setguard reads commas")
        );
        let p = read_table(b"id\tname\nrosa\tRosa\n").unwrap_err();
        assert!(p[0].message.contains("uses tabs"));
    }

    #[test]
    fn names_each_line_that_is_not_utf8() {
        let p = read_table(b"id,name\nrosa,Ros\xE9\nbo,Bo\nal,\xE9l\n").unwrap_err();
        assert_eq!(p.len(), 2);
        assert_eq!((p[0].line, p[0].column), (2, Some(2)));
        assert_eq!((p[1].line, p[1].column), (4, Some(2)));
        assert!(
            p[0].to_string()
                .starts_with("2:2: not UTF-8 text (byte 0xE9 at character 9)")
        );
    }

    #[test]
    fn a_row_longer_than_the_header_is_a_problem() {
        let p = read_table(b"id,name\nrosa,Rosa Diaz,extra\n").unwrap_err();
        assert_eq!((p[0].line, p[0].column), (2, Some(3)));
    }

    #[test]
    fn kinds_read_as_their_words() {
        assert_eq!("crew".parse::<Kind>(), Ok(Kind::Crew));
        assert_eq!("schedule".parse::<Kind>(), Ok(Kind::Schedule));
        assert!(
            "people"
                .parse::<Kind>()
                .unwrap_err()
                .contains("crew or schedule")
        );
        assert_eq!(Kind::Schedule.to_string(), "schedule");
    }

    #[test]
    fn an_empty_file_is_a_problem() {
        assert!(read_table(b"").is_err());
        assert!(read_table(b"\n \n").is_err());
    }
}
