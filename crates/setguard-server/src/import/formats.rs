//! What the layouts share: finding columns by their header, reading cells (dates, lists, ids),
//! and naming the missing columns.

use super::{Problem, Row, Table};
use chrono::NaiveDate;

/// A header as compared: lowercase letters and digits only (`Scene #` = `scene`,
/// `Day/Night` = `daynight`, `blank_rounds` = `blankrounds`).
pub fn normalize(header: &str) -> String {
    header
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Where each column a layout knows is, by the header's index.
#[derive(Debug, Clone)]
pub struct Columns<'a> {
    table: &'a Table,
    norm: Vec<String>,
}

impl<'a> Columns<'a> {
    pub fn new(table: &'a Table) -> Self {
        Columns {
            table,
            norm: table.headers.iter().map(|h| normalize(h)).collect(),
        }
    }
    /// The index of the first column whose header is one of `names` (normalized).
    pub fn find(&self, names: &[&str]) -> Option<usize> {
        self.norm.iter().position(|h| names.contains(&h.as_str()))
    }
    pub fn has(&self, names: &[&str]) -> bool {
        self.find(names).is_some()
    }
    /// Headers that are none of `known` (each a list of aliases).
    pub fn others(&self, known: &[&[&str]]) -> Vec<(usize, String)> {
        self.norm
            .iter()
            .enumerate()
            .filter(|(_, h)| !h.is_empty() && !known.iter().any(|k| k.contains(&h.as_str())))
            .map(|(i, _)| (i, self.table.headers[i].clone()))
            .collect()
    }
    /// Two columns that are the same one (`id` twice): a problem, the second is named.
    pub fn duplicates(&self, known: &[&[&str]]) -> Vec<Problem> {
        let mut out = Vec::new();
        for aliases in known {
            let at: Vec<usize> = (0..self.norm.len())
                .filter(|i| aliases.contains(&self.norm[*i].as_str()))
                .collect();
            for i in at.iter().skip(1) {
                out.push(Problem::at(
                    self.table.header_line,
                    Some(i + 1),
                    format!(
                        "column `{}` is the same as column {} (`{}`); keep one",
                        self.table.headers[*i],
                        at[0] + 1,
                        self.table.headers[at[0]]
                    ),
                ));
            }
        }
        out
    }
}

/// A cell: its text (empty when the row is short) and where it is.
#[derive(Debug, Clone, Copy)]
pub struct Cell<'a> {
    pub text: &'a str,
    pub line: u64,
    pub column: usize,
    pub header: &'a str,
}

impl<'a> Cell<'a> {
    pub fn of(table: &'a Table, row: &'a Row, index: usize) -> Cell<'a> {
        Cell {
            text: row.cells.get(index).map_or("", String::as_str),
            line: row.line,
            column: index + 1,
            header: &table.headers[index],
        }
    }
    pub fn problem(&self, message: impl std::fmt::Display) -> Problem {
        Problem::at(
            self.line,
            Some(self.column),
            format!("{}: {message}", self.header),
        )
    }
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }
}

/// The cell at `index` of `row`, if the layout has that column.
pub fn cell<'a>(table: &'a Table, row: &'a Row, index: Option<usize>) -> Option<Cell<'a>> {
    index.map(|i| Cell::of(table, row, i))
}

/// A date written `YYYY-MM-DD` (the setguard format).
pub fn iso_date(c: &Cell<'_>) -> Result<NaiveDate, Problem> {
    NaiveDate::parse_from_str(c.text, "%Y-%m-%d").map_err(|_| {
        c.problem(format!(
            "`{}` is not a date; write dates as YYYY-MM-DD, e.g. 2030-01-31",
            c.text
        ))
    })
}

/// A date as scheduling tools export it: `MM/DD/YYYY` (US, as Movie Magic writes it),
/// `YYYY-MM-DD`, `Oct 21, 2021`, `Thu, Oct 21, 2021`, `Thursday, October 21, 2021`,
/// `21-Oct-2021`.
pub fn tool_date(c: &Cell<'_>) -> Result<NaiveDate, Problem> {
    let t = c.text.trim();
    for fmt in [
        "%Y-%m-%d",
        "%m/%d/%Y",
        "%m/%d/%y",
        "%b %d, %Y",
        "%a, %b %d, %Y",
        "%B %d, %Y",
        "%A, %B %d, %Y",
        "%d-%b-%Y",
    ] {
        if let Ok(d) = NaiveDate::parse_from_str(t, fmt) {
            return Ok(d);
        }
    }
    Err(c.problem(format!(
        "`{t}` is not a date; write the shoot date as MM/DD/YYYY (e.g. 10/21/2021), YYYY-MM-DD, \
         or \"Oct 21, 2021\""
    )))
}

/// The words of a list cell: separated by spaces, commas, `;` or `|` (ids have none of them).
pub fn words(text: &str) -> Vec<&str> {
    text.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '|'))
        .filter(|w| !w.is_empty())
        .collect()
}

/// The entries of a scheduling tool's list cell: separated by commas, `;` or new lines (names
/// have spaces in them).
pub fn entries(text: &str) -> Vec<&str> {
    text.split([',', ';', '\n'])
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .collect()
}

/// Parses every word of a list cell with `parse`; each bad word is a problem.
pub fn list<T, E: std::fmt::Display>(
    c: &Cell<'_>,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Result<Vec<T>, Vec<Problem>> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for w in words(c.text) {
        match parse(w) {
            Ok(v) => out.push(v),
            Err(e) => problems.push(c.problem(format!("`{w}`: {e}"))),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// `true`/`false` (also yes/no, y/n, 1/0; empty is false).
pub fn boolean(c: &Cell<'_>) -> Result<bool, Problem> {
    match c.text.to_ascii_lowercase().as_str() {
        "" | "false" | "no" | "n" | "0" => Ok(false),
        "true" | "yes" | "y" | "1" => Ok(true),
        other => Err(c.problem(format!("`{other}` is not true or false"))),
    }
}

/// The problem of a layout's required columns that the header lacks, naming them.
pub fn missing_columns(
    table: &Table,
    layout: &str,
    required: &[(&str, &[&str])],
) -> Option<Problem> {
    let cols = Columns::new(table);
    let missing: Vec<&str> = required
        .iter()
        .filter(|(_, aliases)| !cols.has(aliases))
        .map(|(name, _)| *name)
        .collect();
    if missing.is_empty() {
        return None;
    }
    let s = if missing.len() == 1 { "" } else { "s" };
    Some(Problem::at(
        table.header_line,
        None,
        format!(
            "missing column{s}: {} (the {layout}); the header has: {}",
            missing
                .iter()
                .map(|m| format!("`{m}`"))
                .collect::<Vec<_>>()
                .join(", "),
            table.headers.join(", ")
        ),
    ))
}

/// A duplicate id within the file: the later row is the problem, naming the earlier line.
#[derive(Debug, Default)]
pub struct Seen(std::collections::HashMap<String, u64>);

impl Seen {
    pub fn check(&mut self, c: &Cell<'_>, what: &str) -> Result<(), Problem> {
        if let Some(first) = self.0.get(c.text) {
            return Err(c.problem(format!(
                "{what} `{}` is already on line {first} of this file; each {what} has one row",
                c.text
            )));
        }
        self.0.insert(c.text.to_owned(), c.line);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Cell<'_> {
        Cell {
            text,
            line: 3,
            column: 2,
            header: "date",
        }
    }

    #[test]
    fn headers_compare_without_case_or_punctuation() {
        assert_eq!(normalize("Scene #"), "scene");
        assert_eq!(normalize("Day/Night"), "daynight");
        assert_eq!(normalize("blank_rounds"), "blankrounds");
    }

    #[test]
    fn dates() {
        assert_eq!(
            iso_date(&at("2030-01-31")).unwrap(),
            NaiveDate::from_ymd_opt(2030, 1, 31).unwrap()
        );
        let p = iso_date(&at("31/01/2030")).unwrap_err();
        assert_eq!((p.line, p.column), (3, Some(2)));
        assert!(p.message.contains("YYYY-MM-DD"), "{p}");
        let d = NaiveDate::from_ymd_opt(2021, 10, 21).unwrap();
        for t in [
            "10/21/2021",
            "2021-10-21",
            "Oct 21, 2021",
            "Thu, Oct 21, 2021",
            "Thursday, October 21, 2021",
            "21-Oct-2021",
        ] {
            assert_eq!(tool_date(&at(t)).unwrap(), d, "{t}");
        }
        assert!(tool_date(&at("21/10/2021")).is_err());
    }

    #[test]
    fn lists() {
        assert_eq!(words("a b;c, d|e"), vec!["a", "b", "c", "d", "e"]);
        assert_eq!(
            entries("1. HARLAND, 2. DRUM"),
            vec!["1. HARLAND", "2. DRUM"]
        );
        assert!(boolean(&at("yes")).unwrap());
        assert!(boolean(&at("maybe")).is_err());
    }
}
