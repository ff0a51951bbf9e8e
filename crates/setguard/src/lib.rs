//! The `setguard` command line: replays scenario files through the safety core, records them in
//! a ledger, verifies and exports ledgers, shows a production's status and lists the rule
//! catalogue. A library with a thin `main`, so tests and the fuzz target call the same code.

pub mod cli;
pub mod import_cmd;
pub mod ledger;
pub mod pdf;
pub mod report;
pub mod rules_cmd;
pub mod scenario;
pub mod serve;
pub mod status;
pub mod user;

pub use scenario::{ReadError, Scenario, parse_scenario};
