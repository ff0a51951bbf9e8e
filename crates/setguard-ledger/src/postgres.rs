//! The PostgreSQL ledger: for several setguard servers sharing one ledger.
//!
//! Each append is one transaction: read the stream's head, refuse if the caller decided against
//! another seq, insert the chained events and one signed checkpoint, commit. Two servers can
//! both pass the head check; `UNIQUE (stream, seq)` is what stops the second, whose insert then
//! fails (SQLSTATE 23505) and is answered as a [`LedgerError::Conflict`] at the new head, so it
//! retries on the state that won. A stream therefore never forks, whatever the number of servers.
//!
//! An append is acknowledged only once COMMIT has returned; PostgreSQL's own durability settings
//! (`synchronous_commit`, replication) decide what "durable" means beyond that.
//!
//! Connections are made without TLS (`NoTls`): run the ledger's database on a trusted network
//! or through a local socket or tunnel.

use crate::canonical::{ChainHash, RecordFields};
use crate::error::LedgerError;
use crate::keys::{Checkpoint, NodeKey};
use crate::pgconn::{self, ClientGuard, Connection};
use crate::store::{
    Appended, Head, RawRow, Record, Snapshot, Store, actor_of, checkpoint_from_parts, payload_of,
    seq_from_sql, seq_to_sql, time_of,
};
use postgres::error::SqlState;
use postgres::{Client, GenericClient, Row, Transaction};
use setguard_core::{Event, ProductionId};

/// The channel every append is announced on (`NOTIFY`), with the payload "STREAM SEQ": the
/// stream and its new last seq. A server that `LISTEN`s on it learns of other servers' appends.
pub const CHANGES_CHANNEL: &str = "setguard_changes";

/// The key of the advisory lock held while migrating ("SGLD"), so that servers starting
/// together migrate one after the other instead of racing to create the same tables.
const MIGRATION_LOCK: i64 = 0x5347_4C44;

/// The migrations, in order; all pending ones run in one transaction at open, under
/// [`MIGRATION_LOCK`], and are recorded in `schema_version`. Never edit or reorder a released
/// migration: add a new one.
const MIGRATIONS: &[(i32, &str)] = &[
    (
        1,
        r#"
    -- The events, one row per record. A stream is a production; seq counts from 1 without gaps.
    -- `payload` is the event's JSON exactly as hashed; `at` and `actor` repeat what it says,
    -- for queries. `prev_hash` and `hash` are the 32-byte SHA-256 chain (see canonical.rs).
    -- Streams use the "C" collation so that they sort bytewise, as production ids do
    -- everywhere else, whatever the database's locale.
    -- UNIQUE (stream, seq) is what keeps two servers from both writing the same seq: the
    -- loser's insert fails and it retries on the new head.
    CREATE TABLE events (
        stream    TEXT COLLATE "C" NOT NULL,
        seq       BIGINT NOT NULL CHECK (seq >= 1),
        at        TEXT   NOT NULL,
        actor     TEXT,
        payload   BYTEA  NOT NULL,
        prev_hash BYTEA  NOT NULL CHECK (octet_length(prev_hash) = 32),
        hash      BYTEA  NOT NULL CHECK (octet_length(hash) = 32),
        UNIQUE (stream, seq)
    );

    -- One signed checkpoint per stream per commit: the head the commit left.
    CREATE TABLE checkpoints (
        stream     TEXT COLLATE "C" NOT NULL,
        seq        BIGINT NOT NULL CHECK (seq >= 1),
        head       BYTEA  NOT NULL CHECK (octet_length(head) = 32),
        signature  BYTEA  NOT NULL CHECK (octet_length(signature) = 64),
        public_key BYTEA  NOT NULL CHECK (octet_length(public_key) = 32),
        UNIQUE (stream, seq)
    );

    -- Append-only, enforced by the database as well as by the code: an edit needs someone to
    -- drop these triggers first, and the hash chain and signatures catch it even then.
    CREATE FUNCTION setguard_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'the ledger is append-only (% on %)', TG_OP, TG_TABLE_NAME;
    END;
    $$;
    CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
        FOR EACH ROW EXECUTE FUNCTION setguard_append_only();
    CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
        FOR EACH STATEMENT EXECUTE FUNCTION setguard_append_only();
    CREATE TRIGGER checkpoints_append_only BEFORE UPDATE OR DELETE ON checkpoints
        FOR EACH ROW EXECUTE FUNCTION setguard_append_only();
    CREATE TRIGGER checkpoints_no_truncate BEFORE TRUNCATE ON checkpoints
        FOR EACH STATEMENT EXECUTE FUNCTION setguard_append_only();
    "#,
    ),
    (
        2,
        r#"
    -- The snapshot of each stream: its state as of (seq, head), to load it without replaying
    -- every event, signed by the node that saved it (only that node uses it). Derived data,
    -- outside the chain: it is replaced freely and rebuilt whenever it does not match the
    -- events, so it carries no append-only trigger.
    CREATE TABLE snapshots (
        stream  TEXT COLLATE "C" PRIMARY KEY,
        seq     BIGINT NOT NULL CHECK (seq >= 1),
        head    BYTEA  NOT NULL CHECK (octet_length(head) = 32),
        format  TEXT   NOT NULL,
        state   BYTEA  NOT NULL,
        signature BYTEA NOT NULL CHECK (octet_length(signature) = 64),
        made_at TIMESTAMPTZ NOT NULL DEFAULT now()
    );
    "#,
    ),
];

/// A ledger in a PostgreSQL database, possibly shared with other setguard servers.
pub struct PostgresStore {
    /// Marked suspect after every storage failure (see [`PostgresStore::watch`]).
    conn: Connection,
    key: NodeKey,
    /// Opened by [`PostgresStore::open_read_only`]: every write is refused.
    read_only: bool,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("place", &self.conn.place())
            .finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://` or `postgresql://`, or a libpq
    /// key=value string) and brings its schema up to date. A database holding `events` or
    /// `checkpoints` tables that are not ours is refused with [`LedgerError::NotALedger`].
    pub fn open(url: &str, key: NodeKey) -> Result<PostgresStore, LedgerError> {
        Self::connect_to(url, key, false)
    }

    /// Connects without migrating or writing anything: what `verify`, `export` and `status`
    /// use. A database without a setguard ledger is refused with [`LedgerError::NotALedger`].
    pub fn open_read_only(url: &str) -> Result<PostgresStore, LedgerError> {
        Self::connect_to(url, NodeKey::ephemeral(), true)
    }

    fn connect_to(url: &str, key: NodeKey, read_only: bool) -> Result<PostgresStore, LedgerError> {
        let config = pgconn::config(url)
            .map_err(|e| LedgerError::BadUrl(format!("not a PostgreSQL URL: {e}")))?;
        let store = PostgresStore {
            conn: Connection::open(config).map_err(LedgerError::Storage)?,
            key,
            read_only,
        };
        let place = store.conn.place();
        if read_only {
            let row = store
                .client()?
                .query_one("SELECT to_regclass('schema_version') IS NOT NULL", &[])
                .map_err(|e| error(place, "reading the schema", e))?;
            if !col::<bool>(&row, 0)? {
                return Err(LedgerError::NotALedger {
                    path: place.to_owned(),
                    why: "it holds no setguard ledger".to_owned(),
                });
            }
        } else {
            migrate(&mut *store.client()?, place)?;
        }
        Ok(store)
    }

    /// The connection, remade first if it was lost.
    fn client(&self) -> Result<ClientGuard<'_>, LedgerError> {
        self.conn.client().map_err(LedgerError::Storage)
    }

    fn refuse_if_read_only(&self) -> Result<(), LedgerError> {
        if self.read_only {
            return Err(LedgerError::Storage(format!(
                "{}: opened read-only; nothing is written",
                self.conn.place()
            )));
        }
        Ok(())
    }

    /// Passes a result through, marking the connection suspect after a storage failure.
    fn watch<T>(&self, r: Result<T, LedgerError>) -> Result<T, LedgerError> {
        if matches!(r, Err(LedgerError::Storage(_))) {
            self.conn.mark_suspect();
        }
        r
    }

    fn error(&self, doing: &str, e: postgres::Error) -> LedgerError {
        error(self.conn.place(), doing, e)
    }
}

fn error(place: &str, doing: &str, e: postgres::Error) -> LedgerError {
    LedgerError::Storage(pgconn::describe(place, doing, e))
}

/// Runs the pending migrations, all in one transaction under an advisory lock: a second server
/// starting at the same time waits, then finds nothing left to do.
fn migrate(client: &mut Client, place: &str) -> Result<(), LedgerError> {
    let e = |doing: &'static str| move |err| error(place, doing, err);
    let mut tx = client.transaction().map_err(e("starting the migrations"))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .map_err(e("taking the migration lock"))?;
    let row = tx
        .query_one(
            "SELECT to_regclass('schema_version') IS NOT NULL,
                    to_regclass('events') IS NOT NULL OR to_regclass('checkpoints') IS NOT NULL",
            &[],
        )
        .map_err(e("reading the schema"))?;
    let (ours, taken): (bool, bool) = (col(&row, 0)?, col(&row, 1)?);
    if !ours && taken {
        return Err(LedgerError::NotALedger {
            path: place.to_owned(),
            why: "it has events or checkpoints tables that setguard did not make".to_owned(),
        });
    }
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_version (
            version    INTEGER PRIMARY KEY,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )",
    )
    .map_err(e("creating schema_version"))?;
    let row = tx
        .query_one("SELECT coalesce(max(version), 0) FROM schema_version", &[])
        .map_err(e("reading the schema version"))?;
    let current: i32 = col(&row, 0)?;
    let newest = MIGRATIONS.last().map_or(0, |m| m.0);
    if current > newest {
        return Err(LedgerError::Storage(format!(
            "{place}: the ledger is at schema {current}, newer than this setguard knows \
             ({newest}); upgrade setguard"
        )));
    }
    for (version, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
        tx.batch_execute(sql).map_err(e("running a migration"))?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES ($1)",
            &[version],
        )
        .map_err(e("recording a migration"))?;
    }
    tx.commit().map_err(e("committing the migrations"))
}

/// Column `i` of `row`. `Row::get` would panic on a type the schema does not promise (say, a
/// column altered by hand); this makes it a storage error instead.
fn col<'a, T: postgres::types::FromSql<'a>>(row: &'a Row, i: usize) -> Result<T, LedgerError> {
    row.try_get(i)
        .map_err(|e| LedgerError::storage("reading a column", e))
}

fn read_head(
    client: &mut impl GenericClient,
    place: &str,
    stream: &str,
) -> Result<Head, LedgerError> {
    let row = client
        .query_opt(
            "SELECT seq, hash FROM events WHERE stream = $1 ORDER BY seq DESC LIMIT 1",
            &[&stream],
        )
        .map_err(|e| error(place, "reading the head", e))?;
    match row {
        None => Ok(Head::EMPTY),
        Some(row) => {
            let seq = seq_from_sql(col(&row, 0)?);
            let hash: Vec<u8> = col(&row, 1)?;
            let hash = ChainHash::from_slice(&hash).ok_or_else(|| LedgerError::Corrupt {
                seq,
                why: "its hash is not 32 bytes".to_owned(),
            })?;
            Ok(Head { seq, hash })
        }
    }
}

/// Why an append did not commit: a conflict the caller can retry on, or a failure.
enum Failed {
    /// Another append holds the seq we tried to write (SQLSTATE 23505).
    Lost,
    Refused(LedgerError),
}

impl From<LedgerError> for Failed {
    fn from(e: LedgerError) -> Self {
        Failed::Refused(e)
    }
}

impl PostgresStore {
    /// One append in one transaction. Anything but `Ok` leaves the transaction uncommitted
    /// (dropping it rolls back).
    fn append_tx(
        &self,
        tx: &mut Transaction<'_>,
        stream: &str,
        expected_seq: u64,
        events: &[(Event, Vec<u8>)],
    ) -> Result<Appended, Failed> {
        let fail = |doing: &'static str| {
            move |e: postgres::Error| {
                if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
                    Failed::Lost
                } else {
                    Failed::Refused(self.error(doing, e))
                }
            }
        };
        let head = read_head(tx, self.conn.place(), stream)?;
        if head.seq != expected_seq {
            return Err(Failed::Refused(LedgerError::Conflict {
                current_seq: head.seq,
            }));
        }
        let insert = tx
            .prepare(
                "INSERT INTO events (stream, seq, at, actor, payload, prev_hash, hash)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .map_err(fail("preparing an insert"))?;
        let mut prev = head;
        for (event, payload) in events {
            let seq = prev.seq + 1;
            let time = time_of(event);
            let actor = actor_of(event);
            let hash = RecordFields {
                prev: &prev.hash,
                stream,
                seq,
                time: &time,
                actor,
                payload,
            }
            .hash();
            tx.execute(
                &insert,
                &[
                    &stream,
                    &seq_to_sql(seq),
                    &time,
                    &event.by.as_ref().map(|p| p.as_str()),
                    payload,
                    &&prev.hash.as_bytes()[..],
                    &&hash.as_bytes()[..],
                ],
            )
            .map_err(fail("inserting an event"))?;
            prev = Head { seq, hash };
        }
        let cp = self.key.checkpoint(stream, prev.seq, prev.hash);
        tx.execute(
            "INSERT INTO checkpoints (stream, seq, head, signature, public_key)
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &stream,
                &seq_to_sql(prev.seq),
                &&prev.hash.as_bytes()[..],
                &&cp.signature.to_bytes()[..],
                &&cp.public_key.as_bytes()[..],
            ],
        )
        .map_err(fail("writing a checkpoint"))?;
        // Other servers sharing the ledger hear of it on commit (a NOTIFY is sent only if the
        // transaction commits), so their set boards follow without polling.
        tx.execute(
            "SELECT pg_notify($1, $2)",
            &[&CHANGES_CHANNEL, &format!("{stream} {}", prev.seq)],
        )
        .map_err(fail("announcing the append"))?;
        Ok(Appended {
            first_seq: head.seq + 1,
            last_seq: prev.seq,
            head: prev.hash,
        })
    }
}

/// The store's operations as they run on the connection; [`Store`] wraps each so that a
/// failure marks the connection to be made again on the next call.
impl PostgresStore {
    fn run_append(
        &self,
        stream: &ProductionId,
        expected_seq: u64,
        events: &[Event],
    ) -> Result<Appended, LedgerError> {
        if events.is_empty() {
            return Err(LedgerError::EmptyBatch);
        }
        let events = events
            .iter()
            .map(|e| Ok((e.clone(), payload_of(e)?)))
            .collect::<Result<Vec<_>, LedgerError>>()?;
        let stream = stream.as_str();
        let mut client = self.client()?;
        let mut tx = client
            .transaction()
            .map_err(|e| self.error("starting an append", e))?;
        match self.append_tx(&mut tx, stream, expected_seq, &events) {
            Ok(appended) => {
                // A COMMIT that fails, even by a lost connection, is reported as a failure: the
                // append may or may not be there, and a caller re-reading the head finds out.
                tx.commit()
                    .map_err(|e| self.error("committing an append", e))?;
                Ok(appended)
            }
            Err(Failed::Refused(e)) => Err(e),
            Err(Failed::Lost) => {
                // Another server committed this seq first. Roll back, then report where the
                // stream is now so that the caller decides again on that state.
                tx.rollback()
                    .map_err(|e| self.error("rolling back a lost append", e))?;
                let head = read_head(&mut *client, self.conn.place(), stream)?;
                Err(LedgerError::Conflict {
                    current_seq: head.seq,
                })
            }
        }
    }

    fn run_read(
        &self,
        stream: &ProductionId,
        from_seq: u64,
        limit: usize,
    ) -> Result<Vec<Record>, LedgerError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self
            .client()?
            .query(
                "SELECT seq, at, actor, payload, prev_hash, hash FROM events
                 WHERE stream = $1 AND seq >= $2 ORDER BY seq LIMIT $3",
                &[&stream.as_str(), &seq_to_sql(from_seq), &limit],
            )
            .map_err(|e| self.error("reading events", e))?;
        rows.into_iter()
            .map(|r| {
                RawRow {
                    seq: col(&r, 0)?,
                    at: col(&r, 1)?,
                    actor: col(&r, 2)?,
                    payload: col(&r, 3)?,
                    prev_hash: col(&r, 4)?,
                    hash: col(&r, 5)?,
                }
                .into_record()
            })
            .collect()
    }

    fn run_head(&self, stream: &ProductionId) -> Result<Head, LedgerError> {
        read_head(&mut *self.client()?, self.conn.place(), stream.as_str())
    }

    fn run_checkpoints(&self, stream: &ProductionId) -> Result<Vec<Checkpoint>, LedgerError> {
        let rows = self
            .client()?
            .query(
                "SELECT seq, head, signature, public_key FROM checkpoints
                 WHERE stream = $1 ORDER BY seq",
                &[&stream.as_str()],
            )
            .map_err(|e| self.error("reading checkpoints", e))?;
        rows.into_iter()
            .map(|r| {
                let (head, sig, pk): (Vec<u8>, Vec<u8>, Vec<u8>) =
                    (col(&r, 1)?, col(&r, 2)?, col(&r, 3)?);
                checkpoint_from_parts(stream, seq_from_sql(col(&r, 0)?), &head, &sig, &pk)
            })
            .collect()
    }

    fn run_save_snapshot(&self, stream: &ProductionId, snap: &Snapshot) -> Result<(), LedgerError> {
        self.client()?
            .execute(
                "INSERT INTO snapshots (stream, seq, head, format, state, signature)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (stream) DO UPDATE SET
                    seq = excluded.seq, head = excluded.head, format = excluded.format,
                    state = excluded.state, signature = excluded.signature,
                    made_at = excluded.made_at",
                &[
                    &stream.as_str(),
                    &seq_to_sql(snap.seq),
                    &&snap.head.as_bytes()[..],
                    &snap.format,
                    &snap.state,
                    &snap.signature,
                ],
            )
            .map_err(|e| self.error("saving a snapshot", e))?;
        Ok(())
    }

    fn run_latest_snapshot(&self, stream: &ProductionId) -> Result<Option<Snapshot>, LedgerError> {
        let row = self
            .client()?
            .query_opt(
                "SELECT seq, head, format, state, signature FROM snapshots WHERE stream = $1",
                &[&stream.as_str()],
            )
            .map_err(|e| self.error("reading a snapshot", e))?;
        let Some(r) = row else { return Ok(None) };
        let (seq, head, format, state, signature): (i64, Vec<u8>, String, Vec<u8>, Vec<u8>) = (
            col(&r, 0)?,
            col(&r, 1)?,
            col(&r, 2)?,
            col(&r, 3)?,
            col(&r, 4)?,
        );
        // A snapshot is only a shortcut: one that cannot be read is treated as absent.
        Ok(ChainHash::from_slice(&head).map(|head| Snapshot {
            seq: seq_from_sql(seq),
            head,
            format,
            state,
            signature,
        }))
    }

    fn run_streams(&self) -> Result<Vec<ProductionId>, LedgerError> {
        let rows = self
            .client()?
            .query(
                "SELECT stream FROM events UNION SELECT stream FROM checkpoints ORDER BY 1",
                &[],
            )
            .map_err(|e| self.error("listing streams", e))?;
        rows.into_iter()
            .map(|r| {
                let s: String = col(&r, 0)?;
                ProductionId::parse(&s).map_err(|e| LedgerError::Corrupt {
                    seq: 0,
                    why: format!("stream {s:?} is not a production id: {e}"),
                })
            })
            .collect()
    }
}

impl Store for PostgresStore {
    fn append(
        &self,
        stream: &ProductionId,
        expected_seq: u64,
        events: &[Event],
    ) -> Result<Appended, LedgerError> {
        self.refuse_if_read_only()?;
        self.watch(self.run_append(stream, expected_seq, events))
    }
    fn read_page(
        &self,
        stream: &ProductionId,
        from_seq: u64,
        limit: usize,
    ) -> Result<Vec<Record>, LedgerError> {
        self.watch(self.run_read(stream, from_seq, limit))
    }
    fn head(&self, stream: &ProductionId) -> Result<Head, LedgerError> {
        self.watch(self.run_head(stream))
    }
    fn checkpoints(&self, stream: &ProductionId) -> Result<Vec<Checkpoint>, LedgerError> {
        self.watch(self.run_checkpoints(stream))
    }
    fn streams(&self) -> Result<Vec<ProductionId>, LedgerError> {
        self.watch(self.run_streams())
    }
    fn save_snapshot(&self, stream: &ProductionId, snap: &Snapshot) -> Result<(), LedgerError> {
        self.refuse_if_read_only()?;
        self.watch(self.run_save_snapshot(stream, snap))
    }
    fn latest_snapshot(&self, stream: &ProductionId) -> Result<Option<Snapshot>, LedgerError> {
        self.watch(self.run_latest_snapshot(stream))
    }
}
