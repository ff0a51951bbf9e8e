//! The small vocabularies of a set (roles, kinds of item, ammunition, incident...) and the
//! values that must never be invalid (calibres, serials, round counts, distances).
//!
//! Every enum here serializes with the exact word of `SCENARIOS.md`; those words are a contract
//! (scenario files, the API and the ledger use them): add variants, never rename one.

use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $word:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $word)] $variant),+
        }
        impl $name {
            /// Every word of this vocabulary, in the order of the contract.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The word used in scenario files, the API and the ledger.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($word => Ok($name::$variant),)+
                    _ => Err(format!(
                        "unknown {} {s:?}; expected one of: {}",
                        stringify!($name),
                        [$($word),+].join(", ")
                    )),
                }
            }
        }
        #[cfg(feature = "schema")]
        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({ "type": "string", "enum": [$($word),+] })
            }
        }
    };
}

vocabulary!(
    /// A person's job on the production. Roles are per production.
    Role {
        Armorer = "armorer",
        AssistantArmorer = "assistant-armorer",
        PropertyMaster = "property-master",
        FirstAd = "first-ad",
        SafetySupervisor = "safety-supervisor",
        Producer = "producer",
        Performer = "performer",
        Crew = "crew",
        Medic = "medic",
    }
);

impl Role {
    /// Handlers may take firing items out of storage, load, inspect and hand them to performers.
    pub fn is_handler(self) -> bool {
        matches!(
            self,
            Role::Armorer | Role::AssistantArmorer | Role::PropertyMaster
        )
    }
    /// The roles that need a producer's acknowledgement when the person has prior incidents.
    pub fn is_safety_critical(self) -> bool {
        self.is_handler() || matches!(self, Role::FirstAd | Role::SafetySupervisor)
    }
    /// How people on set say it.
    pub fn title(self) -> &'static str {
        match self {
            Role::Armorer => "armorer",
            Role::AssistantArmorer => "assistant armorer",
            Role::PropertyMaster => "property master",
            Role::FirstAd => "first AD",
            Role::SafetySupervisor => "safety supervisor",
            Role::Producer => "producer",
            Role::Performer => "performer",
            Role::Crew => "crew member",
            Role::Medic => "medic",
        }
    }
}

vocabulary!(
    /// A credential a person holds, with an expiry date.
    CredentialKind {
        /// The armorer's qualification (in California: the Entertainment Firearms Permit).
        Handler = "handler",
        /// CSATF Safety Pass for firearms specialists.
        CsatfS = "csatf-s",
        /// CSATF Safety Pass for anyone working near fire.
        CsatfS2 = "csatf-s2",
        /// A performer's firearm training for the classes named.
        Training = "training",
        SafetySupervisor = "safety-supervisor",
    }
);

vocabulary!(
    /// What a registered item is. Only firing items carry the check, meeting and training rules.
    ItemKind {
        Functional = "functional",
        BlankAdapted = "blank-adapted",
        Airsoft = "airsoft",
        NonFiring = "non-firing",
        Rubber = "rubber",
    }
);

impl ItemKind {
    /// Functional, blank-adapted and airsoft items can fire something (PROTOCOLS.md).
    pub fn is_firing(self) -> bool {
        matches!(
            self,
            ItemKind::Functional | ItemKind::BlankAdapted | ItemKind::Airsoft
        )
    }
    /// Items that can fire a blank: a blank-adapted gun or a functional firearm.
    pub fn takes_blanks(self) -> bool {
        matches!(self, ItemKind::Functional | ItemKind::BlankAdapted)
    }
    pub fn label(self) -> &'static str {
        match self {
            ItemKind::Functional => "working",
            ItemKind::BlankAdapted => "blank-firing",
            ItemKind::Airsoft => "airsoft",
            ItemKind::NonFiring => "non-firing replica",
            ItemKind::Rubber => "rubber",
        }
    }
}

vocabulary!(
    /// The class of weapon a credential or a training covers.
    WeaponClass {
        Revolver = "revolver",
        Pistol = "pistol",
        Rifle = "rifle",
        Shotgun = "shotgun",
        Other = "other",
    }
);

vocabulary!(
    /// What a lot of ammunition holds.
    AmmoKind {
        Dummy = "dummy",
        Blank = "blank",
        Live = "live",
    }
);

vocabulary!(
    /// A scene is a rehearsal or a take; rehearsals use non-firing replicas.
    SceneKind {
        Rehearsal = "rehearsal",
        Take = "take",
    }
);

vocabulary!(
    /// What the handler found when inspecting an item in the performer's sight.
    InspectState {
        Empty = "empty",
        Dummies = "dummies",
        Blanks = "blanks",
    }
);

vocabulary!(
    /// What is called out on set about an item.
    Status {
        Cold = "cold",
        Hot = "hot",
    }
);

vocabulary!(
    /// What kind of incident was reported.
    IncidentKind {
        Misfire = "misfire",
        UnexpectedDischarge = "unexpected-discharge",
        Squib = "squib",
        PyroMishap = "pyro-mishap",
        LiveRoundFound = "live-round-found",
        Injury = "injury",
        NearMiss = "near-miss",
        MissingItem = "missing-item",
    }
);

impl IncidentKind {
    /// The kinds that quarantine what they involve (rule `incident-quarantines`).
    pub fn quarantines(self) -> bool {
        matches!(
            self,
            IncidentKind::Misfire
                | IncidentKind::UnexpectedDischarge
                | IncidentKind::Squib
                | IncidentKind::PyroMishap
        )
    }
}

vocabulary!(
    /// A signed exception to a rule.
    ExceptionKind {
        /// A working firearm in a rehearsal, signed by the armorer and the safety supervisor.
        ReplicaRehearsal = "replica-rehearsal",
        /// Live ammunition under one of California Labor Code 9155's three exceptions.
        LiveAmmo = "live-ammo",
    }
);

vocabulary!(
    /// The production's policy: which rules apply, and their figures.
    PolicyName {
        Standard = "standard",
        California = "california",
        NoLiveFire = "no-live-fire",
    }
);

/// Why a value is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("{what} can't be empty")]
    Empty { what: &'static str },
    #[error("{what} is at most {max} characters")]
    TooLong { what: &'static str, max: usize },
    #[error("{what} must be a number of feet, 0 or more")]
    BadDistance { what: &'static str },
}

fn short_text(s: &str, what: &'static str, max: usize) -> Result<String, ValueError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(ValueError::Empty { what });
    }
    if t.chars().count() > max {
        return Err(ValueError::TooLong { what, max });
    }
    Ok(t.to_owned())
}

macro_rules! short_text_type {
    ($(#[$doc:meta])* $name:ident, $what:literal, $max:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);
        impl $name {
            pub fn parse(s: &str) -> Result<Self, ValueError> {
                short_text(s, $what, $max).map(Self)
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
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
        #[cfg(feature = "schema")]
        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                // What `short_text` keeps once the ends are trimmed: 1 to `$max` characters,
                // the first and last not spaces (`\s` as `trim` reads a space, but for a few
                // exotic characters on which regex dialects differ).
                schemars::json_schema!({
                    "type": "string",
                    "minLength": 1,
                    "pattern": format!(r"^\s*\S([\s\S]{{0,{}}}\S)?\s*$", $max - 2),
                    "description": concat!(
                        "Text: ", $what, ", at most ", stringify!($max),
                        " characters once trimmed, not empty."
                    ),
                })
            }
        }
    };
}

short_text_type!(
    /// A calibre as stamped on the box or the barrel, e.g. `.45 Colt`. Compared ignoring case and
    /// spacing, because a box says ".45 COLT" where the register says ".45 Colt".
    Calibre,
    "a calibre",
    32
);
short_text_type!(
    /// An item's serial number as engraved.
    Serial,
    "a serial number",
    64
);
short_text_type!(
    /// A person's name as on the crew list.
    PersonName,
    "a name",
    120
);

impl Calibre {
    /// The same calibre, however the box spells it.
    pub fn matches(&self, other: &Calibre) -> bool {
        let norm = |c: &Calibre| -> String {
            c.0.chars()
                .filter(|ch| !ch.is_whitespace())
                .flat_map(char::to_lowercase)
                .collect()
        };
        norm(self) == norm(other)
    }
}

/// A count of rounds. Never negative; arithmetic on it saturates rather than wrapping.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct Rounds(pub u32);

impl fmt::Display for Rounds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A distance in feet (the line-of-fire plan's minimum distance from the muzzle).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default, Serialize)]
#[serde(transparent)]
pub struct Feet(f64);

impl Feet {
    pub fn new(v: f64) -> Result<Self, ValueError> {
        if v.is_finite() && v >= 0.0 {
            Ok(Feet(v))
        } else {
            Err(ValueError::BadDistance { what: "a distance" })
        }
    }
    pub fn get(self) -> f64 {
        self.0
    }
}

impl fmt::Display for Feet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ft", self.0)
    }
}

impl<'de> Deserialize<'de> for Feet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        Feet::new(v).map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for Feet {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Feet".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "number",
            "minimum": 0,
            "description": "A distance in feet, 0 or more.",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calibres_match_however_the_box_spells_them() {
        let a = Calibre::parse(".45 Colt").unwrap();
        let b = Calibre::parse(".45COLT").unwrap();
        let c = Calibre::parse(".44 Magnum").unwrap();
        assert!(a.matches(&b));
        assert!(!a.matches(&c));
    }

    #[test]
    fn vocabulary_words_round_trip_and_unknown_words_list_the_choices() {
        for k in ItemKind::ALL {
            assert_eq!(k.as_str().parse::<ItemKind>().unwrap(), *k);
        }
        let err = "laser".parse::<ItemKind>().unwrap_err();
        assert!(err.contains("functional, blank-adapted"), "{err}");
    }

    #[test]
    fn distances_are_finite_and_not_negative() {
        assert!(Feet::new(-1.0).is_err());
        assert!(Feet::new(f64::NAN).is_err());
        assert_eq!(Feet::new(20.0).unwrap().get(), 20.0);
    }
}
