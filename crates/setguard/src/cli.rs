//! The command line (`replay`, `verify`, `export`, `status`, `key`, `serve`, `user`, `rules`).
//! Parsing is clap's; each command's work is a function returning its exit code, so `main` stays
//! short.

use crate::ledger;
use crate::rules_cmd;
use crate::scenario::{self, Scenario};
use anyhow::Context as _;
use clap::{Parser, Subcommand};
use setguard_core::ProductionId;
use setguard_server::import;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

/// Firearm safety for film and TV sets: every rule of the catalogue, checked before it is broken.
#[derive(Debug, Parser)]
#[command(
    name = "setguard",
    version,
    propagate_version = true,
    after_help = "Examples:
  setguard rules                      list every safety rule, with its source
  setguard replay scenarios/*.toml    replay scenario files (exit 0 when every expectation holds)
  setguard replay --db sqlite:set.db scenarios/rust-2021.toml
                                      record a scenario in a real ledger
  setguard export --db sqlite:set.db --production rust --out evidence
                                      write an investigator's evidence bundle
  setguard verify --bundle evidence   check every hash and signature of a bundle

`setguard help replay` says how scenario files are written and what the exit codes mean."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Cmd,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Replay scenario files through the safety rules and print their timelines.
    #[command(
        long_about = "Replay scenario files through the safety rules and print their timelines.

Each file sets up a production ([production], [[person]], [[item]], [[lot]], [[scene]]) and lists
timed [[step]]s. Every step goes through the same rules as the server, on a clock the steps set.
The timeline shows each step recorded (ok), refused (every rule it breaks, with the sentence a
person on set reads) or raising alarms, and each place where the file's `expect`, `rule` or
`alarms` were not met. Without --db the replay is in memory; with --db URL every event is
recorded in that ledger (hash-chained, with signed checkpoints) before it is applied.

Exit codes:
  0  every step of every file met its expectation
  1  at least one did not (each mismatch is listed with its file:line)
  2  a file could not be read (file:line:column: what was wrong and what was expected there)",
        after_help = "Example:
  setguard replay scenarios/rust-2021.toml
  setguard replay --json scenarios/*.toml > timelines.json
  setguard replay --db sqlite:rust.db scenarios/rust-2021.toml && setguard verify --db sqlite:rust.db

A step:
  [[step]]
  at = \"2021-10-21T11:45\"
  by = \"armorer\"
  do = \"load\"
  item = \"colt\"
  lot = \"dummies-old\"
  rounds = 6
  expect = \"refused\"
  rule = \"lot-verified\""
    )]
    Replay {
        /// Scenario files (TOML) to replay, in order.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Print one JSON document instead of the text timeline.
        #[arg(long)]
        json: bool,
        /// Record every event in this ledger (`sqlite:PATH` or `postgres://...`) instead of memory.
        #[arg(long, value_name = "URL")]
        db: Option<String>,
        /// Where the node's signing key is kept (default: $SETGUARD_DATA_DIR, else
        /// ~/.local/share/setguard).
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
    },
    /// Check every hash and signature of a ledger and name the first bad seq.
    #[command(
        long_about = "Check every hash and signature of a ledger and name the first bad seq.

For each production in the ledger: every record's canonical bytes must hash to its stored hash,
every record must chain to the one before, and every record must be covered by a checkpoint
signed by the node's key (the key in the data directory, when there is one).

Exit codes:
  0  every production verified
  1  a production did not (its first bad seq and why are printed)
  2  the ledger or bundle could not be opened or read

With --bundle, the same checks run on an exported evidence bundle, and its events must end where
its manifest says. A snapshot (derived data, used to load a production fast) that does not match
the events is reported as a warning: it is rebuilt on the next load.",
        after_help = "Example:
  setguard verify --db sqlite:rust.db
  setguard verify --bundle rust-evidence --key 3b6a27bc..."
    )]
    #[command(group(clap::ArgGroup::new("source").required(true).args(["db", "bundle"])))]
    Verify {
        /// The ledger to check (`sqlite:PATH` or `postgres://...`).
        #[arg(long, value_name = "URL")]
        db: Option<String>,
        /// An evidence bundle (from `setguard export`) to check instead of a ledger.
        #[arg(long, value_name = "DIR")]
        bundle: Option<PathBuf>,
        /// With --bundle: the node's public key (64 hex digits) as published elsewhere; every
        /// checkpoint must be signed by it. Default: the node key in the data directory, if any.
        #[arg(long, value_name = "HEX", requires = "bundle")]
        key: Option<String>,
        /// With --db: a checkpoint printed on a report (the text of its QR code,
        /// `setguard-checkpoint:v1:...`); says whether the ledger still holds that head at that
        /// seq, every record before it unbroken, signed by that key.
        #[arg(long, value_name = "TEXT", requires = "db")]
        checkpoint: Option<String>,
        /// Where the node's key is kept, to check that it signed the checkpoints.
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
    },
    /// Run the server: the set board and its live updates, over the ledger.
    #[command(
        long_about = "Run the server: the set board (every item's state in large words, live), \
over the ledger, with a ticker that raises the alarms passing time brings. Settings come from \
defaults, then the config file (--config or SETGUARD_CONFIG), then SETGUARD_ environment \
variables, then these flags; `setguard default-config` prints a commented example.

People sign in (accounts: `setguard user add`; the demo makes its own and prints them) and
give every command of the core through the API under /api/v1, judged by the same rules as
replay.",
        after_help = "Example:
  setguard serve --demo               a demo production with a day in progress, at http://127.0.0.1:8080/
  setguard serve --db sqlite:set.db --listen 0.0.0.0:8080"
    )]
    Serve {
        /// The ledger (`sqlite:PATH` or `postgres://...`); default: setguard.db in the data dir.
        #[arg(long, value_name = "URL")]
        db: Option<String>,
        /// The address to listen on (default 127.0.0.1:8080).
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
        /// Where the node's key (and the default ledger) live.
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
        /// Load the demo production if the ledger does not hold it yet.
        #[arg(long)]
        demo: bool,
        /// A config file (TOML; see `setguard default-config`).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Print a commented example config file for `setguard serve`.
    DefaultConfig,
    /// Make accounts, and give people their account on a production.
    #[command(subcommand)]
    User(UserCmd),
    /// Print the node's public key, to publish so that its bundles and reports can be checked.
    Key {
        /// Where the node's key is kept.
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
    },
    /// Write one production's evidence bundle: events, checkpoints, keys and a README.
    #[command(
        long_about = "Write one production's evidence bundle into a new directory: every event \
(JSON lines, with its hashes), every signed checkpoint, the public keys that signed them, a \
manifest, SHA256SUMS, and a README that explains the format byte for byte, so that an \
investigator can verify the record with Python and OpenSSL, without setguard.

Exit codes:
  0  the bundle was written
  2  it could not be (nothing is left behind in the directory)",
        after_help = "Example:
  setguard export --db sqlite:rust.db --production rust --out rust-evidence
  setguard verify --bundle rust-evidence"
    )]
    Export {
        /// The ledger to read (`sqlite:PATH` or `postgres://...`).
        #[arg(long, value_name = "URL")]
        db: String,
        /// The production's id.
        #[arg(long, value_name = "ID")]
        production: String,
        /// A directory that does not exist yet, or is empty.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Show a production as it stands: where every item is, the lots, open incidents.
    #[command(
        long_about = "Show a production as it stands: where every item is (in storage, with whom, \
set down where), rounds in it, quarantines, the lots and what is out of them, open incidents, a \
stop-work. It is loaded from the ledger's latest snapshot of the production plus the events \
recorded after it (a snapshot that does not match the events is rebuilt, and a new one saved \
when many events had to be replayed).

Exit codes:
  0  shown
  2  the ledger could not be read, or holds no such production",
        after_help = "Example:
  setguard status --db sqlite:rust.db --production rust"
    )]
    Status {
        /// The ledger to read (`sqlite:PATH` or `postgres://...`).
        #[arg(long, value_name = "URL")]
        db: String,
        /// The production's id.
        #[arg(long, value_name = "ID")]
        production: String,
        /// Where the node's key is kept: a snapshot is used only if this node signed it.
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
    },
    /// Write a report (PDF, or HTML) of a production, stamped with the ledger checkpoint it
    /// was made from.
    #[command(
        long_about = "Write a report of a production as PDF (or HTML, with --html or an OUT \
ending in .html), from the ledger opened read-only:

  daily       the day's firearms log: every item's custody and checks in time order, rounds
              issued, fired and returned per lot, meetings with attendance, announcements,
              refusals, alarms and incidents
  meeting     the day's safety meetings as sign-in sheets
  incident    one incident (--incident N, default the last): timeline, people, items and lots,
              root cause, corrective action, escalations
  people      credentials and training, with what expires in the next 30 days
  compliance  the production against the rule catalogue: refusals and alarms by rule

Each report prints the signed ledger checkpoint it was made from, in words and as a QR code;
`setguard verify --db URL --checkpoint '<the QR code's text>'` later says whether the ledger
still holds that record.

Exit codes:
  0  written
  2  the ledger could not be read, or holds no such production or incident",
        after_help = "Example:
  setguard report daily --db sqlite:rust.db --production rust --date 2021-10-21 --out day.pdf
  setguard report incident --db sqlite:rust.db --production rust --incident 1 --out inc.html"
    )]
    Report {
        /// daily, meeting, incident, people or compliance.
        kind: String,
        /// The ledger to read (`sqlite:PATH` or `postgres://...`).
        #[arg(long, value_name = "URL")]
        db: String,
        /// The production's id.
        #[arg(long, value_name = "ID")]
        production: String,
        /// The day (daily, meeting; default: the last event's day) or the day "as of" (people;
        /// default: today on the production's clock).
        #[arg(long, value_name = "YYYY-MM-DD")]
        date: Option<chrono::NaiveDate>,
        /// The incident's number (incident report); default: the last reported.
        #[arg(long, value_name = "N")]
        incident: Option<u32>,
        /// The file to write.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Write HTML instead of PDF.
        #[arg(long)]
        html: bool,
        /// Where the node's key is kept: a snapshot is used only if this node signed it.
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
    },
    /// Print a sheet of QR labels (PDF) for a production's items and lots.
    #[command(after_help = "Example:
  setguard labels --db sqlite:set.db --production dusty-creek --out labels.pdf")]
    Labels {
        /// The ledger to read (`sqlite:PATH` or `postgres://...`).
        #[arg(long, value_name = "URL")]
        db: String,
        /// The production's id.
        #[arg(long, value_name = "ID")]
        production: String,
        /// The PDF file to write.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
    },
    /// Import the crew list or the shooting schedule from a CSV file, all or nothing.
    #[command(
        long_about = "Import the crew list (people, roles, credentials with expiry) or the \
shooting schedule (scenes, dates, items, performers, roster) from a CSV file, in the setguard \
format or a Movie Magic Scheduling breakdown export (schedule), as described in docs/imports.md.

Each row becomes commands of the core (register-person, grant-credential, assign-role; \
schedule-scene, or change-scene for a scene already scheduled), office commands given by no one, \
judged on the production as it stands by the same rules as every other command. All of them are \
recorded in one append, or, if the file has any problem or any command is refused, none.

Exit codes:
  0  imported (or, with --dry-run, it would import)
  2  the file was refused (every problem is listed as FILE:LINE:COLUMN: message) or the ledger
     could not be read; nothing was saved",
        after_help = "Example:
  setguard import crew crew.csv --db sqlite:set.db --production western --dry-run
  setguard import crew crew.csv --db sqlite:set.db --production western
  setguard import schedule stripboard.csv --db sqlite:set.db --production western"
    )]
    Import {
        /// What the file holds.
        #[arg(value_enum)]
        kind: ImportKind,
        /// The CSV file (UTF-8, commas between fields, a header row).
        file: PathBuf,
        /// The ledger (`sqlite:PATH` or `postgres://...`).
        #[arg(long, value_name = "URL")]
        db: String,
        /// The production's id.
        #[arg(long, value_name = "ID")]
        production: String,
        /// Show what would change, and save nothing.
        #[arg(long)]
        dry_run: bool,
        /// Where the node's key is kept (it signs the commit).
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
    },
    /// List every rule of the catalogue: id, sentence, where it is checked, source, policies.
    #[command(
        long_about = "List every rule of the catalogue: its stable id (used in scenario files, \
reports and the API), the sentence a person on set reads, the commands it is checked at or the \
alarm it raises, its source, and the policies it applies under.",
        after_help = "Example:
  setguard rules
  setguard rules --json | jq '.[].id'"
    )]
    Rules {
        /// Print a JSON array instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// What `setguard import` reads: the CLI's word for [`import::Kind`], which the server's
/// import page shares without depending on clap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImportKind {
    /// People, their roles and credentials (with expiry).
    Crew,
    /// Scenes: dates, items, performers, roster.
    Schedule,
}

impl From<ImportKind> for import::Kind {
    fn from(k: ImportKind) -> import::Kind {
        match k {
            ImportKind::Crew => import::Kind::Crew,
            ImportKind::Schedule => import::Kind::Schedule,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum UserCmd {
    /// Make an account. The password and PIN are asked for without echo on a terminal, or read
    /// as two lines of standard input.
    #[command(after_help = "Examples:
  setguard user add admin --admin                  the server's first account
  setguard user add rosa --production dusty-creek --person rosa
  printf '%s\n%s\n' \"$PASSWORD\" 1234 | setguard user add rosa   from a script")]
    Add {
        /// Lowercase letters, digits, '.', '_' and '-'.
        username: String,
        /// A server administrator: opens productions and does their office's set-up.
        #[arg(long)]
        admin: bool,
        /// Link the account to its person on this production (with --person).
        #[arg(long, value_name = "ID", requires = "person")]
        production: Option<String>,
        /// The person's id on that production's crew list.
        #[arg(long, value_name = "ID", requires = "production")]
        person: Option<String>,
        /// The ledger the accounts sit beside (default: the server's, from its settings).
        #[arg(long, value_name = "URL")]
        db: Option<String>,
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
    },
    /// Give an account its person on a production.
    Link {
        username: String,
        #[arg(long, value_name = "ID")]
        production: String,
        #[arg(long, value_name = "ID")]
        person: String,
        #[arg(long, value_name = "URL")]
        db: Option<String>,
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
    },
}

/// Parses the arguments and runs the command; the exit code is the command's.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Cmd::Replay {
            files,
            json,
            db,
            data_dir,
        } => replay(&files, json, db.as_deref(), data_dir),
        Cmd::Verify {
            db,
            bundle,
            key,
            checkpoint,
            data_dir,
        } => {
            let verified = match (db, bundle) {
                (Some(db), None) if checkpoint.is_some() => crate::report::verify_checkpoint(
                    &db,
                    checkpoint.as_deref().unwrap_or_default(),
                    &ledger::data_dir(data_dir),
                ),
                (_, Some(dir)) => {
                    ledger::verify_bundle(&dir, key.as_deref(), &ledger::data_dir(data_dir))
                }
                (Some(db), None) => ledger::verify(&db, &ledger::data_dir(data_dir)),
                (None, None) => Err(anyhow::anyhow!("give --db URL or --bundle DIR")),
            };
            verified.map(|ok| {
                if ok {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                }
            })
        }
        Cmd::Export {
            db,
            production,
            out,
        } => ledger::export(&db, &production, &out).map(|()| ExitCode::SUCCESS),
        Cmd::Serve {
            db,
            listen,
            data_dir,
            demo,
            config,
        } => crate::serve::serve(setguard_server::config::Overrides {
            config_file: config,
            db,
            data_dir,
            listen,
            demo,
        }),
        Cmd::User(UserCmd::Add {
            username,
            admin,
            production,
            person,
            db,
            data_dir,
        }) => crate::user::add(&username, admin, production.zip(person), db, data_dir)
            .and_then(|out| print(&out))
            .map(|()| ExitCode::SUCCESS),
        Cmd::User(UserCmd::Link {
            username,
            production,
            person,
            db,
            data_dir,
        }) => crate::user::link(&username, &production, &person, db, data_dir)
            .and_then(|out| print(&out))
            .map(|()| ExitCode::SUCCESS),
        Cmd::DefaultConfig => {
            print(setguard_server::config::DEFAULT_CONFIG).map(|()| ExitCode::SUCCESS)
        }
        Cmd::Key { data_dir } => ledger::print_key(&ledger::data_dir(data_dir))
            .and_then(|out| print(&out))
            .map(|()| ExitCode::SUCCESS),
        Cmd::Status {
            db,
            production,
            data_dir,
        } => crate::status::status(&db, &production, &ledger::data_dir(data_dir))
            .and_then(|out| print(&out))
            .map(|()| ExitCode::SUCCESS),
        Cmd::Report {
            kind,
            db,
            production,
            date,
            incident,
            out,
            html,
            data_dir,
        } => crate::report::report(
            &crate::report::Request {
                kind: &kind,
                db: &db,
                production: &production,
                date,
                incident,
                out: &out,
                html,
            },
            &ledger::data_dir(data_dir),
        )
        .and_then(|out| print(&out))
        .map(|()| ExitCode::SUCCESS),
        Cmd::Labels {
            db,
            production,
            out,
            data_dir,
        } => crate::report::labels(&db, &production, &out, &ledger::data_dir(data_dir))
            .and_then(|out| print(&out))
            .map(|()| ExitCode::SUCCESS),
        Cmd::Import {
            kind,
            file,
            db,
            production,
            dry_run,
            data_dir,
        } => crate::import_cmd::import(
            kind.into(),
            &file,
            &db,
            &production,
            dry_run,
            &ledger::data_dir(data_dir),
        ),
        Cmd::Rules { json } => {
            let out = if json {
                rules_cmd::json()
            } else {
                rules_cmd::text()
            };
            print(&out).map(|()| ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("setguard: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Writes to stdout; a closed pipe (`setguard rules | head`) is an error, not a panic.
fn print(s: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(s.as_bytes())
        .and_then(|()| out.flush())
        .context("writing the output")
}

/// Reads every file, replays the readable ones, and returns 0, 1 or 2 (see `replay --help`).
pub fn replay(
    files: &[PathBuf],
    json: bool,
    db: Option<&str>,
    data_dir: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let mut scenarios: Vec<Scenario> = Vec::new();
    let mut unreadable = false;
    for path in files {
        let name = path.display().to_string();
        let text = match std::fs::read(path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(t) => t,
                Err(e) => {
                    let at = e.utf8_error().valid_up_to();
                    let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
                    let pos = scenario::Pos::of(&text, at);
                    eprintln!(
                        "{name}:{}:{}: not UTF-8 text; a scenario file is UTF-8 TOML",
                        pos.line, pos.column
                    );
                    unreadable = true;
                    continue;
                }
            },
            Err(e) => {
                eprintln!("{name}: can't read the file: {e}");
                unreadable = true;
                continue;
            }
        };
        match scenario::parse_scenario(&name, &text) {
            Ok(s) => {
                for w in &s.warnings {
                    eprintln!("{w}");
                }
                scenarios.push(s);
            }
            Err(e) => {
                eprintln!("{e}");
                unreadable = true;
            }
        }
    }
    let timelines: Vec<_> = match db {
        None => scenarios.iter().map(scenario::run::run).collect(),
        Some(url) => {
            let data_dir = ledger::data_dir(data_dir);
            let store = ledger::open_for_writing(url, &data_dir)?;
            let key = setguard_ledger::NodeKey::load_or_create(&data_dir)
                .with_context(|| format!("loading the node key in {}", data_dir.display()))?;
            let mut out = Vec::new();
            for s in &scenarios {
                let stream = ProductionId::parse(&s.production.id)
                    .with_context(|| format!("{}: the production id", s.file))?;
                let mut journal = ledger::LedgerJournal::new(store.as_ref(), stream)?;
                out.push(
                    scenario::run::run_into(s, &mut journal)
                        .with_context(|| format!("{}: recording in {url}", s.file))?,
                );
                ledger::snapshot_after_replay(store.as_ref(), journal.stream(), &key);
            }
            out
        }
    };
    let out = if json {
        scenario::render::json(&timelines)
    } else {
        scenario::render::text(&timelines)
    };
    if !timelines.is_empty() || json {
        print(&out)?;
    }
    let mismatched = timelines.iter().any(|t| t.summary.mismatches > 0);
    Ok(if unreadable {
        ExitCode::from(2)
    } else if mismatched {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
