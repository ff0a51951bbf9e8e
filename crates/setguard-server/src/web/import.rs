//! The import page: the production office brings its crew list or its shooting schedule in from
//! a CSV file, as `setguard import` does, with the same code (`crate::import`). "Check" shows
//! what would be recorded, line by line, or every problem by line and column, and saves
//! nothing; "Import" records everything in one append, or nothing.
//!
//! The form is plain HTML, so it works on a tablet without script: a file input (sent as
//! `multipart/form-data`) or the text pasted into a box. After a check, the file's text is put
//! in the box, so "Import" needs no second pick of the file.
//!
//! Who may import is the catalogue's authority table, checked for every command the file comes
//! to, on the state it is judged on: a crew file is the producer's (credentials also the safety
//! supervisor's), a schedule the producer's or the first AD's. One command the caller may not
//! give refuses the whole file (403).

use super::pages::{PageError, render, to_sign_in};
use crate::api::ApiError;
use crate::app::App;
use crate::auth::{Signed, member};
use crate::clock;
use crate::import::{self, Kind, Outcome, Plan, Problem};
use crate::live::{Caller, LiveError};
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;
use setguard_core::{Event, Giver, State as Production, may_give};

/// The largest upload taken: a crew list or a season's schedule is far smaller (a row is about
/// 100 bytes), and the whole file is held in memory while it is judged.
pub const LIMIT: usize = 2 * 1024 * 1024;

/// The route's body limit, above the server's 64 KiB for commands.
pub fn limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(LIMIT)
}

/// The form as sent.
#[derive(Debug, Default)]
struct Upload {
    csrf: Option<String>,
    kind: Option<String>,
    /// `check` or `import`.
    action: Option<String>,
    /// The chosen file's bytes (empty when no file was chosen).
    file: Vec<u8>,
    /// The text pasted (or put back after a check).
    text: String,
}

impl Upload {
    /// The CSV: the file if one was chosen, else the box's text.
    fn bytes(&self) -> &[u8] {
        if self.file.is_empty() {
            self.text.as_bytes()
        } else {
            &self.file
        }
    }
}

/// One line of what a file comes to.
#[derive(Debug, Serialize)]
struct Line {
    line: u64,
    /// Whether it records something (`false`: already on record).
    changes: bool,
    what: String,
}

/// One problem, where it is.
#[derive(Debug, Serialize)]
struct Shown {
    line: u64,
    column: usize,
    /// The spreadsheet's name of the column (A, B, ..., AA).
    letter: String,
    message: String,
}

/// What the page shows after a button.
#[derive(Debug, Default, Serialize)]
struct Report {
    /// `checked`, `imported`, `nothing`, `problems` or `error`.
    outcome: &'static str,
    /// One sentence at the top.
    headline: String,
    layout: String,
    ignored_columns: Vec<String>,
    lines: Vec<Line>,
    problems: Vec<Shown>,
}

#[derive(Debug, Serialize)]
struct Page {
    production: String,
    name: String,
    now: String,
    csrf: String,
    kind: &'static str,
    text: String,
    limit_mib: usize,
    report: Option<Report>,
}

/// A file judged on one state of the production.
#[derive(Debug)]
struct Judged {
    layout: &'static str,
    ignored_columns: Vec<String>,
    /// The planned entries' lines, in file order (beside `Outcome::lines`).
    entry_lines: Vec<u64>,
    outcome: Result<Outcome, Failed>,
    now: setguard_core::At,
}

/// Why a file is not imported.
#[derive(Debug)]
enum Failed {
    /// The file itself: its encoding, columns, cells, ids (400).
    File(Vec<Problem>),
    /// Its commands, judged on the production: refused or making no sense there (409).
    Judged(Vec<Problem>),
}

/// Reads, plans and judges the file on `state` as `caller` — exactly as `setguard import`
/// does — after checking that the caller may give every command it comes to.
fn judge_file(
    state: &Production,
    kind: Kind,
    bytes: &[u8],
    caller: &Caller,
) -> Result<Judged, LiveError> {
    let now = clock::now_for(state);
    let plan: Plan = match import::plan(kind, bytes, state) {
        Ok(p) => p,
        Err(problems) => {
            return Ok(Judged {
                layout: "",
                ignored_columns: Vec::new(),
                entry_lines: Vec::new(),
                outcome: Err(Failed::File(problems)),
                now,
            });
        }
    };
    let giver = Giver {
        person: caller.person.as_ref().and_then(|p| state.person(p)),
        administrator: caller.administrator,
    };
    for entry in &plan.entries {
        if let Some(cmd) = &entry.command {
            may_give(cmd, giver).map_err(|f| {
                LiveError::Forbidden(format!(
                    "line {}: {}; nothing was imported",
                    entry.line, f.0
                ))
            })?;
        }
    }
    let outcome = import::judge_all(state, &plan.entries, now, |_| {}).map_err(Failed::Judged);
    Ok(Judged {
        layout: plan.layout,
        ignored_columns: plan.ignored_columns,
        entry_lines: plan.entries.iter().map(|e| e.line).collect(),
        outcome,
        now,
    })
}

/// "A" for 1, "Z" for 26, "AA" for 27: as a spreadsheet names the column.
fn letter(column: usize) -> String {
    let mut n = column.max(1);
    let mut out = Vec::new();
    while n > 0 {
        let r = (n - 1) % 26;
        out.push(b'A' + r as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

fn shown(problems: Vec<Problem>) -> Vec<Shown> {
    import::sorted(problems)
        .into_iter()
        .map(|p| {
            let column = p.column.unwrap_or(1);
            Shown {
                line: p.line,
                column,
                letter: letter(column),
                message: p.message,
            }
        })
        .collect()
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The report of a judged file, and its status. `recorded` is what an import appended.
fn report(j: Judged, kind: Kind, recorded: Option<usize>) -> (StatusCode, Report) {
    let mut r = Report {
        layout: j.layout.to_owned(),
        ignored_columns: j.ignored_columns,
        ..Report::default()
    };
    let outcome = match j.outcome {
        Ok(o) => o,
        Err(failed) => {
            let (status, problems) = match failed {
                Failed::File(p) => (StatusCode::BAD_REQUEST, p),
                Failed::Judged(p) => (StatusCode::CONFLICT, p),
            };
            r.outcome = "problems";
            r.headline = format!(
                "Refused: {}. Nothing was saved. Fix the file and check it again.",
                plural(problems.len(), "problem", "problems")
            );
            r.problems = shown(problems);
            return (status, r);
        }
    };
    let verb = if recorded.is_some() { "" } else { "would " };
    r.lines = j
        .entry_lines
        .iter()
        .zip(outcome.lines)
        .map(|(line, (changes, what))| Line {
            line: *line,
            changes,
            what: if changes {
                format!("{verb}{what}")
            } else {
                format!("unchanged: {what}")
            },
        })
        .collect();
    let alarms = if outcome.alarms > 0 {
        format!(
            ", after {} that time had raised",
            plural(outcome.alarms, "alarm", "alarms")
        )
    } else {
        String::new()
    };
    if outcome.commands == 0 {
        r.outcome = "nothing";
        r.headline = format!(
            "Nothing to import: the production already has everything in this {kind} file."
        );
    } else if let Some(records) = recorded {
        r.outcome = "imported";
        r.headline = format!(
            "Imported: {} recorded at {} as {} in one commit{alarms}.",
            plural(outcome.commands, "command", "commands"),
            j.now.clock(),
            plural(records, "record", "records"),
        );
    } else {
        r.outcome = "checked";
        r.headline = format!(
            "Check passed: {} would be recorded ({}{alarms}). Nothing was saved: press Import \
             to record them.",
            plural(outcome.commands, "command", "commands"),
            plural(outcome.events.len(), "record", "records"),
        );
    }
    (StatusCode::OK, r)
}

/// The page, with what the last button came to.
async fn page(
    app: &App,
    signed: &Signed,
    id: &str,
    kind: Kind,
    text: String,
    report: Option<Report>,
) -> Result<String, PageError> {
    let m = member(app, signed, id).await?;
    let csrf = signed.session.csrf.clone();
    let view = app
        .productions
        .view(&m.production, |state, _| Page {
            production: m.production.to_string(),
            name: state
                .production
                .as_ref()
                .map(|p| p.name.clone())
                .unwrap_or_default(),
            now: clock::now_for(state).clock(),
            csrf,
            kind: kind.as_str(),
            text,
            limit_mib: LIMIT / (1024 * 1024),
            report,
        })
        .await?;
    Ok(render("import.html", minijinja::context! { p => view })?.0)
}

pub async fn show(
    State(app): State<App>,
    signed: Option<Signed>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let Some(signed) = signed else {
        return Ok(to_sign_in(&format!("/productions/{id}/import")));
    };
    Ok(Html(page(&app, &signed, &id, Kind::Crew, String::new(), None).await?).into_response())
}

/// Reads the form: `multipart/form-data` (the page's own, with a file) or
/// `application/x-www-form-urlencoded` (the text alone). Too large is 413.
async fn read_form(req: Request) -> Result<Upload, ApiError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "file: the upload is too large; an import takes at most {} MiB (tens of \
                 thousands of rows): split the file",
                LIMIT / (1024 * 1024)
            ),
        )
    };
    let mut up = Upload::default();
    if content_type.starts_with("multipart/form-data") {
        let mut form = Multipart::from_request(req, &())
            .await
            .map_err(|r| ApiError::new(r.status(), format!("the form: {}", r.body_text())))?;
        let field_error = |e: axum::extract::multipart::MultipartError| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                too_large()
            } else {
                ApiError::new(e.status(), format!("the form: {}", e.body_text()))
            }
        };
        while let Some(field) = form.next_field().await.map_err(field_error)? {
            let name = field.name().unwrap_or("").to_owned();
            let bytes = field.bytes().await.map_err(field_error)?;
            let text = || String::from_utf8_lossy(&bytes).trim().to_owned();
            match name.as_str() {
                "csrf" => up.csrf = Some(text()),
                "kind" => up.kind = Some(text()),
                "action" => up.action = Some(text()),
                "file" => up.file = bytes.to_vec(),
                // Pasted text comes from the page as UTF-8; kept as sent.
                "text" => up.text = String::from_utf8_lossy(&bytes).into_owned(),
                _ => {}
            }
        }
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        let axum::Form(fields) = axum::Form::<Vec<(String, String)>>::from_request(req, &())
            .await
            .map_err(|r| {
                if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    too_large()
                } else {
                    ApiError::new(r.status(), format!("the form: {}", r.body_text()))
                }
            })?;
        for (name, value) in fields {
            match name.as_str() {
                "csrf" => up.csrf = Some(value),
                "kind" => up.kind = Some(value),
                "action" => up.action = Some(value),
                "text" => up.text = value,
                _ => {}
            }
        }
    } else {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the import page's form (multipart/form-data with the file, or the text \
             form-encoded)",
        ));
    }
    Ok(up)
}

/// "Check" or "Import" pressed. The CSRF token is the form's own field: a browser's form cannot
/// send the header, and a file upload is not the form encoding the session extractor checks.
pub async fn submit(
    State(app): State<App>,
    signed: Option<Signed>,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, PageError> {
    let Some(signed) = signed else {
        return Err(PageError(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "sign in first, then import again",
        )));
    };
    let up = read_form(req).await?;
    signed.check_csrf(up.csrf.as_deref())?;
    let m = member(&app, &signed, &id).await?;
    let kind: Kind = match up.kind.as_deref().unwrap_or("").parse() {
        Ok(k) => k,
        Err(e) => {
            return Err(PageError(ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("kind: {e}"),
            )));
        }
    };
    let dry_run = match up.action.as_deref().unwrap_or("check") {
        "check" => true,
        "import" => false,
        other => {
            return Err(PageError(ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("action: `{other}` is neither check nor import"),
            )));
        }
    };
    // What goes back in the box: the file's text, so that Import needs no second pick (a file
    // that is not UTF-8 is not put back: it must be saved again anyway).
    let text = match std::str::from_utf8(up.bytes()) {
        Ok(t) => t.strip_prefix('\u{feff}').unwrap_or(t).to_owned(),
        Err(_) => String::new(),
    };
    let (status, r) = if up.bytes().iter().all(u8::is_ascii_whitespace) {
        (
            StatusCode::BAD_REQUEST,
            Report {
                outcome: "error",
                headline: "file: choose the CSV file (or paste its text in the box), then \
                           press Check."
                    .to_owned(),
                ..Report::default()
            },
        )
    } else {
        match judge_upload(&app, &m.production, &m.caller, kind, up.bytes(), dry_run).await {
            Ok(done) => {
                // The events carry no `by` (office commands, as the command line records
                // them): the log keeps who imported.
                if done.1.outcome == "imported" {
                    tracing::info!(
                        production = %m.production,
                        account = %signed.session.username,
                        %kind,
                        "{}",
                        done.1.headline
                    );
                }
                done
            }
            Err(e) => {
                let e = ApiError::from(e);
                if e.status.is_server_error() {
                    return Err(PageError(e));
                }
                (
                    e.status,
                    Report {
                        outcome: "error",
                        headline: e.message,
                        ..Report::default()
                    },
                )
            }
        }
    };
    let html = page(&app, &signed, &id, kind, text, Some(r)).await?;
    Ok((status, Html(html)).into_response())
}

/// Checks the file on the production as it stands, or records it all in one append.
async fn judge_upload(
    app: &App,
    production: &setguard_core::ProductionId,
    caller: &Caller,
    kind: Kind,
    bytes: &[u8],
    dry_run: bool,
) -> Result<(StatusCode, Report), LiveError> {
    if dry_run {
        let j = app
            .productions
            .view(production, |state, _| {
                judge_file(state, kind, bytes, caller)
            })
            .await??;
        return Ok(report(j, kind, None));
    }
    // Judged again under the production's lock, as it stands when recorded: what was checked a
    // minute ago may no longer hold.
    let mut not_recorded: Option<Judged> = None;
    let done = app
        .productions
        .record_all(production, |state: &Production| {
            let mut j = judge_file(state, kind, bytes, caller)?;
            match &mut j.outcome {
                Ok(o) if o.commands > 0 => {
                    let events: Vec<Event> = std::mem::take(&mut o.events);
                    Ok(Some((events, j)))
                }
                _ => {
                    not_recorded = Some(j);
                    Ok(None)
                }
            }
        })
        .await?;
    match (done, not_recorded) {
        (Some((recorded, j)), _) => Ok(report(j, kind, Some(recorded.len()))),
        (None, Some(j)) => Ok(report(j, kind, None)),
        (None, None) => Err(LiveError::Internal(
            "an import decided nothing and recorded nothing".to_owned(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::letter;

    #[test]
    fn columns_are_named_as_a_spreadsheet_names_them() {
        assert_eq!(letter(1), "A");
        assert_eq!(letter(26), "Z");
        assert_eq!(letter(27), "AA");
        assert_eq!(letter(28), "AB");
    }
}
