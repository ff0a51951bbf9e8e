//! Reports: the paperwork a production expects (the day's firearms log, a safety meeting's
//! sign-in sheet, an incident report, the crew's credentials, the production's compliance
//! summary), built by pure functions from a production's state and its records into a small
//! document model ([`Report`]), then rendered: to HTML here ([`html`]), and to PDF by the
//! `setguard report` command.
//!
//! Every report carries the ledger checkpoint it was made from ([`Stamp`]): the stream, the seq
//! and head hash it ends at, and the node's Ed25519 signature over them, printed in words and as
//! a QR code of [`Stamp::text`]. A paper copy is checked later with
//! `setguard verify --db URL --checkpoint '<the QR text>'`, which says whether the ledger still
//! holds that head at that seq, signed by that key: a record rewritten since fails.

pub mod build;
pub mod html;

pub use build::{Kind, build};

use ed25519_dalek::{Signature, VerifyingKey};
use setguard_ledger::{ChainHash, Checkpoint};

/// A report, ready to render.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub title: String,
    /// Lines under the title: the production, the day, when it was made from what.
    pub lines: Vec<String>,
    pub sections: Vec<Section>,
    pub stamp: Stamp,
}

/// A titled part of a report.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub heading: String,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A paragraph.
    Line(String),
    Table(Table),
}

/// A table; column widths are relative (a PDF shares the page width out by them).
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub columns: Vec<(String, f32)>,
    pub rows: Vec<Vec<String>>,
}

impl Section {
    pub fn new(heading: impl Into<String>) -> Section {
        Section {
            heading: heading.into(),
            blocks: Vec::new(),
        }
    }
    pub fn line(&mut self, text: impl Into<String>) {
        self.blocks.push(Block::Line(text.into()));
    }
    /// A table, or `empty` as a line when there are no rows.
    pub fn table(&mut self, columns: &[(&str, f32)], rows: Vec<Vec<String>>, empty: &str) {
        if rows.is_empty() {
            self.line(empty);
            return;
        }
        self.blocks.push(Block::Table(Table {
            columns: columns.iter().map(|(n, w)| ((*n).to_owned(), *w)).collect(),
            rows,
        }));
    }
}

/// The signed checkpoint a report was made from, in the form printed on it.
///
/// Its text (the QR code's content) is
/// `setguard-checkpoint:v1:<stream>:<seq>:<head hex>:<signature hex>:<public key hex>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    pub stream: String,
    pub seq: u64,
    pub head: ChainHash,
    pub signature: Signature,
    pub key: VerifyingKey,
}

/// The prefix of a stamp's text.
pub const STAMP_PREFIX: &str = "setguard-checkpoint:v1:";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex<const N: usize>(s: &str) -> Option<[u8; N]> {
    if s.len() != 2 * N || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; N];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

impl Stamp {
    pub fn from_checkpoint(cp: &Checkpoint) -> Stamp {
        Stamp {
            stream: cp.stream.clone(),
            seq: cp.seq,
            head: cp.head,
            signature: cp.signature,
            key: cp.public_key,
        }
    }

    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            stream: self.stream.clone(),
            seq: self.seq,
            head: self.head,
            signature: self.signature,
            public_key: self.key,
        }
    }

    pub fn signature_hex(&self) -> String {
        hex(&self.signature.to_bytes())
    }

    pub fn key_hex(&self) -> String {
        hex(self.key.as_bytes())
    }

    /// The text printed (and put in the QR code) on a report.
    pub fn text(&self) -> String {
        format!(
            "{STAMP_PREFIX}{}:{}:{}:{}:{}",
            self.stream,
            self.seq,
            self.head.to_hex(),
            self.signature_hex(),
            self.key_hex()
        )
    }

    /// Reads a stamp's text back (surrounding whitespace and line breaks are ignored, so that
    /// text copied from a wrapped page still reads).
    pub fn parse(text: &str) -> Result<Stamp, String> {
        let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let rest = text
            .strip_prefix(STAMP_PREFIX)
            .ok_or_else(|| format!("a checkpoint's text begins with {STAMP_PREFIX:?}"))?;
        let mut parts = rest.rsplitn(5, ':');
        let (Some(key), Some(sig), Some(head), Some(seq), Some(stream)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(
                "a checkpoint's text is setguard-checkpoint:v1:STREAM:SEQ:HEAD:SIGNATURE:KEY"
                    .to_owned(),
            );
        };
        let seq = seq
            .parse()
            .map_err(|_| format!("the seq {seq:?} is not a number"))?;
        let head = ChainHash::from_hex(head)
            .ok_or_else(|| format!("the head {head:?} is not 64 hex digits"))?;
        let signature = unhex::<64>(sig)
            .map(|b| Signature::from_bytes(&b))
            .ok_or_else(|| format!("the signature {sig:?} is not 128 hex digits"))?;
        let key = unhex::<32>(key)
            .and_then(|b| VerifyingKey::from_bytes(&b).ok())
            .ok_or_else(|| format!("the key {key:?} is not an Ed25519 public key in hex"))?;
        Ok(Stamp {
            stream: stream.to_owned(),
            seq,
            head,
            signature,
            key,
        })
    }

    /// The stamp in words, line by line, as printed under its QR code.
    pub fn lines(&self) -> Vec<String> {
        vec![
            format!("production (stream): {}", self.stream),
            format!("record ends at seq: {}", self.seq),
            format!("head hash: {}", self.head.to_hex()),
            format!("signature: {}", self.signature_hex()),
            format!("node key: {}", self.key_hex()),
            "check: setguard verify --db URL --checkpoint '<the QR code's text>'".to_owned(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use setguard_ledger::NodeKey;

    #[test]
    fn stamp_text_reads_back() {
        let key = NodeKey::ephemeral();
        let cp = key.checkpoint("dusty-creek", 42, ChainHash::from_bytes([9; 32]));
        let stamp = Stamp::from_checkpoint(&cp);
        let text = stamp.text();
        assert!(text.starts_with("setguard-checkpoint:v1:dusty-creek:42:0909"));
        let back = Stamp::parse(&format!("  {}\n{} ", &text[..40], &text[40..])).unwrap();
        assert_eq!(back, stamp);
        assert!(back.checkpoint().signature_holds());
        assert!(Stamp::parse("setguard-checkpoint:v1:x:1:00").is_err());
        assert!(Stamp::parse(&text.replace(":42:", ":4x:")).is_err());
    }
}
