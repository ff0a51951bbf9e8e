//! Accounts in PostgreSQL: tables in the ledger's database, shared by every server on it. A
//! session made on one server is good on the others, and failures are counted by one `UPDATE`
//! each, which PostgreSQL serialises on the account's row: attempts spread over servers count
//! together.
//!
//! Calls run on a pool of connections, as the ledger's do ([`setguard_ledger::pgconn`]; the
//! URL's `pool_size=N`, 8 by default), and block their thread: call them from `spawn_blocking`
//! or a plain thread, never from an async task. Connections are made without TLS (`NoTls`), as
//! the ledger's are: run the database on a trusted network or through a local socket or tunnel.

use super::{
    AccountError, Credentials, DeliveryAttempt, Directory, LEASE_ENDED, Secret, StoredSession,
    TakenOver,
};
use setguard_ledger::pgconn::{self, Client, Pool, PoolFailure};
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

/// The key of the advisory lock held while migrating ("SGAC", not the ledger's "SGLD"), so that
/// servers starting together migrate one after the other.
const MIGRATION_LOCK: i64 = 0x5347_4143;

/// The migrations, in order; all pending ones run in one transaction at open, under
/// [`MIGRATION_LOCK`], and are recorded in `setguard_accounts_migrations` (the ledger's own
/// `schema_version` is left alone). Never edit or reorder a released migration: add a new one.
const MIGRATIONS: &[(i32, &str)] = &[
    (
        1,
        r#"
    -- One row per account. The secrets are argon2id PHC strings, never the secrets themselves.
    -- Each secret has its own count of consecutive failures and the unix second its lock ends
    -- (0: never locked). Text columns use the "C" collation: names compare bytewise, as ids do
    -- everywhere else, whatever the database's locale.
    CREATE TABLE setguard_accounts (
        username            TEXT COLLATE "C" PRIMARY KEY,
        password_hash       TEXT    NOT NULL,
        pin_hash            TEXT    NOT NULL,
        admin               BOOLEAN NOT NULL DEFAULT false,
        signin_failures     INTEGER NOT NULL DEFAULT 0,
        signin_locked_until BIGINT  NOT NULL DEFAULT 0,
        pin_failures        INTEGER NOT NULL DEFAULT 0,
        pin_locked_until    BIGINT  NOT NULL DEFAULT 0,
        created_at          TIMESTAMPTZ NOT NULL DEFAULT now()
    );

    -- Sessions, by the SHA-256 (hex) of their token: the token itself is only ever with the
    -- browser, so reading this table signs nobody in.
    CREATE TABLE setguard_sessions (
        token_hash   TEXT COLLATE "C" PRIMARY KEY CHECK (length(token_hash) = 64),
        username     TEXT COLLATE "C" NOT NULL
                     REFERENCES setguard_accounts (username) ON DELETE CASCADE,
        csrf         TEXT   NOT NULL,
        created_unix BIGINT NOT NULL,
        expires_unix BIGINT NOT NULL
    );
    CREATE INDEX setguard_sessions_by_expiry ON setguard_sessions (expires_unix);
    CREATE INDEX setguard_sessions_by_user ON setguard_sessions (username);

    -- Who an account is on each production: on a production a person has at most one account,
    -- and an account is at most one person.
    CREATE TABLE setguard_account_links (
        production TEXT COLLATE "C" NOT NULL,
        person     TEXT COLLATE "C" NOT NULL,
        username   TEXT COLLATE "C" NOT NULL
                   REFERENCES setguard_accounts (username) ON DELETE CASCADE,
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
        production TEXT COLLATE "C" PRIMARY KEY,
        token      TEXT COLLATE "C" NOT NULL UNIQUE
    );
    "#,
    ),
    (
        3,
        r#"
    -- The notification outbox: one row per (record, recipient), inserted with ON CONFLICT DO
    -- NOTHING by the server that claims it, so that servers sharing this database send each
    -- notification once. It names no person: the payload is rebuilt from the ledger.
    CREATE TABLE setguard_notifications (
        id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        production   TEXT COLLATE "C" NOT NULL,
        seq          BIGINT NOT NULL,
        recipient    TEXT COLLATE "C" NOT NULL,
        kind         TEXT   NOT NULL,
        claimed_unix BIGINT NOT NULL,
        UNIQUE (production, seq, recipient)
    );

    -- Every attempt at delivering one: when, and what came of it.
    CREATE TABLE setguard_delivery_attempts (
        id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        notification BIGINT NOT NULL
                     REFERENCES setguard_notifications (id) ON DELETE CASCADE,
        at_unix      BIGINT  NOT NULL,
        outcome      TEXT    NOT NULL,
        delivered    BOOLEAN NOT NULL
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
    ALTER TABLE setguard_notifications ADD COLUMN lease_until_unix BIGINT NOT NULL DEFAULT 0;
    UPDATE setguard_notifications n SET lease_until_unix = 9223372036854775807
        WHERE EXISTS (SELECT 1 FROM setguard_delivery_attempts a
                      WHERE a.notification = n.id AND a.delivered);
    CREATE INDEX setguard_notifications_by_lease
        ON setguard_notifications (recipient, lease_until_unix);
    "#,
    ),
];

pub(super) struct PostgresDirectory {
    pool: Pool,
}

impl std::fmt::Debug for PostgresDirectory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresDirectory")
            .field("place", &self.pool.place())
            .field("pool_size", &self.pool.max_size())
            .finish_non_exhaustive()
    }
}

impl PoolFailure for AccountError {
    fn unavailable(message: String) -> Self {
        AccountError::Store(message)
    }

    /// Every store failure closes the connection it happened on, as one whose state is unknown.
    fn breaks_connection(&self) -> bool {
        matches!(self, AccountError::Store(_))
    }
}

impl PostgresDirectory {
    /// Connects to the database at `url` and brings the account tables up to date. A database
    /// with a `setguard_accounts` table that these migrations did not make is refused.
    pub(super) fn open(url: &str) -> Result<PostgresDirectory, AccountError> {
        let config = pgconn::config(url).map_err(|e| AccountError::Invalid {
            field: "url",
            why: format!("the account store URL is not a PostgreSQL URL: {e}"),
        })?;
        let pool = Pool::open(config, "setguard-accts").map_err(AccountError::Store)?;
        let place = pool.place();
        pool.run(async |c| migrate(c, place).await)?;
        Ok(PostgresDirectory { pool })
    }

    /// The rows `sql` returns, on a pooled connection (its statements prepared once each).
    fn query(
        &self,
        doing: &str,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, AccountError> {
        self.pool.run(async |c| {
            let statement = c.prepare_cached(sql).await.map_err(self.err(doing))?;
            c.query(&statement, params).await.map_err(self.err(doing))
        })
    }

    fn query_opt(
        &self,
        doing: &str,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, AccountError> {
        self.pool.run(async |c| {
            let statement = c.prepare_cached(sql).await.map_err(self.err(doing))?;
            c.query_opt(&statement, params)
                .await
                .map_err(self.err(doing))
        })
    }

    fn execute(
        &self,
        doing: &str,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, AccountError> {
        self.pool.run(async |c| {
            let statement = c.prepare_cached(sql).await.map_err(self.err(doing))?;
            c.execute(&statement, params).await.map_err(self.err(doing))
        })
    }

    fn err<'a>(&'a self, doing: &'a str) -> impl Fn(tokio_postgres::Error) -> AccountError + 'a {
        move |e| error(self.pool.place(), doing, e)
    }
}

fn error(place: &str, doing: &str, e: tokio_postgres::Error) -> AccountError {
    AccountError::Store(pgconn::describe(place, doing, e))
}

/// Runs the pending migrations, all in one transaction under an advisory lock: a second server
/// starting at the same time waits, then finds nothing left to do.
async fn migrate(client: &mut Client, place: &str) -> Result<(), AccountError> {
    let e = |doing: &'static str| move |err| error(place, doing, err);
    let tx = client
        .transaction()
        .await
        .map_err(e("starting the account migrations"))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(e("taking the account migration lock"))?;
    let row = tx
        .query_one(
            "SELECT to_regclass('setguard_accounts_migrations') IS NOT NULL,
                    to_regclass('setguard_accounts') IS NOT NULL",
            &[],
        )
        .await
        .map_err(e("reading the schema"))?;
    let (ours, taken): (bool, bool) = (col(&row, 0)?, col(&row, 1)?);
    if !ours && taken {
        return Err(AccountError::Store(format!(
            "{place}: it has a setguard_accounts table that setguard's migrations did not make"
        )));
    }
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS setguard_accounts_migrations (
            version    INTEGER PRIMARY KEY,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )",
    )
    .await
    .map_err(e("creating setguard_accounts_migrations"))?;
    let row = tx
        .query_one(
            "SELECT coalesce(max(version), 0) FROM setguard_accounts_migrations",
            &[],
        )
        .await
        .map_err(e("reading the account schema version"))?;
    let current: i32 = col(&row, 0)?;
    let newest = MIGRATIONS.last().map_or(0, |m| m.0);
    if current > newest {
        return Err(AccountError::Store(format!(
            "{place}: the account tables are at schema {current}, newer than this setguard \
             knows ({newest}); upgrade setguard"
        )));
    }
    for (version, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
        tx.batch_execute(sql)
            .await
            .map_err(e("running an account migration"))?;
        tx.execute(
            "INSERT INTO setguard_accounts_migrations (version) VALUES ($1)",
            &[version],
        )
        .await
        .map_err(e("recording an account migration"))?;
    }
    tx.commit()
        .await
        .map_err(e("committing the account migrations"))
}

/// Column `i` of `row`. `Row::get` would panic on a type the schema does not promise (say, a
/// column altered by hand); this makes it a store error instead.
fn col<'a, T: tokio_postgres::types::FromSql<'a>>(
    row: &'a Row,
    i: usize,
) -> Result<T, AccountError> {
    row.try_get(i)
        .map_err(|e| AccountError::Store(format!("reading a column: {e}")))
}

/// A failure limit as the `INTEGER` column counts it.
fn limit_sql(limit: u32) -> i32 {
    i32::try_from(limit).unwrap_or(i32::MAX)
}

impl Directory for PostgresDirectory {
    fn add(
        &self,
        username: &str,
        password_hash: &str,
        pin_hash: &str,
        admin: bool,
    ) -> Result<bool, AccountError> {
        let n = self.execute(
            "adding an account",
            "INSERT INTO setguard_accounts (username, password_hash, pin_hash, admin)
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            &[&username, &password_hash, &pin_hash, &admin],
        )?;
        Ok(n == 1)
    }

    fn set_secret(&self, which: Secret, username: &str, hash: &str) -> Result<bool, AccountError> {
        let c = which.columns();
        let sql = format!(
            "UPDATE setguard_accounts SET {h} = $2, {f} = 0, {l} = 0 WHERE username = $1",
            h = c.hash,
            f = c.failures,
            l = c.locked_until
        );
        let n = self.execute("replacing a secret", &sql, &[&username, &hash])?;
        Ok(n == 1)
    }

    fn exists(&self, username: &str) -> Result<bool, AccountError> {
        let row = self.query_opt(
            "looking up an account",
            "SELECT 1 FROM setguard_accounts WHERE username = $1",
            &[&username],
        )?;
        Ok(row.is_some())
    }

    fn credentials(
        &self,
        which: Secret,
        username: &str,
    ) -> Result<Option<Credentials>, AccountError> {
        let c = which.columns();
        let sql = format!(
            "SELECT {h}, {l}, admin FROM setguard_accounts WHERE username = $1",
            h = c.hash,
            l = c.locked_until
        );
        let Some(r) = self.query_opt("reading an account", &sql, &[&username])? else {
            return Ok(None);
        };
        Ok(Some(Credentials {
            hash: col(&r, 0)?,
            locked_until: col(&r, 1)?,
            admin: col(&r, 2)?,
        }))
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
        // One statement: PostgreSQL locks the row, and a concurrent attempt on another server
        // waits, then re-reads the count (and the lock) this one wrote.
        let sql = format!(
            "UPDATE setguard_accounts SET
                {f} = CASE WHEN {f} + 1 >= $3::INTEGER THEN 0 ELSE {f} + 1 END,
                {l} = CASE WHEN {f} + 1 >= $3::INTEGER THEN $4::BIGINT ELSE {l} END
             WHERE username = $1 AND {l} <= $2::BIGINT
             RETURNING {l}",
            f = c.failures,
            l = c.locked_until
        );
        let counted = self.query_opt(
            "counting a failure",
            &sql,
            &[&username, &now, &limit_sql(limit), &lock_until],
        )?;
        let until: i64 = match counted {
            Some(r) => col(&r, 0)?,
            // Not counted: locked already (or gone). Say until when.
            None => {
                let sql = format!(
                    "SELECT {l} FROM setguard_accounts WHERE username = $1",
                    l = c.locked_until
                );
                match self.query_opt("reading a lock", &sql, &[&username])? {
                    Some(r) => col(&r, 0)?,
                    None => 0,
                }
            }
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
             WHERE username = $1 AND {h} = $2 AND {l} <= $3::BIGINT",
            f = c.failures,
            h = c.hash,
            l = c.locked_until
        );
        let n = self.execute("clearing failures", &sql, &[&username, &hash, &now])?;
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
        self.execute(
            "forgetting expired sessions",
            "DELETE FROM setguard_sessions WHERE expires_unix <= $1",
            &[&now],
        )?;
        self.execute(
            "storing a session",
            "INSERT INTO setguard_sessions (token_hash, username, csrf, created_unix, expires_unix)
             VALUES ($1, $2, $3, $4, $5)",
            &[&token_hash, &username, &csrf, &now, &expires],
        )?;
        Ok(())
    }

    fn session(&self, token_hash: &str, now: i64) -> Result<Option<StoredSession>, AccountError> {
        let row = self.query_opt(
            "reading a session",
            "SELECT s.username, a.admin, s.csrf, s.expires_unix
             FROM setguard_sessions s JOIN setguard_accounts a USING (username)
             WHERE s.token_hash = $1 AND s.expires_unix > $2",
            &[&token_hash, &now],
        )?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(StoredSession {
            username: col(&r, 0)?,
            admin: col(&r, 1)?,
            csrf: col(&r, 2)?,
            expires_unix: col(&r, 3)?,
        }))
    }

    fn end_session(&self, token_hash: &str) -> Result<(), AccountError> {
        self.execute(
            "ending a session",
            "DELETE FROM setguard_sessions WHERE token_hash = $1",
            &[&token_hash],
        )?;
        Ok(())
    }

    fn insert_link(
        &self,
        username: &str,
        production: &str,
        person: &str,
    ) -> Result<bool, AccountError> {
        // ON CONFLICT with no target covers both unique constraints.
        let n = self.execute(
            "linking an account",
            "INSERT INTO setguard_account_links (production, person, username)
             VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[&production, &person, &username],
        )?;
        Ok(n == 1)
    }

    fn person_in(&self, username: &str, production: &str) -> Result<Option<String>, AccountError> {
        let row = self.query_opt(
            "reading a link",
            "SELECT person FROM setguard_account_links WHERE username = $1 AND production = $2",
            &[&username, &production],
        )?;
        row.map(|r| col(&r, 0)).transpose()
    }

    fn account_of(&self, production: &str, person: &str) -> Result<Option<String>, AccountError> {
        let row = self.query_opt(
            "reading a link",
            "SELECT username FROM setguard_account_links WHERE production = $1 AND person = $2",
            &[&production, &person],
        )?;
        row.map(|r| col(&r, 0)).transpose()
    }

    fn memberships(&self, username: &str) -> Result<Vec<(String, String)>, AccountError> {
        let rows = self.query(
            "reading links",
            "SELECT production, person FROM setguard_account_links
             WHERE username = $1 ORDER BY production",
            &[&username],
        )?;
        rows.iter().map(|r| Ok((col(r, 0)?, col(r, 1)?))).collect()
    }

    fn concern_link(&self, production: &str, fresh: &str) -> Result<String, AccountError> {
        self.execute(
            "making a concern link",
            "INSERT INTO setguard_concern_links (production, token) VALUES ($1, $2)
             ON CONFLICT (production) DO NOTHING",
            &[&production, &fresh],
        )?;
        let row = self.query_opt(
            "reading a concern link",
            "SELECT token FROM setguard_concern_links WHERE production = $1",
            &[&production],
        )?;
        match row {
            Some(row) => col(&row, 0),
            None => Err(AccountError::Store(format!(
                "reading a concern link ({}): the link just made is not there",
                self.pool.place()
            ))),
        }
    }

    fn concern_production(&self, token: &str) -> Result<Option<String>, AccountError> {
        let row = self.query_opt(
            "reading a concern link",
            "SELECT production FROM setguard_concern_links WHERE token = $1",
            &[&token],
        )?;
        row.map(|r| col(&r, 0)).transpose()
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
        let row = self.query_opt(
            "claiming a notification",
            "INSERT INTO setguard_notifications
                 (production, seq, recipient, kind, claimed_unix, lease_holder, lease_until_unix)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING id",
            &[
                &production,
                &seq,
                &recipient,
                &kind,
                &now,
                &holder,
                &lease_until,
            ],
        )?;
        row.map(|r| col(&r, 0)).transpose()
    }

    fn renew_lease(
        &self,
        notification: i64,
        holder: &str,
        until: i64,
    ) -> Result<bool, AccountError> {
        let changed = self.execute(
            "renewing a notification's lease",
            "UPDATE setguard_notifications SET lease_until_unix = $3
             WHERE id = $1 AND lease_holder = $2 AND lease_until_unix <> $4",
            &[&notification, &holder, &until, &LEASE_ENDED],
        )?;
        Ok(changed == 1)
    }

    fn end_lease(&self, notification: i64, holder: &str) -> Result<(), AccountError> {
        self.execute(
            "ending a notification's lease",
            "UPDATE setguard_notifications SET lease_until_unix = $3
             WHERE id = $1 AND lease_holder = $2",
            &[&notification, &holder, &LEASE_ENDED],
        )?;
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
        // Of two servers updating one row at once, the second waits for the first's commit and
        // then re-checks the row's lease (READ COMMITTED): now in the future, so it skips it.
        let rows = self.query(
            "taking over notifications",
            "UPDATE setguard_notifications n
             SET lease_holder = $1, lease_until_unix = $2
             WHERE n.recipient = $3 AND n.lease_until_unix < $4
               AND NOT EXISTS (SELECT 1 FROM setguard_delivery_attempts a
                               WHERE a.notification = n.id AND a.delivered)
               AND (SELECT count(*) FROM setguard_delivery_attempts a
                    WHERE a.notification = n.id) < $5
             RETURNING n.id, n.production, n.seq, n.kind,
                 (SELECT count(*) FROM setguard_delivery_attempts a WHERE a.notification = n.id)",
            &[&holder, &lease_until, &recipient, &now, &max_attempts],
        )?;
        rows.iter()
            .map(|r| {
                Ok(TakenOver {
                    id: col(r, 0)?,
                    production: col(r, 1)?,
                    seq: col::<i64>(r, 2)?.try_into().unwrap_or(0),
                    kind: col(r, 3)?,
                    attempts: col::<i64>(r, 4)?.try_into().unwrap_or(u32::MAX),
                })
            })
            .collect()
    }

    fn record_attempt(
        &self,
        notification: i64,
        at: i64,
        outcome: &str,
        delivered: bool,
    ) -> Result<(), AccountError> {
        self.execute(
            "recording a delivery attempt",
            "INSERT INTO setguard_delivery_attempts (notification, at_unix, outcome, delivered)
             VALUES ($1, $2, $3, $4)",
            &[&notification, &at, &outcome, &delivered],
        )?;
        Ok(())
    }

    fn notified_up_to(&self, production: &str) -> Result<Option<i64>, AccountError> {
        let row = self.query_opt(
            "reading the notification outbox",
            "SELECT max(seq) FROM setguard_notifications WHERE production = $1",
            &[&production],
        )?;
        match row {
            Some(r) => col(&r, 0),
            None => Ok(None),
        }
    }

    fn delivery_attempts(&self, production: &str) -> Result<Vec<DeliveryAttempt>, AccountError> {
        let rows = self.query(
            "reading delivery attempts",
            "SELECT n.seq, n.recipient, n.kind, a.at_unix, a.outcome, a.delivered
             FROM setguard_delivery_attempts a
             JOIN setguard_notifications n ON n.id = a.notification
             WHERE n.production = $1 ORDER BY a.id",
            &[&production],
        )?;
        rows.iter()
            .map(|r| {
                Ok(DeliveryAttempt {
                    seq: col::<i64>(r, 0)?.try_into().unwrap_or(0),
                    recipient: col(r, 1)?,
                    kind: col(r, 2)?,
                    at_unix: col(r, 3)?,
                    outcome: col(r, 4)?,
                    delivered: col(r, 5)?,
                })
            })
            .collect()
    }
}
