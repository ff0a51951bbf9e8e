//! The values of the domain: ids, vocabularies and time. Each type holds only valid values.

pub mod ids;
pub mod time;
pub mod values;

pub use ids::*;
pub use time::*;
pub use values::*;
