//! One blocking PostgreSQL connection, taken in turn by a store's calls: the plumbing under the
//! ledger's [`PostgresStore`](crate::postgres::PostgresStore) and the server's account store.
//!
//! Failures come back as messages, "DOING (PLACE): WHY", for each store to wrap in its own error
//! type. Connections are made without TLS (`NoTls`).

use postgres::{Client, Config, NoTls};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// Parses `url` (`postgres://`, `postgresql://` or a libpq key=value string) into the config
/// every connection is made with.
pub fn config(url: &str) -> Result<Config, postgres::Error> {
    let mut config: Config = url.parse()?;
    // Without a timeout, an unreachable server would hang startup (and every reconnect) for as
    // long as the OS keeps trying.
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(10));
    }
    config.application_name("setguard");
    Ok(config)
}

/// One connection, remade on the next call after it is lost, so a restarted database costs the
/// calls in flight, not the server.
pub struct Connection {
    config: Config,
    /// Where the database is, for messages; never holds the password.
    place: String,
    client: Mutex<Option<Client>>,
    /// Set after a failed call: the connection may be half-dead without knowing it yet, so the
    /// next call makes a new one.
    suspect: AtomicBool,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("place", &self.place)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// Connects now, so that a database that cannot be reached is an error at open.
    pub fn open(config: Config) -> Result<Connection, String> {
        let place = place_of(&config);
        let client = connect(&config, &place)?;
        Ok(Connection {
            config,
            place,
            client: Mutex::new(Some(client)),
            suspect: AtomicBool::new(false),
        })
    }

    /// "postgres://host:port/dbname", without the credentials.
    pub fn place(&self) -> &str {
        &self.place
    }

    /// The connection, remade first if it was lost or marked suspect.
    pub fn client(&self) -> Result<ClientGuard<'_>, String> {
        // A panic while the lock was held left at most an open transaction, which postgres
        // rolls back when it is dropped: the client is still good to use.
        let mut client = self.client.lock().unwrap_or_else(PoisonError::into_inner);
        let usable = client.as_ref().is_some_and(|c| !c.is_closed());
        if !usable || self.suspect.swap(false, Ordering::SeqCst) {
            if let Some(old) = client.take() {
                close_elsewhere(old);
            }
            *client = Some(connect(&self.config, &self.place)?);
        }
        Ok(ClientGuard(client))
    }

    /// Has the next call make a new connection.
    pub fn mark_suspect(&self) {
        self.suspect.store(true, Ordering::SeqCst);
    }
}

impl Drop for Connection {
    /// The blocking client closes its connection by running a small runtime of its own, which
    /// panics on a thread that already drives one (the server's). So it is closed on a thread
    /// of its own, whoever drops the store.
    fn drop(&mut self) {
        let client = self
            .client
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(c) = client {
            close_elsewhere(c);
        }
    }
}

/// The connection, held for one call; it is always there (see [`Connection::client`]).
pub struct ClientGuard<'a>(MutexGuard<'a, Option<Client>>);

impl std::fmt::Debug for ClientGuard<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientGuard").finish_non_exhaustive()
    }
}

impl std::ops::Deref for ClientGuard<'_> {
    type Target = Client;
    fn deref(&self) -> &Client {
        // `client()` only hands out a guard after putting a connection in.
        self.0.as_ref().expect("a connection is in place")
    }
}

impl std::ops::DerefMut for ClientGuard<'_> {
    fn deref_mut(&mut self) -> &mut Client {
        self.0.as_mut().expect("a connection is in place")
    }
}

/// "DOING (PLACE): WHY", for a failure while doing something with the database at `place`.
pub fn describe(place: &str, doing: &str, e: postgres::Error) -> String {
    // The Display of a database error says only "db error"; the server's message is in the
    // source, and is what the operator needs.
    match e.as_db_error() {
        Some(db) => format!("{doing} ({place}): {db}"),
        None => format!("{doing} ({place}): {e}"),
    }
}

fn connect(config: &Config, place: &str) -> Result<Client, String> {
    config
        .connect(NoTls)
        .map_err(|e| describe(place, "connecting", e))
}

/// Drops a client on a thread of its own (see `Drop for Connection`).
fn close_elsewhere(client: Client) {
    let _ = std::thread::Builder::new()
        .name("setguard-pg-close".to_owned())
        .spawn(move || drop(client));
}

/// "postgres://host:port/dbname", from the parts of the config that name the place, not the
/// credentials.
fn place_of(config: &Config) -> String {
    let host = config
        .get_hosts()
        .iter()
        .map(|h| match h {
            postgres::config::Host::Tcp(name) => name.clone(),
            #[cfg(unix)]
            postgres::config::Host::Unix(path) => path.display().to_string(),
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
