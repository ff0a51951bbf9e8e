//! The anonymous concern: a poster with the production's link and QR code for anyone on the
//! crew, a form that needs no account, and a concern recorded that identifies no one.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::server;
use setguard_core::ProductionId;

#[tokio::test]
async fn an_anonymous_concern_through_the_posted_link_identifies_no_one() {
    let s = server();
    s.demo().await;
    let ines = s.session("ines").await;
    let poster = s
        .page("/productions/dusty-creek/concern-poster", &ines)
        .await;
    assert_eq!(poster.status, StatusCode::OK, "{}", poster.body);
    assert!(poster.body.contains("<svg"), "a QR code");
    // The page escapes '/' in text; the link is read back as a person would type it.
    let text = poster.body.replace("&#x2f;", "/");
    let link = text
        .split("http://localhost/concern/")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .map(|t| format!("/concern/{t}"))
        .unwrap_or_else(|| panic!("no link on the poster: {text}"));
    // The same link for everyone, every time: it is what is printed.
    let again = s
        .page(
            "/productions/dusty-creek/concern-poster",
            &s.session("rosa").await,
        )
        .await;
    assert!(
        again.body.replace("&#x2f;", "/").contains(&link),
        "one link per production"
    );

    // A grip's phone, no account, no cookie.
    let req = Request::get(&link).body(Body::empty()).expect("request");
    let form = s.raw(req).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(form.body.contains("Dusty Creek"));
    assert!(!form.headers.contains_key(header::SET_COOKIE));
    assert_eq!(form.headers[header::CACHE_CONTROL], "no-store");

    let id = ProductionId::parse("dusty-creek").expect("id");
    let before = s.productions.view(&id, |_, h| h.seq).await.expect("view");
    let req = Request::post(&link)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        // Even a signed-in browser's cookie is not read: the concern stays anonymous.
        .header(header::COOKIE, format!("setguard_session={}", ines.token))
        .body(Body::from(
            "text=the+revolver+cart+is+left+open+at+lunch&urgent=on",
        ))
        .expect("request");
    let sent = s.raw(req).await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    assert!(sent.body.contains("Recorded as concern #"), "{}", sent.body);
    assert!(sent.body.contains("1 hour"), "urgent: {}", sent.body);
    assert!(!sent.headers.contains_key(header::SET_COOKIE));

    // In the record: the concern, urgent and anonymous, with no one as its sender.
    let (after, raised) = s
        .productions
        .view(&id, |state, h| {
            let c = state.concerns.values().last().cloned();
            (h.seq, c)
        })
        .await
        .expect("view");
    assert_eq!(after, before + 1);
    let raised = raised.expect("a concern");
    let json = serde_json::to_string(&raised).expect("json");
    assert!(json.contains("cart is left open"), "{json}");
    assert!(
        !json.contains("ines"),
        "the sender must not be recorded: {json}"
    );
    let a = s
        .get(
            "/api/v1/productions/dusty-creek/board",
            &s.token("sam").await,
        )
        .await;
    assert!(!a.body.contains("ines\""), "{}", a.body);

    // Nothing written: nothing sent.
    let req = Request::post(&link)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("text=++"))
        .expect("request");
    let empty = s.raw(req).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert!(empty.body.contains("text:"), "{}", empty.body);
    assert_eq!(
        s.productions.view(&id, |_, h| h.seq).await.expect("view"),
        after
    );

    // A guessed link finds nothing; the poster is for the crew only.
    for guess in ["/concern/0000", &format!("/concern/{}", "a".repeat(64))] {
        let req = Request::get(guess).body(Body::empty()).expect("request");
        assert_eq!(s.raw(req).await.status, StatusCode::NOT_FOUND, "{guess}");
    }
    let req = Request::get("/productions/dusty-creek/concern-poster")
        .body(Body::empty())
        .expect("request");
    assert_eq!(s.raw(req).await.status, StatusCode::SEE_OTHER, "to sign in");
}
