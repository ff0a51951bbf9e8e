//! `setguard rules`: the catalogue as the core holds it, so what is printed is what is enforced.

use serde::Serialize;
use setguard_core::{RULES, Rule};
use std::fmt::Write as _;

/// Width of the wrapped sentences: fits an 80-column terminal with the indent.
const WIDTH: usize = 76;
const INDENT: &str = "    ";

/// One rule as `rules --json` shows it.
#[derive(Debug, Serialize)]
struct RuleOut<'a> {
    id: &'a str,
    group: &'a str,
    sentence: &'a str,
    checked_at: &'a str,
    source: &'a str,
    /// `all`, or the one policy the rule applies under.
    policies: &'a str,
}

fn policies(r: &Rule) -> &'static str {
    r.only_under.map_or("all", |p| p.as_str())
}

/// Every rule, for a terminal: id, the wrapped sentence, where it is checked, its source.
pub fn text() -> String {
    let mut out = String::new();
    for (i, r) in RULES.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let only = match r.only_under {
            Some(p) => format!(", {p} policy only"),
            None => String::new(),
        };
        let _ = writeln!(out, "{}  ({}{only})", r.id, r.group);
        for line in wrap(r.sentence, WIDTH - INDENT.len()) {
            let _ = writeln!(out, "{INDENT}{line}");
        }
        let _ = writeln!(out, "{INDENT}checked at: {}", r.checked_at);
        let _ = writeln!(out, "{INDENT}source: {}", r.source);
    }
    out
}

/// Every rule as a JSON array.
pub fn json() -> String {
    let rules: Vec<RuleOut> = RULES
        .iter()
        .map(|r| RuleOut {
            id: r.id.as_str(),
            group: r.group,
            sentence: r.sentence,
            checked_at: r.checked_at,
            source: r.source,
            policies: policies(r),
        })
        .collect();
    serde_json::to_string_pretty(&rules).unwrap_or_else(|_| "[]".to_owned())
}

/// Greedy word wrap; a word longer than the width gets a line of its own.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_keeps_lines_within_the_width() {
        let lines = wrap("one two three four five six seven", 10);
        assert_eq!(lines, ["one two", "three four", "five six", "seven"]);
        assert!(wrap("", 10).is_empty());
        assert_eq!(wrap("abcdefghijkl x", 5), ["abcdefghijkl", "x"]);
    }
}
