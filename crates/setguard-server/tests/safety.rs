//! Incidents, concerns and stop-work on their page: anyone stops work and the console refuses a
//! check-out at once; only the safety supervisor resumes; an incident is reported with the items
//! involved and closed by someone not involved; a concern is answered; each outcome (and each
//! refusal, by its rule) shows in the box of the button pressed.

mod common;

use axum::http::StatusCode;
use common::server;

const SAFETY: &str = "/productions/dusty-creek/safety";

fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no box {id}"));
    let rest = &html[start..];
    &rest[..rest.find("</section>").unwrap_or(rest.len())]
}

#[tokio::test]
async fn stop_work_incidents_and_concerns_from_their_page() {
    let s = server();
    s.demo().await;
    let ines = s.session("ines").await;
    let page = s.page(SAFETY, &ines).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("STOP WORK"));

    // A camera operator stops work.
    let a = s
        .form(
            SAFETY,
            &ines,
            &[
                ("csrf", &ines.csrf),
                ("_box", "stop-work"),
                ("do", "stop-work"),
                ("reason", "smoke by the cart"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(a.body.contains("STOP WORK since"), "the banner");
    assert!(section(&a.body, "stop-work").contains("notice recorded"));

    // The armorer's check-out is refused at once, by the stop.
    let rosa = s.session("rosa").await;
    let a = s
        .form(
            "/productions/dusty-creek/console",
            &rosa,
            &[
                ("csrf", &rosa.csrf),
                ("do", "check-out"),
                ("item", "colt-3"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    assert!(a.body.contains("[stop-work]"), "{}", a.body);

    // The 1st AD may not resume it; the safety supervisor may.
    let sam = s.session("sam").await;
    let resume = |who: &setguard_server::accounts::Session| {
        vec![
            ("csrf".to_owned(), who.csrf.clone()),
            ("_box".to_owned(), "stop-work".to_owned()),
            ("do".to_owned(), "resume-work".to_owned()),
            ("reason".to_owned(), "fire marshal cleared it".to_owned()),
        ]
    };
    let f = resume(&sam);
    let refs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let a = s.form(SAFETY, &sam, &refs).await;
    assert_eq!(
        a.status,
        StatusCode::CONFLICT,
        "{}",
        section(&a.body, "stop-work")
    );
    assert!(section(&a.body, "stop-work").contains("REFUSED [stop-work]"));
    let dana = s.session("dana").await;
    let f = resume(&dana);
    let refs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let a = s.form(SAFETY, &dana, &refs).await;
    assert_eq!(
        a.status,
        StatusCode::OK,
        "{}",
        section(&a.body, "stop-work")
    );
    assert!(!a.body.contains("STOP WORK since"));

    // A misfire reported with the revolver involved: it is quarantined until closed.
    let a = s
        .form(
            SAFETY,
            &rosa,
            &[
                ("csrf", &rosa.csrf),
                ("_box", "new-incident"),
                ("do", "report-incident"),
                ("kind", "misfire"),
                ("items", "colt-1"),
                ("summary", "click, no bang, on take 3"),
            ],
        )
        .await;
    assert_eq!(
        a.status,
        StatusCode::OK,
        "{}",
        section(&a.body, "new-incident")
    );
    let incident = section(&a.body, "incident-1");
    assert!(
        incident.contains("misfire") && incident.contains("colt-1"),
        "{incident}"
    );
    let board = s
        .get(
            "/api/v1/productions/dusty-creek/items/colt-1",
            &s.token("sam").await,
        )
        .await;
    assert_eq!(board.json()["status"], "QUARANTINED", "{}", board.body);
    // The reporter is involved and may not close it; the safety supervisor closes it.
    let close = |who: &setguard_server::accounts::Session| {
        vec![
            ("csrf".to_owned(), who.csrf.clone()),
            ("_box".to_owned(), "incident-1".to_owned()),
            ("do".to_owned(), "close-incident".to_owned()),
            ("incident".to_owned(), "1".to_owned()),
            ("root_cause".to_owned(), "a dud primer".to_owned()),
            ("corrective_action".to_owned(), "lot re-verified".to_owned()),
        ]
    };
    let f = close(&rosa);
    let refs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let a = s.form(SAFETY, &rosa, &refs).await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    assert!(section(&a.body, "incident-1").contains("REFUSED [incident-closed-properly]"));
    let f = close(&dana);
    let refs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let a = s.form(SAFETY, &dana, &refs).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(a.body.contains("No open incident"), "{}", a.body);

    // A named concern, answered by the safety supervisor.
    let a = s
        .form(
            SAFETY,
            &ines,
            &[
                ("csrf", &ines.csrf),
                ("_box", "new-concern"),
                ("do", "raise-concern"),
                ("text", "no shield for camera B"),
                ("urgent", "on"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    let concern = section(&a.body, "concern-1");
    assert!(
        concern.contains("URGENT") && concern.contains("named"),
        "{concern}"
    );
    assert!(
        !concern.contains("Ines"),
        "the page never shows who raised it: {concern}"
    );
    let a = s
        .form(
            SAFETY,
            &dana,
            &[
                ("csrf", &dana.csrf),
                ("_box", "concern-1"),
                ("do", "respond-concern"),
                ("concern", "1"),
                ("response", "shield on the truck, rigged by 14:00"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(a.body.contains("No unanswered concern"));
}
