//! An item's history, read from the record: its custody, loads, checks and announcements in
//! order, refused attempts flagged, and nothing of other items.

mod common;

use axum::http::StatusCode;
use common::server;

#[tokio::test]
async fn an_item_s_whole_chain_of_custody_as_a_timeline() {
    let s = server();
    s.demo().await;
    let ines = s.token("ines").await;
    // A refused attempt on colt-1 belongs to its history too.
    let a = s
        .command("dusty-creek", &ines, r#"{"do":"pick-up","item":"colt-1"}"#)
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.body);

    let a = s
        .get(
            "/api/v1/productions/dusty-creek/items/colt-1/history",
            &ines,
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let entries = a.json();
    let whats: Vec<&str> = entries
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["what"].as_str().expect("what"))
        .collect();
    // The demo's safe hand-over, in the order it happened, then the refusal.
    let expected = [
        "item registered",
        "checked out",
        "loaded",
        "inspected",
        "check confirmed",
        "second check",
        "announced",
        "handed over",
        "refused",
    ];
    let mut at = 0;
    for want in expected {
        let found = whats[at..]
            .iter()
            .position(|w| w.contains(want))
            .unwrap_or_else(|| panic!("{want:?} not in order in {whats:?}"));
        at += found + 1;
    }
    let last = entries.as_array().and_then(|e| e.last()).expect("an entry");
    assert_eq!(last["flagged"], true);
    assert_eq!(last["by"], "Ines Park (camera)");
    assert!(
        last["detail"]
            .as_str()
            .expect("detail")
            .contains("[handler-hands-over]"),
        "{last}"
    );
    // Nothing about the other revolvers: the demo checks out colt-2 too, but only colt-1's
    // check-out is here.
    assert_eq!(
        whats.iter().filter(|w| **w == "checked out").count(),
        1,
        "{whats:?}"
    );

    let sam = s.session("sam").await;
    let page = s.page("/productions/dusty-creek/items/colt-1", &sam).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("history") && page.body.contains("REFUSED"),
        "{}",
        page.body
    );
    let a = s
        .get(
            "/api/v1/productions/dusty-creek/items/colt-9/history",
            &ines,
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
}
