//! A command from a page's form. A form's field names are the API's words (`do`, `item`,
//! `rounds`, ...), so a form is a command written in HTML; its values arrive as text and are typed
//! here as the command expects them, then parsed by the same code as a JSON body.

use crate::api::ApiError;
use crate::api::commands::parse_command;
use setguard_core::Command;

/// Fields that are counts or record numbers.
const NUMBERS: &[&str] = &[
    "rounds",
    "counted",
    "failed",
    "event",
    "incident",
    "concern",
    "training",
    "min_distance_ft",
    "blank_rounds",
];
/// Fields that are yes or no (a checkbox sends `on`).
const FLAGS: &[&str] = &[
    "intended",
    "urgent",
    "anonymous",
    "shields",
    "remote_camera",
    "points_toward_people",
];
/// Fields that are lists: repeated fields, or one field separated by commas.
const LISTS: &[&str] = &[
    "items",
    "lots",
    "performers",
    "roster",
    "scenes",
    "attendees",
    "people",
    "classes",
];
/// Fields of the page, not of the command.
const PAGE: &[&str] = &["csrf", "as_person", "pin"];

/// The form's command; a 400 naming the field when it is not one.
pub fn command(fields: &[(String, String)]) -> Result<Command, ApiError> {
    let mut map = serde_json::Map::new();
    for (name, value) in fields {
        let value = value.trim();
        if PAGE.contains(&name.as_str()) || name.starts_with('_') {
            continue;
        }
        let name = name.as_str();
        if LISTS.contains(&name) {
            let list = map
                .entry(name.to_owned())
                .or_insert_with(|| serde_json::Value::Array(Vec::new()));
            if let serde_json::Value::Array(list) = list {
                list.extend(
                    value
                        .split(',')
                        .map(str::trim)
                        .filter(|v| !v.is_empty())
                        .map(|v| serde_json::Value::String(v.to_owned())),
                );
            }
            continue;
        }
        if value.is_empty() {
            continue;
        }
        let typed = if NUMBERS.contains(&name) {
            match value.parse::<u64>() {
                Ok(n) => serde_json::Value::from(n),
                Err(_) => {
                    return Err(ApiError::new(
                        axum::http::StatusCode::BAD_REQUEST,
                        format!("{name}: {value:?} is not a whole number"),
                    ));
                }
            }
        } else if FLAGS.contains(&name) {
            serde_json::Value::Bool(matches!(value, "on" | "true" | "yes" | "1"))
        } else {
            serde_json::Value::String(value.to_owned())
        };
        map.insert(name.to_owned(), typed);
    }
    parse_command(serde_json::Value::Object(map))
}

/// One field's value.
pub fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_form_is_a_command_typed_as_the_api_takes_it() {
        let c = command(&pairs(&[
            ("csrf", "x"),
            ("do", "inspect"),
            ("item", "colt-1"),
            ("state", "dummies"),
            ("rounds", "6"),
            ("lot", "dummies-a"),
        ]))
        .expect("a command");
        assert_eq!(c.name(), "inspect");
        let c = command(&pairs(&[
            ("do", "safety-meeting"),
            ("scenes", "saloon"),
            ("attendees", "lee"),
            ("attendees", "sam, ines"),
        ]))
        .expect("a command");
        let json = serde_json::to_value(&c).expect("json");
        assert_eq!(json["attendees"], serde_json::json!(["lee", "sam", "ines"]));
        let c = command(&pairs(&[
            ("do", "raise-concern"),
            ("text", "t"),
            ("urgent", "on"),
        ]))
        .expect("a command");
        assert_eq!(serde_json::to_value(&c).expect("json")["urgent"], true);
    }

    #[test]
    fn a_bad_form_names_its_field() {
        let e = command(&pairs(&[
            ("do", "load"),
            ("item", "c"),
            ("lot", "l"),
            ("rounds", "six"),
        ]))
        .unwrap_err();
        assert!(e.message.starts_with("rounds:"), "{}", e.message);
        let e = command(&pairs(&[("do", "load"), ("lot", "l"), ("rounds", "6")])).unwrap_err();
        assert!(e.message.contains("item"), "{}", e.message);
    }
}
