//! Helpers shared by the ledger's integration tests.
#![allow(dead_code)]

use ed25519_dalek::VerifyingKey;
use setguard_core::{At, Event, EventBody, ItemId, PersonId, ProductionId};
use setguard_ledger::sqlite::SqliteStore;
use setguard_ledger::{NodeKey, Store};
use std::path::PathBuf;
use tempfile::TempDir;

/// A store on its own database, the key that signs it, and the directory that holds both
/// (deleted when dropped).
pub struct Fixture {
    pub store: Box<dyn Store>,
    pub key: VerifyingKey,
    pub path: PathBuf,
    pub dir: TempDir,
}

pub fn sqlite() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let key = NodeKey::load_or_create(dir.path()).unwrap();
    let public = key.public();
    let path = dir.path().join("ledger.db");
    let store = SqliteStore::open(&path, key).unwrap();
    Fixture {
        store: Box::new(store),
        key: public,
        path,
        dir,
    }
}

pub fn stream(name: &str) -> ProductionId {
    ProductionId::parse(name).unwrap()
}

/// A distinct event for each `n`, by the armorer.
pub fn set_down(n: u64) -> Event {
    Event::new(
        At::parse("2021-10-21T11:45")
            .unwrap()
            .plus_minutes(u32::try_from(n % 1000).unwrap()),
        Some(PersonId::parse("armorer").unwrap()),
        EventBody::SetDown {
            item: ItemId::parse("colt").unwrap(),
            place: format!("cart {n}"),
        },
    )
}

/// An event no person did.
pub fn day_started() -> Event {
    Event::new(
        At::parse("2021-10-21T07:00").unwrap(),
        None,
        EventBody::DayStarted,
    )
}
