//! The JSON API end to end through the router, over a real SQLite ledger and account store:
//! commands judged as replay judges them, refusals as 409 with their rules, who may give what
//! (every command, every role, another production's ids), PIN confirmation, sign-in by cookie
//! with CSRF, and every kind of bad input answered with a 4xx that says what was wrong, with
//! nothing recorded.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{Server, server};
use setguard_core::{Command, ProductionId};
use setguard_server::demo;

const DEMO: &str = "dusty-creek";

async fn head(s: &Server, production: &str) -> u64 {
    let id = ProductionId::parse(production).expect("id");
    s.productions.view(&id, |_, h| h.seq).await.expect("view")
}

#[tokio::test]
async fn the_safe_hand_over_through_the_api_with_the_performer_s_pin() {
    let s = server();
    s.demo().await;
    let rosa = s.token("rosa").await;
    for json in [
        r#"{"do":"check-out","item":"colt-3"}"#,
        r#"{"do":"load","item":"colt-3","lot":"dummies-a","rounds":6}"#,
        r#"{"do":"inspect","item":"colt-3","state":"dummies","rounds":6,"lot":"dummies-a"}"#,
    ] {
        let a = s.command(DEMO, &rosa, json).await;
        assert_eq!(a.status, StatusCode::OK, "{json}: {}", a.body);
        assert_eq!(a.json()["outcome"], "recorded");
    }
    // Lee confirms on Rosa's tablet with his PIN: recorded as Lee's.
    let confirm = |pin: &str| {
        format!(
            r#"{{"person":"lee","pin":"{pin}","command":{{"do":"confirm-check","item":"colt-3"}}}}"#
        )
    };
    let uri = format!("/api/v1/productions/{DEMO}/confirmations");
    let before = head(&s, DEMO).await;
    let a = s
        .send("POST", &uri, Some(&rosa), Some(&confirm("9999")))
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
    assert!(a.body.contains("not lee's PIN"), "{}", a.body);
    assert_eq!(head(&s, DEMO).await, before, "a wrong PIN records nothing");
    let a = s
        .send("POST", &uri, Some(&rosa), Some(&confirm("3333")))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let recorded = a.json()["recorded"].clone();
    let last = recorded
        .as_array()
        .and_then(|r| r.last())
        .expect("an event");
    assert_eq!(last["event"]["by"], "lee", "{recorded}");

    for json in [
        r#"{"do":"announce","item":"colt-3","status":"cold"}"#,
        r#"{"do":"hand-over","item":"colt-3","to":"lee"}"#,
    ] {
        let a = s.command(DEMO, &rosa, json).await;
        assert_eq!(a.status, StatusCode::OK, "{json}: {}", a.body);
    }
    let item = s
        .get(&format!("/api/v1/productions/{DEMO}/items/colt-3"), &rosa)
        .await;
    assert_eq!(item.status, StatusCode::OK, "{}", item.body);
    assert_eq!(item.json()["status"], "COLD", "{}", item.body);
    let a = s
        .get(
            &format!("/api/v1/productions/{DEMO}/items/no-such-gun"),
            &rosa,
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_refusal_is_409_with_its_rules_and_is_itself_recorded() {
    let s = server();
    s.demo().await;
    let ines = s.token("ines").await;
    let before = head(&s, DEMO).await;
    let a = s
        .command(DEMO, &ines, r#"{"do":"check-out","item":"colt-3"}"#)
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.body);
    let body = a.json();
    assert_eq!(body["outcome"], "refused");
    let rules: Vec<&str> = body["refused"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| r["rule"].as_str().expect("rule"))
        .collect();
    assert!(rules.contains(&"handler-hands-over"), "{body}");
    assert!(
        body["refused"][0]["sentence"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
    // The refused attempt is evidence: one `refused` event, by Ines.
    assert_eq!(head(&s, DEMO).await, before + 1);
    let ev = &body["recorded"][0]["event"];
    assert_eq!(
        (ev["type"].as_str(), ev["by"].as_str()),
        (Some("refused"), Some("ines")),
        "{body}"
    );
}

#[tokio::test]
async fn bad_input_is_a_4xx_that_says_what_was_wrong_and_records_nothing() {
    let s = server();
    s.demo().await;
    let rosa = s.token("rosa").await;
    let before = head(&s, DEMO).await;
    let uri = format!("/api/v1/productions/{DEMO}/commands");
    let cases: &[(&str, StatusCode, &str)] = &[
        ("{not json", StatusCode::BAD_REQUEST, "not JSON"),
        (
            r#"{"do":"load","lot":"dummies-a","rounds":6}"#,
            StatusCode::BAD_REQUEST,
            "item",
        ),
        (
            r#"{"do":"load","item":"colt-3","lot":"dummies-a","rounds":"six"}"#,
            StatusCode::BAD_REQUEST,
            "rounds",
        ),
        (
            r#"{"do":"fire-at-will"}"#,
            StatusCode::BAD_REQUEST,
            "fire-at-will",
        ),
        (
            r#"{"do":"resume","id":"x"}"#,
            StatusCode::BAD_REQUEST,
            "id: unknown field",
        ),
        (
            r#"{"do":"correct","event":999,"reason":"typo"}"#,
            StatusCode::NOT_FOUND,
            "999",
        ),
        (
            r#"{"do":"open-production","id":"x","name":"X"}"#,
            StatusCode::BAD_REQUEST,
            "POST /api/v1/productions",
        ),
    ];
    for (body, status, says) in cases {
        let a = s.send("POST", &uri, Some(&rosa), Some(body)).await;
        assert_eq!(a.status, *status, "{body}: {}", a.body);
        let err = a.json()["error"].as_str().expect("an error").to_owned();
        assert!(err.contains(says), "{body}: {err:?} should say {says:?}");
    }
    // Too large: 413, before anything is judged.
    let big = format!(
        r#"{{"do":"raise-concern","text":"{}"}}"#,
        "x".repeat(70 * 1024)
    );
    let a = s.send("POST", &uri, Some(&rosa), Some(&big)).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", a.body);
    // Not JSON at all.
    let req = Request::post(&uri)
        .header(header::AUTHORIZATION, format!("Bearer {rosa}"))
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from(r#"{"do":"start-day"}"#))
        .expect("request");
    let a = s.raw(req).await;
    assert_eq!(a.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", a.body);
    assert!(a.body.contains("application/json"), "{}", a.body);
    assert_eq!(
        head(&s, DEMO).await,
        before,
        "nothing of any of them recorded"
    );
    // An unknown API path is a JSON 404.
    let a = s.get("/api/v1/nothing-here", &rosa).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(a.json()["error"].is_string());
}

#[tokio::test]
async fn another_production_is_invisible_and_untouchable() {
    let s = server();
    s.demo().await;
    let admin = s.admin_token().await;
    // A second production, with its own producer.
    let a = s
        .send(
            "POST",
            "/api/v1/productions",
            Some(&admin),
            Some(r#"{"do":"open-production","id":"night-train","name":"Night Train","timezone":"Europe/London"}"#),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    // Only an administrator opens one.
    let pat = s.token("pat").await;
    let a = s
        .send(
            "POST",
            "/api/v1/productions",
            Some(&pat),
            Some(r#"{"do":"open-production","id":"mine","name":"Mine"}"#),
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);

    let rosa = s.token("rosa").await;
    let nowhere = s.get("/api/v1/productions/no-such-show/board", &rosa).await;
    for (method, uri, body) in [
        ("GET", "/api/v1/productions/night-train/board", None),
        ("GET", "/api/v1/productions/night-train/items/colt-1", None),
        (
            "POST",
            "/api/v1/productions/night-train/commands",
            Some(r#"{"do":"start-day"}"#),
        ),
        (
            "POST",
            "/api/v1/productions/night-train/commands",
            Some("not even json"),
        ),
        (
            "POST",
            "/api/v1/productions/night-train/confirmations",
            Some(r#"{"person":"x","pin":"1234","command":{"do":"start-day"}}"#),
        ),
        ("GET", "/productions/night-train/board", None),
        ("GET", "/productions/night-train/board/events", None),
    ] {
        let a = s.send(method, uri, Some(&rosa), body).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{uri}: {}", a.body);
        if uri.starts_with("/api") {
            // Word for word what a production that does not exist answers.
            assert_eq!(
                a.json()["error"]
                    .as_str()
                    .map(|e| e.replace("night-train", "X")),
                nowhere.json()["error"]
                    .as_str()
                    .map(|e| e.replace("no-such-show", "X")),
            );
        }
    }
    let list = s.get("/api/v1/productions", &rosa).await.json();
    let ids: Vec<&str> = list
        .as_array()
        .expect("list")
        .iter()
        .map(|p| p["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["dusty-creek"]);
    let all = s.get("/api/v1/productions", &admin).await.json();
    assert_eq!(all.as_array().map(Vec::len), Some(2), "{all}");
}

#[tokio::test]
async fn a_browser_signs_in_with_a_strict_cookie_and_changes_need_the_csrf_token() {
    let s = server();
    s.demo().await;
    let sign_in = |proto: Option<&str>| {
        let mut r =
            Request::post("/api/v1/session").header(header::CONTENT_TYPE, "application/json");
        if let Some(p) = proto {
            r = r.header("x-forwarded-proto", p);
        }
        r.body(Body::from(format!(
            r#"{{"username":"rosa","password":"{}"}}"#,
            demo::PASSWORD
        )))
        .expect("request")
    };
    let a = s.raw(sign_in(None)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let cookie = a.headers[header::SET_COOKIE]
        .to_str()
        .expect("cookie")
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain HTTP on a test: {cookie}");
    let body = a.json();
    assert!(
        body.get("token").is_none(),
        "the body shows no token unless asked: {body}"
    );
    let csrf = body["csrf"].as_str().expect("csrf").to_owned();
    let session = cookie.split(';').next().expect("pair").to_owned();
    let behind_tls = s.raw(sign_in(Some("https"))).await;
    assert!(
        behind_tls.headers[header::SET_COOKIE]
            .to_str()
            .expect("cookie")
            .contains("; Secure")
    );

    let post = |csrf: Option<&str>| {
        let mut r = Request::post(format!("/api/v1/productions/{DEMO}/commands"))
            .header(header::COOKIE, &session)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(c) = csrf {
            r = r.header("x-csrf-token", c);
        }
        r.body(Body::from(r#"{"do":"store","item":"colt-2"}"#))
            .expect("request")
    };
    let before = head(&s, DEMO).await;
    let a = s.raw(post(None)).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
    assert!(a.body.contains("CSRF"), "{}", a.body);
    let a = s.raw(post(Some("0000"))).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
    assert_eq!(head(&s, DEMO).await, before);
    let a = s.raw(post(Some(&csrf))).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    // Reading needs no token.
    let req = Request::get("/api/v1/session")
        .header(header::COOKIE, &session)
        .body(Body::empty())
        .expect("request");
    assert_eq!(s.raw(req).await.json()["username"], "rosa");
    // Signing out ends the session everywhere.
    let req = Request::delete("/api/v1/session")
        .header(header::COOKIE, &session)
        .header("x-csrf-token", &csrf)
        .body(Body::empty())
        .expect("request");
    assert_eq!(s.raw(req).await.status, StatusCode::NO_CONTENT);
    let req = Request::get("/api/v1/session")
        .header(header::COOKIE, &session)
        .body(Body::empty())
        .expect("request");
    assert_eq!(s.raw(req).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn failed_sign_ins_and_wrong_pins_lock_for_a_while() {
    let s = server();
    s.demo().await;
    let try_sign_in = |password: &str| {
        Request::post("/api/v1/session")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(format!(
                r#"{{"username":"sam","password":"{password}"}}"#
            )))
            .expect("request")
    };
    for _ in 0..4 {
        let a = s.raw(try_sign_in("not-the-password")).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{}", a.body);
    }
    // The fifth wrong one locks it; then even the right password waits.
    let a = s.raw(try_sign_in("not-the-password")).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{}", a.body);
    let a = s.raw(try_sign_in(demo::PASSWORD)).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{}", a.body);
    assert!(a.headers.contains_key(header::RETRY_AFTER));
    assert!(a.body.contains("locked"), "{}", a.body);
    // An unknown user reads exactly like a wrong password.
    let req = Request::post("/api/v1/session")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            r#"{"username":"nobody","password":"whatever-it-is"}"#,
        ))
        .expect("request");
    let a = s.raw(req).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert!(a.body.contains("do not match"), "{}", a.body);

    let rosa = s.token("rosa").await;
    let uri = format!("/api/v1/productions/{DEMO}/confirmations");
    let body = |pin: &str| {
        format!(
            r#"{{"person":"lee","pin":"{pin}","command":{{"do":"confirm-check","item":"colt-2"}}}}"#
        )
    };
    for _ in 0..4 {
        let a = s.send("POST", &uri, Some(&rosa), Some(&body("0000"))).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
    }
    let a = s.send("POST", &uri, Some(&rosa), Some(&body("0000"))).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{}", a.body);
    let a = s.send("POST", &uri, Some(&rosa), Some(&body("3333"))).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{}", a.body);
    assert!(a.body.contains("lee's PIN is locked"), "{}", a.body);
}

/// Who may give each command, written out from the authority table's documentation (not read
/// from it): the production office's commands by role; everything on set by anyone on the crew
/// list (the catalogue's rules then judge, and refuse on the record); `advance` by no one.
fn allowed(word: &str) -> &'static [&'static str] {
    const EVERYONE: &[&str] = &[
        "armorer",
        "assistant-armorer",
        "property-master",
        "first-ad",
        "safety-supervisor",
        "producer",
        "performer",
        "crew",
        "medic",
    ];
    match word {
        "register-person" | "assign-role" | "name-compliance-contact" | "assign-duty" => {
            &["producer"]
        }
        "grant-credential" => &["producer", "safety-supervisor"],
        "register-item" | "register-lot" => &[
            "producer",
            "armorer",
            "assistant-armorer",
            "property-master",
        ],
        "schedule-scene" | "change-scene" | "start-day" | "wrap" => &["producer", "first-ad"],
        "line-of-fire-plan" => &[
            "producer",
            "first-ad",
            "safety-supervisor",
            "armorer",
            "assistant-armorer",
            "property-master",
        ],
        "advance" => &[],
        _ => EVERYONE,
    }
}

/// One well-formed example of every command, naming what the demo production has.
const EXAMPLES: &[&str] = &[
    r#"{"do":"register-person","id":"extra","name":"An Extra"}"#,
    r#"{"do":"assign-role","person":"ines","role":"crew"}"#,
    r#"{"do":"grant-credential","person":"ines","kind":"csatf-s2","expires":"2030-01-01"}"#,
    r#"{"do":"acknowledge-red-flag","person":"ines","reason":"reviewed"}"#,
    r#"{"do":"name-compliance-contact","person":"sam"}"#,
    r#"{"do":"assign-duty","person":"ines","duty":"focus puller"}"#,
    r#"{"do":"register-item","id":"rubber-1","kind":"rubber","class":"pistol"}"#,
    r#"{"do":"register-lot","id":"lot-x","ammo":"dummy","calibre":".45 Colt","rounds":10}"#,
    r#"{"do":"schedule-scene","id":"later","date":"2030-01-01"}"#,
    r#"{"do":"change-scene","scene":"saloon-standoff","blank_rounds":0}"#,
    r#"{"do":"verify-lot","lot":"dummies-a","counted":44}"#,
    r#"{"do":"plan-training","performer":"lee","class":"revolver"}"#,
    r#"{"do":"cancel-training","training":1,"reason":"rescheduled"}"#,
    r#"{"do":"record-training","performer":"lee","class":"revolver"}"#,
    r#"{"do":"approve-exception","kind":"replica-rehearsal","scene":"saloon-standoff","reason":"blocking"}"#,
    r#"{"do":"line-of-fire-plan","scene":"saloon-standoff","shields":true,"min_distance_ft":20}"#,
    r#"{"do":"start-day"}"#,
    r#"{"do":"wrap"}"#,
    r#"{"do":"safety-meeting","scenes":["saloon-standoff"],"attendees":["lee"]}"#,
    r#"{"do":"brief","person":"lee","scene":"saloon-standoff"}"#,
    r#"{"do":"call-scene","scene":"saloon-standoff"}"#,
    r#"{"do":"cut","scene":"saloon-standoff"}"#,
    r#"{"do":"check-out","item":"colt-3"}"#,
    r#"{"do":"store","item":"colt-3"}"#,
    r#"{"do":"load","item":"colt-3","lot":"dummies-a","rounds":1}"#,
    r#"{"do":"unload","item":"colt-3"}"#,
    r#"{"do":"inspect","item":"colt-3","state":"empty"}"#,
    r#"{"do":"confirm-check","item":"colt-3"}"#,
    r#"{"do":"second-check","item":"colt-3"}"#,
    r#"{"do":"hand-over","item":"colt-3","to":"lee"}"#,
    r#"{"do":"set-down","item":"colt-3","place":"the cart"}"#,
    r#"{"do":"pick-up","item":"colt-3"}"#,
    r#"{"do":"announce","item":"colt-3","status":"cold"}"#,
    r#"{"do":"break","kind":"lunch"}"#,
    r#"{"do":"resume"}"#,
    r#"{"do":"discharge","item":"colt-3","intended":true}"#,
    r#"{"do":"report-incident","kind":"near-miss","summary":"a ladder fell"}"#,
    r#"{"do":"close-incident","incident":1,"root_cause":"r","corrective_action":"c"}"#,
    r#"{"do":"raise-concern","text":"the cart is left open"}"#,
    r#"{"do":"respond-concern","concern":1,"response":"locked now"}"#,
    r#"{"do":"resign","reason":"unsafe"}"#,
    r#"{"do":"walkout","people":["ines"],"reason":"unsafe"}"#,
    r#"{"do":"stop-work","reason":"smoke"}"#,
    r#"{"do":"resume-work","reason":"cleared"}"#,
    r#"{"do":"correct","event":3,"reason":"wrong serial"}"#,
    r#"{"do":"advance"}"#,
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_authorization_matrix_every_command_every_role() {
    let s = server();
    s.demo().await;
    // Every command word has an example (open-production has its own path, tested above).
    for word in setguard_core::command::COMMAND_WORDS {
        if *word == "open-production" {
            continue;
        }
        assert!(
            EXAMPLES
                .iter()
                .any(|e| e.contains(&format!(r#""do":"{word}""#))),
            "no example of {word}"
        );
    }
    for e in EXAMPLES {
        serde_json::from_str::<Command>(e).unwrap_or_else(|err| panic!("{e}: {err}"));
    }
    // One person and account per role on the demo production, holding that role only.
    let admin = s.admin_token().await;
    let roles = allowed("anything-on-set");
    let mut tokens = Vec::new();
    for role in roles {
        let id = format!("only-{role}");
        let mut setup = vec![format!(
            r#"{{"do":"register-person","id":"{id}","name":"{role}"}}"#
        )];
        if matches!(*role, "armorer" | "assistant-armorer" | "property-master") {
            setup.push(format!(
                r#"{{"do":"grant-credential","person":"{id}","kind":"handler","expires":"2099-01-01"}}"#
            ));
        }
        setup.push(format!(
            r#"{{"do":"assign-role","person":"{id}","role":"{role}"}}"#
        ));
        for json in setup {
            let a = s.command(DEMO, &admin, &json).await;
            assert_eq!(a.status, StatusCode::OK, "{json}: {}", a.body);
        }
        let (accounts, user) = (s.accounts.clone(), id.clone());
        tokio::task::spawn_blocking(move || {
            accounts
                .add(&user, demo::PASSWORD, "1234", false)
                .expect("account");
            accounts.link(&user, DEMO, &user).expect("link");
        })
        .await
        .expect("task");
        tokens.push((*role, s.token(&id).await));
    }
    // Someone with an account on no production, and an administrator not on the crew.
    let (accounts, user) = (s.accounts.clone(), "outsider".to_owned());
    tokio::task::spawn_blocking(move || {
        accounts
            .add(&user, demo::PASSWORD, "1234", false)
            .expect("account")
    })
    .await
    .expect("task");
    let outsider = s.token("outsider").await;

    let mut checked = 0;
    for example in EXAMPLES {
        let word = example.split('"').nth(3).expect("the command word");
        for (role, token) in &tokens {
            let before = head(&s, DEMO).await;
            let a = s.command(DEMO, token, example).await;
            let may = allowed(word).contains(role);
            if may {
                assert!(
                    a.status != StatusCode::FORBIDDEN && !a.status.is_server_error(),
                    "{role} may give {word}, got {}: {}",
                    a.status,
                    a.body
                );
            } else {
                assert_eq!(
                    a.status,
                    StatusCode::FORBIDDEN,
                    "{role} may not give {word}: {}",
                    a.body
                );
                assert_eq!(
                    head(&s, DEMO).await,
                    before,
                    "a forbidden {word} recorded something"
                );
            }
            checked += 1;
        }
        // Not on the production: as if it did not exist.
        let a = s.command(DEMO, &outsider, example).await;
        assert_eq!(
            a.status,
            StatusCode::NOT_FOUND,
            "outsider {word}: {}",
            a.body
        );
        // An administrator sets up but does not act on set.
        let a = s.command(DEMO, &admin, example).await;
        let office = allowed(word).len() < roles.len() && !allowed(word).is_empty();
        if office {
            assert_ne!(a.status, StatusCode::FORBIDDEN, "admin {word}: {}", a.body);
        } else {
            assert_eq!(a.status, StatusCode::FORBIDDEN, "admin {word}: {}", a.body);
        }
    }
    assert_eq!(checked, EXAMPLES.len() * roles.len());
}
