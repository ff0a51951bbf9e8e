//! The setguard ledger: an append-only, hash-chained, signed record of a production's events.
//!
//! Every event is written once, at the next sequence number of its production's stream, chained
//! to the one before by a SHA-256 hash of its canonical bytes ([`canonical`]). Each commit ends
//! with a checkpoint (stream, seq, head hash) signed by the node's Ed25519 key ([`keys`]), so
//! someone who does not trust the server can check, with [`verify`], that nothing was edited,
//! inserted, removed or reordered.
//!
//! Storage sits behind the [`Store`] trait, written in domain words; the backend is chosen once,
//! from the URL ([`open`]). SQLite ([`sqlite`]) is the default, for one server; PostgreSQL
//! ([`postgres`]) is for several servers sharing one ledger, where the database's
//! `UNIQUE (stream, seq)` keeps their appends from forking a stream.

pub mod bundle;
pub mod canonical;
mod error;
pub mod keys;
pub mod pgconn;
pub mod postgres;
pub mod snapshot;
pub mod sqlite;
mod store;
pub mod verify;

pub use canonical::{ChainHash, RecordFields};
pub use error::LedgerError;
pub use keys::{Checkpoint, NodeKey};
pub use store::{Appended, Head, PendingAppend, Record, Snapshot, Store};

use std::path::PathBuf;

/// Opens the ledger named by `url`, signing checkpoints with `key`.
///
/// `sqlite:PATH` opens (or creates) an SQLite ledger at PATH. `postgres://...` (or
/// `postgresql://...`) connects to an existing PostgreSQL database and creates or migrates the
/// ledger's tables in it. Other schemes are refused, so a typo never silently creates a ledger
/// somewhere unexpected.
pub fn open(url: &str, key: NodeKey) -> Result<Box<dyn Store>, LedgerError> {
    match backend(url)? {
        Backend::Sqlite(path) => Ok(Box::new(sqlite::SqliteStore::open(path, key)?)),
        Backend::Postgres => Ok(Box::new(crate::postgres::PostgresStore::open(url, key)?)),
    }
}

/// Opens an existing ledger to read it without writing a byte: no file made, no migration, and
/// every append refused. What `verify`, `export` and `status` use, so a mistyped path is an
/// error and an investigator's copy stays exactly as it was.
pub fn open_read_only(url: &str) -> Result<Box<dyn Store>, LedgerError> {
    match backend(url)? {
        Backend::Sqlite(path) => Ok(Box::new(sqlite::SqliteStore::open_read_only(path)?)),
        Backend::Postgres => Ok(Box::new(crate::postgres::PostgresStore::open_read_only(
            url,
        )?)),
    }
}

enum Backend {
    Sqlite(PathBuf),
    Postgres,
}

fn backend(url: &str) -> Result<Backend, LedgerError> {
    if let Some(path) = url.strip_prefix("sqlite:") {
        let path = path.strip_prefix("//").unwrap_or(path);
        if path.is_empty() {
            return Err(LedgerError::BadUrl(format!("{url:?} names no file")));
        }
        return Ok(Backend::Sqlite(PathBuf::from(path)));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Backend::Postgres);
    }
    Err(LedgerError::BadUrl(format!(
        "{url:?} is not a ledger URL; write sqlite:PATH or postgres://..."
    )))
}
