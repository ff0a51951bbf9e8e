//! Faults the ledger meets in the field: a full disk, a damaged file, a lost PostgreSQL
//! connection. Each must end in a clear error, with nothing half-written and nothing
//! acknowledged that was not stored; the ledger then carries on at the right seq. (Wrong URLs
//! are tested in sqlite.rs.)
//!
//! The full-disk test mounts a small tmpfs, which needs root; without it, it says on stderr that
//! it did not run. The PostgreSQL tests need `SETGUARD_TEST_POSTGRES`, and say so too.

mod common;

use common::{TestDatabase, postgres_server, set_down, stream};
use ed25519_dalek::VerifyingKey;
use setguard_ledger::postgres::PostgresStore;
use setguard_ledger::sqlite::SqliteStore;
use setguard_ledger::verify::verify_stream;
use setguard_ledger::{Appended, Checkpoint, Head, LedgerError, NodeKey, Record, Store};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Every record of `s` is there, acknowledged appends exactly (each ack's head at its seq,
/// one checkpoint per ack and no other), and the stream verifies with the trusted key.
fn assert_holds_exactly(store: &dyn Store, s: &str, acked: &[Appended], key: &VerifyingKey) {
    let id = stream(s);
    let records = store.read(&id, 1).unwrap();
    let last = acked.last().map_or(0, |a| a.last_seq);
    assert_eq!(
        records.iter().map(|r| r.seq).collect::<Vec<_>>(),
        (1..=last).collect::<Vec<_>>(),
        "the stream holds exactly what was acknowledged"
    );
    for a in acked {
        assert_eq!(
            records[usize::try_from(a.last_seq - 1).unwrap()].hash,
            a.head
        );
    }
    let checkpoints = store.checkpoints(&id).unwrap();
    assert_eq!(
        checkpoints.iter().map(|c| c.seq).collect::<Vec<_>>(),
        acked.iter().map(|a| a.last_seq).collect::<Vec<_>>(),
        "one checkpoint per acknowledged append, none for a failed one"
    );
    let v = verify_stream(s, &records, &checkpoints, Some(key))
        .unwrap_or_else(|b| panic!("{s} does not verify: {b}"));
    assert_eq!(v.head.seq, last);
}

// ---------------------------------------------------------------------------------------------
// A full disk (SQLite).

/// A small tmpfs mounted for one test, unmounted when dropped.
struct SmallDisk {
    dir: PathBuf,
}

impl SmallDisk {
    fn mount(dir: &Path, size: &str) -> Result<SmallDisk, String> {
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(dir)
            .output()
            .map_err(|e| format!("running mount: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
        }
        Ok(SmallDisk {
            dir: dir.to_owned(),
        })
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let unmounted = Command::new("umount")
            .arg(&self.dir)
            .status()
            .is_ok_and(|s| s.success());
        if !unmounted {
            // Still busy (a test failed with the file open): detach it rather than leave it.
            let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
        }
    }
}

/// Writes `path` until the file system has no room left; returns its length.
fn fill(path: &Path) -> u64 {
    let mut f = std::fs::File::create(path).unwrap();
    let block = vec![0x5a_u8; 4096];
    let mut len = 0u64;
    loop {
        match f.write(&block) {
            Ok(0) => break,
            Ok(n) => len += n as u64,
            Err(e) if e.raw_os_error() == Some(28) => break, // ENOSPC
            Err(e) => panic!("filling the disk: {e}"),
        }
    }
    // Whatever the file system keeps in its buffers must be refused now, not later.
    let _ = f.sync_all();
    len
}

/// A storage error that says the disk is full, and which file could not grow.
fn assert_disk_full(err: &LedgerError, path: &Path) {
    assert!(
        matches!(err, LedgerError::Storage(_)),
        "a full disk is a storage failure, not {err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("disk is full") && text.contains(&*path.to_string_lossy()),
        "the error should say the disk is full, naming {}: {text}",
        path.display()
    );
}

#[test]
fn a_full_disk_fails_the_append_clearly_and_keeps_every_acknowledged_one() {
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("small");
    std::fs::create_dir(&mnt).unwrap();
    let disk = match SmallDisk::mount(&mnt, "1m") {
        Ok(d) => d,
        Err(why) => {
            // Straight to stderr, past the test harness's capture: a skip must be seen.
            let _ = writeln!(
                std::io::stderr(),
                "FULL-DISK CASE DID NOT RUN: could not mount a 1 MiB tmpfs ({why}); \
                 run the tests as root to check it"
            );
            // CI runs as root on a machine that can mount: there, a skip is a failure.
            assert!(
                std::env::var_os("CI").is_none(),
                "the full-disk case must run on CI: {why}"
            );
            return;
        }
    };
    let key = NodeKey::ephemeral();
    let public = key.public();
    let path = mnt.join("ledger.db");
    let filler = mnt.join("filler");
    let s = stream("rust");
    let mut acked: Vec<Appended> = Vec::new();
    let mut n = 0;
    let mut next = |store: &SqliteStore, acked: &[Appended]| {
        n += 1;
        let expected = acked.last().map_or(0, |a| a.last_seq);
        store.append(&s, expected, &[set_down(n), set_down(n + 1000)])
    };

    let store = SqliteStore::open(&path, key.clone()).unwrap();
    for _ in 0..5 {
        acked.push(next(&store, &acked).unwrap());
    }
    // Fill the disk, then give back room for a few commits only.
    let len = fill(&filler);
    let room = 64 * 1024;
    std::fs::OpenOptions::new()
        .write(true)
        .open(&filler)
        .unwrap()
        .set_len(len.saturating_sub(room))
        .unwrap();
    let before_full = acked.len();
    let err = loop {
        match next(&store, &acked) {
            Ok(a) => acked.push(a),
            Err(e) => break e,
        }
        assert!(acked.len() < 1000, "the disk never filled up");
    };
    eprintln!(
        "disk full after {} appends ({} with the disk nearly full): {err}",
        acked.len(),
        acked.len() - before_full
    );
    assert_disk_full(&err, &path);
    assert!(
        acked.len() > before_full,
        "the room left should have taken some appends before the disk was full"
    );

    // The failed append left nothing: not its events, not its checkpoint; and a second try
    // while the disk is still full fails the same way.
    let last = *acked.last().unwrap();
    let head = Head {
        seq: last.last_seq,
        hash: last.head,
    };
    assert_eq!(store.head(&s).unwrap(), head);
    assert_disk_full(&next(&store, &acked).unwrap_err(), &path);
    assert_eq!(store.head(&s).unwrap(), head);
    assert_holds_exactly(&store, "rust", &acked, &public);

    // Closed and opened again with the disk still full: everything acknowledged is there.
    drop(store);
    let store = SqliteStore::open(&path, key.clone())
        .unwrap_or_else(|e| panic!("a full disk should not keep the ledger from opening: {e}"));
    assert_holds_exactly(&store, "rust", &acked, &public);
    assert_disk_full(&next(&store, &acked).unwrap_err(), &path);
    let raw =
        rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let check: String = raw
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    drop(raw);

    // Room again: appends carry on at the next seq.
    std::fs::remove_file(&filler).unwrap();
    let a = next(&store, &acked).unwrap();
    assert_eq!(a.first_seq, head.seq + 1);
    acked.push(a);
    acked.push(next(&store, &acked).unwrap());
    assert_holds_exactly(&store, "rust", &acked, &public);
    drop(store);
    let store = SqliteStore::open(&path, key).unwrap();
    assert_holds_exactly(&store, "rust", &acked, &public);
    drop(store);
    drop(disk);
}

// ---------------------------------------------------------------------------------------------
// A damaged SQLite file.

/// SplitMix64, for garbage that is the same on every run.
struct Garbage(u64);

impl Garbage {
    fn fill(&mut self, buf: &mut [u8]) {
        for b in buf {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            *b = (z ^ (z >> 31)) as u8;
        }
    }
}

const STREAMS: [&str; 3] = ["rust", "halyna", "bonanza"];

/// A closed ledger of three streams, its bytes, what it holds, and which table or index each
/// of its pages belongs to.
struct Original {
    dir: tempfile::TempDir,
    bytes: Vec<u8>,
    page_size: usize,
    /// Page number (from 1) -> the table or index it holds, as SQLite's dbstat names it.
    owners: Vec<(usize, String)>,
    key: VerifyingKey,
    records: Vec<Vec<Record>>,
    checkpoints: Vec<Vec<Checkpoint>>,
}

impl Original {
    fn new() -> Original {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.db");
        let key = NodeKey::ephemeral();
        let public = key.public();
        {
            let store = SqliteStore::open(&path, key).unwrap();
            for n in 0..60u64 {
                for s in STREAMS {
                    let s = stream(s);
                    let head = store.head(&s).unwrap().seq;
                    let events: Vec<_> = (0..=n % 3).map(|i| set_down(n * 10 + i)).collect();
                    store.append(&s, head, &events).unwrap();
                }
            }
        }
        // Closing the last connection moved the WAL into the file: the file is the ledger.
        let wal = dir.path().join("ledger.db-wal");
        assert!(
            std::fs::metadata(&wal).map_or(true, |m| m.len() == 0),
            "the WAL should be checkpointed and gone after close"
        );
        let raw = rusqlite::Connection::open(&path).unwrap();
        let page_size: usize = raw
            .pragma_query_value(None, "page_size", |r| r.get::<_, i64>(0))
            .map(|p| usize::try_from(p).unwrap())
            .unwrap();
        let owners = raw
            .prepare("SELECT pageno, name FROM dbstat ORDER BY pageno")
            .unwrap()
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
            .unwrap()
            .map(|r| r.map(|(p, n)| (usize::try_from(p).unwrap(), n)))
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        drop(raw);
        let bytes = std::fs::read(&path).unwrap();
        let store = SqliteStore::open(&path, NodeKey::ephemeral()).unwrap();
        let records = STREAMS
            .iter()
            .map(|s| store.read(&stream(s), 1).unwrap())
            .collect();
        let checkpoints = STREAMS
            .iter()
            .map(|s| store.checkpoints(&stream(s)).unwrap())
            .collect();
        drop(store);
        assert_eq!(
            std::fs::read(&path).unwrap(),
            bytes,
            "reading changed the file"
        );
        Original {
            dir,
            bytes,
            page_size,
            owners,
            key: public,
            records,
            checkpoints,
        }
    }

    /// A copy of the ledger with `len` bytes of garbage written at `offset`.
    fn damaged(&self, name: &str, offset: usize, len: usize, seed: u64) -> PathBuf {
        let mut bytes = self.bytes.clone();
        let end = (offset + len).min(bytes.len());
        Garbage(seed).fill(&mut bytes[offset..end]);
        let path = self.dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        path
    }
}

/// An error that says what happened and where: the damaged file named (or a record's seq).
fn assert_clear(err: &LedgerError, path: &Path, doing: &str) {
    let file = path.display().to_string();
    match err {
        LedgerError::NotALedger { path: p, .. } => assert_eq!(p, &file, "{doing}: {err}"),
        LedgerError::Storage(why) => assert!(
            why.contains(&file),
            "{doing}: a storage error should name the file {file}: {err}"
        ),
        LedgerError::Corrupt { .. } => {}
        other => panic!("{doing}: {other:?} is not an error for a damaged file"),
    }
}

/// What the store made of a damaged file.
#[derive(Debug, PartialEq)]
enum Outcome {
    /// Refused at open.
    Refused,
    /// Opened, but reading the ledger failed with a clear error.
    Unreadable,
    /// Read back, but did not verify (or listed other streams).
    DoesNotVerify,
    /// Everything read back and verified.
    ReadsBack,
}

/// Opens, reads and verifies the damaged copy at `path`, checking that every failure is a clear
/// error, and that a copy that reads back and verifies holds exactly the original records.
fn examine(original: &Original, path: &Path) -> Outcome {
    let store = match SqliteStore::open(path, NodeKey::ephemeral()) {
        Ok(s) => s,
        Err(e) => {
            assert_clear(&e, path, "opening");
            return Outcome::Refused;
        }
    };
    let mut unreadable = false;
    let mut broken = false;
    match store.streams() {
        Ok(listed) => {
            let listed: Vec<&str> = listed.iter().map(|s| s.as_str()).collect();
            let mut expected = STREAMS.to_vec();
            expected.sort_unstable();
            if listed != expected {
                broken = true;
            }
        }
        Err(e) => {
            assert_clear(&e, path, "listing streams");
            unreadable = true;
        }
    }
    for (i, name) in STREAMS.iter().enumerate() {
        let s = stream(name);
        let records = store.read(&s, 1);
        let checkpoints = store.checkpoints(&s);
        let (records, checkpoints) = match (records, checkpoints) {
            (Ok(r), Ok(c)) => (r, c),
            (Err(e), _) | (_, Err(e)) => {
                assert_clear(&e, path, "reading");
                unreadable = true;
                continue;
            }
        };
        match verify_stream(name, &records, &checkpoints, Some(&original.key)) {
            Ok(_) => assert!(
                records == original.records[i] && checkpoints == original.checkpoints[i],
                "{name} verifies but reads back otherwise than it was written"
            ),
            Err(_) => broken = true,
        }
    }
    // Appending to a damaged file: a clear answer either way, never a stopped writer, and an
    // acknowledged append is there to read.
    let s = stream("rust");
    if let Ok(head) = store.head(&s) {
        match store.append(&s, head.seq, &[set_down(9999)]) {
            Ok(a) => {
                if let Ok(now) = store.head(&s) {
                    assert_eq!(now.hash, a.head, "an acknowledged append is not there");
                }
            }
            Err(LedgerError::Conflict { .. }) => {}
            Err(e @ (LedgerError::Storage(_) | LedgerError::Corrupt { .. })) => {
                assert!(!e.to_string().contains("stopped"), "{e}");
            }
            Err(e) => panic!("appending to a damaged file: {e:?}"),
        }
    } else {
        unreadable = true;
    }
    if unreadable {
        Outcome::Unreadable
    } else if broken {
        Outcome::DoesNotVerify
    } else {
        Outcome::ReadsBack
    }
}

#[test]
fn a_damaged_header_is_not_a_ledger_and_is_left_alone() {
    let original = Original::new();
    let path = original.damaged("header.db", 0, 100, 1);
    let before = std::fs::read(&path).unwrap();
    let err = SqliteStore::open(&path, NodeKey::ephemeral()).unwrap_err();
    assert!(matches!(err, LedgerError::NotALedger { .. }), "{err:?}");
    assert_clear(&err, &path, "opening");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "the file was changed"
    );
}

#[test]
fn garbage_over_the_event_pages_is_reported_naming_the_file() {
    let original = Original::new();
    let first = original
        .owners
        .iter()
        .find(|(_, name)| name == "events")
        .map(|(p, _)| *p)
        .unwrap();
    let last = original
        .owners
        .iter()
        .rfind(|(_, name)| name == "events")
        .map(|(p, _)| *p)
        .unwrap();
    let path = original.damaged(
        "events.db",
        (first - 1) * original.page_size,
        (last - first + 1) * original.page_size,
        2,
    );
    // The schema is intact, so the file opens; reading the events is what must fail.
    let store = SqliteStore::open(&path, NodeKey::ephemeral()).unwrap();
    let err = store.read(&stream("rust"), 1).unwrap_err();
    eprintln!("reading events over garbage: {err}");
    assert_clear(&err, &path, "reading");
    assert!(
        matches!(err, LedgerError::Corrupt { .. }) || err.to_string().contains("malformed"),
        "the error should say the file is damaged: {err}"
    );
}

#[test]
fn garbage_over_any_one_page_is_a_clear_error_or_changes_nothing() {
    let original = Original::new();
    let pages = original.bytes.len() / original.page_size;
    let mut outcomes = Vec::new();
    for page in 1..=pages {
        let path = original.damaged(
            &format!("page{page}.db"),
            (page - 1) * original.page_size,
            original.page_size,
            1000 + page as u64,
        );
        let outcome = examine(&original, &path);
        let owner = original
            .owners
            .iter()
            .find(|(p, _)| *p == page)
            .map_or("(free)", |(_, n)| n.as_str());
        // The ledger's own tables and indexes are read whole to verify: damage there is found.
        let ledger_page = owner == "sqlite_schema"
            || owner == "sqlite_master"
            || owner.starts_with("events")
            || owner.starts_with("checkpoints")
            || owner.starts_with("sqlite_autoindex_events")
            || owner.starts_with("sqlite_autoindex_checkpoints");
        if ledger_page {
            assert_ne!(
                outcome,
                Outcome::ReadsBack,
                "garbage over page {page} ({owner}) went unnoticed"
            );
        }
        outcomes.push((page, owner.to_owned(), outcome));
        std::fs::remove_file(&path).unwrap();
    }
    let count = |o: Outcome| outcomes.iter().filter(|(_, _, x)| *x == o).count();
    eprintln!(
        "{pages} pages damaged one at a time: {} refused at open, {} unreadable, {} read back \
         but did not verify, {} harmless ({:?})",
        count(Outcome::Refused),
        count(Outcome::Unreadable),
        count(Outcome::DoesNotVerify),
        count(Outcome::ReadsBack),
        outcomes
            .iter()
            .filter(|(_, _, o)| *o == Outcome::ReadsBack)
            .map(|(p, n, _)| format!("{p}:{n}"))
            .collect::<Vec<_>>()
    );
    assert!(count(Outcome::Unreadable) > 0);
}

// ---------------------------------------------------------------------------------------------
// A lost PostgreSQL connection.

/// A PostgreSQL store on its own database, its key, and the database.
fn postgres_store(db: &TestDatabase) -> (PostgresStore, VerifyingKey) {
    let key = NodeKey::ephemeral();
    let public = key.public();
    (PostgresStore::open(&db.url, key).unwrap(), public)
}

#[test]
fn a_terminated_postgres_backend_costs_one_call_then_appends_carry_on() {
    let Some(server) = postgres_server() else {
        return;
    };
    let db = TestDatabase::create(&server);
    let (store, key) = postgres_store(&db);
    let s = stream("rust");
    let mut acked = vec![store.append(&s, 0, &[set_down(1), set_down(2)]).unwrap()];
    acked.push(store.append(&s, 2, &[set_down(3)]).unwrap());

    // Another connection ends the store's backend (named by the application name the store
    // sets, so that an autovacuum worker is left alone), as a restart or an operator would.
    let mut admin = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    let ended: Vec<bool> = admin
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid()
               AND application_name = 'setguard'",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(ended, [true], "the store's one backend was ended");
    wait_until_alone(&mut admin);

    // The next call finds the connection gone: a clear storage error naming the database (and
    // nothing written), or, had the store noticed first, a reconnect and success.
    let next = store.append(&s, 3, &[set_down(4)]);
    match &next {
        Ok(a) => acked.push(*a),
        Err(e) => {
            eprintln!("the call after the backend was ended: {e}");
            assert!(matches!(e, LedgerError::Storage(_)), "{e:?}");
            assert!(e.to_string().contains(&db.name), "{e}");
            assert_eq!(
                store.head(&s).unwrap().seq,
                3,
                "a failed append wrote nothing"
            );
        }
    }
    // Then the store has reconnected, and appends carry on at the right seq.
    let expected = acked.last().unwrap().last_seq;
    let a = store.append(&s, expected, &[set_down(5)]).unwrap();
    assert_eq!(a.first_seq, expected + 1);
    acked.push(a);
    assert_holds_exactly(&store, "rust", &acked, &key);
}

/// Waits (up to 5 s) until the store's ended backend is gone from the server.
fn wait_until_alone(admin: &mut postgres::Client) {
    for _ in 0..500 {
        let others: i64 = admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND pid <> pg_backend_pid()
                   AND application_name = 'setguard'",
                &[],
            )
            .unwrap()
            .get(0);
        if others == 0 {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("the ended backend is still there after 5 s");
}

/// A TCP relay between the store and PostgreSQL that can cut the connection at the store's
/// COMMIT: before passing it on (the server never sees it and rolls back), or after the server
/// has answered (the server committed, the store never hears so).
mod relay {
    use std::io::{Read, Write};
    use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU8, AtomicU32, Ordering};

    pub const PASS: u8 = 0;
    pub const CUT_BEFORE_COMMIT: u8 = 1;
    pub const CUT_AFTER_COMMIT: u8 = 2;

    #[derive(Debug)]
    pub struct Relay {
        pub addr: SocketAddr,
        mode: Arc<AtomicU8>,
        cuts: Arc<AtomicU32>,
    }

    impl Relay {
        pub fn start(upstream: SocketAddr) -> Relay {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let mode = Arc::new(AtomicU8::new(PASS));
            let cuts = Arc::new(AtomicU32::new(0));
            let (m, c) = (Arc::clone(&mode), Arc::clone(&cuts));
            std::thread::spawn(move || {
                for client in listener.incoming() {
                    let Ok(client) = client else { return };
                    let Ok(server) = TcpStream::connect(upstream) else {
                        continue;
                    };
                    connection(client, server, Arc::clone(&m), Arc::clone(&c));
                }
            });
            Relay { addr, mode, cuts }
        }

        /// Cut the next COMMIT as `mode` says; the relay passes everything again afterwards.
        pub fn arm(&self, mode: u8) {
            self.mode.store(mode, Ordering::SeqCst);
        }

        /// How many connections have been cut.
        pub fn cuts(&self) -> u32 {
            self.cuts.load(Ordering::SeqCst)
        }
    }

    fn connection(client: TcpStream, server: TcpStream, mode: Arc<AtomicU8>, cuts: Arc<AtomicU32>) {
        // Set once this connection's COMMIT has gone to the server in CUT_AFTER_COMMIT mode.
        let commit_sent = Arc::new(AtomicU8::new(0));
        let (mut c_in, mut c_out) = (client.try_clone().unwrap(), client);
        let (mut s_in, mut s_out) = (server.try_clone().unwrap(), server);
        let (mode2, cuts2, sent2) = (
            Arc::clone(&mode),
            Arc::clone(&cuts),
            Arc::clone(&commit_sent),
        );
        // Store -> server.
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = match c_in.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                let chunk = &buf[..n];
                if chunk.windows(6).any(|w| w == b"COMMIT") {
                    match mode.load(Ordering::SeqCst) {
                        CUT_BEFORE_COMMIT => {
                            mode.store(PASS, Ordering::SeqCst);
                            cuts.fetch_add(1, Ordering::SeqCst);
                            let _ = c_in.shutdown(Shutdown::Both);
                            let _ = s_out.shutdown(Shutdown::Both);
                            return;
                        }
                        CUT_AFTER_COMMIT => sent2.store(1, Ordering::SeqCst),
                        _ => {}
                    }
                }
                if s_out.write_all(chunk).is_err() {
                    break;
                }
            }
            let _ = s_out.shutdown(Shutdown::Write);
        });
        // Server -> store.
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 64 * 1024];
            let mut cut = false;
            loop {
                let n = match s_in.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                if !cut && commit_sent.load(Ordering::SeqCst) == 1 {
                    // The server has answered the COMMIT, so it is done; the store is not told.
                    cut = true;
                    mode2.store(PASS, Ordering::SeqCst);
                    cuts2.fetch_add(1, Ordering::SeqCst);
                    let _ = c_out.shutdown(Shutdown::Both);
                }
                if cut {
                    continue;
                }
                if c_out.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
            let _ = c_out.shutdown(Shutdown::Both);
        });
    }
}

/// The store connected to `db` through a relay.
fn through_relay(db: &TestDatabase) -> (PostgresStore, VerifyingKey, relay::Relay) {
    let config: postgres::Config = db.url.parse().unwrap();
    let host = match &config.get_hosts()[0] {
        postgres::config::Host::Tcp(h) => h.clone(),
        #[cfg(unix)]
        postgres::config::Host::Unix(_) => panic!("the relay needs a TCP server URL"),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let upstream = std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), port))
        .unwrap()
        .next()
        .unwrap();
    let relay = relay::Relay::start(upstream);
    let mut url = format!(
        "host=127.0.0.1 port={} dbname={} user={}",
        relay.addr.port(),
        db.name,
        config.get_user().unwrap_or("postgres")
    );
    if let Some(pw) = config.get_password() {
        url.push_str(&format!(
            " password='{}'",
            String::from_utf8_lossy(pw)
                .replace('\\', "\\\\")
                .replace('\'', "\\'")
        ));
    }
    let key = NodeKey::ephemeral();
    let public = key.public();
    (PostgresStore::open(&url, key).unwrap(), public, relay)
}

#[test]
fn a_connection_lost_before_commit_reports_failure_and_stores_nothing() {
    let Some(server) = postgres_server() else {
        return;
    };
    let db = TestDatabase::create(&server);
    let (store, key, relay) = through_relay(&db);
    let s = stream("rust");
    let mut acked = vec![store.append(&s, 0, &[set_down(1), set_down(2)]).unwrap()];

    relay.arm(relay::CUT_BEFORE_COMMIT);
    let err = store.append(&s, 2, &[set_down(3)]).unwrap_err();
    assert_eq!(relay.cuts(), 1, "the relay cut the connection at COMMIT");
    eprintln!("connection lost before COMMIT: {err}");
    assert!(matches!(err, LedgerError::Storage(_)), "{err:?}");
    assert!(err.to_string().contains("committing"), "{err}");

    // Nothing of it was stored: the same append at the same seq now succeeds, once.
    assert_eq!(store.head(&s).unwrap().seq, 2);
    let a = store.append(&s, 2, &[set_down(3)]).unwrap();
    assert_eq!(a.first_seq, 3);
    acked.push(a);
    assert_holds_exactly(&store, "rust", &acked, &key);
}

#[test]
fn a_connection_lost_after_commit_is_not_acknowledged_and_a_retry_does_not_duplicate() {
    let Some(server) = postgres_server() else {
        return;
    };
    let db = TestDatabase::create(&server);
    let (store, key, relay) = through_relay(&db);
    let s = stream("rust");
    let first = store.append(&s, 0, &[set_down(1), set_down(2)]).unwrap();

    relay.arm(relay::CUT_AFTER_COMMIT);
    let err = store.append(&s, 2, &[set_down(3)]).unwrap_err();
    assert_eq!(relay.cuts(), 1, "the relay cut the connection after COMMIT");
    eprintln!("connection lost after COMMIT: {err}");
    assert!(matches!(err, LedgerError::Storage(_)), "{err:?}");
    assert!(err.to_string().contains("committing"), "{err}");

    // The outcome was unknown to the store, and it said so rather than acknowledging. The
    // server did commit: the caller finds that out by reading the head, and a blind retry at
    // the old seq is refused instead of writing the event twice.
    let records = store.read(&s, 1).unwrap();
    assert_eq!(records.len(), 3);
    assert_eq!(records[2].event, set_down(3));
    match store.append(&s, 2, &[set_down(3)]) {
        Err(LedgerError::Conflict { current_seq }) => assert_eq!(current_seq, 3),
        other => panic!("a retry at seq 2 should conflict at 3, got {other:?}"),
    }
    let committed = Appended {
        first_seq: 3,
        last_seq: 3,
        head: records[2].hash,
    };
    let a = store.append(&s, 3, &[set_down(4)]).unwrap();
    assert_eq!(a.first_seq, 4);
    assert_holds_exactly(&store, "rust", &[first, committed, a], &key);
}

/// `verify`, `export` and `status` open PostgreSQL read-only: nothing migrated, nothing
/// written, and a database without a ledger is not taken for one.
#[test]
fn a_read_only_postgres_store_writes_nothing_and_refuses_a_database_without_a_ledger() {
    let Some(server) = common::postgres_server() else {
        return;
    };
    let empty = common::TestDatabase::create(&server);
    let err = setguard_ledger::postgres::PostgresStore::open_read_only(&empty.url).unwrap_err();
    assert!(matches!(err, LedgerError::NotALedger { .. }), "{err}");

    let Some(f) = common::postgres() else { return };
    let s = common::stream("rust");
    f.store.append(&s, 0, &[common::set_down(1)]).unwrap();
    let url = &f
        .db
        .as_ref()
        .expect("a postgres fixture has its database")
        .url;
    let ro = setguard_ledger::postgres::PostgresStore::open_read_only(url).unwrap();
    assert_eq!(ro.head(&s).unwrap().seq, 1);
    let err = ro.append(&s, 1, &[common::set_down(2)]).unwrap_err();
    assert!(err.to_string().contains("opened read-only"), "{err}");
    assert_eq!(f.store.head(&s).unwrap().seq, 1);
}
