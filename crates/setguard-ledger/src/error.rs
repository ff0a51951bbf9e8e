//! What can go wrong with the ledger, in the words a caller acts on.

/// Why the ledger refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// Someone else appended first: re-read the stream, decide again, retry at `current_seq`.
    #[error("the stream has moved on: it is at seq {current_seq}")]
    Conflict { current_seq: u64 },
    /// An append with nothing in it; refused so that every commit records something.
    #[error("nothing to append")]
    EmptyBatch,
    /// A stored record cannot be read back as it was written.
    #[error("record {seq} is corrupt: {why}")]
    Corrupt { seq: u64, why: String },
    /// The file exists but is not a setguard ledger (or not a database at all); it is left
    /// untouched.
    #[error("{path} is not a setguard ledger: {why}")]
    NotALedger { path: String, why: String },
    /// The node key could not be made or read.
    #[error("node key {path}: {why}")]
    Key { path: String, why: String },
    /// The ledger URL names no backend we have.
    #[error("bad ledger URL: {0}")]
    BadUrl(String),
    /// The backend failed; the text says what was being done and the backend's own error.
    #[error("ledger storage: {0}")]
    Storage(String),
}

impl LedgerError {
    pub(crate) fn storage(doing: &str, err: impl std::fmt::Display) -> Self {
        LedgerError::Storage(format!("{doing}: {err}"))
    }
}
