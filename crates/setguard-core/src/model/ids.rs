//! Identifiers a production chooses for its people, items, lots and scenes, and the numbers
//! setguard gives to what it creates (incidents, concerns, trainings).
//!
//! Ids are parsed once, at the edge: a value of these types is always a valid id, so no rule has
//! to ask again (STYLE habit 6, "parse, don't validate").

use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

/// Why a piece of text is not a valid id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("an id can't be empty")]
    Empty,
    #[error("an id is at most {max} characters; this one has {len}")]
    TooLong { len: usize, max: usize },
    #[error("an id uses letters, digits, '-', '_' and '.' only; found {found:?}")]
    BadChar { found: char },
}

/// The longest id accepted: long enough for any call-sheet name, short enough for a label.
pub const MAX_ID_LEN: usize = 64;

fn check_id(s: &str) -> Result<(), IdError> {
    if s.is_empty() {
        return Err(IdError::Empty);
    }
    let len = s.chars().count();
    if len > MAX_ID_LEN {
        return Err(IdError::TooLong {
            len,
            max: MAX_ID_LEN,
        });
    }
    if let Some(found) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(IdError::BadChar { found });
    }
    Ok(())
}

macro_rules! text_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Parses an id chosen by the production.
            pub fn parse(s: &str) -> Result<Self, IdError> {
                check_id(s)?;
                Ok(Self(s.to_owned()))
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::parse(s)
            }
        }
        #[cfg(feature = "schema")]
        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                id_schema()
            }
        }
    };
}

/// What [`check_id`] accepts, as JSON Schema.
#[cfg(feature = "schema")]
fn id_schema() -> schemars::Schema {
    schemars::json_schema!({
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_ID_LEN,
        "pattern": "^[A-Za-z0-9._-]+$",
        "description": "An id chosen by the production: letters, digits, '-', '_' and '.', at most 64 characters.",
    })
}

text_id!(
    /// A production, e.g. `rust`.
    ProductionId
);
text_id!(
    /// A person on the production's crew list, e.g. `armorer` or `first-ad`.
    PersonId
);
text_id!(
    /// A firearm, replica or prop weapon registered to the production, e.g. `colt`.
    ItemId
);
text_id!(
    /// An ammunition lot (a box of dummies or blanks), e.g. `dummies-old`.
    LotId
);
text_id!(
    /// A scene on the shooting schedule, e.g. `church`.
    SceneId
);

macro_rules! number_id {
    ($(#[$doc:meta])* $name:ident, $label:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
        #[serde(transparent)]
        pub struct $name(pub u32);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($label, " #{}"), self.0)
            }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0)
            }
        }
    };
}

number_id!(
    /// An incident, numbered by setguard in the order reported (1, 2, ...).
    IncidentId,
    "incident"
);
number_id!(
    /// A safety concern, numbered in the order raised.
    ConcernId,
    "concern"
);
number_id!(
    /// A planned or recorded firearm training, numbered in the order planned.
    TrainingId,
    "training"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_accept_call_sheet_names_and_refuse_junk() {
        assert!(PersonId::parse("first-ad").is_ok());
        assert!(ItemId::parse("colt_45.b").is_ok());
        assert_eq!(PersonId::parse(""), Err(IdError::Empty));
        assert_eq!(ItemId::parse("a b"), Err(IdError::BadChar { found: ' ' }));
        assert!(matches!(
            LotId::parse(&"x".repeat(65)),
            Err(IdError::TooLong { len: 65, .. })
        ));
    }

    #[test]
    fn ids_refuse_bad_values_when_deserialized() {
        let r: Result<PersonId, _> = serde_json::from_str("\"no spaces\"");
        assert!(r.is_err());
    }
}
