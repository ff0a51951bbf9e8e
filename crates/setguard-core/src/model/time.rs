//! Time on set. Every time is local to the production's timezone, as the call sheet writes it
//! ("2021-10-21T11:45"); the core is given the time and never reads a clock.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A moment on set, local to the production, to the second.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct At(NaiveDateTime);

/// Why a time could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a time; write it as 2021-10-21T11:45 (local time) or 2021-10-21T11:45:30")]
pub struct TimeError(pub String);

impl At {
    /// Reads `YYYY-MM-DDTHH:MM` or `YYYY-MM-DDTHH:MM:SS`; a space may stand for the `T`.
    pub fn parse(s: &str) -> Result<Self, TimeError> {
        let t = s.trim();
        for fmt in [
            "%Y-%m-%dT%H:%M:%S",
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H:%M:%S",
            "%Y-%m-%d %H:%M",
        ] {
            if let Ok(dt) = NaiveDateTime::parse_from_str(t, fmt) {
                return Ok(At(dt.with_nanosecond(0).unwrap_or(dt)));
            }
        }
        Err(TimeError(s.to_owned()))
    }
    pub fn from_naive(dt: NaiveDateTime) -> Self {
        At(dt.with_nanosecond(0).unwrap_or(dt))
    }
    pub fn naive(self) -> NaiveDateTime {
        self.0
    }
    /// The shooting day this moment belongs to.
    pub fn date(self) -> NaiveDate {
        self.0.date()
    }
    /// "11:45", as said on set.
    pub fn clock(self) -> String {
        // Not `format("%H:%M")`, which parses its format string on every call: boards and
        // item reads write many of these.
        format!("{:02}:{:02}", self.0.hour(), self.0.minute())
    }
    pub fn plus_minutes(self, minutes: u32) -> At {
        At(self.0 + chrono::Duration::minutes(i64::from(minutes)))
    }
    pub fn plus_hours(self, hours: u32) -> At {
        At(self.0 + chrono::Duration::hours(i64::from(hours)))
    }
    /// Whole minutes from `earlier` to `self` (0 if `earlier` is later).
    pub fn minutes_since(self, earlier: At) -> i64 {
        (self.0 - earlier.0).num_minutes().max(0)
    }
    /// The start of the day, for registrations made "at the first step".
    pub fn start_of(date: NaiveDate) -> At {
        At(date.and_time(NaiveTime::MIN))
    }
}

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d %H:%M"))
    }
}
impl fmt::Debug for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "At({})", self.0.format("%Y-%m-%dT%H:%M:%S"))
    }
}

// Never change this encoding: the ledger stores it. `YYYY-MM-DDTHH:MM:SS`, local time.
impl Serialize for At {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0.format("%Y-%m-%dT%H:%M:%S"))
    }
}
impl<'de> Deserialize<'de> for At {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        At::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for At {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "At".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2})?$",
            "description": "Local time on set, without a zone; written YYYY-MM-DDTHH:MM:SS.",
            "examples": ["2021-10-21T11:45:00"],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_call_sheet_times() {
        let a = At::parse("2021-10-21T11:45").unwrap();
        assert_eq!(a.clock(), "11:45");
        assert_eq!(a, At::parse("2021-10-21 11:45:00").unwrap());
        assert!(At::parse("21/10/2021").is_err());
        assert_eq!(a.plus_minutes(15).clock(), "12:00");
        assert_eq!(a.plus_minutes(15).minutes_since(a), 15);
    }
}
