//! Helpers shared by the integration tests: scenario files in the temp directory and runs of the
//! built binary.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A scenario file in the temp directory, removed when dropped.
pub struct TempFile {
    pub path: PathBuf,
}

impl TempFile {
    pub fn new(tag: &str, text: &str) -> TempFile {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let path = std::env::temp_dir().join(format!(
            "setguard-test-{}-{n}-{tag}.toml",
            std::process::id()
        ));
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        TempFile { path }
    }
    pub fn name(&self) -> String {
        self.path.display().to_string()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The result of one run of the binary.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn setguard(args: &[&str]) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(env!("CARGO_BIN_EXE_setguard"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running setguard: {e}"));
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// Replays one scenario text (with `extra` args before the file).
pub fn replay(tag: &str, text: &str, extra: &[&str]) -> (Run, TempFile) {
    let f = TempFile::new(tag, text);
    let name = f.name();
    let mut args = vec!["replay"];
    args.extend_from_slice(extra);
    args.push(&name);
    (setguard(&args), f)
}

/// A production with an armorer (handler for revolvers), a performer, a safety supervisor, a
/// producer, a revolver, an unverified dummy lot and a scene. Steps are appended by each test.
pub const SETUP: &str = r#"[production]
id = "rust"
name = "Rust"
policy = "standard"
timezone = "America/Denver"

[[person]]
id = "armorer"
name = "A. Armorer"
roles = ["armorer"]
credentials = [{ kind = "handler", classes = ["revolver"], expires = "2030-01-01" }]

[[person]]
id = "actor"
name = "B. Actor"
roles = ["performer"]

[[person]]
id = "safety"
name = "S. Supervisor"
roles = ["safety-supervisor"]
credentials = [{ kind = "safety-supervisor", expires = "2030-01-01" }]

[[person]]
id = "producer"
name = "P. Producer"
roles = ["producer"]

[[item]]
id = "colt"
kind = "functional"
class = "revolver"
calibre = ".45 Colt"
serial = "R-0001"

[[lot]]
id = "dummies-old"
ammo = "dummy"
calibre = ".45 Colt"
rounds = 50
source = "left over from another production"

[[scene]]
id = "church"
date = "2021-10-21"
kind = "take"
items = ["colt"]
performers = ["actor"]
roster = ["actor", "safety"]
"#;

/// SETUP followed by `steps`.
pub fn scenario(steps: &str) -> String {
    format!("{SETUP}\n{steps}")
}

/// The line of the first occurrence of `needle` in `text` (1-based).
pub fn line_of(text: &str, needle: &str) -> usize {
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in the scenario"));
    text[..at].matches('\n').count() + 1
}
