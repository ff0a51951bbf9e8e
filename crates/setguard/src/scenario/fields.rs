//! One table of a scenario (a step, an `[[item]]`, a credential...) as its fields with their
//! positions, and typed reads of them that say where and what was wrong.
//!
//! A table is read as a map of spanned keys to spanned values rather than a fixed struct, so an
//! unknown field is reported at its own key, a wrong value at the value, and a missing one at the
//! table, and so the fields a command did not use can be warned about afterwards.

use super::pos::{Diagnostic, Source};
use serde::de::DeserializeOwned;
use std::collections::{BTreeMap, BTreeSet};
use toml::{Spanned, Value};

/// A table as written: field name (with the key's span) to value (with the value's span).
pub(crate) type RawTable = BTreeMap<Spanned<String>, Spanned<Value>>;

/// What kind of thing an id field names, to check that it is declared somewhere in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum IdKind {
    Person,
    Item,
    Lot,
    Scene,
}

impl IdKind {
    pub fn noun(self) -> &'static str {
        match self {
            IdKind::Person => "person",
            IdKind::Item => "item",
            IdKind::Lot => "lot",
            IdKind::Scene => "scene",
        }
    }
    pub fn table(self) -> &'static str {
        match self {
            IdKind::Person => "[[person]]",
            IdKind::Item => "[[item]]",
            IdKind::Lot => "[[lot]]",
            IdKind::Scene => "[[scene]]",
        }
    }
    pub fn register_word(self) -> &'static str {
        match self {
            IdKind::Person => "register-person",
            IdKind::Item => "register-item",
            IdKind::Lot => "register-lot",
            IdKind::Scene => "schedule-scene",
        }
    }
}

/// The fields of the vocabulary that name people, items, lots or scenes.
pub(crate) fn id_kind_of(field: &str) -> Option<IdKind> {
    Some(match field {
        "person" | "performer" | "to" | "performers" | "roster" | "attendees" | "people" | "by" => {
            IdKind::Person
        }
        "item" | "items" => IdKind::Item,
        "lot" | "lots" => IdKind::Lot,
        "scene" | "scenes" => IdKind::Scene,
        _ => return None,
    })
}

/// An id used by a field, where it was written.
#[derive(Debug, Clone)]
pub(crate) struct IdUse {
    pub kind: IdKind,
    pub id: String,
    pub field: String,
    pub offset: usize,
}

/// Reads the fields of one table, remembering which were used.
#[derive(Debug)]
pub(crate) struct Fields<'s> {
    src: Source<'s>,
    /// Where the table starts, for what is missing from it.
    pub at: usize,
    map: RawTable,
    used: BTreeSet<String>,
}

/// A short hint of how a field is written, added to type errors.
fn hint(field: &str) -> Option<&'static str> {
    Some(match field {
        "rounds" | "counted" | "failed" | "blank_rounds" => "a whole number of rounds, 0 or more",
        "expires" | "date" => "a date like \"2021-10-21\"",
        "at" => "a local time like \"2021-10-21T11:45\"",
        "urgent"
        | "anonymous"
        | "intended"
        | "shields"
        | "remote_camera"
        | "points_toward_people" => "true or false",
        "min_distance_ft" => "a number of feet, like 20",
        "items" | "lots" | "scenes" | "performers" | "roster" | "attendees" | "people"
        | "classes" | "roles" | "prior_incidents" | "alarms" => "a list, like [\"a\", \"b\"]",
        _ => return None,
    })
}

/// TOML dates and times are read as the text they were written as, so `expires = 2023-01-01`
/// and `expires = "2023-01-01"` mean the same.
fn normalize(v: Value) -> Value {
    match v {
        Value::Datetime(d) => Value::String(d.to_string()),
        Value::Array(a) => Value::Array(a.into_iter().map(normalize).collect()),
        Value::Table(t) => Value::Table(t.into_iter().map(|(k, v)| (k, normalize(v))).collect()),
        other => other,
    }
}

impl<'s> Fields<'s> {
    pub fn new(src: Source<'s>, at: usize, map: RawTable) -> Fields<'s> {
        Fields {
            src,
            at,
            map,
            used: BTreeSet::new(),
        }
    }

    /// The raw value of a field, marking it used.
    pub fn raw(&mut self, name: &str) -> Option<&Spanned<Value>> {
        let v = self.map.get(name)?;
        self.used.insert(name.to_owned());
        Some(v)
    }

    /// A field's text, without marking it used (to declare an id even when the table is bad).
    pub fn peek_str(&self, name: &str) -> Option<&str> {
        self.map.get(name).and_then(|v| v.get_ref().as_str())
    }

    /// Where a field's value starts (or the table, if the field is absent).
    pub fn offset_of(&self, name: &str) -> usize {
        self.map.get(name).map_or(self.at, |v| v.span().start)
    }

    pub fn error(&self, offset: usize, message: impl Into<String>) -> Diagnostic {
        self.src.error(offset, message)
    }

    /// A field's value as `T`, if present.
    pub fn opt<T: DeserializeOwned>(&mut self, name: &str) -> Result<Option<T>, Diagnostic> {
        let src = self.src;
        let Some(v) = self.raw(name) else {
            return Ok(None);
        };
        let offset = v.span().start;
        let value = normalize(v.get_ref().clone());
        T::deserialize(value).map(Some).map_err(|e| {
            let mut msg = format!("field `{name}`: {}", e.message());
            if let Some(h) = hint(name) {
                msg.push_str(&format!(" (write {h})"));
            }
            src.error(offset, msg)
        })
    }

    /// A field's value as `T`, or its default when absent.
    pub fn or_default<T: DeserializeOwned + Default>(
        &mut self,
        name: &str,
    ) -> Result<T, Diagnostic> {
        Ok(self.opt(name)?.unwrap_or_default())
    }

    /// A field `what` needs.
    pub fn req<T: DeserializeOwned>(&mut self, name: &str, what: &str) -> Result<T, Diagnostic> {
        match self.opt(name)? {
            Some(v) => Ok(v),
            None => Err(self.src.error(
                self.at,
                format!("{what} needs the field `{name}`, which is missing here"),
            )),
        }
    }

    /// A field read as text and parsed with `parse`, whose error is shown as it is.
    pub fn parsed<T, E: std::fmt::Display>(
        &mut self,
        name: &str,
        parse: impl Fn(&str) -> Result<T, E>,
    ) -> Result<Option<T>, Diagnostic> {
        let Some(text) = self.opt::<String>(name)? else {
            return Ok(None);
        };
        let offset = self.offset_of(name);
        parse(&text)
            .map(Some)
            .map_err(|e| self.src.error(offset, format!("field `{name}`: {e}")))
    }

    /// The ids named by the id fields that were used, with where they were written.
    pub fn id_uses(&self) -> Vec<IdUse> {
        let mut out = Vec::new();
        for (k, v) in &self.map {
            let field = k.get_ref().as_str();
            let Some(kind) = id_kind_of(field) else {
                continue;
            };
            if !self.used.contains(field) {
                continue;
            }
            let offset = v.span().start;
            let mut push = |s: &str| {
                out.push(IdUse {
                    kind,
                    id: s.to_owned(),
                    field: field.to_owned(),
                    offset,
                })
            };
            match v.get_ref() {
                Value::String(s) => push(s),
                Value::Array(a) => a.iter().filter_map(Value::as_str).for_each(push),
                _ => {}
            }
        }
        out
    }

    /// Fields present but not read, with the offset of their key, in file order.
    pub fn unused(&self) -> Vec<(String, usize)> {
        let mut out: Vec<(String, usize)> = self
            .map
            .keys()
            .filter(|k| !self.used.contains(k.get_ref().as_str()))
            .map(|k| (k.get_ref().clone(), k.span().start))
            .collect();
        out.sort_by_key(|(_, o)| *o);
        out
    }

    /// Fields not in `known`, in file order, with the offset of their key.
    pub fn unknown(&self, known: &[&str]) -> Vec<(String, usize)> {
        let mut out: Vec<(String, usize)> = self
            .map
            .keys()
            .filter(|k| !known.contains(&k.get_ref().as_str()))
            .map(|k| (k.get_ref().clone(), k.span().start))
            .collect();
        out.sort_by_key(|(_, o)| *o);
        out
    }
}
