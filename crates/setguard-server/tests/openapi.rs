//! The OpenAPI document (`GET /api/v1/openapi.json`) against what it describes: every route of
//! the router and no other; the `Command` schema against serde, on every command of every
//! scenario and on mutations of each (both accept, or both refuse); and real answers of the
//! server against the schemas documented for their status.
//!
//! The schemas are checked by the small validator below rather than a JSON Schema crate: it
//! knows every keyword the document uses, and a test fails if the document ever uses one it
//! does not know, so nothing is silently left unchecked.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{Answer, Server, server};
use serde_json::{Value, json};
use setguard_core::command::COMMAND_WORDS;
use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};

const DEMO: &str = "dusty-creek";

/// Every operation of the API, as `crates/setguard-server/src/api/mod.rs` routes it.
const ROUTES: &[(&str, &str)] = &[
    ("get", "/api/v1/openapi.json"),
    ("get", "/api/v1/session"),
    ("post", "/api/v1/session"),
    ("delete", "/api/v1/session"),
    ("get", "/api/v1/productions"),
    ("post", "/api/v1/productions"),
    ("get", "/api/v1/productions/{id}/board"),
    ("get", "/api/v1/productions/{id}/items/{item}"),
    ("get", "/api/v1/productions/{id}/items/{item}/history"),
    ("post", "/api/v1/productions/{id}/people/{person}/account"),
    ("post", "/api/v1/productions/{id}/commands"),
    ("post", "/api/v1/productions/{id}/confirmations"),
];

async fn fetch(s: &Server) -> Value {
    let a = s.send("GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(
        a.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    serde_json::from_str(&a.body).expect("the document is JSON")
}

fn document() -> Value {
    let s = server();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(fetch(&s))
}

// ---- a validator for the keywords the document uses

/// Keywords that constrain a value, all checked by [`Doc::check`].
const ASSERTIONS: &[&str] = &[
    "$ref",
    "type",
    "enum",
    "const",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "oneOf",
    "anyOf",
    "allOf",
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "format",
];
/// Keywords that only describe.
const ANNOTATIONS: &[&str] = &[
    "description",
    "default",
    "examples",
    "title",
    "discriminator",
];

/// The document, and the patterns it uses, each compiled once.
struct Doc(Value, RefCell<HashMap<String, regex::Regex>>);

impl Doc {
    fn new(doc: Value) -> Doc {
        Doc(doc, RefCell::new(HashMap::new()))
    }

    fn matches(&self, pattern: &str, text: &str) -> bool {
        let mut cache = self.1.borrow_mut();
        let re = cache.entry(pattern.to_owned()).or_insert_with(|| {
            regex::Regex::new(pattern).unwrap_or_else(|e| panic!("pattern {pattern}: {e}"))
        });
        re.is_match(text)
    }

    fn schema(&self, name: &str) -> &Value {
        self.0
            .pointer(&format!("/components/schemas/{}", name.replace('/', "~1")))
            .unwrap_or_else(|| panic!("no schema {name}"))
    }

    fn resolve(&self, reference: &str) -> &Value {
        let pointer = reference
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("not a local $ref: {reference}"));
        self.0
            .pointer(pointer)
            .unwrap_or_else(|| panic!("$ref to nothing: {reference}"))
    }

    /// The value's faults against the schema; empty when it is valid.
    fn faults(&self, schema: &Value, v: &Value) -> Vec<String> {
        let mut out = Vec::new();
        self.check(schema, v, "", &mut out);
        out
    }

    fn valid(&self, schema: &Value, v: &Value) -> bool {
        self.faults(schema, v).is_empty()
    }

    fn check(&self, schema: &Value, v: &Value, at: &str, out: &mut Vec<String>) {
        let s = match schema {
            Value::Bool(true) => return,
            Value::Bool(false) => return out.push(format!("{at}: nothing is allowed here")),
            Value::Object(s) => s,
            other => panic!("not a schema at {at}: {other}"),
        };
        let mut faults = Vec::new();
        if let Some(Value::String(r)) = s.get("$ref") {
            let inner = self.faults(self.resolve(r), v);
            if !inner.is_empty() {
                faults.push(format!("{r}: {}", inner.join("; ")));
            }
        }
        if let Some(t) = s.get("type") {
            let types: Vec<&str> = match t {
                Value::String(t) => vec![t.as_str()],
                Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
                _ => panic!("bad type at {at}"),
            };
            if !types.iter().any(|t| is_type(v, t)) {
                faults.push(format!("{v} is not of type {types:?}"));
            }
        }
        if let Some(Value::Array(options)) = s.get("enum")
            && !options.contains(v)
        {
            faults.push(format!("{v} is not one of the {} words", options.len()));
        }
        if let Some(c) = s.get("const")
            && c != v
        {
            faults.push(format!("{v} is not {c}"));
        }
        if let Value::Object(obj) = v {
            let props = s.get("properties").and_then(Value::as_object);
            for (k, ps) in props.into_iter().flatten() {
                if let Some(pv) = obj.get(k) {
                    self.check(ps, pv, &format!("{at}/{k}"), out);
                }
            }
            for k in s
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let k = k.as_str().expect("a name");
                if !obj.contains_key(k) {
                    faults.push(format!("missing {k}"));
                }
            }
            if let Some(extra) = s.get("additionalProperties") {
                for (k, pv) in obj {
                    if props.is_some_and(|p| p.contains_key(k)) {
                        continue;
                    }
                    if extra == &Value::Bool(false) {
                        faults.push(format!("unknown field {k}"));
                    } else {
                        self.check(extra, pv, &format!("{at}/{k}"), out);
                    }
                }
            }
        }
        if let (Value::Array(items), Some(is)) = (v, s.get("items")) {
            for (i, item) in items.iter().enumerate() {
                self.check(is, item, &format!("{at}/{i}"), out);
            }
        }
        let passing = |list: &Value| {
            let list = list.as_array().expect("a list of schemas");
            (
                list.iter().filter(|sub| self.valid(sub, v)).count(),
                list.len(),
            )
        };
        if let Some(list) = s.get("oneOf") {
            let (n, _) = passing(list);
            if n != 1 {
                faults.push(format!("{v} matches {n} of oneOf, not exactly one"));
            }
        }
        if let Some(list) = s.get("anyOf")
            && passing(list).0 == 0
        {
            faults.push(format!("{v} matches none of anyOf"));
        }
        if let Some(list) = s.get("allOf") {
            let (n, all) = passing(list);
            if n != all {
                faults.push(format!("{v} fails allOf"));
            }
        }
        if let Value::String(text) = v {
            let len = text.chars().count() as u64;
            if let Some(min) = s.get("minLength").and_then(Value::as_u64)
                && len < min
            {
                faults.push(format!("{text:?} is shorter than {min}"));
            }
            if let Some(max) = s.get("maxLength").and_then(Value::as_u64)
                && len > max
            {
                faults.push(format!("{text:?} is longer than {max}"));
            }
            if let Some(Value::String(p)) = s.get("pattern") {
                if !self.matches(p, text) {
                    faults.push(format!("{text:?} does not match {p}"));
                }
            }
            let format = s.get("format").and_then(Value::as_str).unwrap_or_default();
            let fits = match format {
                "date" => {
                    self.matches(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", text)
                        && chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok()
                }
                "date-time" => chrono::DateTime::parse_from_rfc3339(text).is_ok(),
                _ => true,
            };
            if !fits {
                faults.push(format!("{text:?} is not a {format}"));
            }
        }
        if let Value::Number(n) = v {
            if let Some(min) = s.get("minimum")
                && below(n, min.as_number().expect("a number"))
            {
                faults.push(format!("{n} is below {min}"));
            }
            if let Some(max) = s.get("maximum")
                && below(max.as_number().expect("a number"), n)
            {
                faults.push(format!("{n} is above {max}"));
            }
        }
        out.extend(faults.into_iter().map(|f| format!("{at}: {f}")));
    }
}

fn is_type(v: &Value, t: &str) -> bool {
    match t {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "number" => v.is_number(),
        // As JSON Schema reads it: a number with no fraction, however it is written.
        "integer" => v.as_f64().is_some_and(|f| f.fract() == 0.0),
        other => panic!("unknown type {other}"),
    }
}

/// Whether `a` is below `b`, exactly for integers.
fn below(a: &serde_json::Number, b: &serde_json::Number) -> bool {
    match (a.as_i128(), b.as_i128()) {
        (Some(a), Some(b)) => a < b,
        _ => a.as_f64().unwrap_or(f64::NAN) < b.as_f64().unwrap_or(f64::NAN),
    }
}

/// Every schema in the document, with where it is.
fn every_schema(doc: &Value) -> Vec<(String, &Value)> {
    fn walk<'a>(s: &'a Value, at: String, out: &mut Vec<(String, &'a Value)>) {
        let Value::Object(m) = s else { return };
        out.push((at.clone(), s));
        for (k, v) in m {
            match k.as_str() {
                "properties" => {
                    for (p, ps) in v.as_object().into_iter().flatten() {
                        walk(ps, format!("{at}/properties/{p}"), out);
                    }
                }
                "items" | "additionalProperties" => walk(v, format!("{at}/{k}"), out),
                "oneOf" | "anyOf" | "allOf" => {
                    for (i, sub) in v.as_array().into_iter().flatten().enumerate() {
                        walk(sub, format!("{at}/{k}/{i}"), out);
                    }
                }
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    for (name, s) in doc["components"]["schemas"].as_object().expect("schemas") {
        walk(s, format!("#/components/schemas/{name}"), &mut out);
    }
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let at = format!("{method} {path}");
            for p in op["parameters"].as_array().into_iter().flatten() {
                walk(
                    &p["schema"],
                    format!("{at} parameter {}", p["name"]),
                    &mut out,
                );
            }
            for (media, m) in op["requestBody"]["content"]
                .as_object()
                .into_iter()
                .flatten()
            {
                walk(&m["schema"], format!("{at} body {media}"), &mut out);
            }
            for (code, r) in op["responses"].as_object().expect("responses") {
                for (media, m) in r["content"].as_object().into_iter().flatten() {
                    walk(&m["schema"], format!("{at} {code} {media}"), &mut out);
                }
                for (h, hv) in r["headers"].as_object().into_iter().flatten() {
                    walk(&hv["schema"], format!("{at} {code} header {h}"), &mut out);
                }
            }
        }
    }
    out
}

// ---- the document and the router

#[tokio::test]
async fn the_document_is_openapi_3_1_and_names_every_route_the_router_has() {
    let s = server();
    let doc = fetch(&s).await;
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());

    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .expect("path item")
                .keys()
                .map(move |m| (m.clone(), path.clone()))
        })
        .collect();
    let routed: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(
        documented, routed,
        "the document's operations are the router's"
    );

    // The list above is the router's: every path the API's module routes is in it.
    let source = include_str!("../src/api/mod.rs");
    let in_source: BTreeSet<&str> = source
        .split('"')
        .filter(|s| s.starts_with("/api/v1/"))
        .collect();
    let listed: BTreeSet<&str> = ROUTES.iter().map(|(_, p)| *p).collect();
    assert_eq!(in_source, listed, "the paths of src/api/mod.rs");

    // Each documented operation is routed (not the API's 404 for unknown paths, nor 405), and
    // a method not documented on a path is not allowed there.
    for (method, path) in ROUTES {
        let uri = path
            .replace("{id}", DEMO)
            .replace("{item}", "colt-1")
            .replace("{person}", "lee");
        let req = Request::builder()
            .method(method.to_uppercase().as_str())
            .uri(&uri)
            .body(Body::empty())
            .expect("request");
        let a = s.raw(req).await;
        assert_ne!(a.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}");
        assert!(
            !a.body.contains("no such API path"),
            "{method} {uri}: {}",
            a.body
        );
        for other in ["get", "post", "delete", "put", "patch"] {
            if ROUTES.contains(&(other, *path)) {
                continue;
            }
            let req = Request::builder()
                .method(other.to_uppercase().as_str())
                .uri(&uri)
                .body(Body::empty())
                .expect("request");
            let a = s.raw(req).await;
            assert_eq!(
                a.status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{other} {uri} is not documented, so it must not be routed"
            );
        }
    }
}

#[test]
fn every_operation_has_an_id_security_and_json_answers() {
    let doc = document();
    let mut ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            let at = format!("{method} {path}");
            let id = op["operationId"].as_str().expect("operationId");
            assert!(ids.insert(id.to_owned()), "{at}: operationId {id} twice");
            assert!(op["security"].is_array(), "{at}: security");
            let responses = op["responses"].as_object().expect("responses");
            for (code, r) in responses {
                assert!(r["description"].is_string(), "{at} {code}: description");
                let status: u16 = code.parse().expect("a status");
                if status >= 400 {
                    let schema = &r["content"]["application/json"]["schema"];
                    let text = schema.to_string();
                    assert!(
                        text.contains("#/components/schemas/Error"),
                        "{at} {code}: an error answers {{\"error\": ...}}: {text}"
                    );
                }
            }
            if op["security"] != json!([]) {
                assert!(responses.contains_key("401"), "{at}: 401");
            }
            if method == "post" && path != "/api/v1/session" {
                for code in ["400", "403", "413", "415"] {
                    assert!(responses.contains_key(code), "{at}: {code}");
                }
                let security = op["security"].to_string();
                assert!(
                    security.contains("csrf") && security.contains("bearer"),
                    "{at}: a change takes a bearer token or the cookie with its CSRF token"
                );
            }
        }
    }
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["type"], "http");
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["session"]["in"], "cookie");
    assert_eq!(schemes["session"]["name"], "setguard_session");
    assert_eq!(schemes["csrf"]["in"], "header");
    assert_eq!(schemes["csrf"]["name"], "X-CSRF-Token");
    for (at, op) in [
        ("signIn", &doc["paths"]["/api/v1/session"]["post"]),
        ("openapi", &doc["paths"]["/api/v1/openapi.json"]["get"]),
    ] {
        assert_eq!(op["security"], json!([]), "{at} needs no session");
    }
}

#[test]
fn every_schema_uses_only_keywords_the_test_checks_and_every_ref_resolves() {
    let doc = document();
    let d = Doc::new(doc.clone());
    let schemas = every_schema(&doc);
    assert!(schemas.len() > 200, "{} schemas", schemas.len());
    for (at, s) in schemas {
        for (k, v) in s.as_object().expect("object") {
            assert!(
                ASSERTIONS.contains(&k.as_str()) || ANNOTATIONS.contains(&k.as_str()),
                "{at}: keyword {k} is not checked by this test"
            );
            if k == "$ref" {
                d.resolve(v.as_str().expect("a string"));
            }
        }
    }
    // Refs in the discriminators too.
    for (_, s) in doc["components"]["schemas"].as_object().expect("schemas") {
        for (_, r) in s["discriminator"]["mapping"]
            .as_object()
            .into_iter()
            .flatten()
        {
            d.resolve(r.as_str().expect("a string"));
        }
    }
}

// ---- the Command schema and serde

#[test]
fn every_command_word_has_its_schema() {
    let doc = document();
    let d = Doc::new(doc.clone());
    let words: BTreeSet<&str> = COMMAND_WORDS.iter().copied().collect();
    let mapped = |name: &str| -> BTreeSet<String> {
        d.schema(name)["discriminator"]["mapping"]
            .as_object()
            .expect("mapping")
            .keys()
            .cloned()
            .collect()
    };
    let all = mapped("Command");
    assert_eq!(
        all,
        words
            .iter()
            .map(|w| (*w).to_owned())
            .collect::<BTreeSet<_>>()
    );
    assert_eq!(
        d.schema("Command")["oneOf"].as_array().map(Vec::len),
        Some(words.len())
    );
    let on_production = mapped("ProductionCommand");
    assert_eq!(
        all.difference(&on_production).collect::<Vec<_>>(),
        vec!["open-production"]
    );
    for w in &words {
        let s = d.schema(&format!("Command.{w}"));
        assert_eq!(s["properties"]["do"]["const"], *w);
        assert_eq!(s["additionalProperties"], false, "{w}: deny_unknown_fields");
        assert!(
            s["required"]
                .as_array()
                .is_some_and(|r| r.contains(&json!("do"))),
            "{w}"
        );
    }
    // The flattened scene changes are change-scene's own fields.
    let change = d.schema("Command.change-scene");
    for f in [
        "scene",
        "date",
        "kind",
        "items",
        "performers",
        "roster",
        "blank_rounds",
    ] {
        assert!(change["properties"][f].is_object(), "change-scene {f}");
    }
    // Ids, texts and vocabularies carry their limits.
    let id = d.schema("ItemId");
    assert_eq!(
        (id["minLength"].as_u64(), id["maxLength"].as_u64()),
        (Some(1), Some(64))
    );
    assert!(
        d.schema("Role")["enum"]
            .as_array()
            .is_some_and(|e| e.len() == 9)
    );
    assert_eq!(d.schema("Rounds")["maximum"], json!(u32::MAX));
    assert_eq!(
        d.schema("Command.grant-credential")["properties"]["expires"]["format"],
        "date"
    );
}

/// Every command of every scenario, as the API takes it: the `[production]` table, each
/// `[[person]]` with its roles and credentials, the `[[item]]`, `[[lot]]` and `[[scene]]`
/// tables, and each step without the fields that are about the step.
fn scenario_commands() -> Vec<(String, Value)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scenarios");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("scenarios")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "{files:?}");
    let mut out = Vec::new();
    for file in files {
        let name = file
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let text = std::fs::read_to_string(&file).expect("read");
        let table: toml::Table = toml::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut push = |what: String, mut v: Value, word: &str| {
            v["do"] = json!(word);
            out.push((format!("{name}: {what}"), v));
        };
        for (key, value) in &table {
            let tables: Vec<&toml::Table> = match value {
                toml::Value::Table(t) => vec![t],
                toml::Value::Array(a) => a.iter().filter_map(toml::Value::as_table).collect(),
                _ => continue,
            };
            for (i, t) in tables.into_iter().enumerate() {
                let mut v = to_json(&toml::Value::Table(t.clone()));
                let what = format!("[{key}] {i}");
                match key.as_str() {
                    "production" => push(what, v, "open-production"),
                    "person" => {
                        let person = v["id"].clone();
                        let obj = v.as_object_mut().expect("table");
                        let roles = obj.remove("roles");
                        let credentials = obj.remove("credentials");
                        for role in roles.iter().flat_map(|r| r.as_array().cloned()).flatten() {
                            push(
                                format!("{what} role"),
                                json!({ "person": person, "role": role }),
                                "assign-role",
                            );
                        }
                        for mut c in credentials
                            .iter()
                            .flat_map(|c| c.as_array().cloned())
                            .flatten()
                        {
                            c["person"] = person.clone();
                            push(format!("{what} credential"), c, "grant-credential");
                        }
                        push(what, v, "register-person");
                    }
                    "item" => push(what, v, "register-item"),
                    "lot" => push(what, v, "register-lot"),
                    "scene" => push(what, v, "schedule-scene"),
                    "step" => {
                        let obj = v.as_object_mut().expect("table");
                        let word = obj
                            .remove("do")
                            .and_then(|w| w.as_str().map(str::to_owned))
                            .expect("do");
                        for f in ["at", "by", "expect", "rule", "ref", "alarms"] {
                            obj.remove(f);
                        }
                        // A ref names what an earlier step created; the API takes its number.
                        for f in ["incident", "concern", "training"] {
                            if obj.get(f).is_some_and(Value::is_string) {
                                obj.insert(f.to_owned(), json!(1));
                            }
                        }
                        push(format!("{what} ({word})"), v, &word);
                    }
                    other => panic!("{name}: a table [{other}] this test does not know"),
                }
            }
        }
    }
    out
}

fn to_json(v: &toml::Value) -> Value {
    match v {
        toml::Value::String(s) => json!(s),
        toml::Value::Integer(i) => json!(i),
        toml::Value::Float(f) => json!(f),
        toml::Value::Boolean(b) => json!(b),
        toml::Value::Datetime(d) => json!(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.iter().map(to_json).collect()),
        toml::Value::Table(t) => {
            Value::Object(t.iter().map(|(k, v)| (k.clone(), to_json(v))).collect())
        }
    }
}

/// What the API accepts as a command: serde's reading plus the server's own check of the
/// commands without fields (serde-rs/serde#2123 lets unknown fields through on those).
fn serde_accepts(v: &Value) -> Result<(), String> {
    setguard_server::api::commands::parse_command(v.clone())
        .map(drop)
        .map_err(|e| e.message)
}

#[test]
fn the_command_schema_accepts_every_command_of_every_scenario() {
    let doc = document();
    let d = Doc::new(doc);
    let command = json!({ "$ref": "#/components/schemas/Command" });
    let commands = scenario_commands();
    assert!(commands.len() > 500, "{} commands", commands.len());
    let mut words = BTreeSet::new();
    for (what, v) in &commands {
        serde_accepts(v).unwrap_or_else(|e| panic!("{what}: serde refuses {v}: {e}"));
        let faults = d.faults(&command, v);
        assert!(
            faults.is_empty(),
            "{what}: the schema refuses {v}: {faults:?}"
        );
        words.insert(v["do"].as_str().expect("do").to_owned());
    }
    assert!(
        words.len() > 35,
        "{} command words in the scenarios",
        words.len()
    );
}

/// Changes to a command that serde and the schema must judge alike.
fn mutations(v: &Value) -> Vec<(String, Value)> {
    let obj = v.as_object().expect("an object");
    let mut out = vec![
        ("an unknown field".to_owned(), {
            let mut m = v.clone();
            m["zzz"] = json!(1);
            m
        }),
        ("an unknown word".to_owned(), {
            let mut m = v.clone();
            m["do"] = json!("fire-at-will");
            m
        }),
        ("no word".to_owned(), {
            let mut m = obj.clone();
            m.remove("do");
            Value::Object(m)
        }),
    ];
    for (k, field) in obj.iter().filter(|(k, _)| *k != "do") {
        let mut with = |label: &str, value: Value| {
            let mut m = v.clone();
            m[k.as_str()] = value;
            out.push((format!("{k} {label}"), m));
        };
        with("null", Value::Null);
        match field {
            Value::String(_) => {
                with("empty", json!(""));
                with("spaces only", json!("   "));
                with("spaced", json!(" two words "));
                with("65 long", json!("x".repeat(65)));
                with("121 long", json!("y".repeat(121)));
                with("33 long", json!("z".repeat(33)));
                with("a vocabulary word", json!("revolver"));
                with("a date", json!("2025-06-02"));
                with("not a date", json!("2025-13-40"));
                with("a number", json!(6));
            }
            Value::Number(_) => {
                with("negative", json!(-1));
                with("past u32", json!(u64::from(u32::MAX) + 1));
                with("u32::MAX", json!(u32::MAX));
                with("a string", json!("6"));
                with("zero", json!(0));
                with("a fraction", json!(2.5));
            }
            Value::Bool(_) => with("a string", json!("yes")),
            Value::Array(_) => {
                with("empty", json!([]));
                with("not a list", json!("x"));
                with("a bad id", json!(["two words"]));
            }
            _ => {}
        }
        let mut m = obj.clone();
        m.remove(k);
        out.push((format!("without {k}"), Value::Object(m)));
    }
    out
}

#[test]
fn the_command_schema_and_serde_judge_every_mutation_alike() {
    let doc = document();
    let d = Doc::new(doc);
    let command = json!({ "$ref": "#/components/schemas/Command" });
    // One command per word and shape is enough: the rest only repeat them.
    let mut seen = BTreeSet::new();
    let mut checked = 0;
    let mut refused = 0;
    for (what, v) in scenario_commands() {
        let mut shape: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
        shape.push(v["do"].to_string());
        if !seen.insert(shape) {
            continue;
        }
        for (change, m) in mutations(&v) {
            let serde = serde_accepts(&m);
            let schema = d.faults(&command, &m);
            assert_eq!(
                serde.is_ok(),
                schema.is_empty(),
                "{what}, {change}: {m}\n  serde: {serde:?}\n  schema: {schema:?}"
            );
            checked += 1;
            refused += usize::from(serde.is_err());
        }
    }
    assert!(
        checked > 1000 && refused > 500,
        "{checked} checked, {refused} refused"
    );
    // Not an object at all.
    for v in [json!([]), json!("check-out"), json!(null), json!(1)] {
        assert!(serde_accepts(&v).is_err() && !d.valid(&command, &v), "{v}");
    }
}

// ---- real answers against their documented schemas

thread_local! {
    /// Every operation and status [`conforms`] has seen.
    static SEEN: std::cell::RefCell<BTreeSet<String>> = const {
        std::cell::RefCell::new(BTreeSet::new())
    };
}

/// Checks an answer against the schema the document gives for this operation and status (which
/// must be documented).
fn conforms(d: &Doc, method: &str, path: &str, a: &Answer) {
    let op = &d.0["paths"][path][method];
    assert!(op.is_object(), "{method} {path} is not documented");
    let code = a.status.as_u16().to_string();
    SEEN.with(|seen| seen.borrow_mut().insert(format!("{method} {path} {code}")));
    let r = &op["responses"][code.as_str()];
    assert!(
        r.is_object(),
        "{method} {path}: {code} is not documented: {}",
        a.body
    );
    match r["content"]["application/json"]["schema"].clone() {
        Value::Null => assert!(a.body.is_empty(), "{method} {path} {code}: {}", a.body),
        schema => {
            let faults = d.faults(&schema, &a.json());
            assert!(
                faults.is_empty(),
                "{method} {path} {code}: {}\n{faults:#?}",
                a.body
            );
        }
    }
    for (h, _) in r["headers"].as_object().into_iter().flatten() {
        assert!(
            a.headers.contains_key(h.as_str()),
            "{method} {path} {code}: {h}"
        );
    }
}

#[tokio::test]
async fn real_answers_match_the_documented_schemas() {
    let s = server();
    s.demo().await;
    let d = Doc::new(fetch(&s).await);
    let p = |rest: &str| format!("/api/v1/productions/{DEMO}{rest}");

    // Signing in.
    let session = "/api/v1/session";
    let sign_in = |user: &str, password: &str| {
        format!(r#"{{"username":"{user}","password":"{password}","token":true}}"#)
    };
    let a = s
        .send(
            "POST",
            session,
            None,
            Some(&sign_in("rosa", demo_password())),
        )
        .await;
    conforms(&d, "post", session, &a);
    let rosa = a.json()["token"].as_str().expect("token").to_owned();
    for body in [
        sign_in("rosa", "wrong"),
        r#"{"username":"rosa"}"#.to_owned(),
    ] {
        let a = s.send("POST", session, None, Some(&body)).await;
        conforms(&d, "post", session, &a);
    }
    let req = Request::post(session)
        .body(Body::from(sign_in("rosa", demo_password())))
        .expect("request");
    conforms(&d, "post", session, &s.raw(req).await);
    for _ in 0..5 {
        s.send("POST", session, None, Some(&sign_in("ines", "wrong")))
            .await;
    }
    let a = s
        .send("POST", session, None, Some(&sign_in("ines", "wrong")))
        .await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{}", a.body);
    conforms(&d, "post", session, &a);
    for token in [Some(rosa.as_str()), None] {
        conforms(
            &d,
            "get",
            session,
            &s.send("GET", session, token, None).await,
        );
    }

    // Views.
    let list = "/api/v1/productions";
    conforms(&d, "get", list, &s.get(list, &rosa).await);
    let admin = s.admin_token().await;
    conforms(&d, "get", list, &s.get(list, &admin).await);
    let board = "/api/v1/productions/{id}/board";
    conforms(&d, "get", board, &s.get(&p("/board"), &rosa).await);
    let other = "/api/v1/productions/nowhere/board";
    conforms(&d, "get", board, &s.get(other, &rosa).await);
    let item = "/api/v1/productions/{id}/items/{item}";
    for id in ["colt-1", "colt-2", "no-such-item", "not%20an%20id"] {
        conforms(
            &d,
            "get",
            item,
            &s.get(&p(&format!("/items/{id}")), &rosa).await,
        );
    }
    let history = "/api/v1/productions/{id}/items/{item}/history";
    for id in ["colt-1", "no-such-item"] {
        conforms(
            &d,
            "get",
            history,
            &s.get(&p(&format!("/items/{id}/history")), &rosa).await,
        );
    }

    // Commands: recorded, refused, forbidden, malformed, too large, not JSON.
    let commands = "/api/v1/productions/{id}/commands";
    for json in [
        r#"{"do":"check-out","item":"colt-2"}"#,
        r#"{"do":"load","item":"colt-2","lot":"dummies-a","rounds":6}"#,
        r#"{"do":"check-out","item":"colt-2"}"#,
        r#"{"do":"register-person","id":"x","name":"X"}"#,
        r#"{"do":"load","item":"colt-2","rounds":"six"}"#,
        r#"{"do":"open-production","id":"p","name":"P"}"#,
        r#"{"do":"correct","event":99999,"reason":"typo"}"#,
        r#"{"do":"raise-concern","text":"the track crosses the line of fire"}"#,
    ] {
        let a = s.command(DEMO, &rosa, json).await;
        conforms(&d, "post", commands, &a);
    }
    let a = s
        .command(DEMO, &rosa, r#"{"do":"check-out","item":"colt-1"}"#)
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.body);
    let huge = format!(
        r#"{{"do":"raise-concern","text":"{}"}}"#,
        "x".repeat(70_000)
    );
    let a = s.command(DEMO, &rosa, &huge).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
    conforms(&d, "post", commands, &a);
    let req = Request::post(p("/commands"))
        .header(header::AUTHORIZATION, format!("Bearer {rosa}"))
        .body(Body::from(r#"{"do":"wrap"}"#))
        .expect("request");
    let a = s.raw(req).await;
    assert_eq!(a.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    conforms(&d, "post", commands, &a);
    // By cookie without the CSRF header.
    let cookie = s.session("rosa").await;
    let req = Request::post(p("/commands"))
        .header(header::COOKIE, format!("setguard_session={}", cookie.token))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"do":"wrap"}"#))
        .expect("request");
    let a = s.raw(req).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    conforms(&d, "post", commands, &a);

    // Opening a production.
    let open = "/api/v1/productions";
    let body = r#"{"do":"open-production","id":"new-western","name":"A new western",
        "timezone":"America/Denver"}"#;
    for (token, json) in [
        (&rosa, body),
        (&admin, body),
        (&admin, body),
        (&admin, r#"{"do":"wrap"}"#),
        (
            &admin,
            r#"{"do":"open-production","id":"x","name":"X","timezone":"Mars/Olympus"}"#,
        ),
    ] {
        let a = s.send("POST", open, Some(token), Some(json)).await;
        conforms(&d, "post", open, &a);
    }

    // Accounts.
    let link = "/api/v1/productions/{id}/people/{person}/account";
    let pat = s.token("pat").await;
    let hire = r#"{"do":"register-person","id":"new-hire","name":"New Hire"}"#;
    assert_eq!(s.command(DEMO, &pat, hire).await.status, StatusCode::OK);
    for (token, person, json) in [
        (&rosa, "new-hire", r#"{"username":"root"}"#),
        (&pat, "new-hire", r#"{"username":"nobody"}"#),
        (&pat, "nobody", r#"{"username":"root"}"#),
        (&pat, "new-hire", r#"{"user":"root"}"#),
        (&pat, "new-hire", r#"{"username":"root"}"#),
        (&pat, "new-hire", r#"{"username":"lee"}"#),
    ] {
        let a = s
            .send(
                "POST",
                &p(&format!("/people/{person}/account")),
                Some(token),
                Some(json),
            )
            .await;
        conforms(&d, "post", link, &a);
    }

    // Confirmations.
    let confirmations = "/api/v1/productions/{id}/confirmations";
    let confirm = |pin: &str| {
        format!(
            r#"{{"person":"lee","pin":"{pin}","command":{{"do":"confirm-check","item":"colt-3"}}}}"#
        )
    };
    for json in [
        r#"{"do":"check-out","item":"colt-3"}"#,
        r#"{"do":"load","item":"colt-3","lot":"dummies-a","rounds":6}"#,
        r#"{"do":"inspect","item":"colt-3","state":"dummies","rounds":6,"lot":"dummies-a"}"#,
    ] {
        let a = s.command(DEMO, &rosa, json).await;
        assert_eq!(a.status, StatusCode::OK, "{json}: {}", a.body);
    }
    let a = s
        .send(
            "POST",
            "/api/v1/productions/nowhere/confirmations",
            Some(&rosa),
            Some(&confirm("3333")),
        )
        .await;
    conforms(&d, "post", confirmations, &a);
    for body in [
        confirm("3333"),
        // A performer taking a gun out of storage: refused, and recorded as theirs.
        r#"{"person":"lee","pin":"3333","command":{"do":"check-out","item":"colt-2"}}"#.to_owned(),
        confirm("0000"),
        r#"{"person":"lee","pin":"3333","command":{"do":"check-out"}}"#.to_owned(),
        r#"{"person":"lee","pin":"3333"}"#.to_owned(),
    ] {
        let a = s
            .send("POST", &p("/confirmations"), Some(&rosa), Some(&body))
            .await;
        conforms(&d, "post", confirmations, &a);
    }
    for _ in 0..5 {
        s.send(
            "POST",
            &p("/confirmations"),
            Some(&rosa),
            Some(&confirm("0000")),
        )
        .await;
    }
    let a = s
        .send(
            "POST",
            &p("/confirmations"),
            Some(&rosa),
            Some(&confirm("3333")),
        )
        .await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{}", a.body);
    conforms(&d, "post", confirmations, &a);

    // Every operation that needs a session, without one; every body too large, or not JSON.
    for (path, item) in d.0["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            let uri = path
                .replace("{id}", DEMO)
                .replace("{item}", "colt-1")
                .replace("{person}", "new-hire");
            let verb = method.to_uppercase();
            if op["security"] != json!([]) {
                conforms(&d, method, path, &s.send(&verb, &uri, None, None).await);
            }
            if op["requestBody"].is_object() {
                let huge = format!(r#"{{"do":"{}"}}"#, "x".repeat(70_000));
                let a = s.send(&verb, &uri, Some(&pat), Some(&huge)).await;
                assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE, "{verb} {uri}");
                conforms(&d, method, path, &a);
                let req = Request::builder()
                    .method(verb.as_str())
                    .uri(&uri)
                    .header(header::AUTHORIZATION, format!("Bearer {pat}"))
                    .header(header::CONTENT_TYPE, "text/plain")
                    .body(Body::from("{}"))
                    .expect("request");
                let a = s.raw(req).await;
                assert_eq!(a.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{verb} {uri}");
                conforms(&d, method, path, &a);
            }
        }
    }
    conforms(
        &d,
        "get",
        "/api/v1/openapi.json",
        &s.send("GET", "/api/v1/openapi.json", None, None).await,
    );

    // Signing out: by cookie, the CSRF token is needed.
    let req = Request::delete(session)
        .header(header::COOKIE, format!("setguard_session={}", cookie.token))
        .body(Body::empty())
        .expect("request");
    let a = s.raw(req).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    conforms(&d, "delete", session, &a);
    let a = s.send("DELETE", session, Some(&rosa), None).await;
    conforms(&d, "delete", session, &a);
    let a = s.send("DELETE", session, Some(&rosa), None).await;
    conforms(&d, "delete", session, &a);

    // Every documented answer was seen, but those this test cannot provoke.
    let mut documented = BTreeSet::new();
    for (path, item) in d.0["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            for code in op["responses"].as_object().expect("responses").keys() {
                documented.insert(format!("{method} {path} {code}"));
            }
        }
    }
    let seen = SEEN.with(|seen| seen.borrow().clone());
    let unseen: Vec<&String> = documented.difference(&seen).collect();
    // A production too busy to judge a command (it changed on every retry) needs a race.
    let busy = [
        "post /api/v1/productions 503",
        "post /api/v1/productions/{id}/commands 503",
        "post /api/v1/productions/{id}/confirmations 503",
    ];
    assert_eq!(unseen, busy.iter().collect::<Vec<_>>());
}

fn demo_password() -> &'static str {
    setguard_server::demo::PASSWORD
}

#[test]
fn every_example_in_the_document_is_valid() {
    let doc = document();
    let d = Doc::new(doc.clone());
    let mut n = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            for p in op["parameters"].as_array().into_iter().flatten() {
                let faults = d.faults(&p["schema"], &p["example"]);
                assert!(
                    faults.is_empty(),
                    "{method} {path} {}: {faults:?}",
                    p["name"]
                );
                n += 1;
            }
            let media = &op["requestBody"]["content"]["application/json"];
            for (name, e) in media["examples"].as_object().into_iter().flatten() {
                let faults = d.faults(&media["schema"], &e["value"]);
                assert!(faults.is_empty(), "{method} {path} {name}: {faults:?}");
                n += 1;
            }
        }
    }
    assert!(n >= 10, "{n} examples");
    // The timezone a production is opened in is one the server knows, or none.
    let body_of = |path: &str| {
        doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"].clone()
    };
    let open = &body_of("/api/v1/productions");
    for (zone, ok) in [
        ("America/Denver", true),
        ("", true),
        ("Mars/Olympus", false),
    ] {
        let body = json!({ "do": "open-production", "id": "p", "name": "P", "timezone": zone });
        assert_eq!(d.valid(open, &body), ok, "{zone:?}");
    }
    let wrap = json!({ "do": "wrap" });
    assert!(!d.valid(open, &wrap));
    let commands = &body_of("/api/v1/productions/{id}/commands");
    assert!(d.valid(commands, &wrap));
    let opening = json!({ "do": "open-production", "id": "p", "name": "P" });
    assert!(
        !d.valid(commands, &opening),
        "opened with POST /api/v1/productions only"
    );
}
