//! `decide` for a hand-over on a production of 500 items and 100,000 past events (target: median
//! under 5 µs), with `apply` and `tick` alongside for scale. Run: `cargo bench -p setguard-core`.

use criterion::{Criterion, criterion_group, criterion_main};
use setguard_core::*;
use std::hint::black_box;

fn cmd(json: &str) -> Command {
    serde_json::from_str(json).expect("bench command")
}

struct Prod {
    state: State,
    now: At,
}

impl Prod {
    fn run(&mut self, by: Option<&str>, json: &str) {
        let ctx = Ctx {
            now: self.now,
            by: by.map(|b| PersonId::parse(b).expect("id")),
        };
        for e in tick(&self.state, self.now) {
            self.state.apply(&e);
        }
        let events =
            decide(&self.state, &cmd(json), &ctx).unwrap_or_else(|e| panic!("{json}: {e:?}"));
        for e in &events {
            self.state.apply(e);
        }
    }
    fn minute(&mut self) {
        self.now = self.now.plus_minutes(1);
    }
}

/// A production with 500 items whose record holds about `events` past events of check-outs,
/// inspections and stores, ready for the colt to be handed to the actor.
fn production(events: u64) -> Prod {
    let mut p = Prod {
        state: State::new(),
        now: At::parse("2021-10-01T07:00").expect("time"),
    };
    p.run(
        None,
        r#"{"do":"open-production","id":"big","name":"Big","policy":"standard"}"#,
    );
    for (id, role) in [
        ("armorer", "armorer"),
        ("first-ad", "first-ad"),
        ("actor", "performer"),
    ] {
        p.run(
            None,
            &format!(r#"{{"do":"register-person","id":"{id}","name":"{id}"}}"#),
        );
        p.run(None, &format!(r#"{{"do":"grant-credential","person":"{id}","kind":"handler","expires":"2099-01-01"}}"#));
        p.run(
            None,
            &format!(r#"{{"do":"assign-role","person":"{id}","role":"{role}"}}"#),
        );
    }
    p.run(
        None,
        r#"{"do":"name-compliance-contact","person":"first-ad"}"#,
    );
    for i in 0..500 {
        p.run(None, &format!(r#"{{"do":"register-item","id":"item-{i}","kind":"functional","class":"pistol","calibre":"9mm","serial":"S-{i}"}}"#));
    }
    p.run(
        Some("armorer"),
        r#"{"do":"record-training","performer":"actor","class":"pistol"}"#,
    );
    let mut i = 0;
    while p.state.events < events {
        let item = format!("item-{}", i % 500);
        p.run(
            Some("armorer"),
            &format!(r#"{{"do":"check-out","item":"{item}"}}"#),
        );
        p.run(
            Some("armorer"),
            &format!(r#"{{"do":"inspect","item":"{item}","state":"empty"}}"#),
        );
        p.run(
            Some("armorer"),
            &format!(r#"{{"do":"store","item":"{item}"}}"#),
        );
        p.minute();
        i += 1;
    }
    let day = p.now.date();
    p.run(None, &format!(
        r#"{{"do":"schedule-scene","id":"duel","date":"{day}","items":["item-7"],"performers":["actor"],"roster":["actor","first-ad"]}}"#
    ));
    p.run(
        Some("first-ad"),
        r#"{"do":"safety-meeting","scenes":["duel"],"attendees":["actor","first-ad"]}"#,
    );
    p.run(Some("first-ad"), r#"{"do":"call-scene","scene":"duel"}"#);
    p.run(Some("armorer"), r#"{"do":"check-out","item":"item-7"}"#);
    p.run(
        Some("armorer"),
        r#"{"do":"inspect","item":"item-7","state":"empty"}"#,
    );
    p.run(Some("actor"), r#"{"do":"confirm-check","item":"item-7"}"#);
    p.run(Some("first-ad"), r#"{"do":"second-check","item":"item-7"}"#);
    p
}

fn bench(c: &mut Criterion) {
    // Baseline, side by side: the same hand-over on the same 500 items with almost no history.
    // The ratio of the two shows what 100,000 past events cost a decision.
    let fresh = production(0);
    let p = production(100_000);
    assert!(p.state.events >= 100_000);
    let hand_over = cmd(r#"{"do":"hand-over","item":"item-7","to":"actor"}"#);
    let ctx = Ctx {
        now: p.now,
        by: Some(PersonId::parse("armorer").expect("id")),
    };
    // The hand-over must be one that is recorded, or we would time a refusal.
    assert!(decide(&p.state, &hand_over, &ctx).is_ok());
    let fresh_ctx = Ctx {
        now: fresh.now,
        by: ctx.by.clone(),
    };
    assert!(decide(&fresh.state, &hand_over, &fresh_ctx).is_ok());
    c.bench_function("baseline: decide hand-over (500 items, no history)", |b| {
        b.iter(|| {
            decide(
                black_box(&fresh.state),
                black_box(&hand_over),
                black_box(&fresh_ctx),
            )
        })
    });
    c.bench_function("decide hand-over (500 items, 100k events)", |b| {
        b.iter(|| decide(black_box(&p.state), black_box(&hand_over), black_box(&ctx)))
    });
    let refused = cmd(r#"{"do":"hand-over","item":"item-8","to":"actor"}"#);
    c.bench_function("decide refused hand-over (500 items, 100k events)", |b| {
        b.iter(|| decide(black_box(&p.state), black_box(&refused), black_box(&ctx)))
    });
    c.bench_function("tick (500 items, 100k events)", |b| {
        b.iter(|| tick(black_box(&p.state), black_box(p.now)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
