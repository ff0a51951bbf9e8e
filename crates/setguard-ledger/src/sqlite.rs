//! The SQLite ledger: one file, WAL with `synchronous=FULL`, one writer at a time with group
//! commit, readers on their own connections.
//!
//! Appends are queued. The caller that finds no commit under way leads: it takes every request
//! waiting (its own among them), checks each against its expected seq, chains and inserts the
//! events of those that hold, signs one checkpoint per stream touched, commits once, and only
//! then answers each caller: an acknowledged append has been fsynced (WAL +
//! `synchronous=FULL`), and a busy ledger pays one fsync per batch rather than per append. The
//! requests that arrived meanwhile are led by the first of their callers, so the next commit
//! takes all of them. A lone appender commits on its own thread, with no hand-over to wait for.
//!
//! [`Store::submit`] queues an append and returns before it commits; its caller leads or waits
//! when it asks for the answer. A server judges its next command meanwhile, on the state after
//! the queued events, and submits it expecting them: the commit checks each request against the
//! head the requests before it in the same batch left, so a production's commands pipeline
//! without ever holding its lock across an fsync.

use crate::canonical::{ChainHash, RecordFields};
use crate::error::LedgerError;
use crate::keys::{Checkpoint, NodeKey};
use crate::store::{
    Appended, Head, PendingAppend, Queued, RawRow, Record, Snapshot, Store, checkpoint_from_parts,
    decode_rows, payload_of, seq_from_sql, seq_to_sql, time_of,
};
use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, params};
use setguard_core::{Event, ProductionId};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// Written into the file header (`PRAGMA application_id`, "SGLD"), so that a setguard ledger
/// is told apart from any other SQLite database before anything is written to it.
const APPLICATION_ID: i64 = 0x5347_4C44;

/// The migrations, in order; each runs once, in its own transaction, recorded in
/// `schema_version`. Never edit or reorder a released migration: add a new one.
const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        r#"
    -- The events, one row per record. A stream is a production; seq counts from 1 without gaps.
    -- `payload` is the event's JSON exactly as hashed; `at` and `actor` repeat what it says,
    -- for queries. `prev_hash` and `hash` are the 32-byte SHA-256 chain (see canonical.rs).
    CREATE TABLE events (
        stream    TEXT    NOT NULL,
        seq       INTEGER NOT NULL CHECK (seq >= 1),
        at        TEXT    NOT NULL,
        actor     TEXT,
        payload   BLOB    NOT NULL,
        prev_hash BLOB    NOT NULL CHECK (length(prev_hash) = 32),
        hash      BLOB    NOT NULL CHECK (length(hash) = 32),
        UNIQUE (stream, seq)
    );

    -- One signed checkpoint per stream per commit: the head the commit left.
    CREATE TABLE checkpoints (
        stream     TEXT    NOT NULL,
        seq        INTEGER NOT NULL CHECK (seq >= 1),
        head       BLOB    NOT NULL CHECK (length(head) = 32),
        signature  BLOB    NOT NULL CHECK (length(signature) = 64),
        public_key BLOB    NOT NULL CHECK (length(public_key) = 32),
        UNIQUE (stream, seq)
    );

    -- Append-only, enforced by the database as well as by the code: an edit needs someone to
    -- drop these triggers first, and the hash chain and signatures catch it even then.
    CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
    CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
    CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
    CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
        BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
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
        stream  TEXT    PRIMARY KEY,
        seq     INTEGER NOT NULL CHECK (seq >= 1),
        head    BLOB    NOT NULL CHECK (length(head) = 32),
        format  TEXT    NOT NULL,
        state   BLOB    NOT NULL,
        signature BLOB  NOT NULL CHECK (length(signature) = 64),
        made_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
    );
    "#,
    ),
];

/// A ledger in one SQLite file.
pub struct SqliteStore {
    path: PathBuf,
    /// The writer and its queue, shared with the appends submitted and not yet waited for.
    committer: Arc<Committer>,
    /// Idle reader connections, reused; a reader never waits for the writer (WAL).
    readers: Mutex<Vec<Connection>>,
    /// Opened to be read only ([`SqliteStore::open_read_only`]): nothing is ever written.
    read_only: bool,
    /// Whether the file's schema has the snapshots table (migration 2).
    has_snapshots: bool,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Commits the queued appends, led by one of their callers at a time.
struct Committer {
    /// The write connection, used by the leading appender only.
    writer: Mutex<Writer>,
    /// The appends waiting to be committed, and whether an appender is leading.
    queue: Mutex<Queue>,
    /// Signs each commit's checkpoints: the leader, or a caller waiting its turn.
    key: NodeKey,
    /// Each stream's head as this process last committed or read it. A hint for chaining
    /// appends before their commit (the commit checks the head they expect); the commit itself
    /// trusts it only while no other connection has written the file (`data_version`).
    heads: Mutex<HashMap<String, Head>>,
}

struct Writer {
    conn: Connection,
    /// `PRAGMA data_version` as of this connection's last commit: while it is unchanged, no
    /// other connection (another process: an import, a second server) has written the file,
    /// and the cached heads are the file's. `None`: unknown.
    seen_version: Option<i64>,
}

#[derive(Default)]
struct Queue {
    waiting: Vec<Request>,
    /// An appender is committing (or has been told to): new requests wait for it.
    leading: bool,
    /// The id of the next request.
    next: u64,
}

/// One caller's append, waiting for the writer.
struct Request {
    id: u64,
    /// Its caller is waiting for the answer, so it can be handed the lead.
    caller_waits: bool,
    stream: String,
    expected_seq: u64,
    /// The hash of the record it expects, when the caller named it ([`Store::submit`]): its
    /// events were then chained on the caller's thread, and it is refused unless the stream
    /// ends at exactly that record (not another one with the same seq).
    expected_hash: Option<ChainHash>,
    /// Each event's columns, encoded on the caller's thread.
    events: Vec<Encoded>,
    /// The checkpoint of the head this append ends at, signed by its caller while it waited
    /// (used if the append is the last of its stream in its commit).
    checkpoint: Option<Checkpoint>,
    reply: mpsc::Sender<Reply>,
}

impl Request {
    /// The head this append ends at, when it was chained before its commit.
    fn chained_head(&self) -> Option<Head> {
        let last = self.events.last()?;
        Some(Head {
            seq: self.expected_seq + self.events.len() as u64,
            hash: last.hash?,
        })
    }
}

/// An event as its row stores it: the time and actor columns and the JSON payload.
struct Encoded {
    time: String,
    actor: Option<String>,
    payload: Vec<u8>,
    /// Its chain hash, when it was chained before the commit.
    hash: Option<ChainHash>,
}

/// What a waiting caller is told.
enum Reply {
    /// Its append was committed, or refused.
    Done(Result<Appended, LedgerError>),
    /// It leads the next commit.
    Lead,
}

impl SqliteStore {
    /// Opens the ledger at `path`, creating it (and migrating it) if needed. A file that is not
    /// a setguard ledger is refused with [`LedgerError::NotALedger`] and left untouched.
    pub fn open(path: impl Into<PathBuf>, key: NodeKey) -> Result<SqliteStore, LedgerError> {
        let path = path.into();
        let mut conn = connect(&path, OpenFlags::SQLITE_OPEN_CREATE)?;
        prepare(&mut conn, &path)?;
        Ok(SqliteStore {
            path,
            committer: Arc::new(Committer::new(conn, key)),
            readers: Mutex::new(Vec::new()),
            read_only: false,
            has_snapshots: true,
        })
    }

    /// Opens an existing ledger to read it without changing a byte of it: no migration, no
    /// journal-mode switch, and every write refused. What `verify`, `export` and `status` use,
    /// so that checking an investigator's copy leaves it exactly as it was.
    pub fn open_read_only(path: impl Into<PathBuf>) -> Result<SqliteStore, LedgerError> {
        let path = path.into();
        if !path.is_file() {
            return Err(not_a_ledger(&path, "there is no such file"));
        }
        let conn = connect(&path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let app_id: i64 = conn
            .pragma_query_value(None, "application_id", |r| r.get(0))
            .map_err(|e| sql_error(&path, "reading the application id", e))?;
        if app_id != APPLICATION_ID {
            return Err(not_a_ledger(&path, "it is not marked as a setguard ledger"));
        }
        let version: i64 = conn
            .query_row(
                "SELECT coalesce(max(version), 0) FROM schema_version",
                [],
                |r| r.get(0),
            )
            .map_err(|e| sql_error(&path, "reading the schema version", e))?;
        let newest = MIGRATIONS.last().map_or(0, |m| m.0);
        if version > newest {
            return Err(LedgerError::Storage(format!(
                "{}: the ledger is at schema {version}, newer than this setguard knows \
                 ({newest}); upgrade setguard",
                path.display()
            )));
        }
        Ok(SqliteStore {
            path,
            committer: Arc::new(Committer::new(conn, NodeKey::ephemeral())),
            readers: Mutex::new(Vec::new()),
            read_only: true,
            has_snapshots: version >= 2,
        })
    }

    fn refuse_if_read_only(&self) -> Result<(), LedgerError> {
        if self.read_only {
            return Err(LedgerError::Storage(format!(
                "{}: opened read-only; nothing is written",
                self.path.display()
            )));
        }
        Ok(())
    }

    fn with_reader<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, LedgerError>,
    ) -> Result<T, LedgerError> {
        let pooled = self.readers.lock().ok().and_then(|mut v| v.pop());
        let conn = match pooled {
            Some(c) => c,
            None => connect(
                &self.path,
                if self.read_only {
                    OpenFlags::SQLITE_OPEN_READ_ONLY
                } else {
                    OpenFlags::empty()
                },
            )?,
        };
        // A failure names the file, as opening does: with a damaged file, which one is the
        // first thing the operator needs.
        let out = f(&conn).map_err(|e| match e {
            LedgerError::Storage(why) if !why.contains(&*self.path.to_string_lossy()) => {
                LedgerError::Storage(format!("{}: {why}", self.path.display()))
            }
            other => other,
        });
        if let Ok(mut v) = self.readers.lock() {
            v.push(conn);
        }
        out
    }
}

impl SqliteStore {
    /// Encodes an append on the caller's thread and queues it. With the hash it expects, the
    /// events are chained here too, and what they will record is returned with the ticket.
    fn queue(
        &self,
        stream: &ProductionId,
        expected_seq: u64,
        expected_hash: Option<ChainHash>,
        events: &[Event],
    ) -> Result<(Option<Appended>, Ticket), LedgerError> {
        self.refuse_if_read_only()?;
        if events.is_empty() {
            return Err(LedgerError::EmptyBatch);
        }
        // An append that names only a seq is chained here too when this process knows the
        // record at that seq: the commit then checks the hash as well, which the file can only
        // agree with (a seq names one record).
        let expected_hash = expected_hash.or_else(|| {
            self.committer
                .cached_head(stream.as_str())
                .filter(|h| h.seq == expected_seq)
                .map(|h| h.hash)
        });
        let mut prev = expected_hash.map(|hash| Head {
            seq: expected_seq,
            hash,
        });
        let events = events
            .iter()
            .map(|e| {
                let mut enc = Encoded {
                    time: time_of(e),
                    actor: e.by.as_ref().map(|p| p.as_str().to_owned()),
                    payload: payload_of(e)?,
                    hash: None,
                };
                if let Some(p) = &mut prev {
                    let seq = p.seq + 1;
                    let hash = RecordFields {
                        prev: &p.hash,
                        stream: stream.as_str(),
                        seq,
                        time: &enc.time,
                        actor: enc.actor.as_deref().unwrap_or(""),
                        payload: &enc.payload,
                    }
                    .hash();
                    enc.hash = Some(hash);
                    *p = Head { seq, hash };
                }
                Ok(enc)
            })
            .collect::<Result<Vec<_>, LedgerError>>()?;
        let appended = prev.map(|last| Appended {
            first_seq: expected_seq + 1,
            last_seq: last.seq,
            head: last.hash,
        });
        let (reply, answer) = mpsc::channel();
        let id = {
            let mut q = self
                .committer
                .queue
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let id = q.next;
            q.next += 1;
            q.waiting.push(Request {
                id,
                caller_waits: false,
                stream: stream.as_str().to_owned(),
                expected_seq,
                expected_hash,
                events,
                checkpoint: None,
                reply,
            });
            id
        };
        let ticket = Ticket {
            committer: self.committer.clone(),
            id,
            answer: Some(answer),
        };
        Ok((appended, ticket))
    }
}

impl Committer {
    fn new(conn: Connection, key: NodeKey) -> Committer {
        Committer {
            writer: Mutex::new(Writer {
                conn,
                seen_version: None,
            }),
            queue: Mutex::new(Queue::default()),
            key,
            heads: Mutex::new(HashMap::new()),
        }
    }

    fn cached_head(&self, stream: &str) -> Option<Head> {
        self.heads
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(stream)
            .copied()
    }

    /// Commits every request waiting (the leader's own among them) and answers each; then
    /// hands the lead to the first request that arrived meanwhile, or stands down.
    fn lead(&self) {
        // Also on unwinding: a panic must not leave the ledger led by no one.
        let _hand_over = HandOver(self);
        let batch = std::mem::take(
            &mut self
                .queue
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .waiting,
        );
        if batch.is_empty() {
            return;
        }
        let answers = {
            let mut w = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
            commit_batch(&mut w, self, &batch)
        };
        for (req, answer) in batch.into_iter().zip(answers) {
            // A caller that stopped waiting is no reason to stop answering the others.
            let _ = req.reply.send(Reply::Done(answer));
        }
    }
}

/// A queued append's caller: it leads the commit when its turn comes and takes its answer.
struct Ticket {
    committer: Arc<Committer>,
    id: u64,
    /// `None` once answered.
    answer: Option<mpsc::Receiver<Reply>>,
}

impl Ticket {
    /// Leads a commit if no one is committing (it takes every request queued, this one's
    /// among them if still there), else waits to be answered or handed the lead. Whichever
    /// ticket is waited for first, the queue moves: nothing waits for a caller that is not
    /// waiting itself.
    fn finish(&mut self) -> Result<Appended, LedgerError> {
        let gone = || LedgerError::Storage("the ledger writer has stopped".to_owned());
        let Some(answer) = self.answer.take() else {
            return Err(gone());
        };
        loop {
            {
                let mut q = self
                    .committer
                    .queue
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                match answer.try_recv() {
                    Ok(Reply::Done(result)) => return result,
                    Ok(Reply::Lead) => {
                        drop(q);
                        self.committer.lead();
                        continue;
                    }
                    Err(mpsc::TryRecvError::Disconnected) => return Err(gone()),
                    Err(mpsc::TryRecvError::Empty) => {}
                }
                if !q.leading {
                    q.leading = true;
                    drop(q);
                    self.committer.lead();
                    continue;
                }
                let mut to_sign = None;
                if let Some(i) = q.waiting.iter().position(|r| r.id == self.id) {
                    q.waiting[i].caller_waits = true;
                    // Signing its checkpoint now, while a commit is under way, takes that
                    // work off the next leader. Worth it only for the last append queued on
                    // its stream: only a commit's last head per stream is signed.
                    let r = &q.waiting[i];
                    let last = !q.waiting[i + 1..].iter().any(|o| o.stream == r.stream);
                    if last && r.checkpoint.is_none() {
                        to_sign = r.chained_head().map(|h| (r.stream.clone(), h));
                    }
                }
                drop(q);
                if let Some((stream, head)) = to_sign {
                    let cp = self.committer.key.checkpoint(&stream, head.seq, head.hash);
                    let mut q = self
                        .committer
                        .queue
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner);
                    if let Some(r) = q.waiting.iter_mut().find(|r| r.id == self.id) {
                        r.checkpoint = Some(cp);
                    }
                }
            }
            match answer.recv().map_err(|_| gone())? {
                Reply::Done(result) => return result,
                Reply::Lead => self.committer.lead(),
            }
        }
    }
}

impl Queued for Ticket {
    fn wait(mut self: Box<Self>) -> Result<Appended, LedgerError> {
        self.finish()
    }
}

impl Drop for Ticket {
    /// A ticket let go of without waiting still waits for its append (committed or refused),
    /// so that whatever was judged on top of it finds it recorded: the server never lets one
    /// go (it hands each to a blocking task at once), so this is for other callers. It blocks:
    /// do not drop one on an async thread.
    fn drop(&mut self) {
        if self.answer.is_some() {
            let _ = self.finish();
        }
    }
}

/// Passes the lead on when a leader is done: to the first request queued whose caller waits,
/// and who then commits everything queued by the time it runs; with none, no one leads until
/// a caller asks for its answer.
struct HandOver<'a>(&'a Committer);

impl Drop for HandOver<'_> {
    fn drop(&mut self) {
        let mut q = self.0.queue.lock().unwrap_or_else(PoisonError::into_inner);
        while let Some(i) = q.waiting.iter().position(|r| r.caller_waits) {
            if q.waiting[i].reply.send(Reply::Lead).is_ok() {
                return;
            }
            // Its caller is gone (its thread ended): nobody to answer.
            q.waiting.remove(i);
        }
        q.leading = false;
    }
}

fn sql_error(path: &Path, doing: &str, e: rusqlite::Error) -> LedgerError {
    if let rusqlite::Error::SqliteFailure(f, _) = &e {
        if f.code == rusqlite::ErrorCode::NotADatabase {
            return not_a_ledger(path, "it is not an SQLite database");
        }
    }
    LedgerError::Storage(format!("{doing} ({}): {e}", path.display()))
}

fn not_a_ledger(path: &Path, why: &str) -> LedgerError {
    LedgerError::NotALedger {
        path: path.display().to_string(),
        why: why.to_owned(),
    }
}

/// Opens a connection: read-write, plus `extra` (`SQLITE_OPEN_CREATE` to make the file), or
/// read-only when `extra` is `SQLITE_OPEN_READ_ONLY`.
fn connect(path: &Path, extra: OpenFlags) -> Result<Connection, LedgerError> {
    let flags = if extra.contains(OpenFlags::SQLITE_OPEN_READ_ONLY) {
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | extra
    };
    let conn =
        Connection::open_with_flags(path, flags).map_err(|e| sql_error(path, "opening", e))?;
    conn.busy_timeout(Duration::from_secs(10))
        .map_err(|e| sql_error(path, "setting the busy timeout", e))?;
    // Reading the header here is what finds a file that is not a database at all.
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(|e| sql_error(path, "setting synchronous=FULL", e))?;
    Ok(conn)
}

/// Checks that the file is ours (or new), switches it to WAL and runs the migrations.
fn prepare(conn: &mut Connection, path: &Path) -> Result<(), LedgerError> {
    let app_id: i64 = conn
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .map_err(|e| sql_error(path, "reading the application id", e))?;
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .map_err(|e| sql_error(path, "reading the schema", e))?;
    if app_id != APPLICATION_ID {
        if app_id != 0 || tables != 0 {
            return Err(not_a_ledger(path, "it is another program's database"));
        }
        conn.pragma_update(None, "application_id", APPLICATION_ID)
            .map_err(|e| sql_error(path, "marking the file as a ledger", e))?;
    }
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
        .map_err(|e| sql_error(path, "switching to WAL", e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(LedgerError::Storage(format!(
            "{}: the file system refused WAL mode (got {mode})",
            path.display()
        )));
    }
    migrate(conn, path)
}

fn migrate(conn: &mut Connection, path: &Path) -> Result<(), LedgerError> {
    let e = |doing: &'static str| move |err| sql_error(path, doing, err);
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_version (
            version INTEGER PRIMARY KEY,
            applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
        )",
    )
    .map_err(e("creating schema_version"))?;
    let current: i64 = conn
        .query_row(
            "SELECT coalesce(max(version), 0) FROM schema_version",
            [],
            |r| r.get(0),
        )
        .map_err(e("reading the schema version"))?;
    let newest = MIGRATIONS.last().map_or(0, |m| m.0);
    if current > newest {
        return Err(LedgerError::Storage(format!(
            "{}: the ledger is at schema {current}, newer than this setguard knows ({newest}); \
             upgrade setguard",
            path.display()
        )));
    }
    for (version, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
        let tx = conn.transaction().map_err(e("starting a migration"))?;
        tx.execute_batch(sql).map_err(e("running a migration"))?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES (?1)",
            [version],
        )
        .map_err(e("recording a migration"))?;
        tx.commit().map_err(e("committing a migration"))?;
    }
    Ok(())
}

/// Commits every request of `batch` that holds in one transaction, and returns the answer
/// for each, in order. Nothing is answered `Ok` unless COMMIT returned.
fn commit_batch(
    w: &mut Writer,
    c: &Committer,
    batch: &[Request],
) -> Vec<Result<Appended, LedgerError>> {
    match try_commit(w, c, batch) {
        Ok(answers) => answers,
        Err(e) => {
            // What this process knew of the file may be wrong now: read it again.
            w.seen_version = None;
            // Each caller is told what failed and in which file. Not `e.to_string()`: its
            // "ledger storage: " prefix would then be printed twice.
            let file = w.conn.path().unwrap_or_default().to_owned();
            let why = match e {
                LedgerError::Storage(why) => format!("{file}: {why}"),
                other => format!("{file}: {other}"),
            };
            batch
                .iter()
                .map(|_| Err(LedgerError::Storage(why.clone())))
                .collect()
        }
    }
}

/// [`commit_batch`]; an `Err` is a storage failure that aborts the whole batch.
fn try_commit(
    w: &mut Writer,
    c: &Committer,
    batch: &[Request],
) -> Result<Vec<Result<Appended, LedgerError>>, LedgerError> {
    let Writer { conn, seen_version } = w;
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(|e| LedgerError::storage("starting a commit", e))?;
    // Holding the write lock: if no other connection has committed since this one last did,
    // the heads cached are the file's, and no stream's head needs reading.
    let version: i64 = tx
        .query_row("PRAGMA data_version", [], |r| r.get(0))
        .map_err(|e| LedgerError::storage("reading the data version", e))?;
    let trusted = *seen_version == Some(version);
    if !trusted {
        c.heads
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
    let mut heads: HashMap<&str, Head> = HashMap::new();
    let mut answers = Vec::with_capacity(batch.len());
    for req in batch {
        if trusted && !heads.contains_key(req.stream.as_str()) {
            if let Some(h) = c.cached_head(&req.stream) {
                heads.insert(&req.stream, h);
            }
        }
        answers.push(append_one(&tx, &mut heads, req)?);
    }
    let wrote: Vec<(&str, Head)> = {
        let mut touched: Vec<&str> = batch
            .iter()
            .zip(&answers)
            .filter(|(_, a)| a.is_ok())
            .map(|(r, _)| r.stream.as_str())
            .collect();
        touched.sort_unstable();
        touched.dedup();
        touched
            .into_iter()
            .filter_map(|s| heads.get(s).map(|h| (s, *h)))
            .collect()
    };
    for &(stream, head) in &wrote {
        // The checkpoint its last append's caller signed while waiting, else signed here.
        let presigned = batch
            .iter()
            .zip(&answers)
            .rev()
            .find(|(r, a)| r.stream == stream && a.is_ok())
            .and_then(|(r, _)| r.checkpoint.as_ref())
            .filter(|cp| cp.seq == head.seq && cp.head == head.hash);
        let signed;
        let cp = match presigned {
            Some(cp) => cp,
            None => {
                signed = c.key.checkpoint(stream, head.seq, head.hash);
                &signed
            }
        };
        tx.prepare_cached(
            "INSERT INTO checkpoints (stream, seq, head, signature, public_key)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .and_then(|mut stmt| {
            stmt.execute(params![
                stream,
                seq_to_sql(head.seq),
                &head.hash.as_bytes()[..],
                &cp.signature.to_bytes()[..],
                &cp.public_key.as_bytes()[..]
            ])
        })
        .map_err(|e| LedgerError::storage("writing a checkpoint", e))?;
    }
    tx.commit()
        .map_err(|e| LedgerError::storage("committing", e))?;
    // This connection's own commit leaves `data_version` as it was.
    *seen_version = Some(version);
    let mut cached = c.heads.lock().unwrap_or_else(PoisonError::into_inner);
    for (stream, head) in heads {
        match cached.get_mut(stream) {
            Some(h) => *h = head,
            None => {
                cached.insert(stream.to_owned(), head);
            }
        }
    }
    Ok(answers)
}

/// Checks one request against its stream's head (as this batch has left it) and inserts its
/// events. The outer error is a storage failure that aborts the whole batch; the inner one is
/// this caller's own refusal.
fn append_one<'b>(
    tx: &Transaction<'_>,
    heads: &mut HashMap<&'b str, Head>,
    req: &'b Request,
) -> Result<Result<Appended, LedgerError>, LedgerError> {
    let head = match heads.get(req.stream.as_str()) {
        Some(h) => *h,
        None => {
            let h = read_head(tx, &req.stream)?;
            heads.insert(&req.stream, h);
            h
        }
    };
    if req.expected_seq != head.seq || req.expected_hash.is_some_and(|h| h != head.hash) {
        return Ok(Err(LedgerError::Conflict {
            current_seq: head.seq,
        }));
    }
    let mut stmt = tx
        .prepare_cached(
            "INSERT INTO events (stream, seq, at, actor, payload, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .map_err(|e| LedgerError::storage("preparing an insert", e))?;
    let mut prev = head;
    for Encoded {
        time,
        actor,
        payload,
        hash,
    } in &req.events
    {
        let seq = prev.seq + 1;
        let hash = hash.unwrap_or_else(|| {
            RecordFields {
                prev: &prev.hash,
                stream: &req.stream,
                seq,
                time,
                actor: actor.as_deref().unwrap_or(""),
                payload,
            }
            .hash()
        });
        stmt.execute(params![
            req.stream,
            seq_to_sql(seq),
            time,
            actor,
            payload,
            &prev.hash.as_bytes()[..],
            &hash.as_bytes()[..],
        ])
        .map_err(|e| LedgerError::storage("inserting an event", e))?;
        prev = Head { seq, hash };
    }
    heads.insert(&req.stream, prev);
    Ok(Ok(Appended {
        first_seq: head.seq + 1,
        last_seq: prev.seq,
        head: prev.hash,
    }))
}

fn read_head(conn: &Connection, stream: &str) -> Result<Head, LedgerError> {
    // Cached: the writer reads a head for every stream of every commit.
    let row: Option<(i64, Vec<u8>)> = conn
        .prepare_cached("SELECT seq, hash FROM events WHERE stream = ?1 ORDER BY seq DESC LIMIT 1")
        .and_then(|mut stmt| stmt.query_row([stream], |r| Ok((r.get(0)?, r.get(1)?))))
        .optional()
        .map_err(|e| LedgerError::storage("reading the head", e))?;
    match row {
        None => Ok(Head::EMPTY),
        Some((seq, hash)) => {
            let seq = seq_from_sql(seq);
            let hash = ChainHash::from_slice(&hash).ok_or_else(|| LedgerError::Corrupt {
                seq,
                why: "its hash is not 32 bytes".to_owned(),
            })?;
            Ok(Head { seq, hash })
        }
    }
}

impl Store for SqliteStore {
    fn append(
        &self,
        stream: &ProductionId,
        expected_seq: u64,
        events: &[Event],
    ) -> Result<Appended, LedgerError> {
        self.queue(stream, expected_seq, None, events)?.1.finish()
    }

    fn submit(
        &self,
        stream: &ProductionId,
        expected: Head,
        events: &[Event],
    ) -> Result<PendingAppend, LedgerError> {
        let (appended, ticket) = self.queue(stream, expected.seq, Some(expected.hash), events)?;
        let appended = appended.ok_or_else(|| LedgerError::Storage("unchained".to_owned()))?;
        Ok(PendingAppend::queued(appended, Box::new(ticket)))
    }

    fn pipelines(&self) -> bool {
        !self.read_only
    }

    fn read_page(
        &self,
        stream: &ProductionId,
        from_seq: u64,
        limit: usize,
    ) -> Result<Vec<Record>, LedgerError> {
        // SQLite reads a negative LIMIT as "no limit".
        let limit = i64::try_from(limit).unwrap_or(-1);
        self.with_reader(|conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT seq, at, actor, payload, prev_hash, hash FROM events
                     WHERE stream = ?1 AND seq >= ?2 ORDER BY seq LIMIT ?3",
                )
                .map_err(|e| LedgerError::storage("preparing a read", e))?;
            let rows = stmt
                .query_map(params![stream.as_str(), seq_to_sql(from_seq), limit], |r| {
                    // Columns are read whatever type they hold now: a row edited behind the
                    // ledger's back is for the verifier to name, not a storage failure.
                    let text = |i| bytes(r, i).map(text_of);
                    Ok(RawRow {
                        seq: r.get(0)?,
                        at: text(1)?,
                        actor: match r.get_ref(2)? {
                            rusqlite::types::ValueRef::Null => None,
                            _ => Some(text(2)?),
                        },
                        payload: bytes(r, 3)?,
                        prev_hash: bytes(r, 4)?,
                        hash: bytes(r, 5)?,
                    })
                })
                .map_err(|e| LedgerError::storage("reading events", e))?;
            // Decoded as they are fetched, on every core for a long read.
            decode_rows(rows.map(|row| row.map_err(|e| LedgerError::storage("reading events", e))))
        })
    }

    fn head(&self, stream: &ProductionId) -> Result<Head, LedgerError> {
        self.with_reader(|conn| read_head(conn, stream.as_str()))
    }

    fn streams(&self) -> Result<Vec<ProductionId>, LedgerError> {
        self.with_reader(|conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT stream FROM events GROUP BY stream
                     UNION SELECT stream FROM checkpoints GROUP BY stream ORDER BY 1",
                )
                .map_err(|e| LedgerError::storage("preparing a read", e))?;
            let rows = stmt
                .query_map([], |r| r.get::<_, String>(0))
                .map_err(|e| LedgerError::storage("listing streams", e))?;
            rows.map(|row| {
                let s = row.map_err(|e| LedgerError::storage("listing streams", e))?;
                ProductionId::parse(&s).map_err(|e| LedgerError::Corrupt {
                    seq: 0,
                    why: format!("stream {s:?} is not a production id: {e}"),
                })
            })
            .collect()
        })
    }

    fn checkpoints(&self, stream: &ProductionId) -> Result<Vec<Checkpoint>, LedgerError> {
        self.with_reader(|conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT seq, head, signature, public_key FROM checkpoints
                     WHERE stream = ?1 ORDER BY seq",
                )
                .map_err(|e| LedgerError::storage("preparing a read", e))?;
            let rows = stmt
                .query_map([stream.as_str()], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, Vec<u8>>(1)?,
                        r.get::<_, Vec<u8>>(2)?,
                        r.get::<_, Vec<u8>>(3)?,
                    ))
                })
                .map_err(|e| LedgerError::storage("reading checkpoints", e))?;
            rows.map(|row| {
                let (seq, head, sig, pk) =
                    row.map_err(|e| LedgerError::storage("reading checkpoints", e))?;
                checkpoint_from_parts(stream, seq_from_sql(seq), &head, &sig, &pk)
            })
            .collect()
        })
    }

    fn save_snapshot(&self, stream: &ProductionId, snap: &Snapshot) -> Result<(), LedgerError> {
        self.refuse_if_read_only()?;
        // Written on a reader's connection rather than queued with the appends: a snapshot is
        // rare and derived. It takes SQLite's write lock for one short statement, waiting its
        // turn (busy timeout) like any writer; readers are never blocked (WAL).
        self.with_reader(|conn| {
            conn.execute(
                "INSERT OR REPLACE INTO snapshots (stream, seq, head, format, state, signature)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    stream.as_str(),
                    seq_to_sql(snap.seq),
                    &snap.head.as_bytes()[..],
                    snap.format,
                    snap.state,
                    snap.signature
                ],
            )
            .map_err(|e| sql_error(&self.path, "saving a snapshot", e))?;
            Ok(())
        })
    }

    fn latest_snapshot(&self, stream: &ProductionId) -> Result<Option<Snapshot>, LedgerError> {
        if !self.has_snapshots {
            return Ok(None);
        }
        self.with_reader(|conn| {
            type Row = (i64, Vec<u8>, String, Vec<u8>, Vec<u8>);
            let row: Option<Row> = conn
                .query_row(
                    "SELECT seq, head, format, state, signature FROM snapshots WHERE stream = ?1",
                    [stream.as_str()],
                    |r| {
                        Ok((
                            r.get(0)?,
                            bytes(r, 1)?,
                            bytes_text(r, 2)?,
                            bytes(r, 3)?,
                            bytes(r, 4)?,
                        ))
                    },
                )
                .optional()
                .map_err(|e| sql_error(&self.path, "reading a snapshot", e))?;
            Ok(row.and_then(|(seq, head, format, state, signature)| {
                // A snapshot is only a shortcut: one that cannot be read is treated as absent.
                Some(Snapshot {
                    seq: seq_from_sql(seq),
                    head: ChainHash::from_slice(&head)?,
                    format,
                    state,
                    signature,
                })
            }))
        })
    }
}

fn bytes_text(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<String> {
    bytes(r, i).map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// A column's bytes, whether stored as a blob or as text; any other type reads as no bytes,
/// which the record checks then refuse as corrupt.
fn bytes(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Vec<u8>> {
    use rusqlite::types::ValueRef;
    Ok(match r.get_ref(i)? {
        ValueRef::Blob(b) | ValueRef::Text(b) => b.to_vec(),
        _ => Vec::new(),
    })
}

/// Column bytes as text, invalid UTF-8 replaced; valid text (every row the ledger wrote) is
/// taken as it is, without a copy.
fn text_of(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}
