//! Reads that must not hold a long production whole: the dashboard's last days found by
//! bisection, an item's history filtered a page at a time. Both must return exactly what a
//! whole read would have given.

use setguard_core::{At, Command, ProductionId};
use setguard_ledger::sqlite::SqliteStore;
use setguard_ledger::{NodeKey, Store};
use setguard_server::live::{LiveError, Productions};
use std::sync::Arc;

fn at(day: u32, hour: u32) -> At {
    At::from_naive(
        chrono::NaiveDate::from_ymd_opt(2026, 11, day)
            .unwrap()
            .and_hms_opt(hour, 0, 0)
            .unwrap(),
    )
}

fn cmd(json: &str) -> Command {
    serde_json::from_str(json).unwrap()
}

#[tokio::test]
async fn the_last_days_and_an_items_records_are_exactly_the_whole_reads() {
    let dir = tempfile::tempdir().unwrap();
    let store =
        Arc::new(SqliteStore::open(dir.path().join("set.db"), NodeKey::ephemeral()).unwrap());
    let p = Productions::new(store.clone(), NodeKey::ephemeral());
    let id = ProductionId::parse("long").unwrap();
    p.open(
        &id,
        cmd(r#"{"do":"open-production","id":"long","name":"Long","policy":"standard","timezone":"UTC"}"#),
        at(1, 8),
    )
    .await
    .unwrap();
    // Items registered over twenty days, several a day, more than one page of them.
    let mut n = 0;
    for day in 2..=21 {
        for hour in 8..=12 {
            for k in 0..50 {
                n += 1;
                let json = format!(
                    r#"{{"do":"register-item","id":"gun-{n}","kind":"functional","class":"revolver","calibre":".45 Colt","serial":"S-{day}-{hour}-{k}"}}"#
                );
                p.execute_at(&id, None, &cmd(&json), Some(at(day, hour)))
                    .await
                    .unwrap();
            }
        }
    }
    let all = store.read(&id, 1).unwrap();
    assert!(all.len() > 4096, "more than one page: {}", all.len());
    for day in [1, 2, 7, 21] {
        let first = chrono::NaiveDate::from_ymd_opt(2026, 11, day).unwrap();
        let since = p.records_since(&id, first).await.unwrap();
        let expected: Vec<u64> = all
            .iter()
            .filter(|r| r.event.at.date() >= first)
            .map(|r| r.seq)
            .collect();
        assert_eq!(
            since.iter().map(|r| r.seq).collect::<Vec<_>>(),
            expected,
            "day {day}"
        );
    }
    let future = chrono::NaiveDate::from_ymd_opt(2026, 12, 30).unwrap();
    assert!(p.records_since(&id, future).await.unwrap().is_empty());

    let needle = b"\"gun-77\"";
    let kept = p
        .records_where(&id, move |r| {
            r.payload
                .windows(needle.len())
                .any(|w| w == needle.as_slice())
        })
        .await
        .unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].seq, 78);

    let none = ProductionId::parse("none").unwrap();
    assert!(matches!(
        p.records_since(&none, future).await,
        Err(LiveError::NoProduction(_))
    ));
    assert!(matches!(
        p.records_where(&none, |_| true).await,
        Err(LiveError::NoProduction(_))
    ));
}
