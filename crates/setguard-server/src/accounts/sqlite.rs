//! Accounts in an SQLite file of their own, beside the ledger: WAL, `synchronous=FULL` (a new
//! password or an ended session must survive a power cut), and one connection per handle, taken
//! in turn. Two handles on one file (two processes) wait for each other through
//! `busy_timeout`; each counting statement is atomic on its own.

use super::{
    AccountError, Credentials, DeliveryAttempt, Directory, LEASE_ENDED, Secret, StoredSession,
    TakenOver,
};
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// Written into the file header (`PRAGMA application_id`, "SGAC"), so an account file is told
/// apart from a ledger or any other database before anything is written to it.
const APPLICATION_ID: i64 = 0x5347_4143;

/// The migrations, in order; each runs once and is recorded in `setguard_accounts_migrations`.
/// Never edit or reorder a released migration: add a new one.
const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        r#"
    -- One row per account. The secrets are argon2id PHC strings, never the secrets themselves.
    -- Each secret has its own count of consecutive failures and the unix second its lock ends
    -- (0: never locked).
    CREATE TABLE setguard_accounts (
        username            TEXT    NOT NULL PRIMARY KEY,
        password_hash       TEXT    NOT NULL,
        pin_hash            TEXT    NOT NULL,
        admin               INTEGER NOT NULL DEFAULT 0 CHECK (admin IN (0, 1)),
        signin_failures     INTEGER NOT NULL DEFAULT 0,
        signin_locked_until INTEGER NOT NULL DEFAULT 0,
        pin_failures        INTEGER NOT NULL DEFAULT 0,
        pin_locked_until    INTEGER NOT NULL DEFAULT 0,
        created_at          TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
    );

    -- Sessions, by the SHA-256 (hex) of their token: the token itself is only ever with the
    -- browser, so reading this table signs nobody in.
    CREATE TABLE setguard_sessions (
        token_hash   TEXT    NOT NULL PRIMARY KEY CHECK (length(token_hash) = 64),
        username     TEXT    NOT NULL REFERENCES setguard_accounts (username) ON DELETE CASCADE,
        csrf         TEXT    NOT NULL,
        created_unix INTEGER NOT NULL,
        expires_unix INTEGER NOT NULL
    );
    CREATE INDEX setguard_sessions_by_expiry ON setguard_sessions (expires_unix);
    CREATE INDEX setguard_sessions_by_user ON setguard_sessions (username);

    -- Who an account is on each production: on a production a person has at most one account,
    -- and an account is at most one person.
    CREATE TABLE setguard_account_links (
        production TEXT NOT NULL,
        person     TEXT NOT NULL,
        username   TEXT NOT NULL REFERENCES setguard_accounts (username) ON DELETE CASCADE,
        PRIMARY KEY (production, person),
        UNIQUE (username, production)
    );
    "#,
    ),
    (
        2,
        r#"
    -- The link posted on set (as a QR code) for anonymous safety concerns: one per production,
    -- unguessable, so the form is reached from the set and not by guessing production ids. It
    -- names no one, and nothing about who used it is kept.
    CREATE TABLE setguard_concern_links (
        production TEXT PRIMARY KEY,
        token      TEXT NOT NULL UNIQUE
    );
    "#,
    ),
    (
        3,
        r#"
    -- The notification outbox: one row per (record, recipient), inserted with ON CONFLICT DO
    -- NOTHING by the server that claims it, so that servers sharing this store send each
    -- notification once. It names no person: the payload is rebuilt from the ledger.
    CREATE TABLE setguard_notifications (
        id           INTEGER PRIMARY KEY,
        production   TEXT    NOT NULL,
        seq          INTEGER NOT NULL,
        recipient    TEXT    NOT NULL,
        kind         TEXT    NOT NULL,
        claimed_unix INTEGER NOT NULL,
        UNIQUE (production, seq, recipient)
    );

    -- Every attempt at delivering one: when, and what came of it.
    CREATE TABLE setguard_delivery_attempts (
        id           INTEGER PRIMARY KEY,
        notification INTEGER NOT NULL
                     REFERENCES setguard_notifications (id) ON DELETE CASCADE,
        at_unix      INTEGER NOT NULL,
        outcome      TEXT    NOT NULL,
        delivered    INTEGER NOT NULL CHECK (delivered IN (0, 1))
    );
    CREATE INDEX setguard_delivery_attempts_by_notification
        ON setguard_delivery_attempts (notification);
    "#,
    ),
    (
        4,
        r#"
    -- Who delivers each notification, and until when: the notifier that claimed it renews its
    -- lease before each attempt; a lease that ran out (the server stopped mid-retry) lets
    -- another server's sweep take the notification over, with one conditional UPDATE. The
    -- largest integer marks a delivery that is over (delivered, or out of attempts). Rows from
    -- before this migration: the delivered ones are over; the others are taken over if they
    -- have attempts left.
    ALTER TABLE setguard_notifications ADD COLUMN lease_holder TEXT NOT NULL DEFAULT '';
    ALTER TABLE setguard_notifications ADD COLUMN lease_until_unix INTEGER NOT NULL DEFAULT 0;
    UPDATE setguard_notifications SET lease_until_unix = 9223372036854775807
        WHERE EXISTS (SELECT 1 FROM setguard_delivery_attempts a
                      WHERE a.notification = setguard_notifications.id AND a.delivered = 1);
    CREATE INDEX setguard_notifications_by_lease
        ON setguard_notifications (recipient, lease_until_unix);
    "#,
    ),
];

pub(super) struct SqliteDirectory {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for SqliteDirectory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteDirectory")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteDirectory {
    /// Opens the account file at `path`, creating it (readable by its owner only) and migrating
    /// it as needed. A file that is another program's database, a ledger included, is refused
    /// and left untouched.
    pub(super) fn open(path: &Path) -> Result<SqliteDirectory, AccountError> {
        create_private(path)?;
        let mut conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| sql_error(path, "opening", e))?;
        conn.busy_timeout(Duration::from_secs(10))
            .map_err(|e| sql_error(path, "setting the busy timeout", e))?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(|e| sql_error(path, "setting synchronous=FULL", e))?;
        // Off by default in SQLite, per connection: without it a session could name an account
        // that is not there.
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(|e| sql_error(path, "enabling foreign keys", e))?;
        prepare(&mut conn, path)?;
        Ok(SqliteDirectory {
            path: path.to_owned(),
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while the lock was held left at most a statement unfinished, which SQLite
        // rolled back: the connection is still good.
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn err(&self, doing: &str) -> impl Fn(rusqlite::Error) -> AccountError + '_ {
        let doing = doing.to_owned();
        move |e| sql_error(&self.path, &doing, e)
    }
}

/// Makes the file, if it is not there, readable and writable by its owner only: it holds
/// password hashes. SQLite gives its `-wal` and `-shm` files the same permissions.
fn create_private(path: &Path) -> Result<(), AccountError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(AccountError::Store(format!(
            "creating the account file {}: {e}",
            path.display()
        ))),
    }
}

fn sql_error(path: &Path, doing: &str, e: rusqlite::Error) -> AccountError {
    AccountError::Store(format!("{doing} ({}): {e}", path.display()))
}

/// Checks that the file is ours (or new), switches it to WAL and runs the migrations.
fn prepare(conn: &mut Connection, path: &Path) -> Result<(), AccountError> {
    let e = |doing: &'static str| move |err| sql_error(path, doing, err);
    let app_id: i64 = conn
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .map_err(e("reading the application id"))?;
    if app_id != APPLICATION_ID {
        let tables: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .map_err(e("reading the schema"))?;
        if app_id != 0 || tables != 0 {
            return Err(AccountError::Store(format!(
                "{} is not a setguard account file: it is another program's database",
                path.display()
            )));
        }
        conn.pragma_update(None, "application_id", APPLICATION_ID)
            .map_err(e("marking the file as an account file"))?;
    }
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
        .map_err(e("switching to WAL"))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(AccountError::Store(format!(
            "{}: the file system refused WAL mode (got {mode})",
            path.display()
        )));
    }
    // IMMEDIATE: a second process opening the file at the same time waits here, then finds
    // nothing left to do.
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(e("starting the migrations"))?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS setguard_accounts_migrations (
            version    INTEGER PRIMARY KEY,
            applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
        )",
    )
    .map_err(e("creating setguard_accounts_migrations"))?;
    let current: i64 = tx
        .query_row(
            "SELECT coalesce(max(version), 0) FROM setguard_accounts_migrations",
            [],
            |r| r.get(0),
        )
        .map_err(e("reading the schema version"))?;
    let newest = MIGRATIONS.last().map_or(0, |m| m.0);
    if current > newest {
        return Err(AccountError::Store(format!(
            "{}: the account file is at schema {current}, newer than this setguard knows \
             ({newest}); upgrade setguard",
            path.display()
        )));
    }
    for (version, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
        tx.execute_batch(sql).map_err(e("running a migration"))?;
        tx.execute(
            "INSERT INTO setguard_accounts_migrations (version) VALUES (?1)",
            [version],
        )
        .map_err(e("recording a migration"))?;
    }
    tx.commit().map_err(e("committing the migrations"))
}

impl Directory for SqliteDirectory {
    fn add(
        &self,
        username: &str,
        password_hash: &str,
        pin_hash: &str,
        admin: bool,
    ) -> Result<bool, AccountError> {
        let n = self
            .conn()
            .execute(
                "INSERT INTO setguard_accounts (username, password_hash, pin_hash, admin)
                 VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                params![username, password_hash, pin_hash, admin],
            )
            .map_err(self.err("adding an account"))?;
        Ok(n == 1)
    }

    fn set_secret(&self, which: Secret, username: &str, hash: &str) -> Result<bool, AccountError> {
        let c = which.columns();
        let sql = format!(
            "UPDATE setguard_accounts SET {h} = ?2, {f} = 0, {l} = 0 WHERE username = ?1",
            h = c.hash,
            f = c.failures,
            l = c.locked_until
        );
        let n = self
            .conn()
            .execute(&sql, params![username, hash])
            .map_err(self.err("replacing a secret"))?;
        Ok(n == 1)
    }

    fn exists(&self, username: &str) -> Result<bool, AccountError> {
        self.conn()
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM setguard_accounts WHERE username = ?1)",
                [username],
                |r| r.get(0),
            )
            .map_err(self.err("looking up an account"))
    }

    fn credentials(
        &self,
        which: Secret,
        username: &str,
    ) -> Result<Option<Credentials>, AccountError> {
        let c = which.columns();
        let sql = format!(
            "SELECT {h}, {l}, admin FROM setguard_accounts WHERE username = ?1",
            h = c.hash,
            l = c.locked_until
        );
        self.conn()
            .query_row(&sql, [username], |r| {
                Ok(Credentials {
                    hash: r.get(0)?,
                    locked_until: r.get(1)?,
                    admin: r.get(2)?,
                })
            })
            .optional()
            .map_err(self.err("reading an account"))
    }

    fn failed(
        &self,
        which: Secret,
        username: &str,
        now: i64,
        limit: u32,
        lock_until: i64,
    ) -> Result<Option<i64>, AccountError> {
        let c = which.columns();
        // One statement: the count is read and written under the database's write lock, so
        // attempts on two handles (two processes) are all counted.
        let sql = format!(
            "UPDATE setguard_accounts SET
                {f} = CASE WHEN {f} + 1 >= ?3 THEN 0 ELSE {f} + 1 END,
                {l} = CASE WHEN {f} + 1 >= ?3 THEN ?4 ELSE {l} END
             WHERE username = ?1 AND {l} <= ?2
             RETURNING {l}",
            f = c.failures,
            l = c.locked_until
        );
        let conn = self.conn();
        let counted: Option<i64> = conn
            .query_row(&sql, params![username, now, limit, lock_until], |r| {
                r.get(0)
            })
            .optional()
            .map_err(self.err("counting a failure"))?;
        let until = match counted {
            Some(until) => until,
            // Not counted: locked already (or gone). Say until when.
            None => conn
                .query_row(
                    &format!(
                        "SELECT {l} FROM setguard_accounts WHERE username = ?1",
                        l = c.locked_until
                    ),
                    [username],
                    |r| r.get(0),
                )
                .optional()
                .map_err(self.err("reading a lock"))?
                .unwrap_or(0),
        };
        Ok((until > now).then_some(until))
    }

    fn succeeded(
        &self,
        which: Secret,
        username: &str,
        hash: &str,
        now: i64,
    ) -> Result<bool, AccountError> {
        let c = which.columns();
        let sql = format!(
            "UPDATE setguard_accounts SET {f} = 0
             WHERE username = ?1 AND {h} = ?2 AND {l} <= ?3",
            f = c.failures,
            h = c.hash,
            l = c.locked_until
        );
        let n = self
            .conn()
            .execute(&sql, params![username, hash, now])
            .map_err(self.err("clearing failures"))?;
        Ok(n == 1)
    }

    fn start_session(
        &self,
        token_hash: &str,
        username: &str,
        csrf: &str,
        now: i64,
        expires: i64,
    ) -> Result<(), AccountError> {
        let conn = self.conn();
        conn.execute(
            "DELETE FROM setguard_sessions WHERE expires_unix <= ?1",
            [now],
        )
        .map_err(self.err("forgetting expired sessions"))?;
        conn.execute(
            "INSERT INTO setguard_sessions (token_hash, username, csrf, created_unix, expires_unix)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![token_hash, username, csrf, now, expires],
        )
        .map_err(self.err("storing a session"))?;
        Ok(())
    }

    fn session(&self, token_hash: &str, now: i64) -> Result<Option<StoredSession>, AccountError> {
        self.conn()
            .query_row(
                "SELECT s.username, a.admin, s.csrf, s.expires_unix
                 FROM setguard_sessions s JOIN setguard_accounts a USING (username)
                 WHERE s.token_hash = ?1 AND s.expires_unix > ?2",
                params![token_hash, now],
                |r| {
                    Ok(StoredSession {
                        username: r.get(0)?,
                        admin: r.get(1)?,
                        csrf: r.get(2)?,
                        expires_unix: r.get(3)?,
                    })
                },
            )
            .optional()
            .map_err(self.err("reading a session"))
    }

    fn end_session(&self, token_hash: &str) -> Result<(), AccountError> {
        self.conn()
            .execute(
                "DELETE FROM setguard_sessions WHERE token_hash = ?1",
                [token_hash],
            )
            .map_err(self.err("ending a session"))?;
        Ok(())
    }

    fn insert_link(
        &self,
        username: &str,
        production: &str,
        person: &str,
    ) -> Result<bool, AccountError> {
        let n = self
            .conn()
            .execute(
                "INSERT INTO setguard_account_links (production, person, username)
                 VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
                params![production, person, username],
            )
            .map_err(self.err("linking an account"))?;
        Ok(n == 1)
    }

    fn person_in(&self, username: &str, production: &str) -> Result<Option<String>, AccountError> {
        self.conn()
            .query_row(
                "SELECT person FROM setguard_account_links
                 WHERE username = ?1 AND production = ?2",
                params![username, production],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.err("reading a link"))
    }

    fn account_of(&self, production: &str, person: &str) -> Result<Option<String>, AccountError> {
        self.conn()
            .query_row(
                "SELECT username FROM setguard_account_links
                 WHERE production = ?1 AND person = ?2",
                params![production, person],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.err("reading a link"))
    }

    fn memberships(&self, username: &str) -> Result<Vec<(String, String)>, AccountError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT production, person FROM setguard_account_links
                 WHERE username = ?1 ORDER BY production",
            )
            .map_err(self.err("reading links"))?;
        let rows = stmt
            .query_map([username], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(self.err("reading links"))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(self.err("reading links"))
    }

    fn concern_link(&self, production: &str, fresh: &str) -> Result<String, AccountError> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO setguard_concern_links (production, token) VALUES (?1, ?2)
             ON CONFLICT (production) DO NOTHING",
            params![production, fresh],
        )
        .map_err(self.err("making a concern link"))?;
        conn.query_row(
            "SELECT token FROM setguard_concern_links WHERE production = ?1",
            [production],
            |r| r.get(0),
        )
        .map_err(self.err("reading a concern link"))
    }

    fn concern_production(&self, token: &str) -> Result<Option<String>, AccountError> {
        self.conn()
            .query_row(
                "SELECT production FROM setguard_concern_links WHERE token = ?1",
                [token],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.err("reading a concern link"))
    }

    fn claim_notification(
        &self,
        production: &str,
        seq: i64,
        recipient: &str,
        kind: &str,
        now: i64,
        holder: &str,
        lease_until: i64,
    ) -> Result<Option<i64>, AccountError> {
        self.conn()
            .query_row(
                "INSERT INTO setguard_notifications
                     (production, seq, recipient, kind, claimed_unix, lease_holder, lease_until_unix)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING RETURNING id",
                params![production, seq, recipient, kind, now, holder, lease_until],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.err("claiming a notification"))
    }

    fn renew_lease(
        &self,
        notification: i64,
        holder: &str,
        until: i64,
    ) -> Result<bool, AccountError> {
        let changed = self
            .conn()
            .execute(
                "UPDATE setguard_notifications SET lease_until_unix = ?3
                 WHERE id = ?1 AND lease_holder = ?2 AND lease_until_unix <> ?4",
                params![notification, holder, until, LEASE_ENDED],
            )
            .map_err(self.err("renewing a notification's lease"))?;
        Ok(changed == 1)
    }

    fn end_lease(&self, notification: i64, holder: &str) -> Result<(), AccountError> {
        self.conn()
            .execute(
                "UPDATE setguard_notifications SET lease_until_unix = ?3
                 WHERE id = ?1 AND lease_holder = ?2",
                params![notification, holder, LEASE_ENDED],
            )
            .map_err(self.err("ending a notification's lease"))?;
        Ok(())
    }

    fn take_over_notifications(
        &self,
        recipient: &str,
        holder: &str,
        now: i64,
        lease_until: i64,
        max_attempts: i64,
    ) -> Result<Vec<TakenOver>, AccountError> {
        let conn = self.conn();
        // One statement, so one writer at a time: a second notifier's UPDATE sees the new lease.
        let mut statement = conn
            .prepare_cached(
                "UPDATE setguard_notifications
                 SET lease_holder = ?1, lease_until_unix = ?2
                 WHERE recipient = ?3 AND lease_until_unix < ?4
                   AND NOT EXISTS (SELECT 1 FROM setguard_delivery_attempts a
                                   WHERE a.notification = setguard_notifications.id
                                     AND a.delivered = 1)
                   AND (SELECT count(*) FROM setguard_delivery_attempts a
                        WHERE a.notification = setguard_notifications.id) < ?5
                 RETURNING id, production, seq, kind,
                     (SELECT count(*) FROM setguard_delivery_attempts a
                      WHERE a.notification = setguard_notifications.id)",
            )
            .map_err(self.err("taking over notifications"))?;
        let rows = statement
            .query_map(
                params![holder, lease_until, recipient, now, max_attempts],
                |r| {
                    Ok(TakenOver {
                        id: r.get(0)?,
                        production: r.get(1)?,
                        seq: u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
                        kind: r.get(3)?,
                        attempts: u32::try_from(r.get::<_, i64>(4)?).unwrap_or(u32::MAX),
                    })
                },
            )
            .map_err(self.err("taking over notifications"))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(self.err("taking over notifications"))
    }

    fn record_attempt(
        &self,
        notification: i64,
        at: i64,
        outcome: &str,
        delivered: bool,
    ) -> Result<(), AccountError> {
        self.conn()
            .execute(
                "INSERT INTO setguard_delivery_attempts (notification, at_unix, outcome, delivered)
                 VALUES (?1, ?2, ?3, ?4)",
                params![notification, at, outcome, delivered],
            )
            .map_err(self.err("recording a delivery attempt"))?;
        Ok(())
    }

    fn notified_up_to(&self, production: &str) -> Result<Option<i64>, AccountError> {
        self.conn()
            .query_row(
                "SELECT max(seq) FROM setguard_notifications WHERE production = ?1",
                [production],
                |r| r.get(0),
            )
            .map_err(self.err("reading the notification outbox"))
    }

    fn delivery_attempts(&self, production: &str) -> Result<Vec<DeliveryAttempt>, AccountError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT n.seq, n.recipient, n.kind, a.at_unix, a.outcome, a.delivered
                 FROM setguard_delivery_attempts a
                 JOIN setguard_notifications n ON n.id = a.notification
                 WHERE n.production = ?1 ORDER BY a.id",
            )
            .map_err(self.err("reading delivery attempts"))?;
        let rows = stmt
            .query_map([production], |r| {
                Ok(DeliveryAttempt {
                    seq: r.get::<_, i64>(0)?.try_into().unwrap_or(0),
                    recipient: r.get(1)?,
                    kind: r.get(2)?,
                    at_unix: r.get(3)?,
                    outcome: r.get(4)?,
                    delivered: r.get(5)?,
                })
            })
            .map_err(self.err("reading delivery attempts"))?;
        rows.collect::<Result<Vec<_>, _>>()
            .map_err(self.err("reading delivery attempts"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An account file left at schema 3 by an older setguard, with a delivered notification
    /// and one whose server stopped after one failed attempt: after migration 4 the delivered
    /// one is over, the other is taken over once, with its attempt counted.
    #[test]
    fn migration_4_leaves_delivered_notifications_alone_and_the_others_to_take_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("accounts.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.pragma_update(None, "application_id", APPLICATION_ID)
                .unwrap();
            conn.execute_batch(
                "CREATE TABLE setguard_accounts_migrations (
                    version    INTEGER PRIMARY KEY,
                    applied_at TEXT NOT NULL DEFAULT 'then'
                )",
            )
            .unwrap();
            for (version, sql) in &MIGRATIONS[..3] {
                conn.execute_batch(sql).unwrap();
                conn.execute(
                    "INSERT INTO setguard_accounts_migrations (version) VALUES (?1)",
                    [version],
                )
                .unwrap();
            }
            conn.execute_batch(
                "INSERT INTO setguard_notifications (id, production, seq, recipient, kind, claimed_unix)
                 VALUES (1, 'p', 5, 'webhook:w', 'walkout', 100), (2, 'p', 6, 'webhook:w', 'walkout', 100);
                 INSERT INTO setguard_delivery_attempts (notification, at_unix, outcome, delivered)
                 VALUES (1, 100, 'HTTP 204', 1), (2, 100, 'HTTP 500', 0);",
            )
            .unwrap();
        }
        let dir_ = SqliteDirectory::open(&path).unwrap();
        let taken = dir_
            .take_over_notifications("webhook:w", "me", 1_000, 1_010, 8)
            .unwrap();
        assert_eq!(
            taken,
            [TakenOver {
                id: 2,
                production: "p".to_owned(),
                seq: 6,
                kind: "walkout".to_owned(),
                attempts: 1,
            }]
        );
        // Held now: not taken again, by anyone, until the lease runs out.
        assert!(
            dir_.take_over_notifications("webhook:w", "other", 1_005, 1_015, 8)
                .unwrap()
                .is_empty()
        );
        // Only its holder renews it; an ended lease is renewed by no one, taken by no one.
        assert!(!dir_.renew_lease(2, "other", 2_000).unwrap());
        assert!(dir_.renew_lease(2, "me", 2_000).unwrap());
        dir_.end_lease(2, "me").unwrap();
        assert!(!dir_.renew_lease(2, "me", 3_000).unwrap());
        assert!(
            dir_.take_over_notifications("webhook:w", "other", 5_000, 5_010, 8)
                .unwrap()
                .is_empty()
        );
        // Out of attempts: not taken over; with one left, it is.
        let third = dir_
            .claim_notification("p", 7, "webhook:w", "walkout", 100, "gone", 100)
            .unwrap()
            .unwrap();
        for _ in 0..2 {
            dir_.record_attempt(third, 100, "HTTP 500", false).unwrap();
        }
        let taken = dir_
            .take_over_notifications("webhook:w", "me", 5_000, 5_010, 2)
            .unwrap();
        assert!(taken.is_empty(), "{taken:?}");
        let taken = dir_
            .take_over_notifications("webhook:w", "me", 5_000, 5_010, 3)
            .unwrap();
        assert_eq!((taken.len(), taken[0].id, taken[0].attempts), (1, third, 2));
    }
}
