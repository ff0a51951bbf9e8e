//! Showing timelines: plain text for a person at a terminal, JSON for tools. Both carry the same
//! information and are the same for the same file (nothing depends on the wall clock or on map
//! order).

use super::run::{Entry, Outcome, Timeline};
use std::fmt::Write as _;

/// The longest "what" column before it stops being padded, so one long step does not push every
/// outcome off the screen.
const WHAT_WIDTH: usize = 44;

/// The text timeline of every file, one after the other.
pub fn text(timelines: &[Timeline]) -> String {
    let mut out = String::new();
    for (i, t) in timelines.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        file_text(&mut out, t);
    }
    out
}

fn file_text(out: &mut String, t: &Timeline) {
    let p = &t.production;
    let tz = if p.timezone.is_empty() {
        "not given"
    } else {
        p.timezone.as_str()
    };
    let _ = writeln!(
        out,
        "{}: {} ({}), policy {}, timezone {}",
        t.file, p.name, p.id, p.policy, tz
    );
    let entries: Vec<&Entry> = t.setup.iter().chain(&t.steps).collect();
    let who_w = entries
        .iter()
        .map(|e| e.by.as_deref().map_or(1, str::len))
        .max()
        .unwrap_or(1);
    let what_w = entries
        .iter()
        .map(|e| e.what.chars().count())
        .max()
        .unwrap_or(0)
        .min(WHAT_WIDTH);

    if let Some(first) = t.setup.first() {
        let quiet = t
            .setup
            .iter()
            .all(|e| e.outcome == Outcome::Ok && e.alarms.is_empty());
        let _ = writeln!(
            out,
            "set-up at {}: {} registrations{}",
            first.at,
            t.setup.len(),
            if quiet { ", all ok" } else { "" }
        );
        if !quiet {
            for e in t.setup.iter().filter(|e| e.outcome != Outcome::Ok) {
                entry_text(out, e, &e.at.clock(), who_w, what_w);
            }
        }
    }

    let mut day = None;
    for e in &t.steps {
        if day != Some(e.at.date()) {
            day = Some(e.at.date());
            let _ = writeln!(out, "-- {}", e.at.date());
        }
        entry_text(out, e, &e.at.clock(), who_w, what_w);
    }

    let s = &t.summary;
    let _ = writeln!(
        out,
        "{}: {} steps, {} recorded, {} refused, {} {}, {} {}",
        t.file,
        s.steps,
        s.recorded,
        s.refused,
        s.alarms,
        plural(s.alarms, "alarm", "alarms"),
        s.mismatches,
        plural(s.mismatches, "mismatch", "mismatches"),
    );
    for (e, m) in t.mismatches() {
        let _ = writeln!(out, "{}:{}: {}: {}", t.file, e.line, e.what, m);
    }
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

fn entry_text(out: &mut String, e: &Entry, clock: &str, who_w: usize, what_w: usize) {
    let who = e.by.as_deref().unwrap_or("-");
    let outcome = match e.outcome {
        Outcome::Ok => "ok",
        Outcome::Refused => "REFUSED",
        Outcome::NotRun => "NOT RUN",
    };
    let _ = writeln!(
        out,
        "{clock:>5}  {who:<who_w$}  {what:<what_w$}  {outcome}",
        what = e.what
    );
    let indent = " ".repeat(7);
    for n in &e.notices {
        let _ = writeln!(out, "{indent}note: {n}");
    }
    if let Some(msg) = &e.invalid {
        let _ = writeln!(out, "{indent}not judged: {msg}");
    }
    for v in &e.violations {
        let _ = writeln!(out, "{indent}{}: {}", v.rule, v.message);
    }
    for a in &e.alarms {
        let _ = writeln!(out, "{indent}ALARM {}: {}", a.rule, a.message);
    }
    for m in &e.mismatches {
        let _ = writeln!(out, "{indent}MISMATCH: {m}");
    }
}

/// The JSON document of every file: `{"ok": bool, "files": [timeline, ...]}`.
pub fn json(timelines: &[Timeline]) -> String {
    #[derive(serde::Serialize)]
    struct Doc<'a> {
        ok: bool,
        files: &'a [Timeline],
    }
    let doc = Doc {
        ok: timelines.iter().all(|t| t.summary.mismatches == 0),
        files: timelines,
    };
    // Serializing plain data to a string cannot fail; an empty document would still be JSON.
    serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".to_owned())
}
