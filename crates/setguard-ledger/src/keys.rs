//! The node's Ed25519 key, and the checkpoints it signs.
//!
//! A checkpoint says "stream S ended at seq N with head hash H", signed. Whoever keeps one can
//! later prove that the stream was not truncated or rewritten before N, even if the server
//! deletes its own copy. The key is made on first use and kept in the data directory, readable
//! by its owner only; its public half goes out with every bundle.
//!
//! # Never change this encoding
//! The signed bytes of a checkpoint, version 1, are five length-prefixed fields (an unsigned
//! 32-bit big-endian length, then the bytes), as for records (see [`crate::canonical`]):
//!
//! | # | field   | bytes                                                   |
//! |---|---------|---------------------------------------------------------|
//! | 1 | tag     | ASCII `setguard-ledger-checkpoint` (26 bytes)            |
//! | 2 | version | one byte, `0x01`                                        |
//! | 3 | stream  | the stream id, UTF-8                                    |
//! | 4 | seq     | 8 bytes, unsigned big-endian: the last record covered   |
//! | 5 | head    | 32 bytes: that record's hash                            |
//!
//! The signature is Ed25519 (RFC 8032) over these bytes, 64 bytes; the key file holds the
//! 32-byte secret seed as 64 lower-case hex digits and a newline.

use crate::canonical::{ChainHash, from_hex, put_field, to_hex};
use crate::error::LedgerError;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use std::fmt;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The name of the key file inside the data directory.
pub const KEY_FILE: &str = "node.key";

/// The current version of the checkpoint encoding.
pub const CHECKPOINT_VERSION: u8 = 1;

/// Domain-separation tag of a checkpoint (field 1).
pub const CHECKPOINT_TAG: &[u8] = b"setguard-ledger-checkpoint";

/// Domain-separation tag of a snapshot signature.
pub const SNAPSHOT_TAG: &[u8] = b"setguard-ledger-snapshot";

/// The node's signing key. Its `Debug` shows the public half only.
#[derive(Clone)]
pub struct NodeKey {
    signing: SigningKey,
}

impl fmt::Debug for NodeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NodeKey(public {})", self.public_hex())
    }
}

impl NodeKey {
    /// Loads the key from `data_dir`, making it on first use.
    ///
    /// A key file that others can read is refused rather than used: a leaked key lets anyone
    /// sign a rewritten history.
    pub fn load_or_create(data_dir: &Path) -> Result<NodeKey, LedgerError> {
        let path = data_dir.join(KEY_FILE);
        match fs::symlink_metadata(&path) {
            Ok(_) => Self::load(&path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Self::create(data_dir, &path),
            Err(e) => Err(key_error(&path, format!("cannot look at it: {e}"))),
        }
    }

    /// A key that lives only in memory, for tests and one-off tools.
    pub fn ephemeral() -> NodeKey {
        NodeKey {
            signing: SigningKey::generate(&mut rand_core::OsRng),
        }
    }

    fn load(path: &Path) -> Result<NodeKey, LedgerError> {
        let meta = fs::metadata(path).map_err(|e| key_error(path, e))?;
        let mode = meta.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(key_error(
                path,
                format!(
                    "it is readable by others (mode {:o}); run chmod 600 on it",
                    mode & 0o777
                ),
            ));
        }
        let text = fs::read_to_string(path).map_err(|e| key_error(path, e))?;
        let seed = from_hex(&text)
            .and_then(|v| <[u8; 32]>::try_from(v).ok())
            .ok_or_else(|| key_error(path, "it does not hold 64 hex digits"))?;
        Ok(NodeKey {
            signing: SigningKey::from_bytes(&seed),
        })
    }

    fn create(data_dir: &Path, path: &Path) -> Result<NodeKey, LedgerError> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(data_dir)
            .map_err(|e| key_error(path, format!("cannot make the data directory: {e}")))?;
        let key = Self::ephemeral();
        // create_new: two processes starting at once never overwrite each other's key; the
        // loser fails here and can simply load.
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| key_error(path, format!("cannot create it: {e}")))?;
        let text = format!("{}\n", to_hex(key.signing.as_bytes()));
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| key_error(path, format!("cannot write it: {e}")))?;
        Ok(key)
    }

    pub fn public(&self) -> VerifyingKey {
        self.signing.verifying_key()
    }

    /// The public key as 64 hex digits, as exported with bundles.
    pub fn public_hex(&self) -> String {
        to_hex(self.public().as_bytes())
    }

    /// Signs a snapshot, so that one written by anyone else (someone with access to the
    /// database, but not to this key) is never taken for this node's.
    pub fn sign_snapshot(
        &self,
        stream: &str,
        seq: u64,
        head: &ChainHash,
        format: &str,
        state: &[u8],
    ) -> Signature {
        self.signing
            .sign(&snapshot_bytes(stream, seq, head, format, state))
    }

    /// Signs the head of `stream` at `seq`.
    pub fn checkpoint(&self, stream: &str, seq: u64, head: ChainHash) -> Checkpoint {
        let signature = self.signing.sign(&checkpoint_bytes(stream, seq, &head));
        Checkpoint {
            stream: stream.to_owned(),
            seq,
            head,
            signature,
            public_key: self.public(),
        }
    }
}

fn key_error(path: &Path, why: impl fmt::Display) -> LedgerError {
    LedgerError::Key {
        path: PathBuf::from(path).display().to_string(),
        why: why.to_string(),
    }
}

/// A signed statement that `stream` ended at `seq` with hash `head`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub stream: String,
    pub seq: u64,
    pub head: ChainHash,
    pub signature: Signature,
    pub public_key: VerifyingKey,
}

impl Checkpoint {
    /// Whether the signature is `public_key`'s over this checkpoint. Strict verification, so
    /// that no second valid signature can be made from a first one.
    pub fn signature_holds(&self) -> bool {
        self.public_key
            .verify_strict(
                &checkpoint_bytes(&self.stream, self.seq, &self.head),
                &self.signature,
            )
            .is_ok()
    }
}

/// The signed bytes of a checkpoint, version 1 (see the module documentation).
pub fn checkpoint_bytes(stream: &str, seq: u64, head: &ChainHash) -> Vec<u8> {
    let mut out = Vec::with_capacity(5 * 4 + CHECKPOINT_TAG.len() + 1 + stream.len() + 8 + 32);
    put_field(&mut out, CHECKPOINT_TAG);
    put_field(&mut out, &[CHECKPOINT_VERSION]);
    put_field(&mut out, stream.as_bytes());
    put_field(&mut out, &seq.to_be_bytes());
    put_field(&mut out, head.as_bytes());
    out
}

/// The signed bytes of a snapshot: six length-prefixed fields (tag `setguard-ledger-snapshot`,
/// version 1, stream, seq as 8 bytes big-endian, head, format) and the SHA-256 of the state.
/// Snapshots are derived data and never leave the node, so this may change with a new version.
pub fn snapshot_bytes(
    stream: &str,
    seq: u64,
    head: &ChainHash,
    format: &str,
    state: &[u8],
) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let mut out = Vec::with_capacity(128 + stream.len() + format.len());
    put_field(&mut out, SNAPSHOT_TAG);
    put_field(&mut out, &[1]);
    put_field(&mut out, stream.as_bytes());
    put_field(&mut out, &seq.to_be_bytes());
    put_field(&mut out, head.as_bytes());
    put_field(&mut out, format.as_bytes());
    put_field(&mut out, &Sha256::digest(state));
    out
}

/// A public key as 64 lower-case hex digits, the form printed and carried in bundles.
pub fn hex_of(key: &VerifyingKey) -> String {
    to_hex(key.as_bytes())
}

/// Reads a public key written as 64 hex digits.
pub fn public_key_from_hex(s: &str) -> Option<VerifyingKey> {
    let bytes = from_hex(s).and_then(|v| <[u8; 32]>::try_from(v).ok())?;
    VerifyingKey::from_bytes(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_made_once_with_owner_only_permissions_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let first = NodeKey::load_or_create(&data).unwrap();
        let mode = fs::metadata(data.join(KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let again = NodeKey::load_or_create(&data).unwrap();
        assert_eq!(first.public(), again.public());
        assert_eq!(
            public_key_from_hex(&first.public_hex()),
            Some(first.public())
        );
        assert!(!format!("{first:?}").contains(&to_hex(first.signing.as_bytes())));
    }

    #[test]
    fn key_readable_by_others_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        NodeKey::load_or_create(dir.path()).unwrap();
        let path = dir.path().join(KEY_FILE);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let err = NodeKey::load_or_create(dir.path()).unwrap_err();
        assert!(matches!(err, LedgerError::Key { .. }), "{err}");
    }

    #[test]
    fn garbage_key_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(KEY_FILE);
        fs::write(&path, "not a key").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        let err = NodeKey::load_or_create(dir.path()).unwrap_err();
        assert!(err.to_string().contains("64 hex digits"), "{err}");
    }

    #[test]
    fn checkpoint_signs_its_fields() {
        let key = NodeKey::ephemeral();
        let head = ChainHash::from_bytes([7; 32]);
        let cp = key.checkpoint("rust", 3, head);
        assert!(cp.signature_holds());
        assert!(
            !Checkpoint {
                seq: 4,
                ..cp.clone()
            }
            .signature_holds()
        );
        assert!(
            !Checkpoint {
                stream: "rusT".into(),
                ..cp.clone()
            }
            .signature_holds()
        );
        let other = NodeKey::ephemeral();
        assert!(
            !Checkpoint {
                public_key: other.public(),
                ..cp
            }
            .signature_holds()
        );
    }

    #[test]
    fn checkpoint_bytes_are_as_documented() {
        let b = checkpoint_bytes("s", 1, &ChainHash::GENESIS);
        let mut want = vec![0, 0, 0, 26];
        want.extend_from_slice(b"setguard-ledger-checkpoint");
        want.extend_from_slice(&[0, 0, 0, 1, 1, 0, 0, 0, 1, b's']);
        want.extend_from_slice(&[0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1]);
        want.extend_from_slice(&[0, 0, 0, 32]);
        want.extend_from_slice(&[0; 32]);
        assert_eq!(b, want);
    }
}
