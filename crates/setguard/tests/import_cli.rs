//! `setguard import`: the crew list and the schedule from CSV into a real ledger, all or nothing.

mod common;

use common::setguard;
use setguard_core::{ProductionId, SceneId, State};
use setguard_ledger::Head;
use std::path::PathBuf;

const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/examples/imports");

fn example(name: &str) -> String {
    format!("{EXAMPLES}/{name}")
}

/// A ledger holding the example production (items, no crew), and its data directory.
struct Ledger {
    dir: tempfile::TempDir,
    db: String,
    data: String,
}

impl Ledger {
    fn new() -> Ledger {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = format!("sqlite:{}", dir.path().join("set.db").display());
        let data = dir.path().join("data").display().to_string();
        let run = setguard(&[
            "replay",
            "--db",
            &db,
            "--data-dir",
            &data,
            &example("western.toml"),
        ]);
        assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
        Ledger { dir, db, data }
    }
    fn import(&self, kind: &str, file: &str, dry_run: bool) -> common::Run {
        let mut args = vec![
            "import",
            kind,
            file,
            "--db",
            &self.db,
            "--production",
            "western",
            "--data-dir",
            &self.data,
        ];
        if dry_run {
            args.push("--dry-run");
        }
        setguard(&args)
    }
    fn file(&self, name: &str, bytes: &[u8]) -> String {
        let path: PathBuf = self.dir.path().join(name);
        std::fs::write(&path, bytes).expect("writing a CSV file");
        path.display().to_string()
    }
    fn head(&self) -> Head {
        let store = setguard_ledger::open_read_only(&self.db).expect("open");
        store
            .head(&ProductionId::parse("western").unwrap())
            .expect("head")
    }
    fn state(&self) -> State {
        let store = setguard_ledger::open_read_only(&self.db).expect("open");
        setguard_ledger::snapshot::load_read_only(
            store.as_ref(),
            &ProductionId::parse("western").unwrap(),
            None,
        )
        .expect("load")
        .state
    }
    /// Every byte of the ledger's files.
    fn bytes(&self) -> Vec<(String, Vec<u8>)> {
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(self.dir.path())
            .expect("read dir")
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with("set.db"))
            .map(|e| {
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read(e.path()).expect("read"),
                )
            })
            .collect();
        files.sort();
        files
    }
}

fn verify(l: &Ledger) {
    let v = setguard(&["verify", "--db", &l.db, "--data-dir", &l.data]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    assert!(v.stdout.contains("western: ok"), "{}", v.stdout);
}

#[test]
fn crew_then_schedule_are_recorded_in_one_append_each_and_verify() {
    let l = Ledger::new();
    let before = l.head();
    let files = l.bytes();

    // A dry run lists what would change and saves nothing, not a byte.
    let dry = l.import("crew", &example("crew.csv"), true);
    assert_eq!(dry.code, 0, "{}{}", dry.stdout, dry.stderr);
    assert!(
        dry.stdout
            .contains("would register person rosa (Rosa Diaz)"),
        "{}",
        dry.stdout
    );
    assert!(
        dry.stdout.contains(
            "would grant rosa a handler credential (revolver, rifle) expiring 2035-06-30"
        ),
        "{}",
        dry.stdout
    );
    assert!(
        dry.stdout.contains("would give rosa the role armorer"),
        "{}",
        dry.stdout
    );
    assert!(dry.stdout.contains("nothing saved"), "{}", dry.stdout);
    assert_eq!(l.head(), before);
    assert_eq!(l.bytes(), files, "a dry run changed the ledger's files");

    let crew = l.import("crew", &example("crew.csv"), false);
    assert_eq!(crew.code, 0, "{}{}", crew.stdout, crew.stderr);
    assert!(
        crew.stdout.contains("imported: 16 commands"),
        "{}",
        crew.stdout
    );
    let after_crew = l.head();
    assert_eq!(after_crew.seq, before.seq + 16);

    let sched = l.import("schedule", &example("schedule.csv"), false);
    assert_eq!(sched.code, 0, "{}{}", sched.stdout, sched.stderr);
    assert_eq!(l.head().seq, after_crew.seq + 4);

    let s = l.state();
    let rosa = s
        .person(&"rosa".parse().unwrap())
        .expect("rosa on the crew list");
    assert!(rosa.has(setguard_core::Role::Armorer));
    assert_eq!(rosa.credentials.len(), 2);
    let take = &s.scenes[&SceneId::parse("12-take").unwrap()].spec;
    assert_eq!(take.items, vec!["colt".parse().unwrap()]);
    assert_eq!(take.blank_rounds.0, 2);
    assert_eq!(take.roster.len(), 5);
    // Office commands: recorded with no `by`.
    let store = setguard_ledger::open_read_only(&l.db).unwrap();
    let records = store
        .read(&ProductionId::parse("western").unwrap(), before.seq + 1)
        .unwrap();
    assert_eq!(records.len(), 20);
    assert!(records.iter().all(|r| r.event.by.is_none()));

    verify(&l);
    let status = setguard(&[
        "status",
        "--db",
        &l.db,
        "--production",
        "western",
        "--data-dir",
        &l.data,
    ]);
    assert_eq!(status.code, 0, "{}", status.stderr);
    assert!(status.stdout.contains(&format!("{} events", l.head().seq)));

    // The same files again: nothing to do, nothing recorded.
    let head = l.head();
    for (kind, file) in [("crew", "crew.csv"), ("schedule", "schedule.csv")] {
        let again = l.import(kind, &example(file), false);
        assert_eq!(again.code, 0, "{}", again.stderr);
        assert!(
            again.stdout.contains("nothing to import"),
            "{}",
            again.stdout
        );
        assert!(again.stdout.contains("unchanged: "), "{}", again.stdout);
    }
    assert_eq!(l.head(), head);

    // A scene moved: a change-scene of its date only, listed by the dry run.
    let moved = l.file("moved.csv", b"id,date\n21,2027-03-05\n");
    let dry = l.import("schedule", &moved, true);
    assert!(
        dry.stdout
            .contains("would change scene 21 (date 2027-03-04 -> 2027-03-05;"),
        "{}",
        dry.stdout
    );
    assert_eq!(l.head(), head);
    assert_eq!(l.import("schedule", &moved, false).code, 0);
    let s = l.state();
    let scene = &s.scenes[&SceneId::parse("21").unwrap()].spec;
    assert_eq!(scene.date.to_string(), "2027-03-05");
    assert_eq!(scene.roster.len(), 3, "the roster is left as it was");
    verify(&l);
}

/// Runs an import that must be refused: exit 2, every expected `FILE:LINE:COLUMN: text` on
/// stderr, and the ledger unchanged.
fn refused(l: &Ledger, kind: &str, name: &str, bytes: &[u8], expected: &[&str]) {
    let before = l.head();
    let path = l.file(name, bytes);
    for dry_run in [true, false] {
        let run = l.import(kind, &path, dry_run);
        assert_eq!(run.code, 2, "{name}: {}{}", run.stdout, run.stderr);
        for e in expected {
            assert!(
                run.stderr.contains(&format!("{path}:{e}")),
                "{name}: expected `{e}` in\n{}",
                run.stderr
            );
        }
        assert!(run.stderr.contains("nothing was saved"), "{}", run.stderr);
        assert_eq!(l.head(), before, "{name}: the ledger changed");
    }
}

#[test]
fn malformed_files_are_refused_with_every_problem_by_line_and_column() {
    let l = Ledger::new();
    refused(
        &l,
        "crew",
        "semicolons.csv",
        b"id;name;roles\nrosa;Rosa Diaz;crew\n",
        &["1:1: this file uses ';' between fields; setguard reads commas"],
    );
    refused(
        &l,
        "crew",
        "tabs.csv",
        b"id\tname\nrosa\tRosa Diaz\n",
        &["1:1: this file uses tabs between fields; setguard reads commas"],
    );
    refused(
        &l,
        "crew",
        "latin1.csv",
        b"id,name\nrosa,Rosa D\xEDaz\nben,Ben\nzoe,Zo\xEB\n",
        &[
            "2:2: not UTF-8 text (byte 0xED at character 12)",
            "4:2: not UTF-8 text",
        ],
    );
    refused(
        &l,
        "crew",
        "missing.csv",
        b"person_name,roles\nRosa,crew\n",
        &["1:1: missing columns: `id`, `name`"],
    );
    refused(
        &l,
        "schedule",
        "missing-mm.csv",
        b"Scene #,Set,Cast Members\n12,SALOON,1. BEN\n",
        &["1:1: missing column: `Shoot Date` (the Movie Magic Scheduling breakdown export)"],
    );
    refused(
        &l,
        "crew",
        "dates.csv",
        b"id,name,roles,handler_expires\nrosa,Rosa Diaz,armorer,30/06/2035\n",
        &["2:4: handler_expires: `30/06/2035` is not a date; write dates as YYYY-MM-DD"],
    );
    // The crew, so that the schedule's people exist; then a schedule with every other problem.
    assert_eq!(l.import("crew", &example("crew.csv"), false).code, 0);
    refused(
        &l,
        "schedule",
        "schedule-bad.csv",
        b"id,date,items,performers,roster\n\
          12,2027-03-02,colt,ben nobody,ben\n\
          13,2027-02-30,,ben,ben\n\
          12,2027-03-03,gatling,ben,ben\n",
        &[
            "2:4: performers: unknown performer `nobody`: not on the crew list",
            "3:2: date: `2027-02-30` is not a date",
            "4:1: id: scene `12` is already on line 2 of this file",
            "4:3: items: unknown item `gatling`: not registered",
        ],
    );
    refused(
        &l,
        "schedule",
        "mm-bad.csv",
        b"Scene #,Shoot Date,Cast Members,Weapons\n12,21/03/2027,2. BEN ACTOR,R-9999\n",
        &[
            "2:2: Shoot Date: `21/03/2027` is not a date; write the shoot date as MM/DD/YYYY",
            "2:4: Weapons: unknown weapon `R-9999`",
        ],
    );
    // Refused by the rules: a handler role with no handler credential. The good row before it
    // is not saved either.
    refused(
        &l,
        "crew",
        "rules.csv",
        b"id,name,roles\nnew1,New One,crew\nnew2,New Two,armorer\n",
        &["3:3: refused to give new2 the role armorer: handler-qualified: "],
    );
    assert!(l.state().person(&"new1".parse().unwrap()).is_none());
    verify(&l);
}

#[test]
fn the_movie_magic_layout_imports_the_same_scenes_as_the_setguard_layout() {
    // The Movie Magic sample's data in the setguard format (its roster is the cast: the
    // tool's export has no roster).
    let ours = b"id,date,items,performers\n\
        12,2027-03-02,rubber-colt,ben\n\
        12-take,2027-03-02,colt,ben\n\
        14A,2027-03-03,winchester,ben\n\
        21,2027-03-04,,ben\n";
    let scenes = |file: Option<&[u8]>| {
        let l = Ledger::new();
        assert_eq!(l.import("crew", &example("crew.csv"), false).code, 0);
        let path = match file {
            Some(bytes) => l.file("ours.csv", bytes),
            None => example("schedule-movie-magic.csv"),
        };
        let run = l.import("schedule", &path, false);
        assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
        verify(&l);
        l.state()
            .scenes
            .values()
            .map(|s| s.spec.clone())
            .collect::<Vec<_>>()
    };
    let theirs = scenes(None);
    assert_eq!(theirs.len(), 4);
    assert_eq!(theirs, scenes(Some(ours)));
}

#[test]
fn a_long_file_imports_quietly_when_not_on_a_terminal() {
    let l = Ledger::new();
    let mut text = String::from("id,name,roles,training_expires,training_classes\n");
    for i in 0..500 {
        text.push_str(&format!("p{i},Person {i},performer,2035-01-01,pistol\n"));
    }
    let path = l.file("long.csv", text.as_bytes());
    let run = l.import("crew", &path, false);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "", "no progress bar drawn into a pipe");
    assert!(
        run.stdout.contains("imported: 1500 commands"),
        "{}",
        run.stdout
    );
    assert_eq!(l.state().people.len(), 500);
    verify(&l);
}

#[test]
fn a_production_not_in_the_ledger_is_an_error() {
    let l = Ledger::new();
    let run = setguard(&[
        "import",
        "crew",
        &example("crew.csv"),
        "--db",
        &l.db,
        "--production",
        "nowhere",
        "--data-dir",
        &l.data,
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("holds no production nowhere"),
        "{}",
        run.stderr
    );
}
