//! Positions in a scenario file and the messages that point at them.
//!
//! TOML spans are byte offsets; people read `file:line:column`, with the column counted in
//! characters so that a name with an accent does not shift the caret.

use serde::Serialize;
use std::fmt;

/// A place in a file: line and column, both from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
}

impl Pos {
    /// The position of byte `offset` in `text`. An offset past the end, or inside a multi-byte
    /// character, is moved back to the nearest character boundary rather than failing.
    pub fn of(text: &str, offset: usize) -> Pos {
        Pos::in_lines(text, &line_starts(text), offset)
    }

    /// The same, with the byte offsets where lines start computed once for the file: a file of
    /// 100,000 steps asks for hundreds of thousands of positions.
    pub fn in_lines(text: &str, starts: &[usize], offset: usize) -> Pos {
        let mut o = offset.min(text.len());
        while !text.is_char_boundary(o) {
            o -= 1;
        }
        let line = starts.partition_point(|&s| s <= o).max(1);
        let line_start = starts.get(line - 1).copied().unwrap_or(0);
        let column = text[line_start..o].chars().count() + 1;
        Pos { line, column }
    }

    /// The top of the file, for what is missing from the whole file.
    pub const START: Pos = Pos { line: 1, column: 1 };
}

/// Whether a diagnostic stops the file from being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Error,
    Warning,
}

/// One message about one place in one file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Diagnostic {
    pub file: String,
    pub pos: Pos,
    pub severity: Severity,
    pub message: String,
}

impl Diagnostic {
    pub fn error(file: &str, pos: Pos, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            file: file.to_owned(),
            pos,
            severity: Severity::Error,
            message: message.into(),
        }
    }
    pub fn warning(file: &str, pos: Pos, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(file, pos, message)
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file, self.pos.line, self.pos.column)?;
        if self.severity == Severity::Warning {
            f.write_str("warning: ")?;
        }
        f.write_str(&self.message)
    }
}

/// A file's name and text, to turn spans into positions.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    pub name: &'a str,
    pub text: &'a str,
    /// Where each line starts (see [`line_starts`]).
    pub lines: &'a [usize],
}

/// The byte offset at which each line of `text` starts; the first is 0.
pub fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

impl Source<'_> {
    pub fn pos(&self, offset: usize) -> Pos {
        Pos::in_lines(self.text, self.lines, offset)
    }
    pub fn error(&self, offset: usize, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(self.name, self.pos(offset), message)
    }
    pub fn warning(&self, offset: usize, message: impl Into<String>) -> Diagnostic {
        Diagnostic::warning(self.name, self.pos(offset), message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(line: usize, column: usize) -> Pos {
        Pos { line, column }
    }

    #[test]
    fn first_byte_is_line_one_column_one() {
        assert_eq!(Pos::of("abc", 0), p(1, 1));
        assert_eq!(Pos::of("", 0), p(1, 1));
    }

    #[test]
    fn columns_count_from_the_last_newline() {
        let t = "ab\ncde\n\nf";
        assert_eq!(Pos::of(t, 1), p(1, 2));
        assert_eq!(Pos::of(t, 2), p(1, 3)); // the newline itself ends line 1
        assert_eq!(Pos::of(t, 3), p(2, 1));
        assert_eq!(Pos::of(t, 5), p(2, 3));
        assert_eq!(Pos::of(t, 7), p(3, 1));
        assert_eq!(Pos::of(t, 8), p(4, 1));
    }

    #[test]
    fn crlf_line_ends_count_once() {
        let t = "a\r\nb\r\nc";
        assert_eq!(Pos::of(t, 3), p(2, 1));
        assert_eq!(Pos::of(t, 6), p(3, 1));
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let t = "name = \"Zoë\" x";
        let x = t.find('x').unwrap_or(0);
        assert_eq!(Pos::of(t, x), p(1, 14));
    }

    #[test]
    fn offsets_inside_a_character_or_past_the_end_do_not_panic() {
        let t = "é\nü";
        assert_eq!(Pos::of(t, 1), p(1, 1));
        assert_eq!(Pos::of(t, 100), p(2, 2));
    }

    #[test]
    fn diagnostics_read_file_line_column() {
        let d = Diagnostic::warning("a.toml", p(3, 5), "field `x` is not used");
        assert_eq!(d.to_string(), "a.toml:3:5: warning: field `x` is not used");
        let e = Diagnostic::error("a.toml", p(1, 1), "bad");
        assert_eq!(e.to_string(), "a.toml:1:1: bad");
    }
}
