//! A pool of PostgreSQL connections for synchronous callers: the plumbing under the ledger's
//! [`PostgresStore`](crate::postgres::PostgresStore) and the server's account store.
//!
//! The stores' traits are synchronous (the server calls them from `spawn_blocking`, the CLI and
//! the tests from plain threads), but one blocking connection per store meant one PostgreSQL
//! operation at a time per server. So each [`Pool`] owns a small private tokio runtime whose
//! workers drive a `deadpool-postgres` pool of `tokio-postgres` connections, and each call
//! blocks its own thread on [`Pool::run`] while it borrows one connection: as many calls run at
//! once as the pool has connections.
//!
//! **Never call a [`Pool`] from an async task** (a tokio worker thread): it blocks the thread
//! with `Runtime::block_on`, which tokio refuses there (it panics). `spawn_blocking` threads and
//! plain threads are fine. Dropping a pool is fine anywhere.
//!
//! Failures come back as messages, "DOING (PLACE): WHY", for each store to wrap in its own error
//! type; PLACE never holds credentials. Connections are made without TLS (`NoTls`).

use deadpool_postgres::{Manager, ManagerConfig, Object, PoolError, RecyclingMethod};
use std::future::Future;
use std::time::Duration;
use tokio_postgres::{Config, NoTls};

/// Connections a pool opens at most, unless the URL says otherwise (`pool_size=N`).
pub const DEFAULT_POOL_SIZE: usize = 8;

/// The URL parameter that sets the pool size. It is setguard's, not libpq's: it is taken out of
/// the URL before the rest is parsed.
pub const POOL_SIZE_PARAM: &str = "pool_size";

/// Workers of a pool's runtime. They only move bytes between the sockets and the calling
/// threads, which do the rest (hashing, signing, decoding), so two are plenty.
const WORKERS: usize = 2;

/// How to reach the database, and how many connections to keep.
#[derive(Clone)]
pub struct Settings {
    config: Config,
    pool_size: usize,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Config's Debug redacts the password, but the place is all anyone needs here.
        f.debug_struct("Settings")
            .field("place", &place_of(&self.config))
            .field("pool_size", &self.pool_size)
            .finish()
    }
}

impl Settings {
    /// The most connections the pool opens.
    pub fn pool_size(&self) -> usize {
        self.pool_size
    }

    /// The connection settings, for a connection of its own outside any pool (the server's
    /// `LISTEN`).
    pub fn postgres_config(&self) -> &Config {
        &self.config
    }

    /// "postgres://host:port/dbname", without the credentials.
    pub fn place(&self) -> String {
        place_of(&self.config)
    }
}

/// Parses `url` (`postgres://`, `postgresql://` or a libpq key=value string) into the settings
/// every connection is made with. `pool_size=N` (a URL query parameter, or a key=value pair)
/// sets the pool size, [`DEFAULT_POOL_SIZE`] without it.
pub fn config(url: &str) -> Result<Settings, String> {
    let (url, pool_size) = take_pool_size(url)?;
    let mut config: Config = url
        .parse()
        .map_err(|e: tokio_postgres::Error| e.to_string())?;
    // Without a timeout, an unreachable server would hang startup (and every reconnect) for as
    // long as the OS keeps trying.
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(10));
    }
    config.application_name("setguard");
    Ok(Settings {
        config,
        pool_size: pool_size.unwrap_or(DEFAULT_POOL_SIZE),
    })
}

/// `url` without its `pool_size` parameter, and the size it gave.
fn take_pool_size(url: &str) -> Result<(String, Option<usize>), String> {
    let parse = |v: &str| match v.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!(
            "{POOL_SIZE_PARAM} must be a whole number of connections, at least 1, not {v:?}"
        )),
    };
    let mut size = None;
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let Some((base, query)) = url.split_once('?') else {
            return Ok((url.to_owned(), None));
        };
        let mut kept = Vec::new();
        for pair in query.split('&') {
            match pair.split_once('=') {
                Some((k, v)) if k == POOL_SIZE_PARAM => size = Some(parse(v)?),
                _ => kept.push(pair),
            }
        }
        let url = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        return Ok((url, size));
    }
    // key=value: only the plain `pool_size=N` form, which a quoted value never starts.
    let mut kept = Vec::new();
    for word in url.split_ascii_whitespace() {
        match word.split_once('=') {
            Some((k, v)) if k == POOL_SIZE_PARAM => size = Some(parse(v)?),
            _ => kept.push(word),
        }
    }
    if size.is_none() {
        return Ok((url.to_owned(), None));
    }
    Ok((kept.join(" "), size))
}

/// What a store's error type must say about the pool, so that [`Pool::run`] can make it and
/// act on it.
pub trait PoolFailure {
    /// No connection could be had: "connecting (PLACE): WHY".
    fn unavailable(message: String) -> Self;
    /// Whether the connection this failure happened on may be broken (a lost connection, an
    /// unknown state), so that it is closed rather than handed to the next call.
    fn breaks_connection(&self) -> bool;
}

/// A pooled connection, borrowed for one call: a `tokio_postgres::Client` with a cache of
/// prepared statements (`prepare_cached`).
pub type Client = Object;

/// Connections to one database, lent to one call at a time each.
pub struct Pool {
    pool: deadpool_postgres::Pool,
    /// Drives the connections; only `None` while dropping.
    runtime: Option<tokio::runtime::Runtime>,
    /// Where the database is, for messages; never holds the password.
    place: String,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("place", &self.place)
            .field("size", &self.pool.status().max_size)
            .finish_non_exhaustive()
    }
}

impl Pool {
    /// Starts the pool's runtime (threads named `thread_name`) and makes one connection now, so
    /// that a database that cannot be reached is an error at open. More are made as calls
    /// overlap, up to the pool size.
    pub fn open(settings: Settings, thread_name: &str) -> Result<Pool, String> {
        let place = place_of(&settings.config);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(WORKERS)
            .thread_name(thread_name)
            .enable_all()
            .build()
            .map_err(|e| format!("starting the PostgreSQL runtime ({place}): {e}"))?;
        let manager = Manager::from_config(
            settings.config,
            NoTls,
            // Fast: a connection is checked with `is_closed()` before it is lent, which the
            // connection's own task sets as soon as it sees the socket close (a restart, an
            // ended backend). A connection that failed a call is closed by `run` instead.
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = deadpool_postgres::Pool::builder(manager)
            .max_size(settings.pool_size)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()
            .map_err(|e| format!("making the PostgreSQL pool ({place}): {e}"))?;
        let pool = Pool {
            pool,
            runtime: Some(runtime),
            place,
        };
        // Given back at once: the first call uses it.
        drop(pool.block_on(pool.get())?);
        Ok(pool)
    }

    /// "postgres://host:port/dbname", without the credentials.
    pub fn place(&self) -> &str {
        &self.place
    }

    /// The most connections this pool opens.
    pub fn max_size(&self) -> usize {
        self.pool.status().max_size
    }

    /// Runs `f` on a pooled connection, blocking the calling thread until it is done. A failure
    /// that [breaks the connection](PoolFailure::breaks_connection) closes it, so the next call
    /// gets a sound one (made anew if need be).
    ///
    /// Must not be called from an async task (see the module's documentation).
    pub fn run<T, E: PoolFailure>(
        &self,
        f: impl AsyncFnOnce(&mut Client) -> Result<T, E>,
    ) -> Result<T, E> {
        self.block_on(async {
            let mut client = self.get().await.map_err(E::unavailable)?;
            let result = f(&mut client).await;
            if result.as_ref().is_err_and(E::breaks_connection) {
                discard(client);
            }
            result
        })
    }

    /// Runs `future` to its end on this pool's runtime, blocking the calling thread: for work
    /// that [`Pool::run`] does not fit, such as a read fetched a part at a time.
    ///
    /// Must not be called from an async task (see the module's documentation).
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime
            .as_ref()
            .expect("the runtime is there until the pool is dropped")
            .block_on(future)
    }

    /// A connection from the pool, made if none is free and the pool is not full; otherwise
    /// waits for one to be given back.
    pub async fn get(&self) -> Result<Client, String> {
        self.pool.get().await.map_err(|e| match e {
            PoolError::Backend(e) => describe(&self.place, "connecting", e),
            other => format!("connecting ({}): {other}", self.place),
        })
    }
}

/// Closes `client` instead of giving it back to its pool, which makes a new one when needed.
pub fn discard(client: Client) {
    drop(Object::take(client));
}

impl Drop for Pool {
    /// Without waiting for the runtime's threads: a store may be dropped on a thread that drives
    /// another runtime (the server's), where a blocking shutdown would panic. The connections
    /// close as their tasks are dropped.
    fn drop(&mut self) {
        self.pool.close();
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// "DOING (PLACE): WHY", for a failure while doing something with the database at `place`.
pub fn describe(place: &str, doing: &str, e: tokio_postgres::Error) -> String {
    // The Display of a database error says only "db error"; the server's message is in the
    // source, and is what the operator needs.
    match e.as_db_error() {
        Some(db) => format!("{doing} ({place}): {db}"),
        None => format!("{doing} ({place}): {e}"),
    }
}

/// "postgres://host:port/dbname", from the parts of the config that name the place, not the
/// credentials.
fn place_of(config: &Config) -> String {
    let host = config
        .get_hosts()
        .iter()
        .map(|h| match h {
            tokio_postgres::config::Host::Tcp(name) => name.clone(),
            #[cfg(unix)]
            tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .collect::<Vec<_>>()
        .join(",");
    let port = config
        .get_ports()
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let db = config
        .get_dbname()
        .or(config.get_user())
        .unwrap_or_default();
    format!("postgres://{host}:{port}/{db}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pool_size_is_taken_out_of_either_form_of_url() {
        let size = |url: &str| config(url).map(|s| s.pool_size());
        assert_eq!(size("postgres://u@db/x"), Ok(DEFAULT_POOL_SIZE));
        assert_eq!(size("postgres://u@db/x?pool_size=3"), Ok(3));
        assert_eq!(
            size("postgresql://u@db/x?sslmode=disable&pool_size=16"),
            Ok(16)
        );
        assert_eq!(size("host=db user=u pool_size=2 dbname=x"), Ok(2));
        assert_eq!(size("host=db user=u dbname=x"), Ok(DEFAULT_POOL_SIZE));
        for bad in ["postgres://db/x?pool_size=0", "host=db pool_size=many"] {
            let err = size(bad).unwrap_err();
            assert!(err.contains("pool_size"), "{bad}: {err}");
        }
        // What is left still parses, other parameters and all.
        let s = config("postgres://u:secret@db:5433/x?pool_size=4&connect_timeout=3").unwrap();
        assert_eq!(
            s.config.get_connect_timeout(),
            Some(&Duration::from_secs(3))
        );
        assert_eq!(place_of(&s.config), "postgres://db:5433/x");
        assert!(!format!("{s:?}").contains("secret"));
    }
}
