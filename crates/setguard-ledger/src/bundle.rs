//! Evidence bundles: one production's record, exported to plain files that an investigator can
//! verify without setguard and without trusting the server that wrote them.
//!
//! A bundle is a directory:
//!
//! | file                 | what                                                             |
//! |----------------------|------------------------------------------------------------------|
//! | `README.md`          | for the investigator: the format, byte for byte, and how to check |
//! | `manifest.json`      | what was exported, when, by which setguard, with which keys       |
//! | `events.jsonl`       | every record, one JSON object per line, in seq order              |
//! | `checkpoints.jsonl`  | every signed checkpoint, one per line, in seq order               |
//! | `keys/<hex>.pem`     | each public key that signed a checkpoint (SubjectPublicKeyInfo)   |
//! | `SHA256SUMS`         | the SHA-256 of every other file, for `sha256sum -c`               |
//!
//! `SHA256SUMS` is written last: a directory without one is an export that did not finish.
//!
//! # Never change this format
//! `setguard-bundle/1` is read by people and by their own tools. A change is a new format name;
//! readers keep reading every older one.

use crate::canonical::{ChainHash, to_hex};
use crate::error::LedgerError;
use crate::keys::{Checkpoint, public_key_from_hex};
use crate::store::{RawRow, Record, Store, time_of};
use crate::verify::{Broken, Verified, Why, verify_stream};
use ed25519_dalek::VerifyingKey;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePublicKey, EncodePublicKey};
use serde::{Deserialize, Serialize};
use setguard_core::ProductionId;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

/// The name of this bundle format, written in every manifest.
pub const BUNDLE_FORMAT: &str = "setguard-bundle/1";

const MANIFEST: &str = "manifest.json";
const EVENTS: &str = "events.jsonl";
const CHECKPOINTS: &str = "checkpoints.jsonl";
const SUMS: &str = "SHA256SUMS";
const README: &str = "README.md";
const KEYS: &str = "keys";

/// Records exported or read per page, and between progress reports.
const PAGE: usize = 8192;

/// What a bundle holds, as its `manifest.json` says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub production: String,
    pub events: u64,
    /// The hash of the last record (the genesis hash, all zeros, when there are none).
    pub head: String,
    pub checkpoints: u64,
    /// Every key that signed a checkpoint, as 64 hex digits; each also in `keys/<hex>.pem`.
    pub public_keys: Vec<String>,
    /// When the bundle was written, UTC.
    pub exported_at: String,
    /// The setguard that wrote it.
    pub exported_by: String,
}

/// One line of `events.jsonl`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventLine {
    stream: String,
    seq: u64,
    /// Canonical field 6: the event's time as its JSON writes it.
    at: String,
    /// Canonical field 7: the person who did it, or null.
    actor: Option<String>,
    prev_hash: String,
    hash: String,
    /// Canonical field 8: the event's JSON exactly as hashed, as a string.
    payload: String,
}

/// One line of `checkpoints.jsonl`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckpointLine {
    stream: String,
    seq: u64,
    head: String,
    signature: String,
    public_key: String,
}

/// Why a bundle could not be written or read (as opposed to read and found broken).
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("{path}: {why}")]
    File { path: String, why: String },
    #[error("{path}:{line}: {why}")]
    Line {
        path: String,
        line: usize,
        why: String,
    },
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

fn file_error(path: &Path, why: impl std::fmt::Display) -> BundleError {
    BundleError::File {
        path: path.display().to_string(),
        why: why.to_string(),
    }
}

/// Writes `stream`'s bundle into `out`, which must not exist or be empty. `progress` is told
/// (records written, records in all) as the export goes. On failure `out` is removed, so no
/// half-written bundle is left to be mistaken for a whole one.
pub fn export(
    store: &dyn Store,
    stream: &ProductionId,
    out: &Path,
    exported_by: &str,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Manifest, BundleError> {
    let fresh = match fs::read_dir(out) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(file_error(
                    out,
                    "is not empty; export into a new directory so no older file is mixed in",
                ));
            }
            false
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
        Err(e) => return Err(file_error(out, e)),
    };
    let result = write_bundle(store, stream, out, exported_by, progress);
    if result.is_err() {
        if fresh {
            let _ = fs::remove_dir_all(out);
        } else if let Ok(entries) = fs::read_dir(out) {
            for entry in entries.flatten() {
                let p = entry.path();
                let _ = if p.is_dir() {
                    fs::remove_dir_all(&p)
                } else {
                    fs::remove_file(&p)
                };
            }
        }
    }
    result
}

fn write_bundle(
    store: &dyn Store,
    stream: &ProductionId,
    out: &Path,
    exported_by: &str,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Manifest, BundleError> {
    fs::create_dir_all(out.join(KEYS)).map_err(|e| file_error(out, e))?;
    let total = store.head(stream)?.seq;
    if total == 0 {
        return Err(file_error(
            out,
            format!("the ledger holds no production {stream}"),
        ));
    }

    let mut sums = Vec::new();
    let events_path = out.join(EVENTS);
    let mut w = HashingWriter::create(&events_path)?;
    let mut next = 1;
    let mut head = ChainHash::GENESIS;
    progress(0, total);
    while next <= total {
        // A live production goes on recording while it is exported: the bundle stops at the
        // head it started from, and keeps only the checkpoints up to there.
        let page = store.read_page(stream, next, PAGE)?;
        let Some(last) = page.last() else { break };
        next = last.seq.min(total) + 1;
        for r in page.iter().filter(|r| r.seq <= total) {
            let payload = String::from_utf8(r.payload.clone()).map_err(|_| {
                BundleError::Ledger(LedgerError::Corrupt {
                    seq: r.seq,
                    why: "its payload is not UTF-8 text (run `setguard verify`)".to_owned(),
                })
            })?;
            let line = EventLine {
                stream: stream.as_str().to_owned(),
                seq: r.seq,
                at: time_of(&r.event),
                actor: r.event.by.as_ref().map(|p| p.as_str().to_owned()),
                prev_hash: r.prev_hash.to_hex(),
                hash: r.hash.to_hex(),
                payload,
            };
            w.line(&line)?;
            head = r.hash;
        }
        progress(next - 1, total);
    }
    let events = next - 1;
    sums.push((EVENTS.to_owned(), w.finish()?));

    let checkpoints: Vec<Checkpoint> = store
        .checkpoints(stream)?
        .into_iter()
        .filter(|cp| cp.seq <= events)
        .collect();
    let mut keys = BTreeSet::new();
    let mut w = HashingWriter::create(&out.join(CHECKPOINTS))?;
    for cp in &checkpoints {
        keys.insert(cp.public_key.to_bytes());
        w.line(&CheckpointLine {
            stream: cp.stream.clone(),
            seq: cp.seq,
            head: cp.head.to_hex(),
            signature: to_hex(&cp.signature.to_bytes()),
            public_key: to_hex(cp.public_key.as_bytes()),
        })?;
    }
    sums.push((CHECKPOINTS.to_owned(), w.finish()?));

    let mut public_keys = Vec::new();
    for k in &keys {
        let hex = to_hex(k);
        let key = VerifyingKey::from_bytes(k).map_err(|e| file_error(out, e))?;
        let pem = key
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| file_error(out, e))?;
        let name = format!("{KEYS}/{hex}.pem");
        sums.push((name.clone(), write_file(&out.join(&name), pem.as_bytes())?));
        public_keys.push(hex);
    }

    let manifest = Manifest {
        format: BUNDLE_FORMAT.to_owned(),
        production: stream.as_str().to_owned(),
        events,
        head: head.to_hex(),
        checkpoints: checkpoints.len() as u64,
        public_keys,
        exported_at: now_utc(),
        exported_by: exported_by.to_owned(),
    };
    let readme = readme(&manifest);
    sums.push((
        README.to_owned(),
        write_file(&out.join(README), readme.as_bytes())?,
    ));
    let mut json = serde_json::to_vec_pretty(&manifest).map_err(|e| file_error(out, e))?;
    json.push(b'\n');
    sums.push((MANIFEST.to_owned(), write_file(&out.join(MANIFEST), &json)?));
    let sums_text: String = sums
        .iter()
        .map(|(name, sum)| format!("{sum}  {name}\n"))
        .collect();
    // Last, and only once everything else is on disk: its presence means the export finished.
    write_file(&out.join(SUMS), sums_text.as_bytes())?;
    Ok(manifest)
}

/// A bundle read back, ready to verify.
#[derive(Debug)]
pub struct Bundle {
    pub manifest: Manifest,
    /// The records read, up to the first line that is not a record.
    pub records: Vec<Record>,
    /// The checkpoints read, up to the first line that is not a checkpoint.
    pub checkpoints: Vec<Checkpoint>,
    /// The first thing found wrong while reading (a line that is not a record or checkpoint, a
    /// key file that is not the key it is named after): a finding about the bundle, reported
    /// like a broken chain, not a failure to read it.
    pub broken: Option<Broken>,
}

/// What `verify --bundle` found.
#[derive(Debug)]
pub struct BundleReport {
    pub manifest: Manifest,
    pub outcome: Result<Verified, Broken>,
}

/// Reads the bundle in `dir` and verifies it: every record's hash and link; every checkpoint
/// in seq order, naming a head the records have, signed by one of the bundle's keys and by
/// `pinned` when given (the node's key as published elsewhere: a forger can ship their own);
/// and that the bundle holds what its manifest says.
pub fn verify_bundle(
    dir: &Path,
    pinned: Option<&VerifyingKey>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<BundleReport, BundleError> {
    let bundle = read_bundle(dir, progress)?;
    let m = &bundle.manifest;
    let stream = m.production.as_str();
    let empty = bundle.records.is_empty() && bundle.broken.is_none();
    let mut found = bundle.broken.clone();
    let mut note = |b: Broken| {
        if found.as_ref().is_none_or(|f| b.seq < f.seq) {
            found = Some(b);
        }
    };
    if empty {
        // No events is no evidence, whatever the manifest says.
        note(broken(1, Why::Missing { found: None }));
    }
    let keys: Vec<VerifyingKey> = m
        .public_keys
        .iter()
        .filter_map(|k| public_key_from_hex(k))
        .collect();
    let mut last_seq = 0;
    for cp in &bundle.checkpoints {
        if cp.seq <= last_seq {
            note(broken(cp.seq, Why::OutOfOrder { found: cp.seq }));
            break;
        }
        last_seq = cp.seq;
        if !keys.contains(&cp.public_key) || pinned.is_some_and(|k| *k != cp.public_key) {
            note(broken(cp.seq, Why::UntrustedKey));
            break;
        }
    }
    if let Err(b) = verify_stream(stream, &bundle.records, &bundle.checkpoints, None) {
        note(b);
    }
    let outcome = match found {
        Some(b) => Err(b),
        None => {
            let last = bundle.records.last().map_or(0, |r| r.seq);
            let head = bundle.records.last().map(|r| r.hash.to_hex());
            if last == m.events
                && head.as_deref() == Some(m.head.as_str())
                && bundle.checkpoints.len() as u64 == m.checkpoints
            {
                Ok(Verified {
                    head: crate::store::Head {
                        seq: last,
                        hash: bundle.records.last().map_or(ChainHash::GENESIS, |r| r.hash),
                    },
                    checkpoints: bundle.checkpoints.len(),
                })
            } else {
                Err(broken(
                    last.min(m.events) + 1,
                    Why::ManifestMismatch {
                        events: m.events,
                        checkpoints: m.checkpoints,
                    },
                ))
            }
        }
    };
    Ok(BundleReport {
        manifest: bundle.manifest,
        outcome,
    })
}

fn broken(seq: u64, why: Why) -> Broken {
    Broken { seq, why }
}

/// Reads a bundle. A missing or unreadable manifest, or a bundle without `SHA256SUMS` (an
/// export that did not finish), is an error; anything wrong inside the files is kept in
/// [`Bundle::broken`], at the first seq it touches, for the verifier to report.
pub fn read_bundle(dir: &Path, progress: &mut dyn FnMut(u64, u64)) -> Result<Bundle, BundleError> {
    let manifest_path = dir.join(MANIFEST);
    let text = read_small(&manifest_path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            file_error(
                &manifest_path,
                "missing: this is not a setguard bundle, or its export did not finish",
            )
        } else {
            file_error(&manifest_path, e)
        }
    })?;
    let manifest: Manifest =
        serde_json::from_str(&text).map_err(|e| file_error(&manifest_path, e))?;
    if manifest.format != BUNDLE_FORMAT {
        return Err(file_error(
            &manifest_path,
            format!(
                "format {:?} is not one this setguard reads ({BUNDLE_FORMAT})",
                manifest.format
            ),
        ));
    }
    let sums_path = dir.join(SUMS);
    if !sums_path.is_file() {
        return Err(file_error(
            &sums_path,
            "missing: the export of this bundle did not finish",
        ));
    }
    let production = ProductionId::parse(&manifest.production)
        .map_err(|e| file_error(&manifest_path, format!("production: {e}")))?;

    let mut records: Vec<Record> = Vec::new();
    let mut broken_at: Option<Broken> = None;
    let events_path = dir.join(EVENTS);
    let read = for_each_line(&events_path, |n, line| {
        let r = event_line(&manifest, line).map_err(|why| line_error(&events_path, n, why))?;
        records.push(r);
        if records.len() % PAGE == 0 {
            progress(records.len() as u64, manifest.events);
        }
        Ok(())
    });
    match read {
        Ok(()) => {}
        // The file is there but a line of it is not a record: the record at that place is
        // broken (edited or damaged), which is a finding about the bundle, not a usage error.
        Err(e @ BundleError::Line { .. }) => {
            broken_at = Some(broken(
                records.last().map_or(0, |r| r.seq) + 1,
                Why::Unreadable(e.to_string()),
            ));
        }
        Err(e) => return Err(e),
    }
    progress(records.len() as u64, manifest.events);

    let mut checkpoints: Vec<Checkpoint> = Vec::new();
    let cp_path = dir.join(CHECKPOINTS);
    let read = for_each_line(&cp_path, |n, line| {
        let cp = checkpoint_line(&production, line).map_err(|why| line_error(&cp_path, n, why))?;
        checkpoints.push(cp);
        Ok(())
    });
    match read {
        Ok(()) => {}
        Err(e @ BundleError::Line { .. }) => {
            let seq = checkpoints.last().map_or(0, |c| c.seq) + 1;
            if broken_at.as_ref().is_none_or(|b| seq < b.seq) {
                broken_at = Some(broken(seq, Why::Unreadable(e.to_string())));
            }
        }
        Err(e) => return Err(e),
    }

    // Each key file must hold the key it is named after: a swapped file is a finding, at the
    // first checkpoint that key signed.
    for hex in &manifest.public_keys {
        let pem_path = dir.join(KEYS).join(format!("{hex}.pem"));
        let named = public_key_from_hex(hex).filter(|_| strict_hex(hex, 32).is_some());
        let held = read_small(&pem_path)
            .ok()
            .and_then(|pem| VerifyingKey::from_public_key_pem(&pem).ok());
        if named.is_none() || held != named {
            let seq = checkpoints
                .iter()
                .find(|c| Some(c.public_key) == named)
                .map_or(1, |c| c.seq);
            if broken_at.as_ref().is_none_or(|b| seq < b.seq) {
                broken_at = Some(broken(
                    seq,
                    Why::Unreadable(format!(
                        "{}: is not the key {hex} the manifest names",
                        pem_path.display()
                    )),
                ));
            }
        }
    }
    Ok(Bundle {
        manifest,
        records,
        checkpoints,
        broken: broken_at,
    })
}

/// One line of `events.jsonl` read into a record; every hash must be 64 lower-case hex digits,
/// exactly as written, so that setguard and an investigator's own script read the same bytes.
fn event_line(manifest: &Manifest, line: &str) -> Result<Record, String> {
    let l: EventLine = serde_json::from_str(line).map_err(|e| e.to_string())?;
    if l.stream != manifest.production {
        return Err(format!(
            "stream {:?} is not the bundle's production",
            l.stream
        ));
    }
    let seq = i64::try_from(l.seq).map_err(|_| format!("seq {} is out of range", l.seq))?;
    let raw = RawRow {
        seq,
        at: l.at,
        actor: l.actor,
        payload: l.payload.into_bytes(),
        prev_hash: strict_hex(&l.prev_hash, 32)
            .ok_or("prev_hash is not 64 lower-case hex digits")?,
        hash: strict_hex(&l.hash, 32).ok_or("hash is not 64 lower-case hex digits")?,
    };
    raw.into_record().map_err(|e| e.to_string())
}

/// One line of `checkpoints.jsonl`, with the same strictness.
fn checkpoint_line(production: &ProductionId, line: &str) -> Result<Checkpoint, String> {
    let l: CheckpointLine = serde_json::from_str(line).map_err(|e| e.to_string())?;
    if l.stream != production.as_str() {
        return Err(format!(
            "stream {:?} is not the bundle's production",
            l.stream
        ));
    }
    let field = |s: &str, len: usize, what: &str| {
        strict_hex(s, len).ok_or_else(|| format!("{what} is not {} lower-case hex digits", 2 * len))
    };
    crate::store::checkpoint_from_parts(
        production,
        l.seq,
        &field(&l.head, 32, "head")?,
        &field(&l.signature, 64, "signature")?,
        &field(&l.public_key, 32, "public_key")?,
    )
    .map_err(|e| e.to_string())
}

/// `len` bytes written as exactly `2 * len` lower-case hex digits, else `None`.
fn strict_hex(s: &str, len: usize) -> Option<Vec<u8>> {
    let ok = s.len() == 2 * len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    ok.then(|| crate::canonical::from_hex(s)).flatten()
}

fn line_error(path: &Path, line: usize, why: impl std::fmt::Display) -> BundleError {
    BundleError::Line {
        path: path.display().to_string(),
        line,
        why: why.to_string(),
    }
}

/// The longest line read from a bundle: an event is a few hundred bytes, so anything near this
/// is not one, and reading it whole would only let a hostile file exhaust memory.
const MAX_LINE: usize = 1 << 20;

/// The largest `manifest.json` or key file read.
const MAX_SMALL_FILE: u64 = 1 << 20;

fn for_each_line(
    path: &Path,
    mut each: impl FnMut(usize, &str) -> Result<(), BundleError>,
) -> Result<(), BundleError> {
    use std::io::Read as _;
    let file = File::open(path).map_err(|e| file_error(path, e))?;
    let mut reader = BufReader::new(file);
    let mut buf = Vec::new();
    for n in 1.. {
        buf.clear();
        let read = (&mut reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|e| line_error(path, n, e))?;
        if read == 0 {
            break;
        }
        if buf.len() > MAX_LINE {
            return Err(line_error(path, n, "longer than 1 MiB: not a record"));
        }
        let line = std::str::from_utf8(&buf).map_err(|e| line_error(path, n, e))?;
        let line = line.trim_end_matches(['\n', '\r']);
        if line.trim().is_empty() {
            continue;
        }
        each(n, line)?;
    }
    Ok(())
}

/// Reads a small file whole, refusing one too large to be what it should be.
fn read_small(path: &Path) -> std::io::Result<String> {
    let len = fs::metadata(path)?.len();
    if len > MAX_SMALL_FILE {
        return Err(std::io::Error::other(format!(
            "{len} bytes: far too large to be a bundle's {}",
            path.file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
        )));
    }
    fs::read_to_string(path)
}

/// Writes JSON lines to a file while hashing them for `SHA256SUMS`.
struct HashingWriter {
    path: PathBuf,
    out: BufWriter<File>,
    sha: Sha256,
}

impl HashingWriter {
    fn create(path: &Path) -> Result<Self, BundleError> {
        Ok(HashingWriter {
            path: path.to_owned(),
            out: BufWriter::new(File::create(path).map_err(|e| file_error(path, e))?),
            sha: Sha256::new(),
        })
    }

    fn line(&mut self, value: &impl Serialize) -> Result<(), BundleError> {
        let mut bytes = serde_json::to_vec(value).map_err(|e| file_error(&self.path, e))?;
        bytes.push(b'\n');
        self.sha.update(&bytes);
        self.out
            .write_all(&bytes)
            .map_err(|e| file_error(&self.path, e))
    }

    /// Flushes and syncs the file; returns its SHA-256 in hex.
    fn finish(self) -> Result<String, BundleError> {
        let file = self
            .out
            .into_inner()
            .map_err(|e| file_error(&self.path, e.error()))?;
        file.sync_all().map_err(|e| file_error(&self.path, e))?;
        Ok(to_hex(&self.sha.finalize()))
    }
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<String, BundleError> {
    let mut f = File::create(path).map_err(|e| file_error(path, e))?;
    f.write_all(bytes).map_err(|e| file_error(path, e))?;
    f.sync_all().map_err(|e| file_error(path, e))?;
    Ok(to_hex(&Sha256::digest(bytes)))
}

fn now_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    chrono::DateTime::from_timestamp(i64::try_from(secs).unwrap_or(0), 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// The investigator's README, with this bundle's figures filled in.
fn readme(m: &Manifest) -> String {
    include_str!("bundle_readme.md")
        .replace("{production}", &m.production)
        .replace("{events}", &m.events.to_string())
        .replace("{head}", &m.head)
        .replace("{checkpoints}", &m.checkpoints.to_string())
        .replace("{exported_at}", &m.exported_at)
        .replace("{exported_by}", &m.exported_by)
        .replace(
            "{public_keys}",
            &m.public_keys
                .iter()
                .map(|k| format!("- `{k}`"))
                .collect::<Vec<_>>()
                .join("\n"),
        )
}
