//! The producer's and studio's dashboard: the risk of each production they answer for, from the
//! record, riskiest first; nothing for someone who does not answer for a production.

mod common;

use axum::http::StatusCode;
use common::server;

#[tokio::test]
async fn the_producer_sees_the_risk_at_a_glance() {
    let s = server();
    s.demo().await;
    let pat = s.session("pat").await;
    let calm = s.page("/dashboard", &pat).await;
    assert_eq!(calm.status, StatusCode::OK, "{}", calm.body);
    assert!(calm.body.contains("Dusty Creek (demo)"), "{}", calm.body);
    assert!(
        calm.body.contains("CALM"),
        "nothing open yet: {}",
        calm.body
    );
    assert!(calm.body.contains("<svg"), "the chart");

    // A grip's refused pick-up and a stop-work: the dashboard says so, by rule.
    let ines = s.token("ines").await;
    for json in [
        r#"{"do":"pick-up","item":"colt-1"}"#,
        r#"{"do":"stop-work","reason":"smoke"}"#,
    ] {
        let a = s.command("dusty-creek", &ines, json).await;
        assert!(
            a.status == StatusCode::OK || a.status == StatusCode::CONFLICT,
            "{}",
            a.body
        );
    }
    let high = s.page("/dashboard", &pat).await;
    assert!(high.body.contains("HIGH"), "{}", high.body);
    assert!(high.body.contains("STOP WORK: smoke"));
    assert!(
        high.body.contains("<code>handler-hands-over</code>"),
        "{}",
        high.body
    );
    // Today's bar for refused attempts has a height (a title names the count).
    assert!(high.body.contains(": 1 refused</title>"), "{}", high.body);

    // A camera operator answers for no production.
    let mine = s.page("/dashboard", &s.session("ines").await).await;
    assert_eq!(mine.status, StatusCode::OK);
    assert!(!mine.body.contains("Dusty Creek"), "{}", mine.body);
    assert!(mine.body.contains("No production you answer for"));
}
