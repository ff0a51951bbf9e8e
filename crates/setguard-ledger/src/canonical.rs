//! The canonical bytes of a ledger record, and the hash that chains records together.
//!
//! # Never change this encoding
//! Every hash in every ledger ever written depends on these bytes, and a verifier who does not
//! trust the server recomputes them from this description alone. A new layout gets a new
//! version byte; verifiers keep reading every older one.
//!
//! ## Version 1
//! A record is the concatenation of eight fields, each written as its length (an unsigned
//! 32-bit big-endian integer) followed by that many bytes:
//!
//! | # | field     | bytes                                                                    |
//! |---|-----------|--------------------------------------------------------------------------|
//! | 1 | tag       | ASCII `setguard-ledger-record` (22 bytes), so no other signed or hashed   |
//! |   |           | setguard structure can be mistaken for a record                           |
//! | 2 | version   | one byte, `0x01`                                                          |
//! | 3 | prev hash | 32 bytes: the hash of the previous record of the stream, or 32 zero bytes |
//! |   |           | for the first record (the genesis hash)                                   |
//! | 4 | stream    | the stream id (the production id), UTF-8                                  |
//! | 5 | seq       | 8 bytes, unsigned big-endian; the first record of a stream is 1           |
//! | 6 | time      | the event's `at` exactly as its JSON writes it (`YYYY-MM-DDTHH:MM:SS`),   |
//! |   |           | UTF-8, without quotes                                                     |
//! | 7 | actor     | the event's `by` (a person id), UTF-8; zero bytes when absent (a person  |
//! |   |           | id is never empty, so absent and present cannot collide)                  |
//! | 8 | payload   | the event's JSON, exactly the bytes stored (see `setguard_core::event`)   |
//!
//! The record's hash is SHA-256 of these bytes. Time and actor repeat what the payload says so
//! that a reader can index and check them without parsing JSON; the payload bytes are hashed as
//! stored, never re-serialized, so a change in how JSON is written can never break old hashes.

use sha2::{Digest, Sha256};
use std::fmt;

/// The current version of the record encoding.
pub const RECORD_VERSION: u8 = 1;

/// Domain-separation tag of a record (field 1).
pub const RECORD_TAG: &[u8] = b"setguard-ledger-record";

/// A SHA-256 hash of a record's canonical bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChainHash([u8; 32]);

impl ChainHash {
    /// The previous hash of a stream's first record.
    pub const GENESIS: ChainHash = ChainHash([0; 32]);

    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        ChainHash(bytes)
    }

    /// Reads a hash stored as a byte string; `None` when it is not 32 bytes long.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; 32]>::try_from(bytes).ok().map(ChainHash)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lower-case hex, the form printed for people and carried in bundles.
    pub fn to_hex(&self) -> String {
        to_hex(&self.0)
    }

    /// Reads 64 hex digits.
    pub fn from_hex(s: &str) -> Option<Self> {
        from_hex(s).and_then(|v| Self::from_slice(&v))
    }
}

impl fmt::Display for ChainHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}
impl fmt::Debug for ChainHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChainHash({})", self.to_hex())
    }
}

/// The fields of one record that its hash covers, borrowed from wherever they live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordFields<'a> {
    pub prev: &'a ChainHash,
    pub stream: &'a str,
    pub seq: u64,
    pub time: &'a str,
    /// Empty when no person acted.
    pub actor: &'a str,
    pub payload: &'a [u8],
}

impl RecordFields<'_> {
    /// The canonical bytes, version 1 (see the module documentation).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            8 * 4
                + RECORD_TAG.len()
                + 1
                + 32
                + 8
                + self.stream.len()
                + self.time.len()
                + self.actor.len()
                + self.payload.len(),
        );
        put_field(&mut out, RECORD_TAG);
        put_field(&mut out, &[RECORD_VERSION]);
        put_field(&mut out, self.prev.as_bytes());
        put_field(&mut out, self.stream.as_bytes());
        put_field(&mut out, &self.seq.to_be_bytes());
        put_field(&mut out, self.time.as_bytes());
        put_field(&mut out, self.actor.as_bytes());
        put_field(&mut out, self.payload);
        out
    }

    /// SHA-256 of [`Self::encode`].
    pub fn hash(&self) -> ChainHash {
        ChainHash(Sha256::digest(self.encode()).into())
    }
}

/// Writes one length-prefixed field. Fields longer than 4 GiB cannot occur (an event is a
/// small JSON object); the length saturates rather than wrapping so that such a field could
/// never alias a shorter one silently, and the hash would simply not verify.
pub(crate) fn put_field(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
}

pub(crate) fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

pub(crate) fn from_hex(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample<'a>(prev: &'a ChainHash) -> RecordFields<'a> {
        RecordFields {
            prev,
            stream: "rust",
            seq: 1,
            time: "2021-10-21T11:45:00",
            actor: "armorer",
            payload: br#"{"v":1,"at":"2021-10-21T11:45:00","by":"armorer","type":"day-started"}"#,
        }
    }

    #[test]
    fn encoding_is_byte_for_byte_as_documented() {
        let prev = ChainHash::GENESIS;
        let r = RecordFields {
            prev: &prev,
            stream: "s",
            seq: 258,
            time: "t",
            actor: "",
            payload: b"{}",
        };
        let mut want = Vec::new();
        want.extend_from_slice(&[0, 0, 0, 22]);
        want.extend_from_slice(b"setguard-ledger-record");
        want.extend_from_slice(&[0, 0, 0, 1, 1]);
        want.extend_from_slice(&[0, 0, 0, 32]);
        want.extend_from_slice(&[0; 32]);
        want.extend_from_slice(&[0, 0, 0, 1, b's']);
        want.extend_from_slice(&[0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 1, 2]);
        want.extend_from_slice(&[0, 0, 0, 1, b't']);
        want.extend_from_slice(&[0, 0, 0, 0]);
        want.extend_from_slice(&[0, 0, 0, 2, b'{', b'}']);
        assert_eq!(r.encode(), want);
    }

    /// Pins the hash of a known record: if this changes, every ledger ever written breaks.
    #[test]
    fn known_hash_never_changes() {
        let prev = ChainHash::GENESIS;
        assert_eq!(
            sample(&prev).hash().to_hex(),
            "196a965ef7396f813935d08b456568adb54edd1297af68e63104baa451c0be30",
        );
    }

    #[test]
    fn hex_round_trips() {
        let prev = ChainHash::GENESIS;
        let h = sample(&prev).hash();
        assert_eq!(ChainHash::from_hex(&h.to_hex()), Some(h));
        assert_eq!(ChainHash::from_hex("abc"), None);
        assert_eq!(ChainHash::from_hex(&"zz".repeat(32)), None);
    }
}
