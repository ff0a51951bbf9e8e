//! The armorer's console as a tablet uses it: plain forms with the session cookie and its CSRF
//! token, the performer's PIN typed on the armorer's tablet, and a refusal shown in the box of the
//! item whose button was pressed, with its rule and sentence.

mod common;

use axum::http::StatusCode;
use common::server;

const CONSOLE: &str = "/productions/dusty-creek/console";

/// The part of the page that is one item's box.
fn item_box<'a>(html: &'a str, item: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"item-{item}\""))
        .unwrap_or_else(|| panic!("no box for {item}"));
    let rest = &html[start..];
    &rest[..rest.find("</section>").unwrap_or(rest.len())]
}

#[tokio::test]
async fn the_safe_hand_over_on_the_console_and_a_refusal_where_it_was_pressed() {
    let s = server();
    s.demo().await;
    let rosa = s.session("rosa").await;
    let page = s.page(CONSOLE, &rosa).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        item_box(&page.body, "colt-3").contains("Check out"),
        "{}",
        page.body
    );
    let csrf = rosa.csrf.clone();
    let press = |fields: Vec<(&'static str, String)>| {
        let mut all = vec![("csrf", csrf.clone())];
        all.extend(fields);
        all
    };
    let steps: Vec<Vec<(&str, String)>> = vec![
        vec![("do", "check-out".into()), ("item", "colt-3".into())],
        vec![
            ("do", "load".into()),
            ("item", "colt-3".into()),
            ("lot", "dummies-a".into()),
            ("rounds", "6".into()),
        ],
        vec![
            ("do", "inspect".into()),
            ("item", "colt-3".into()),
            ("state", "dummies".into()),
            ("rounds", "6".into()),
            ("lot", "dummies-a".into()),
        ],
        vec![
            ("do", "confirm-check".into()),
            ("item", "colt-3".into()),
            ("as_person", "lee".into()),
            ("pin", "3333".into()),
        ],
        vec![
            ("do", "announce".into()),
            ("item", "colt-3".into()),
            ("status", "cold".into()),
        ],
        vec![
            ("do", "hand-over".into()),
            ("item", "colt-3".into()),
            ("to", "lee".into()),
        ],
    ];
    for step in steps {
        let fields = press(step);
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let a = s.form(CONSOLE, &rosa, &refs).await;
        assert_eq!(
            a.status,
            StatusCode::OK,
            "{refs:?}: {}",
            item_box(&a.body, "colt-3")
        );
        assert!(
            item_box(&a.body, "colt-3").contains("notice recorded"),
            "{refs:?}"
        );
    }
    let page = s.page(CONSOLE, &rosa).await;
    let colt3 = item_box(&page.body, "colt-3");
    assert!(colt3.contains("COLD"), "{colt3}");
    assert!(colt3.contains("Back to me"), "{colt3}");

    // Lee hands it back on Rosa's tablet with his PIN; a wrong PIN records nothing.
    let back = |pin: &str| {
        vec![
            ("csrf", rosa.csrf.clone()),
            ("do", "hand-over".to_owned()),
            ("item", "colt-3".to_owned()),
            ("to", "rosa".to_owned()),
            ("as_person", "lee".to_owned()),
            ("pin", pin.to_owned()),
        ]
    };
    let f = back("0000");
    let refs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let a = s.form(CONSOLE, &rosa, &refs).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(
        item_box(&a.body, "colt-3").contains("not lee&#x27;s PIN")
            || item_box(&a.body, "colt-3").contains("not lee's PIN"),
        "{}",
        item_box(&a.body, "colt-3")
    );
    let f = back("3333");
    let refs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let a = s.form(CONSOLE, &rosa, &refs).await;
    assert_eq!(a.status, StatusCode::OK, "{}", item_box(&a.body, "colt-3"));

    // Ines, a camera operator, presses Check out on her phone: refused, in colt-2's box only.
    let ines = s.session("ines").await;
    let a = s
        .form(
            CONSOLE,
            &ines,
            &[
                ("csrf", &ines.csrf),
                ("do", "check-out"),
                ("item", "colt-1"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT);
    let colt1 = item_box(&a.body, "colt-1");
    assert!(colt1.contains("notice refused"), "{colt1}");
    assert!(colt1.contains("[handler-hands-over]"), "{colt1}");
    assert!(!item_box(&a.body, "colt-3").contains("notice"));

    // A form without the session's CSRF token (another site's) is refused, nothing recorded.
    let a = s
        .form(CONSOLE, &rosa, &[("do", "store"), ("item", "colt-3")])
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
    // A bad number names its field, in the item's box.
    let a = s
        .form(
            CONSOLE,
            &rosa,
            &[
                ("csrf", &rosa.csrf),
                ("do", "load"),
                ("item", "colt-3"),
                ("lot", "dummies-a"),
                ("rounds", "six"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(
        item_box(&a.body, "colt-3").contains("rounds:"),
        "{}",
        item_box(&a.body, "colt-3")
    );
}

/// Scanning a label (its QR holds the item's page path) or typing an id or serial finds the
/// item: the console shows only its box; something that names no item says so.
#[tokio::test]
async fn a_scanned_label_or_a_typed_serial_finds_the_item() {
    let s = server();
    s.demo().await;
    let rosa = s.session("rosa").await;
    for find in [
        "/productions/dusty-creek/items/colt-3",
        "http://set.local/productions/dusty-creek/items/colt-3",
        "colt-3",
        "dc-0003",
    ] {
        let uri = format!(
            "{CONSOLE}?find={}",
            find.replace(':', "%3A").replace('/', "%2F")
        );
        let page = s.page(&uri, &rosa).await;
        assert_eq!(page.status, StatusCode::OK, "{find}: {}", page.body);
        assert!(page.body.contains("id=\"item-colt-3\""), "{find}");
        assert!(
            !page.body.contains("id=\"item-colt-1\""),
            "{find}: only the item found"
        );
        assert!(page.body.contains("all items"), "{find}");
    }
    let page = s.page(&format!("{CONSOLE}?find=colt-99"), &rosa).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("no item of this production matches"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("id=\"item-colt-1\""),
        "all items still shown"
    );
}
