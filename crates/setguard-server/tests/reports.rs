//! Reports as pages: every kind renders for a member of the production, stamped with the
//! ledger checkpoint it was made from (in words and as a QR code); strangers are sent to sign in.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::server;

#[tokio::test]
async fn every_report_renders_for_a_member_with_its_checkpoint() {
    let s = server();
    s.demo().await;
    let sam = s.session("sam").await;
    for kind in ["daily", "meeting", "incident", "people", "compliance"] {
        let page = s
            .page(&format!("/productions/dusty-creek/reports/{kind}"), &sam)
            .await;
        if kind == "incident" && page.status == StatusCode::NOT_FOUND {
            // The demo's day may have no incident: the page says so.
            assert!(page.body.contains("incident"), "{}", page.body);
            continue;
        }
        assert_eq!(page.status, StatusCode::OK, "{kind}: {}", page.body);
        assert!(
            page.body.contains("setguard-checkpoint:v1:dusty-creek:") && page.body.contains("<svg"),
            "{kind}: {}",
            page.body
        );
    }
    let none = s
        .page("/productions/dusty-creek/reports/weekly", &sam)
        .await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);
    let stranger = s
        .raw(
            Request::get("/productions/dusty-creek/reports/daily")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert!(
        stranger.status.is_redirection(),
        "{}: {}",
        stranger.status,
        stranger.body
    );
}
