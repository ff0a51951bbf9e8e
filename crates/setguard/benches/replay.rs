//! Replaying 100,000 steps of a generated scenario (target: under 1 s), side by side with the
//! floor of that work: parsing the same file into a plain `toml::Table`.
//! Run: `cargo bench -p setguard --bench replay`.

mod common;

use common::generate;
use criterion::{Criterion, criterion_group, criterion_main};
use setguard::scenario::run::run;
use setguard::{Scenario, parse_scenario};
use std::hint::black_box;

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
