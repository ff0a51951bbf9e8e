//! Replaying 100,000 steps of a generated scenario (target: under 1 s), side by side with the
//! floor of that work: parsing the same file into a plain `toml::Table`.
//! Run: `cargo bench -p setguard --bench replay`.

use chrono::{Duration, NaiveDateTime};
use criterion::{Criterion, criterion_group, criterion_main};
use setguard::scenario::run::run;
use setguard::{Scenario, parse_scenario};
use std::fmt::Write;
use std::hint::black_box;

const ITEMS: usize = 500;

/// A production of 500 revolvers and a scene a day (06:00 to 22:00, then wrap); the safe hand-over of each in turn (check
/// out, load dummies, inspect, confirm, second check, announce cold, hand over, hand back,
/// unload, store), ten steps a cycle, until `steps` steps are written.
fn generate(steps: usize) -> String {
    let mut s = String::from(
        "[production]\nid = \"bench\"\nname = \"Bench\"\npolicy = \"standard\"\ntimezone = \"UTC\"\n",
    );
    for (id, role, cred) in [
        ("armorer", "armorer", "handler"),
        ("first-ad", "first-ad", "csatf-s2"),
        ("actor", "performer", "training"),
    ] {
        let _ = write!(
            s,
            "[[person]]\nid = \"{id}\"\nname = \"{id}\"\nroles = [\"{role}\"]\ncredentials = [{{ kind = \"{cred}\", expires = \"2099-01-01\" }}]\n"
        );
    }
    for i in 0..ITEMS {
        let _ = write!(
            s,
            "[[item]]\nid = \"gun-{i}\"\nkind = \"functional\"\nclass = \"revolver\"\ncalibre = \".45 Colt\"\nserial = \"R-{i}\"\n"
        );
    }
    s.push_str("[[lot]]\nid = \"dummies\"\nammo = \"dummy\"\ncalibre = \".45 Colt\"\nrounds = 60\nsource = \"Acme\"\n");
    let items: Vec<String> = (0..ITEMS).map(|i| format!("\"gun-{i}\"")).collect();
    let items = items.join(", ");
    let mut t =
        NaiveDateTime::parse_from_str("2021-10-01T06:00:00", "%Y-%m-%dT%H:%M:%S").expect("time");
    let mut n = 0;
    let mut step = |s: &mut String, t: &mut NaiveDateTime, by: &str, body: &str| {
        *t += Duration::seconds(5);
        let _ = write!(
            s,
            "[[step]]\nat = \"{}\"\nby = \"{by}\"\n{body}\n",
            t.format("%Y-%m-%dT%H:%M:%S")
        );
        n += 1;
        n
    };
    step(
        &mut s,
        &mut t,
        "first-ad",
        "do = \"name-compliance-contact\"\nperson = \"first-ad\"",
    );
    step(
        &mut s,
        &mut t,
        "armorer",
        "do = \"verify-lot\"\nlot = \"dummies\"\ncounted = 60",
    );
    let mut day = String::new();
    let mut cycle = 0usize;
    loop {
        // A shooting day runs 06:00 to 22:00: then wrap, and start the next at 06:00.
        if !day.is_empty() && t.format("%H").to_string().as_str() >= "22" {
            step(&mut s, &mut t, "first-ad", "do = \"wrap\"");
            t = (t.date() + Duration::days(1))
                .and_hms_opt(6, 0, 0)
                .expect("06:00");
        }
        let today = t.format("%Y-%m-%d").to_string();
        if today != day {
            day = today;
            step(&mut s, &mut t, "first-ad", "do = \"start-day\"");
            let scene = format!("scene-{day}");
            step(
                &mut s,
                &mut t,
                "first-ad",
                &format!(
                    "do = \"schedule-scene\"\nid = \"{scene}\"\ndate = \"{day}\"\nitems = [{items}]\nperformers = [\"actor\"]\nroster = [\"actor\", \"first-ad\"]"
                ),
            );
            step(
                &mut s,
                &mut t,
                "first-ad",
                &format!(
                    "do = \"safety-meeting\"\nscenes = [\"{scene}\"]\nattendees = [\"actor\", \"first-ad\", \"armorer\"]"
                ),
            );
            step(
                &mut s,
                &mut t,
                "first-ad",
                &format!("do = \"call-scene\"\nscene = \"{scene}\""),
            );
        }
        let g = format!("gun-{}", cycle % ITEMS);
        cycle += 1;
        let body = [
            ("armorer", format!("do = \"check-out\"\nitem = \"{g}\"")),
            (
                "armorer",
                format!("do = \"load\"\nitem = \"{g}\"\nlot = \"dummies\"\nrounds = 6"),
            ),
            (
                "armorer",
                format!(
                    "do = \"inspect\"\nitem = \"{g}\"\nstate = \"dummies\"\nrounds = 6\nlot = \"dummies\""
                ),
            ),
            ("actor", format!("do = \"confirm-check\"\nitem = \"{g}\"")),
            ("first-ad", format!("do = \"second-check\"\nitem = \"{g}\"")),
            (
                "armorer",
                format!("do = \"announce\"\nitem = \"{g}\"\nstatus = \"cold\""),
            ),
            (
                "armorer",
                format!("do = \"hand-over\"\nitem = \"{g}\"\nto = \"actor\""),
            ),
            (
                "actor",
                format!("do = \"hand-over\"\nitem = \"{g}\"\nto = \"armorer\""),
            ),
            ("armorer", format!("do = \"unload\"\nitem = \"{g}\"")),
            ("armorer", format!("do = \"store\"\nitem = \"{g}\"")),
        ];
        for (by, b) in body {
            if step(&mut s, &mut t, by, &b) >= steps {
                return s;
            }
        }
    }
}

fn bench(c: &mut Criterion) {
    let steps: usize = std::env::var("SETGUARD_BENCH_STEPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let text = generate(steps);
    let started = std::time::Instant::now();
    let scenario: Scenario =
        parse_scenario("bench.toml", &text).expect("the generated scenario reads");
    eprintln!("read {steps} steps in {:?}", started.elapsed());
    assert_eq!(scenario.steps.len(), steps);
    let started = std::time::Instant::now();
    // Every step must be recorded, or we would be timing refusals.
    let timeline = run(&scenario);
    eprintln!("ran {steps} steps in {:?}", started.elapsed());
    if let Some((entry, why)) = timeline.mismatches().next() {
        panic!("the generated day must replay cleanly: {why} at {entry:?}");
    }
    assert_eq!(
        timeline.summary.refused, 0,
        "no step of the generated day is refused"
    );
    assert_eq!(timeline.summary.recorded, steps);

    let mut g = c.benchmark_group("replay 100k steps");
    g.sample_size(10);
    g.bench_function("baseline: parse as a plain toml::Table", |b| {
        b.iter(|| black_box(&text).parse::<toml::Table>().expect("toml"))
    });
    g.bench_function("read the scenario (parse + checks)", |b| {
        b.iter(|| parse_scenario("bench.toml", black_box(&text)).expect("reads"))
    });
    g.bench_function("run the steps (tick + decide + apply)", |b| {
        b.iter(|| run(black_box(&scenario)))
    });
    g.bench_function("replay: read and run", |b| {
        b.iter(|| {
            let s = parse_scenario("bench.toml", black_box(&text)).expect("reads");
            run(&s)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
