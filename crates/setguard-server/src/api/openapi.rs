//! The OpenAPI 3.1 document of the API, served at `GET /api/v1/openapi.json`.
//!
//! How it is made, and why. The bodies that matter most, the commands and the events they record,
//! are described by `schemars` from the core's own types (`setguard-core`'s `schema` feature,
//! off unless asked for): it reads the same serde attributes that decide what the server accepts
//! (the `do` tag in kebab-case, `deny_unknown_fields`, the flattened `SceneChanges`, defaults,
//! optional fields), so the schema cannot drift from the parser. Each command comes out as one
//! closed object (`additionalProperties: false`) with its tag, its newtype's fields and its
//! flattened fields merged in. The core's hand-written `Deserialize` impls (ids, short texts,
//! vocabularies, times, distances) carry hand-written `JsonSchema` impls in the same macros, next
//! to the checks they describe. utoipa was the alternative: it needs its own attributes beside
//! serde's and macros on every handler, and it composes flattened structs and tagged newtype
//! variants with `allOf`, which does not mix with `additionalProperties: false`. The server's
//! own small bodies and the paths are composed here as JSON: they are few, and
//! `tests/openapi.rs` checks the document against the router, against serde (every scenario's
//! commands, and mutations of them) and against real answers.
//!
//! One contract for both directions: the schemas are those of what is *read* (serde's
//! deserialize side), which every value the server writes satisfies (the ledger reads back
//! what it wrote), so an event in an answer is described by the same `Event` as a stored one.
//! Two known differences with serde: a count written `6.0` is an integer to JSON Schema but is
//! refused by serde (JSON Schema cannot tell `6.0` from `6`), and serde lets an unknown field
//! through on the commands without fields (`wrap`; serde-rs/serde#2123), which the schema refuses.

use axum::http::header;
use axum::response::IntoResponse;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};
use setguard_core::{Command, Event};
use std::sync::LazyLock;

/// The document, made once.
static DOCUMENT: LazyLock<String> = LazyLock::new(|| document().to_string());

/// `GET /api/v1/openapi.json`: open to anyone, as it tells nothing about a production.
pub async fn serve() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        DOCUMENT.as_str(),
    )
}

const SCHEMAS: &str = "#/components/schemas/";
/// The component that gives the name of a command's schema, `Command.check-out`.
const COMMAND_PREFIX: &str = "Command.";

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("{SCHEMAS}{name}") })
}

/// The whole document.
pub fn document() -> Value {
    let mut generator = SchemaSettings::draft2020_12()
        .with(|s| {
            s.definitions_path = "/components/schemas".into();
            s.meta_schema = None;
        })
        .into_generator();
    generator.subschema_for::<Command>();
    generator.subschema_for::<Event>();
    let mut schemas = generator.take_definitions(true);
    name_commands(&mut schemas);
    schemas.extend(server_schemas());

    let mut doc = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "setguard API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Firearm safety on film and TV sets. Every command is judged by the \
                same core as `setguard replay`, recorded in the ledger, and only then applied. The \
                commands use the vocabulary of `docs/scenarios.md` word for word: a command's body \
                is a scenario step without `at`, `by` and `expect` (the server's clock is the \
                time, the signed-in person gives it). Errors answer `{\"error\": \"...\"}`; any \
                other path under /api/v1 answers 404 the same way. See docs/api.md.",
            "license": { "name": "Apache-2.0", "identifier": "Apache-2.0" },
        },
        "tags": [
            { "name": "session", "description": "Signing in and out." },
            { "name": "productions", "description": "Productions and their views." },
            { "name": "commands", "description": "Giving commands on a production." },
            { "name": "meta", "description": "This document." },
        ],
        "paths": paths(),
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The session token, for a program: sign in with `\"token\": \
                        true` and send `Authorization: Bearer TOKEN`. No CSRF token is needed, as \
                        a browser never sends it on its own.",
                },
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": crate::auth::COOKIE,
                    "description": "The session cookie a browser keeps after signing in (HttpOnly, \
                        SameSite=Strict). A change (POST, DELETE) made with it must also carry the \
                        `csrf` scheme.",
                },
                "csrf": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-CSRF-Token",
                    "description": "The session's `csrf`, from the sign-in answer: required with \
                        the session cookie on every change.",
                },
            },
        },
    });
    limit_integers(&mut doc);
    doc
}

/// Gives each command its own component, `Command.<word>`, so that a path can name one (opening
/// a production) and readers see each command by its word; `Command` is the choice of them all,
/// `ProductionCommand` every one given on a production.
fn name_commands(schemas: &mut Map<String, Value>) {
    let Some(Value::Object(mut command)) = schemas.remove("Command") else {
        return;
    };
    let variants = match command.remove("oneOf") {
        Some(Value::Array(v)) => v,
        _ => Vec::new(),
    };
    let mut words = Vec::new();
    for variant in variants {
        let Some(word) = variant
            .pointer("/properties/do/const")
            .and_then(Value::as_str)
            .map(str::to_owned)
        else {
            continue;
        };
        schemas.insert(format!("{COMMAND_PREFIX}{word}"), variant);
        words.push(word);
    }
    let choice = |words: &[&String]| {
        let name = |w: &str| format!("{COMMAND_PREFIX}{w}");
        let one_of: Vec<Value> = words.iter().map(|w| schema_ref(&name(w))).collect();
        let mapping: Map<String, Value> = words
            .iter()
            .map(|w| ((*w).clone(), json!(format!("{SCHEMAS}{}", name(w)))))
            .collect();
        json!({
            "oneOf": one_of,
            "discriminator": { "propertyName": "do", "mapping": mapping },
        })
    };
    let all: Vec<&String> = words.iter().collect();
    let mut full = choice(&all);
    if let (Value::Object(full), Some(description)) = (&mut full, command.remove("description")) {
        full.insert("description".to_owned(), description);
    }
    schemas.insert("Command".to_owned(), full);
    let on_production: Vec<&String> = words.iter().filter(|w| *w != "open-production").collect();
    let mut given = choice(&on_production);
    given["description"] = json!(
        "A command given on a production: every command but `open-production`, which is POST \
            /api/v1/productions."
    );
    schemas.insert("ProductionCommand".to_owned(), given);
}

/// Integers are Rust's `u32` and `u64`: a larger number is refused as the wrong type.
fn limit_integers(v: &mut Value) {
    match v {
        Value::Object(map) => {
            let max = match map.get("format").and_then(Value::as_str) {
                Some("uint32") => Some(json!(u32::MAX)),
                Some("uint64") => Some(json!(u64::MAX)),
                Some("int64") => Some(json!(i64::MAX)),
                _ => None,
            };
            if let Some(max) = max
                && map.get("type") == Some(&json!("integer"))
            {
                map.entry("maximum").or_insert(max);
            }
            map.values_mut().for_each(limit_integers);
        }
        Value::Array(items) => items.iter_mut().for_each(limit_integers),
        _ => {}
    }
}

/// The bodies of the server's own requests and answers (`api/*.rs`, `web/board.rs`).
fn server_schemas() -> Map<String, Value> {
    let uint32 = json!({ "type": "integer", "format": "uint32", "minimum": 0 });
    let uint64 = json!({ "type": "integer", "format": "uint64", "minimum": 0 });
    let text_or_null = json!({ "type": ["string", "null"] });
    let schemas = json!({
        "Error": {
            "description": "A failed request: what was wrong, and where (a field is named first, \
                as in `rounds: invalid type: string \"six\", expected u32`).",
            "type": "object",
            "properties": { "error": { "type": "string" } },
            "required": ["error"],
        },
        "SignIn": {
            "type": "object",
            "properties": {
                "username": { "type": "string" },
                "password": { "type": "string" },
                "token": {
                    "type": "boolean",
                    "default": false,
                    "description": "Return the session token in the answer, for a program to send \
                        as `Authorization: Bearer TOKEN`.",
                },
            },
            "required": ["username", "password"],
            "additionalProperties": false,
        },
        "Session": {
            "description": "The signed-in account.",
            "type": "object",
            "properties": {
                "username": { "type": "string" },
                "administrator": { "type": "boolean" },
                "csrf": {
                    "type": "string",
                    "description": "Send it back in the X-CSRF-Token header with every change made \
                        with the session cookie.",
                },
                "expires": { "type": "string", "format": "date-time" },
                "productions": { "type": "array", "items": schema_ref("Membership") },
                "token": {
                    "type": "string",
                    "description": "The bearer token: only in the sign-in answer, and only when \
                        asked for with `\"token\": true`.",
                },
            },
            "required": ["username", "administrator", "csrf", "expires", "productions"],
        },
        "Membership": {
            "description": "Who the account is on a production.",
            "type": "object",
            "properties": {
                "production": schema_ref("ProductionId"),
                "person": schema_ref("PersonId"),
            },
            "required": ["production", "person"],
        },
        "ProductionSummary": {
            "type": "object",
            "properties": {
                "id": schema_ref("ProductionId"),
                "name": { "type": "string" },
                "events": uint64,
                "person": {
                    "anyOf": [schema_ref("PersonId"), { "type": "null" }],
                    "description": "Who the caller is on it; null for an administrator who is not \
                        on its crew list.",
                },
            },
            "required": ["id", "name", "events", "person"],
        },
        "Board": {
            "description": "The set board as data: every item's status in words, the lots, the \
                called scenes, open incidents, a stop-work or walkout.",
            "type": "object",
            "properties": {
                "production": { "type": "string" },
                "name": { "type": "string" },
                "timezone": { "type": "string" },
                "now": {
                    "type": "string",
                    "pattern": "^[0-9]{2}:[0-9]{2}$",
                    "description": "The production's clock, HH:MM.",
                },
                "events": uint64,
                "head": {
                    "type": "string",
                    "pattern": "^[0-9a-f]*$",
                    "description": "The hash of the last event recorded, in hex.",
                },
                "stop_work": text_or_null,
                "walkout": text_or_null,
                "called": { "type": "array", "items": { "type": "string" } },
                "items": { "type": "array", "items": schema_ref("ItemRow") },
                "lots": { "type": "array", "items": schema_ref("LotRow") },
                "incidents": { "type": "array", "items": { "type": "string" } },
            },
            "required": [
                "production", "name", "timezone", "now", "events", "head", "stop_work",
                "walkout", "called", "items", "lots", "incidents",
            ],
        },
        "ItemRow": {
            "description": "One item's line on the board (what a scanned label opens).",
            "type": "object",
            "properties": {
                "id": schema_ref("ItemId"),
                "label": { "type": "string" },
                "status": {
                    "type": "string",
                    "description": "The words in capitals: IN STORAGE, WITH <person>, COLD, HOT - \
                        2 blanks, QUARANTINED, UNATTENDED 6 min.",
                },
                "detail": { "type": "string" },
                "tone": {
                    "type": "string",
                    "description": "A class for colour, which only repeats the words (calm, warn, \
                        cold, hot, danger).",
                },
            },
            "required": ["id", "label", "status", "detail", "tone"],
        },
        "HistoryEntry": {
            "description": "One record about an item, in words.",
            "type": "object",
            "properties": {
                "seq": { "type": "integer", "format": "uint64", "minimum": 1 },
                "at": { "type": "string", "description": "Local time on the production's clock." },
                "by": { "type": "string", "description": "Who gave it, or setguard for an alarm." },
                "what": { "type": "string", "description": "The record's kind in words." },
                "detail": { "type": "string" },
                "flagged": { "type": "boolean", "description": "A refused attempt or an alarm." },
            },
            "required": ["seq", "at", "by", "what", "detail", "flagged"],
        },
        "LotRow": {
            "type": "object",
            "properties": {
                "id": schema_ref("LotId"),
                "ammo": { "type": "string" },
                "in_box": uint32,
                "out": { "type": "integer", "format": "int64" },
                "warning": {
                    "type": ["string", "null"],
                    "description": "CONDEMNED, QUARANTINED or NOT VERIFIED; null when none.",
                },
            },
            "required": ["id", "ammo", "in_box", "out", "warning"],
        },
        "Link": {
            "type": "object",
            "properties": {
                "username": {
                    "type": "string",
                    "description": "The account to give this person.",
                },
            },
            "required": ["username"],
            "additionalProperties": false,
        },
        "Confirmation": {
            "description": "A command given by someone else on this device, confirmed with their \
                PIN: the performer's `confirm-check` on the armorer's tablet.",
            "type": "object",
            "properties": {
                "person": schema_ref("PersonId"),
                "pin": { "type": "string" },
                "command": schema_ref("ProductionCommand"),
            },
            "required": ["person", "pin", "command"],
            "additionalProperties": false,
        },
        "Outcome": {
            "description": "What a command came to.",
            "type": "object",
            "properties": {
                "outcome": { "type": "string", "enum": ["recorded", "refused"] },
                "recorded": {
                    "type": "array",
                    "items": schema_ref("Recorded"),
                    "description": "Every event recorded, with its seq: alarms that time raised \
                        first, then the command's own events (or its `refused` event).",
                },
                "refused": {
                    "type": "array",
                    "items": schema_ref("Broken"),
                    "description": "The rules broken, each with the sentence for the set; empty \
                        when recorded.",
                },
            },
            "required": ["outcome", "recorded", "refused"],
        },
        "Recorded": {
            "type": "object",
            "properties": {
                "seq": { "type": "integer", "format": "uint64", "minimum": 1 },
                "event": schema_ref("Event"),
            },
            "required": ["seq", "event"],
        },
        "Broken": {
            "type": "object",
            "properties": {
                "rule": schema_ref("RuleId"),
                "sentence": { "type": "string" },
            },
            "required": ["rule", "sentence"],
        },
    });
    match schemas {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// Who may make a request: anyone, a signed-in caller, or a signed-in caller making a change
/// (a cookie then needs the CSRF header).
#[derive(Clone, Copy)]
enum Auth {
    Anyone,
    Read,
    Change,
}

impl Auth {
    fn security(self) -> Value {
        match self {
            Auth::Anyone => json!([]),
            Auth::Read => json!([{ "bearer": [] }, { "session": [] }]),
            Auth::Change => json!([{ "bearer": [] }, { "session": [], "csrf": [] }]),
        }
    }
}

/// An error answer: `{"error": ...}`.
fn error(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": schema_ref("Error") } },
    })
}

fn json_answer(description: &str, schema: Value) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": schema } },
    })
}

fn unauthorized() -> Value {
    error("Not signed in: no session cookie or bearer token, or the session has ended.")
}
fn too_large() -> Value {
    error("The body is over 64 KiB.")
}
fn not_json() -> Value {
    error("The body is not sent as JSON (Content-Type: application/json).")
}
fn bad_body() -> Value {
    error("The body is not what this request takes: the error names the field.")
}
fn locked(what: &str) -> Value {
    let mut e = error(what);
    e["headers"] = json!({
        "Retry-After": {
            "description": "Seconds until it unlocks.",
            "schema": { "type": "integer", "minimum": 1 },
        },
    });
    e
}
fn no_production() -> Value {
    error(
        "There is no such production, or the caller is not on it (the same answer, word for word).",
    )
}
fn busy() -> Value {
    error("The production kept changing while the command was judged: nothing was recorded.")
}
fn outcome_or_error(description: &str) -> Value {
    json_answer(
        description,
        json!({ "oneOf": [schema_ref("Outcome"), schema_ref("Error")] }),
    )
}

/// A path parameter: the production, an item or a person, by id.
fn param(name: &str, schema: &str, description: &str, example: &str) -> Value {
    json!({
        "name": name,
        "in": "path",
        "required": true,
        "description": description,
        "schema": schema_ref(schema),
        "example": example,
    })
}

fn production_param() -> Value {
    param(
        "id",
        "ProductionId",
        "The production's id.",
        crate::demo::DEMO,
    )
}

/// The time zones a production may be opened in (the server's check, beyond the command's
/// own: an empty one is UTC).
fn timezones() -> Value {
    let names = std::iter::once("").chain(chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()));
    json!({
        "description": "A time zone of the IANA database (e.g. America/Denver); empty: UTC.",
        "enum": names.collect::<Vec<_>>(),
    })
}

fn json_body(schema: Value, examples: Value) -> Value {
    let mut media = json!({ "schema": schema });
    if examples.as_object().is_some_and(|e| !e.is_empty()) {
        media["examples"] = examples;
    }
    json!({ "required": true, "content": { "application/json": media } })
}

struct Op {
    id: &'static str,
    tag: &'static str,
    summary: &'static str,
    description: &'static str,
    auth: Auth,
    params: Vec<Value>,
    body: Option<Value>,
    responses: Vec<(&'static str, Value)>,
}

impl Op {
    fn into_json(self) -> Value {
        let mut op = json!({
            "operationId": self.id,
            "tags": [self.tag],
            "summary": self.summary,
            "security": self.auth.security(),
            "responses": self
                .responses
                .into_iter()
                .map(|(code, r)| (code.to_owned(), r))
                .collect::<Map<_, _>>(),
        });
        if !self.description.is_empty() {
            op["description"] = json!(self.description);
        }
        if !self.params.is_empty() {
            op["parameters"] = json!(self.params);
        }
        if let Some(body) = self.body {
            op["requestBody"] = body;
        }
        op
    }
}

fn paths() -> Value {
    let set_cookie = json!({
        "Set-Cookie": {
            "description": "The session cookie `setguard_session` (HttpOnly, SameSite=Strict, \
                Secure behind TLS).",
            "schema": { "type": "string" },
        },
    });
    let mut signed_in = json_answer("Signed in.", schema_ref("Session"));
    signed_in["headers"] = set_cookie.clone();
    let mut signed_out = json!({ "description": "Signed out: the session ends on every server." });
    signed_out["headers"] = set_cookie;

    let command_examples = json!({
        "check-out": { "value": { "do": "check-out", "item": "colt-2" } },
        "inspect": {
            "value": {
                "do": "inspect", "item": "colt-1", "state": "dummies", "rounds": 6,
                "lot": "dummies-a",
            },
        },
        "raise-concern": {
            "value": { "do": "raise-concern", "text": "the dolly track crosses the line of fire" },
        },
    });

    let ops = [
        (
            "/api/v1/openapi.json",
            "get",
            Op {
                id: "openapi",
                tag: "meta",
                summary: "This document",
                description: "",
                auth: Auth::Anyone,
                params: vec![],
                body: None,
                responses: vec![(
                    "200",
                    json_answer("The OpenAPI 3.1 document.", json!({ "type": "object" })),
                )],
            },
        ),
        (
            "/api/v1/session",
            "post",
            Op {
                id: "signIn",
                tag: "session",
                summary: "Sign in",
                description: "Answers the session as a `setguard_session` cookie and in the body; \
                    with `\"token\": true` the body also holds the bearer token. Five wrong \
                    passwords in a row lock the account for 15 minutes. Sessions last 14 hours.",
                auth: Auth::Anyone,
                params: vec![],
                body: Some(json_body(
                    schema_ref("SignIn"),
                    json!({
                        "program": {
                            "value": {
                                "username": "rosa", "password": "her password", "token": true,
                            },
                        },
                    }),
                )),
                responses: vec![
                    ("200", signed_in),
                    ("400", bad_body()),
                    (
                        "401",
                        error(
                            "That username and password do not match (the same answer for both).",
                        ),
                    ),
                    ("413", too_large()),
                    ("415", not_json()),
                    (
                        "429",
                        locked("Too many wrong passwords: the account is locked."),
                    ),
                ],
            },
        ),
        (
            "/api/v1/session",
            "get",
            Op {
                id: "getSession",
                tag: "session",
                summary: "Who is signed in",
                description: "",
                auth: Auth::Read,
                params: vec![],
                body: None,
                responses: vec![
                    (
                        "200",
                        json_answer(
                            "The signed-in account (never its token).",
                            schema_ref("Session"),
                        ),
                    ),
                    ("401", unauthorized()),
                ],
            },
        ),
        (
            "/api/v1/session",
            "delete",
            Op {
                id: "signOut",
                tag: "session",
                summary: "Sign out",
                description: "",
                auth: Auth::Change,
                params: vec![],
                body: None,
                responses: vec![
                    ("204", signed_out),
                    ("401", unauthorized()),
                    (
                        "403",
                        error("Sent with the session cookie without its CSRF token."),
                    ),
                ],
            },
        ),
        (
            "/api/v1/productions",
            "get",
            Op {
                id: "listProductions",
                tag: "productions",
                summary: "The productions the caller is on (an administrator: all)",
                description: "",
                auth: Auth::Read,
                params: vec![],
                body: None,
                responses: vec![
                    (
                        "200",
                        json_answer(
                            "The productions.",
                            json!({ "type": "array", "items": schema_ref("ProductionSummary") }),
                        ),
                    ),
                    ("401", unauthorized()),
                ],
            },
        ),
        (
            "/api/v1/productions",
            "post",
            Op {
                id: "openProduction",
                tag: "productions",
                summary: "Open a production (administrators only)",
                description: "",
                auth: Auth::Change,
                params: vec![],
                body: Some(json_body(
                    json!({
                        "allOf": [
                            schema_ref(&format!("{COMMAND_PREFIX}open-production")),
                            { "properties": { "timezone": timezones() } },
                        ],
                    }),
                    json!({
                        "open": {
                            "value": {
                                "do": "open-production", "id": "new-western",
                                "name": "A new western", "policy": "california",
                                "timezone": "America/Los_Angeles",
                            },
                        },
                    }),
                )),
                responses: vec![
                    (
                        "201",
                        json_answer("Opened: what was recorded.", schema_ref("Outcome")),
                    ),
                    (
                        "400",
                        error(
                            "Not an open-production command, a field at fault (named), or a \
                                timezone that is not one.",
                        ),
                    ),
                    ("401", unauthorized()),
                    (
                        "403",
                        error(
                            "Not an administrator, or sent with the session cookie without its \
                                CSRF token.",
                        ),
                    ),
                    (
                        "409",
                        outcome_or_error(
                            "Refused by the rules (an Outcome, recorded), or the production exists \
                                already (an Error).",
                        ),
                    ),
                    ("413", too_large()),
                    ("415", not_json()),
                    ("503", busy()),
                ],
            },
        ),
        (
            "/api/v1/productions/{id}/board",
            "get",
            Op {
                id: "getBoard",
                tag: "productions",
                summary: "The set board, as data",
                description: "",
                auth: Auth::Read,
                params: vec![production_param()],
                body: None,
                responses: vec![
                    ("200", json_answer("The board.", schema_ref("Board"))),
                    ("401", unauthorized()),
                    ("404", no_production()),
                ],
            },
        ),
        (
            "/api/v1/productions/{id}/items/{item}",
            "get",
            Op {
                id: "getItem",
                tag: "productions",
                summary: "One item's row of the board (what a scanned label opens)",
                description: "",
                auth: Auth::Read,
                params: vec![
                    production_param(),
                    param("item", "ItemId", "The item's id.", "colt-1"),
                ],
                body: None,
                responses: vec![
                    ("200", json_answer("The item's row.", schema_ref("ItemRow"))),
                    ("401", unauthorized()),
                    (
                        "404",
                        error("No such production (or not the caller's), or no such item on it."),
                    ),
                ],
            },
        ),
        (
            "/api/v1/productions/{id}/items/{item}/history",
            "get",
            Op {
                id: "getItemHistory",
                tag: "productions",
                summary: "An item's history: every record about it, oldest first",
                description: "Its chain of custody, loads, checks, announcements and refused \
                    attempts (flagged), read from the ledger.",
                auth: Auth::Read,
                params: vec![
                    production_param(),
                    param("item", "ItemId", "The item's id.", "colt-1"),
                ],
                body: None,
                responses: vec![
                    (
                        "200",
                        json_answer(
                            "The timeline.",
                            json!({ "type": "array", "items": schema_ref("HistoryEntry") }),
                        ),
                    ),
                    ("401", unauthorized()),
                    (
                        "404",
                        error("No such production (or not the caller's), or no such item on it."),
                    ),
                ],
            },
        ),
        (
            "/api/v1/productions/{id}/people/{person}/account",
            "post",
            Op {
                id: "linkAccount",
                tag: "productions",
                summary: "Give a person of the crew list their account on this production",
                description: "The producer's or an administrator's.",
                auth: Auth::Change,
                params: vec![
                    production_param(),
                    param(
                        "person",
                        "PersonId",
                        "The person, as on the crew list.",
                        "lee",
                    ),
                ],
                body: Some(json_body(
                    schema_ref("Link"),
                    json!({ "link": { "value": { "username": "lee" } } }),
                )),
                responses: vec![
                    (
                        "204",
                        json!({ "description": "The account is now this person's here." }),
                    ),
                    ("400", bad_body()),
                    ("401", unauthorized()),
                    (
                        "403",
                        error(
                            "Not the producer or an administrator, or sent with the session cookie \
                                without its CSRF token.",
                        ),
                    ),
                    (
                        "404",
                        error(
                            "No such production (or not the caller's), no such person on its crew \
                                list, or no such account.",
                        ),
                    ),
                    (
                        "409",
                        error("The account, or the person, is linked already."),
                    ),
                    ("413", too_large()),
                    ("415", not_json()),
                ],
            },
        ),
        (
            "/api/v1/productions/{id}/commands",
            "post",
            Op {
                id: "giveCommand",
                tag: "commands",
                summary: "Give a command, as the signed-in person",
                description: "Judged by the same core as replay. Recorded: 200. Refused: 409 \
                    listing every rule broken, by id, with its sentence; the refusal itself is \
                    recorded, as evidence. Nothing is recorded for a malformed command (400), an \
                    unknown production or seq (404), or a command the caller's roles do not let \
                    them give (403). An item or lot that is not the production's is the rules' \
                    business (`production-items-only`): a 409, recorded.",
                auth: Auth::Change,
                params: vec![production_param()],
                body: Some(json_body(
                    schema_ref("ProductionCommand"),
                    command_examples.clone(),
                )),
                responses: vec![
                    ("200", json_answer("Recorded.", schema_ref("Outcome"))),
                    (
                        "400",
                        error(
                            "Not a command (the error names the field), open-production, or a \
                                value the rules cannot take.",
                        ),
                    ),
                    ("401", unauthorized()),
                    (
                        "403",
                        error(
                            "The caller's roles on this production do not let them give this \
                                command, or it was sent with the session cookie without its CSRF \
                                token.",
                        ),
                    ),
                    (
                        "404",
                        error(
                            "No such production (or not the caller's), or no such seq, incident, \
                                concern or training.",
                        ),
                    ),
                    (
                        "409",
                        outcome_or_error(
                            "Refused by the rules: every rule broken, and the refused event \
                                recorded (an Outcome); or it would register what exists already \
                                (an Error, nothing recorded).",
                        ),
                    ),
                    ("413", too_large()),
                    ("415", not_json()),
                    ("503", busy()),
                ],
            },
        ),
        (
            "/api/v1/productions/{id}/confirmations",
            "post",
            Op {
                id: "confirm",
                tag: "commands",
                summary: "Give a command confirmed with someone else's PIN on this device",
                description: "The performer confirms, on the armorer's tablet, that they watched \
                    the check: the command is recorded as given by that person. A wrong PIN is a \
                    403 and records nothing; five in a row lock that person's PIN for 5 minutes.",
                auth: Auth::Change,
                params: vec![production_param()],
                body: Some(json_body(
                    schema_ref("Confirmation"),
                    json!({
                        "confirm-check": {
                            "value": {
                                "person": "lee", "pin": "3333",
                                "command": { "do": "confirm-check", "item": "colt-1" },
                            },
                        },
                    }),
                )),
                responses: vec![
                    ("200", json_answer("Recorded.", schema_ref("Outcome"))),
                    ("400", bad_body()),
                    ("401", unauthorized()),
                    (
                        "403",
                        error(
                            "A wrong PIN, a person with no account, a device not of the crew list, \
                                the person's roles, or a missing CSRF token.",
                        ),
                    ),
                    ("404", no_production()),
                    (
                        "409",
                        outcome_or_error(
                            "Refused by the rules (recorded), or a conflict (an Error).",
                        ),
                    ),
                    ("413", too_large()),
                    ("415", not_json()),
                    (
                        "429",
                        locked("Too many wrong PINs: this person's PIN is locked."),
                    ),
                    ("503", busy()),
                ],
            },
        ),
    ];
    let mut paths = Map::new();
    for (path, method, op) in ops {
        let entry = paths.entry(path.to_owned()).or_insert_with(|| json!({}));
        entry[method] = op.into_json();
    }
    Value::Object(paths)
}
