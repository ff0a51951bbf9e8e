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
//! Calls run on a pool of connections ([`pgconn`]; `pool_size=N` in the URL, 8 by default), so a
//! server's appends to different productions, and its reads, do not wait for one another. The
//! [`Store`] methods block their thread: call them from `spawn_blocking` or a plain thread,
//! never from an async task.
//!
//! Connections are made without TLS (`NoTls`): run the ledger's database on a trusted network
//! or through a local socket or tunnel.

use crate::canonical::{ChainHash, RecordFields};
use crate::error::LedgerError;
use crate::keys::{Checkpoint, NodeKey};
use crate::pgconn::{self, Client, Pool, PoolFailure};
use crate::store::{
    Appended, Head, RawRow, Record, Snapshot, Store, actor_of, checkpoint_from_parts, decode_rows,
    payload_of, seq_from_sql, seq_to_sql, time_of,
};
use deadpool_postgres::{GenericClient, Transaction};
use setguard_core::{Event, ProductionId};
use std::pin::Pin;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Row, RowStream};
use tokio_stream::StreamExt;

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

/// The statements an append runs, prepared once per connection (`prepare_cached`).
mod sql {
    pub(super) const HEAD: &str =
        "SELECT seq, hash FROM events WHERE stream = $1 ORDER BY seq DESC LIMIT 1";
    /// Every event of a commit in one statement, from one array per column.
    pub(super) const INSERT_EVENTS: &str =
        "INSERT INTO events (stream, seq, at, actor, payload, prev_hash, hash)
         SELECT $1::TEXT, e.seq, e.at, e.actor, e.payload, e.prev_hash, e.hash
         FROM unnest($2::BIGINT[], $3::TEXT[], $4::TEXT[], $5::BYTEA[], $6::BYTEA[], $7::BYTEA[])
             AS e (seq, at, actor, payload, prev_hash, hash)";
    pub(super) const INSERT_CHECKPOINT: &str =
        "INSERT INTO checkpoints (stream, seq, head, signature, public_key)
         VALUES ($1, $2, $3, $4, $5)";
    pub(super) const NOTIFY: &str = "SELECT pg_notify($1, $2)";
    pub(super) const READ_EVENTS: &str =
        "SELECT seq, at, actor, payload, prev_hash, hash FROM events
         WHERE stream = $1 AND seq >= $2 ORDER BY seq LIMIT $3";
}

/// Rows of a read fetched at a time, between which they are decoded ([`decode_rows`]): a long
/// read holds about this many rows besides the records made of them.
const FETCH: usize = 1024;

/// A ledger in a PostgreSQL database, possibly shared with other setguard servers.
pub struct PostgresStore {
    pool: Pool,
    key: NodeKey,
    /// Opened by [`PostgresStore::open_read_only`]: every write is refused.
    read_only: bool,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("place", &self.pool.place())
            .field("pool_size", &self.pool.max_size())
            .finish_non_exhaustive()
    }
}

impl PoolFailure for LedgerError {
    fn unavailable(message: String) -> Self {
        LedgerError::Storage(message)
    }

    /// A storage failure may have left the connection half-dead or its state unknown; a
    /// conflict or a corrupt record says nothing about it.
    fn breaks_connection(&self) -> bool {
        matches!(self, LedgerError::Storage(_))
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://` or `postgresql://`, or a libpq
    /// key=value string; `pool_size=N` sets the number of connections) and brings its schema
    /// up to date. A database holding `events` or `checkpoints` tables that are not ours is
    /// refused with [`LedgerError::NotALedger`].
    pub fn open(url: &str, key: NodeKey) -> Result<PostgresStore, LedgerError> {
        Self::connect_to(url, key, false)
    }

    /// Connects without migrating or writing anything: what `verify`, `export` and `status`
    /// use. A database without a setguard ledger is refused with [`LedgerError::NotALedger`].
    pub fn open_read_only(url: &str) -> Result<PostgresStore, LedgerError> {
        Self::connect_to(url, NodeKey::ephemeral(), true)
    }

    fn connect_to(url: &str, key: NodeKey, read_only: bool) -> Result<PostgresStore, LedgerError> {
        let settings = pgconn::config(url)
            .map_err(|e| LedgerError::BadUrl(format!("not a PostgreSQL URL: {e}")))?;
        let store = PostgresStore {
            pool: Pool::open(settings, "setguard-ledger").map_err(LedgerError::Storage)?,
            key,
            read_only,
        };
        let place = store.pool.place();
        if read_only {
            let ours = store.pool.run(async |c| {
                let row = c
                    .query_one("SELECT to_regclass('schema_version') IS NOT NULL", &[])
                    .await
                    .map_err(|e| error(place, "reading the schema", e))?;
                col::<bool>(&row, 0)
            })?;
            if !ours {
                return Err(LedgerError::NotALedger {
                    path: place.to_owned(),
                    why: "it holds no setguard ledger".to_owned(),
                });
            }
        } else {
            store.pool.run(async |c| migrate(c, place).await)?;
        }
        Ok(store)
    }

    fn refuse_if_read_only(&self) -> Result<(), LedgerError> {
        if self.read_only {
            return Err(LedgerError::Storage(format!(
                "{}: opened read-only; nothing is written",
                self.pool.place()
            )));
        }
        Ok(())
    }

    fn error(&self, doing: &str, e: tokio_postgres::Error) -> LedgerError {
        error(self.pool.place(), doing, e)
    }
}

fn error(place: &str, doing: &str, e: tokio_postgres::Error) -> LedgerError {
    LedgerError::Storage(pgconn::describe(place, doing, e))
}

/// Runs the pending migrations, all in one transaction under an advisory lock: a second server
/// starting at the same time waits, then finds nothing left to do.
async fn migrate(client: &mut Client, place: &str) -> Result<(), LedgerError> {
    let e = |doing: &'static str| move |err| error(place, doing, err);
    let tx = client
        .transaction()
        .await
        .map_err(e("starting the migrations"))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(e("taking the migration lock"))?;
    let row = tx
        .query_one(
            "SELECT to_regclass('schema_version') IS NOT NULL,
                    to_regclass('events') IS NOT NULL OR to_regclass('checkpoints') IS NOT NULL",
            &[],
        )
        .await
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
    .await
    .map_err(e("creating schema_version"))?;
    let row = tx
        .query_one("SELECT coalesce(max(version), 0) FROM schema_version", &[])
        .await
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
        tx.batch_execute(sql)
            .await
            .map_err(e("running a migration"))?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES ($1)",
            &[version],
        )
        .await
        .map_err(e("recording a migration"))?;
    }
    tx.commit().await.map_err(e("committing the migrations"))
}

/// Column `i` of `row`. `Row::get` would panic on a type the schema does not promise (say, a
/// column altered by hand); this makes it a storage error instead.
fn col<'a, T: tokio_postgres::types::FromSql<'a>>(
    row: &'a Row,
    i: usize,
) -> Result<T, LedgerError> {
    row.try_get(i)
        .map_err(|e| LedgerError::storage("reading a column", e))
}

async fn read_head(
    client: &impl GenericClient,
    place: &str,
    stream: &str,
) -> Result<Head, LedgerError> {
    let e = |doing| move |err| error(place, doing, err);
    let statement = client
        .prepare_cached(sql::HEAD)
        .await
        .map_err(e("preparing to read the head"))?;
    let row = client
        .query_opt(&statement, &[&stream])
        .await
        .map_err(e("reading the head"))?;
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

/// An event as it is stored, encoded before a connection is taken.
struct Encoded {
    payload: Vec<u8>,
    time: String,
    actor: Option<String>,
    /// The actor as the hash has it: empty when there is none.
    hashed_actor: String,
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
    async fn append_tx(
        &self,
        tx: &Transaction<'_>,
        stream: &str,
        expected_seq: u64,
        events: &[Encoded],
    ) -> Result<Appended, Failed> {
        let fail = |doing: &'static str| {
            move |e: tokio_postgres::Error| {
                if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
                    Failed::Lost
                } else {
                    Failed::Refused(self.error(doing, e))
                }
            }
        };
        // Sent together: the connection pipelines them, one round trip (none for statements
        // this connection has prepared before).
        let (head, insert, checkpoint, notify) = tokio::join!(
            read_head(tx, self.pool.place(), stream),
            tx.prepare_cached(sql::INSERT_EVENTS),
            tx.prepare_cached(sql::INSERT_CHECKPOINT),
            tx.prepare_cached(sql::NOTIFY),
        );
        let head = head?;
        let prepared = |s: Result<_, _>| s.map_err(|e| self.error("preparing an append", e));
        let (insert, checkpoint, notify) =
            (prepared(insert)?, prepared(checkpoint)?, prepared(notify)?);
        if head.seq != expected_seq {
            return Err(Failed::Refused(LedgerError::Conflict {
                current_seq: head.seq,
            }));
        }
        let mut hashes = Vec::with_capacity(events.len());
        let mut prev = head;
        for event in events {
            let seq = prev.seq + 1;
            let hash = RecordFields {
                prev: &prev.hash,
                stream,
                seq,
                time: &event.time,
                actor: &event.hashed_actor,
                payload: &event.payload,
            }
            .hash();
            hashes.push((prev.hash, hash));
            prev = Head { seq, hash };
        }
        let seqs: Vec<i64> = (head.seq + 1..=prev.seq).map(seq_to_sql).collect();
        let times: Vec<&str> = events.iter().map(|e| e.time.as_str()).collect();
        let actors: Vec<Option<&str>> = events.iter().map(|e| e.actor.as_deref()).collect();
        let payloads: Vec<&[u8]> = events.iter().map(|e| e.payload.as_slice()).collect();
        let prevs: Vec<&[u8]> = hashes.iter().map(|(p, _)| &p.as_bytes()[..]).collect();
        let hashed: Vec<&[u8]> = hashes.iter().map(|(_, h)| &h.as_bytes()[..]).collect();
        let cp = self.key.checkpoint(stream, prev.seq, prev.hash);
        let (last_seq, head_bytes) = (seq_to_sql(prev.seq), &prev.hash.as_bytes()[..]);
        let (signature, public_key) = (cp.signature.to_bytes(), cp.public_key.to_bytes());
        let announced = format!("{stream} {}", prev.seq);
        let event_params: [&(dyn ToSql + Sync); 7] =
            [&stream, &seqs, &times, &actors, &payloads, &prevs, &hashed];
        let checkpoint_params: [&(dyn ToSql + Sync); 5] = [
            &stream,
            &last_seq,
            &head_bytes,
            &&signature[..],
            &&public_key[..],
        ];
        // Other servers sharing the ledger hear of it on commit (a NOTIFY is sent only if the
        // transaction commits), so their set boards follow without polling.
        let notify_params: [&(dyn ToSql + Sync); 2] = [&CHANGES_CHANNEL, &announced];
        // Pipelined too. If the events lose the race, the later statements fail only because
        // the transaction is aborted: the events' own answer is the one that counts.
        let (inserted, checkpointed, notified) = tokio::join!(
            tx.execute(&insert, &event_params),
            tx.execute(&checkpoint, &checkpoint_params),
            tx.execute(&notify, &notify_params),
        );
        inserted.map_err(fail("inserting events"))?;
        checkpointed.map_err(fail("writing a checkpoint"))?;
        notified.map_err(fail("announcing the append"))?;
        Ok(Appended {
            first_seq: head.seq + 1,
            last_seq: prev.seq,
            head: prev.hash,
        })
    }
}

/// The rows of one read, fetched a part at a time as they are taken, each part read back into
/// [`RawRow`]s at once: a long read never holds its rows both as they came and as records.
struct EventRows<'a> {
    store: &'a PostgresStore,
    /// The connection and its rows, until they are all fetched or fetching failed.
    open: Option<(Client, Pin<Box<RowStream>>)>,
    part: std::vec::IntoIter<Result<RawRow, LedgerError>>,
}

impl Iterator for EventRows<'_> {
    type Item = Result<RawRow, LedgerError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(row) = self.part.next() {
                return Some(row);
            }
            let (_, rows) = self.open.as_mut()?;
            let place = self.store.pool.place();
            let (part, done, failed) = self.store.pool.block_on(async {
                let mut part = Vec::with_capacity(FETCH);
                while part.len() < FETCH {
                    match rows.next().await {
                        None => return (part, true, false),
                        Some(Ok(row)) => part.push(raw_row(&row)),
                        Some(Err(e)) => {
                            part.push(Err(error(place, "reading events", e)));
                            return (part, true, true);
                        }
                    }
                }
                (part, false, false)
            });
            if done {
                if let Some((client, _)) = self.open.take() {
                    if failed {
                        pgconn::discard(client);
                    }
                }
            }
            self.part = part.into_iter();
        }
    }
}

fn raw_row(r: &Row) -> Result<RawRow, LedgerError> {
    Ok(RawRow {
        seq: col(r, 0)?,
        at: col(r, 1)?,
        actor: col(r, 2)?,
        payload: col(r, 3)?,
        prev_hash: col(r, 4)?,
        hash: col(r, 5)?,
    })
}

/// The store's operations as they run on a pooled connection; [`Pool::run`] closes the
/// connection after a storage failure, so that the next call gets a sound one.
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
            .map(|e| {
                Ok(Encoded {
                    payload: payload_of(e)?,
                    time: time_of(e),
                    actor: e.by.as_ref().map(|p| p.as_str().to_owned()),
                    hashed_actor: actor_of(e).to_owned(),
                })
            })
            .collect::<Result<Vec<_>, LedgerError>>()?;
        let stream = stream.as_str();
        self.pool.run(async |client| {
            let tx = client
                .transaction()
                .await
                .map_err(|e| self.error("starting an append", e))?;
            match self.append_tx(&tx, stream, expected_seq, &events).await {
                Ok(appended) => {
                    // A COMMIT that fails, even by a lost connection, is reported as a failure:
                    // the append may or may not be there, and a caller re-reading the head
                    // finds out.
                    tx.commit()
                        .await
                        .map_err(|e| self.error("committing an append", e))?;
                    Ok(appended)
                }
                Err(Failed::Refused(e)) => Err(e),
                Err(Failed::Lost) => {
                    // Another server committed this seq first. Roll back, then report where the
                    // stream is now so that the caller decides again on that state.
                    tx.rollback()
                        .await
                        .map_err(|e| self.error("rolling back a lost append", e))?;
                    let head = read_head(&*client, self.pool.place(), stream).await?;
                    Err(LedgerError::Conflict {
                        current_seq: head.seq,
                    })
                }
            }
        })
    }

    fn run_read(
        &self,
        stream: &ProductionId,
        from_seq: u64,
        limit: usize,
    ) -> Result<Vec<Record>, LedgerError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let from = seq_to_sql(from_seq);
        let place = self.pool.place();
        let open = self.pool.block_on(async {
            let client = self.pool.get().await.map_err(LedgerError::Storage)?;
            let started = async {
                let statement = client.prepare_cached(sql::READ_EVENTS).await?;
                let params: [&(dyn ToSql + Sync); 3] = [&stream.as_str(), &from, &limit];
                client.query_raw(&statement, params).await
            }
            .await;
            match started {
                Ok(rows) => Ok((client, Box::pin(rows))),
                Err(e) => {
                    pgconn::discard(client);
                    Err(error(place, "reading events", e))
                }
            }
        })?;
        decode_rows(EventRows {
            store: self,
            open: Some(open),
            part: Vec::new().into_iter(),
        })
    }

    fn run_checkpoints(&self, stream: &ProductionId) -> Result<Vec<Checkpoint>, LedgerError> {
        let place = self.pool.place();
        self.pool.run(async |c| {
            let e = |err| error(place, "reading checkpoints", err);
            let rows = c
                .query_raw(
                    "SELECT seq, head, signature, public_key FROM checkpoints
                     WHERE stream = $1 ORDER BY seq",
                    [stream.as_str()],
                )
                .await
                .map_err(e)?;
            // Each row is made a checkpoint as it comes, rather than all rows held first.
            let mut rows = std::pin::pin!(rows);
            let mut checkpoints = Vec::new();
            while let Some(r) = rows.next().await {
                let r = r.map_err(e)?;
                let (head, sig, pk): (&[u8], &[u8], &[u8]) =
                    (col(&r, 1)?, col(&r, 2)?, col(&r, 3)?);
                checkpoints.push(checkpoint_from_parts(
                    stream,
                    seq_from_sql(col(&r, 0)?),
                    head,
                    sig,
                    pk,
                )?);
            }
            Ok(checkpoints)
        })
    }

    fn run_save_snapshot(&self, stream: &ProductionId, snap: &Snapshot) -> Result<(), LedgerError> {
        self.pool.run(async |c| {
            c.execute(
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
            .await
            .map_err(|e| self.error("saving a snapshot", e))?;
            Ok(())
        })
    }

    fn run_latest_snapshot(&self, stream: &ProductionId) -> Result<Option<Snapshot>, LedgerError> {
        let row = self.pool.run(async |c| {
            c.query_opt(
                "SELECT seq, head, format, state, signature FROM snapshots WHERE stream = $1",
                &[&stream.as_str()],
            )
            .await
            .map_err(|e| self.error("reading a snapshot", e))
        })?;
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
        let place = self.pool.place();
        self.pool.run(async |c| {
            let e = |err| error(place, "listing streams", err);
            let rows = c
                .query_raw(
                    "SELECT stream FROM events UNION SELECT stream FROM checkpoints ORDER BY 1",
                    std::iter::empty::<&str>(),
                )
                .await
                .map_err(e)?;
            let mut rows = std::pin::pin!(rows);
            let mut streams = Vec::new();
            while let Some(r) = rows.next().await {
                let r = r.map_err(e)?;
                let s: &str = col(&r, 0)?;
                streams.push(ProductionId::parse(s).map_err(|err| LedgerError::Corrupt {
                    seq: 0,
                    why: format!("stream {s:?} is not a production id: {err}"),
                })?);
            }
            Ok(streams)
        })
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
        self.run_append(stream, expected_seq, events)
    }
    fn read_page(
        &self,
        stream: &ProductionId,
        from_seq: u64,
        limit: usize,
    ) -> Result<Vec<Record>, LedgerError> {
        self.run_read(stream, from_seq, limit)
    }
    fn head(&self, stream: &ProductionId) -> Result<Head, LedgerError> {
        let place = self.pool.place();
        self.pool
            .run(async |c| read_head(&*c, place, stream.as_str()).await)
    }
    fn checkpoints(&self, stream: &ProductionId) -> Result<Vec<Checkpoint>, LedgerError> {
        self.run_checkpoints(stream)
    }
    fn streams(&self) -> Result<Vec<ProductionId>, LedgerError> {
        self.run_streams()
    }
    fn save_snapshot(&self, stream: &ProductionId, snap: &Snapshot) -> Result<(), LedgerError> {
        self.refuse_if_read_only()?;
        self.run_save_snapshot(stream, snap)
    }
    fn latest_snapshot(&self, stream: &ProductionId) -> Result<Option<Snapshot>, LedgerError> {
        self.run_latest_snapshot(stream)
    }
}
