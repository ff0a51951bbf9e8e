//! Scenario files: reading them, running them through the core, and showing the timeline.

mod build;
mod describe;
mod fields;
pub mod pos;
pub mod read;
pub mod render;
pub mod run;

pub use build::{RefKind, RefUse};
pub use pos::{Diagnostic, Pos, Severity};
pub use read::{Expect, ProductionInfo, ReadError, Registration, Scenario, Step, parse_scenario};
