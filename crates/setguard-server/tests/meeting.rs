//! The safety meeting page: the scenes of the day and who is not covered yet, attendance by
//! PIN (a wrong one records nothing and says whose), and a late briefing confirmed by the PIN
//! of the person briefed.

mod common;

use axum::http::StatusCode;
use common::server;
use setguard_core::ProductionId;

const MEETING: &str = "/productions/dusty-creek/meeting";

fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no box {id}"));
    let rest = &html[start..];
    &rest[..rest.find("</section>").unwrap_or(rest.len())]
}

#[tokio::test]
async fn attendance_by_pin_and_a_late_briefing() {
    let s = server();
    s.demo().await;
    let sam = s.session("sam").await;
    let id = ProductionId::parse("dusty-creek").expect("id");
    let today = s
        .productions
        .view(&id, |st, _| {
            st.shooting_day(setguard_server::clock::now_for(st))
                .to_string()
        })
        .await
        .expect("view");
    let a = s
        .command(
            "dusty-creek",
            &sam.token,
            &format!(
                r#"{{"do":"schedule-scene","id":"barn","date":"{today}","items":["colt-3"],"performers":["lee"],"roster":["lee","ines","dana"]}}"#
            ),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let page = s.page(MEETING, &sam).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let barn = section(&page.body, "scene-barn");
    assert!(barn.contains("NO MEETING YET"), "{barn}");
    assert!(
        barn.contains("Not covered yet") && barn.contains("Lee Marsh"),
        "{barn}"
    );

    let before = s.productions.view(&id, |_, h| h.seq).await.expect("view");
    let hold = |ines_pin: &'static str| {
        vec![
            ("csrf", sam.csrf.clone()),
            ("_box", "meeting".to_owned()),
            ("do", "safety-meeting".to_owned()),
            ("scenes", "barn".to_owned()),
            ("pin_lee", "3333".to_owned()),
            ("pin_ines", ines_pin.to_owned()),
            ("pin_dana", String::new()),
        ]
    };
    let f = hold("0000");
    let refs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let a = s.form(MEETING, &sam, &refs).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let notice = section(&a.body, "meeting");
    assert!(
        notice.contains("ines: wrong PIN") && notice.contains("nothing was recorded"),
        "{notice}"
    );
    assert_eq!(
        s.productions.view(&id, |_, h| h.seq).await.expect("view"),
        before
    );

    let f = hold("4444");
    let refs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let a = s.form(MEETING, &sam, &refs).await;
    assert_eq!(a.status, StatusCode::OK, "{}", section(&a.body, "meeting"));
    let barn = section(&a.body, "scene-barn");
    assert!(
        barn.contains("meeting held") && barn.contains("Present: "),
        "{barn}"
    );
    assert!(barn.contains("Not covered yet: Dana Cruz"), "{barn}");

    // Dana arrives late and is briefed; her PIN confirms it.
    let a = s
        .form(
            MEETING,
            &sam,
            &[
                ("csrf", &sam.csrf),
                ("_box", "brief"),
                ("do", "brief"),
                ("scene", "barn"),
                ("person", "dana"),
                ("brief_pin", "5555"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", section(&a.body, "brief"));
    let barn = section(&a.body, "scene-barn");
    assert!(barn.contains("Briefed late: Dana Cruz"), "{barn}");
    assert!(!barn.contains("Not covered yet"), "{barn}");
}
