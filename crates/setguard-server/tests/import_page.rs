//! The import page: a producer checks and imports the crew list or the schedule from a CSV file
//! into the demo production, all or nothing; every problem is shown by line and column; who may
//! import is the office's roles; a stranger sees no page; a forged form is refused.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{Answer, Server, server};
use setguard_core::ProductionId;
use setguard_server::accounts::Session;
use setguard_server::demo;

const URI: &str = "/productions/dusty-creek/import";
const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/examples/imports");

fn example(name: &str) -> Vec<u8> {
    std::fs::read(format!("{EXAMPLES}/{name}")).expect("an example file")
}

fn dusty() -> ProductionId {
    ProductionId::parse(demo::DEMO).expect("id")
}

/// The demo's head seq and how many signed checkpoints (commits) it has.
async fn head(s: &Server) -> (u64, usize) {
    let seq = s
        .productions
        .view(&dusty(), |_, h| h.seq)
        .await
        .expect("view");
    let commits = s
        .productions
        .checkpoints(&dusty())
        .await
        .expect("checkpoints");
    (seq, commits.len())
}

/// Posts the page's own form: `multipart/form-data` with the file, as a browser sends it.
async fn upload(
    s: &Server,
    session: &Session,
    fields: &[(&str, &str)],
    file: Option<&[u8]>,
) -> Answer {
    const B: &str = "----setguard-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{B}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    if let Some(bytes) = file {
        body.extend_from_slice(
            format!(
                "--{B}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"crew.csv\"\r\n\
                 Content-Type: text/csv\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{B}--\r\n").as_bytes());
    let req = Request::post(URI)
        .header(
            header::COOKIE,
            format!("setguard_session={}", session.token),
        )
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={B}"),
        )
        .body(Body::from(body))
        .expect("request");
    s.raw(req).await
}

/// Makes an account on no production.
async fn stranger(s: &Server) -> Session {
    let a = s.accounts.clone();
    tokio::task::spawn_blocking(move || a.add("vic", demo::PASSWORD, "7777", false))
        .await
        .expect("task")
        .expect("account");
    s.session("vic").await
}

#[tokio::test]
async fn a_producer_checks_the_crew_list_then_imports_it_in_one_append() {
    let s = server();
    s.demo().await;
    let pat = s.session("pat").await;

    let page = s.page(URI, &pat).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("enctype=\"multipart/form-data\""));
    assert!(page.body.contains("type=\"file\""));
    assert!(page.body.contains(&format!("value=\"{}\"", pat.csrf)));
    // The producer finds it from the dashboard and the board.
    let dash = s.page("/dashboard", &pat).await;
    assert!(
        dash.body
            .contains("href=\"/productions/dusty-creek/import\"")
    );
    let board = s.page("/productions/dusty-creek/board", &pat).await;
    assert!(
        board
            .body
            .contains("href=\"/productions/dusty-creek/import\"")
    );

    let crew = example("crew.csv");
    let before = head(&s).await;
    let check = upload(
        &s,
        &pat,
        &[("csrf", &pat.csrf), ("kind", "crew"), ("action", "check")],
        Some(&crew),
    )
    .await;
    assert_eq!(check.status, StatusCode::OK, "{}", check.body);
    assert!(check.body.contains("Check passed"), "{}", check.body);
    assert!(check.body.contains("Nothing was saved"), "{}", check.body);
    // Each command that would be recorded, with its line.
    assert!(
        check
            .body
            .contains("Line 3</span> would register person ben (Ben Actor)"),
        "{}",
        check.body
    );
    assert!(
        check
            .body
            .contains("Line 3</span> would give ben the role performer")
    );
    assert!(
        check
            .body
            .contains("Line 4</span> would register person cj")
    );
    // The demo's Rosa keeps her name; the file's is only reported.
    assert!(check.body.contains("Line 2</span> unchanged: person rosa"));
    assert_eq!(head(&s).await, before, "a check records nothing");
    // The file's text is kept in the box, so Import needs no second pick.
    assert!(
        check.body.contains("ben,Ben Actor,performer"),
        "{}",
        check.body
    );

    // Import from the box (the text put back by the check), form-encoded.
    let text = String::from_utf8(crew).expect("utf-8");
    let done = s
        .form(
            URI,
            &pat,
            &[
                ("csrf", &pat.csrf),
                ("kind", "crew"),
                ("action", "import"),
                ("text", &text),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("Imported: "), "{}", done.body);
    assert!(
        done.body
            .contains("href=\"/productions/dusty-creek/board\">Open the set board"),
        "{}",
        done.body
    );
    let after = head(&s).await;
    assert!(after.0 > before.0, "{before:?} -> {after:?}");
    assert_eq!(after.1, before.1 + 1, "one commit, one signed checkpoint");
    let records = after.0 - before.0;
    assert!(
        done.body
            .contains(&format!(" as {records} records in one commit")),
        "{records}: {}",
        done.body
    );
    let (ben, sam_safety) = s
        .productions
        .view(&dusty(), |st, _| {
            let ben = st
                .person(&setguard_core::PersonId::parse("ben").expect("id"))
                .map(|p| p.has(setguard_core::Role::Performer));
            let sam = st.has_role(
                &setguard_core::PersonId::parse("sam").expect("id"),
                setguard_core::Role::SafetySupervisor,
            );
            (ben, sam)
        })
        .await
        .expect("view");
    assert_eq!(ben, Some(true));
    assert!(sam_safety);

    // The same file again: nothing to import, nothing recorded.
    let again = upload(
        &s,
        &pat,
        &[("csrf", &pat.csrf), ("kind", "crew"), ("action", "import")],
        Some(text.as_bytes()),
    )
    .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert!(again.body.contains("Nothing to import"), "{}", again.body);
    assert_eq!(head(&s).await, after);
}

#[tokio::test]
async fn the_first_ad_imports_the_schedule_in_either_layout() {
    let s = server();
    s.demo().await;
    let sam = s.session("sam").await;
    let ours = "id,date,kind,items,performers,roster,blank_rounds,points_toward_people\n\
                corral,2029-06-01,rehearsal,colt-2,lee,lee sam rosa,0,false\n\
                church,2029-06-02,take,colt-3,lee,lee sam rosa ines,,\n";
    let before = head(&s).await;
    let done = upload(
        &s,
        &sam,
        &[
            ("csrf", &sam.csrf),
            ("kind", "schedule"),
            ("action", "import"),
        ],
        Some(ours.as_bytes()),
    )
    .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("Imported: 2 commands"), "{}", done.body);
    assert!(
        done.body
            .contains("Line 3</span> schedule scene church on 2029-06-02"),
        "{}",
        done.body
    );
    assert_eq!(head(&s).await.1, before.1 + 1);

    // A Movie Magic export: weapons by serial, cast by name; the other columns are named.
    let mm = "Sheet #,Scene #,Set,Shoot Date,Cast Members,Weapons\n\
              1,corral,CORRAL,06/03/2029,1. Lee Marsh (performer),DC-0002\n";
    let check = upload(
        &s,
        &sam,
        &[
            ("csrf", &sam.csrf),
            ("kind", "schedule"),
            ("action", "check"),
        ],
        Some(mm.as_bytes()),
    )
    .await;
    assert_eq!(check.status, StatusCode::OK, "{}", check.body);
    assert!(
        check
            .body
            .contains("Movie Magic Scheduling breakdown export")
    );
    assert!(
        check.body.contains("Columns not used: Sheet #, Set."),
        "{}",
        check.body
    );
    assert!(
        check
            .body
            .contains("would change scene corral (date 2029-06-01 -&gt; 2029-06-03"),
        "{}",
        check.body
    );
}

#[tokio::test]
async fn a_malformed_file_lists_every_problem_and_records_nothing() {
    let s = server();
    s.demo().await;
    let pat = s.session("pat").await;
    let before = head(&s).await;
    let bad = "id,name,roles,handler_expires\n\
               zed,Zed Smith,armourer,2030-13-01\n\
               bad id,B,,\n\
               zed,Zed Again,,\n";
    for action in ["check", "import"] {
        let a = upload(
            &s,
            &pat,
            &[("csrf", &pat.csrf), ("kind", "crew"), ("action", action)],
            Some(bad.as_bytes()),
        )
        .await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
        assert!(a.body.contains("Refused: 4 problems"), "{}", a.body);
        for at in [
            "Line 2, column 3 (C)</span> roles: `armourer`",
            "Line 2, column 4 (D)</span> handler_expires: `2030-13-01` is not a date",
            "Line 3, column 1 (A)</span> id: `bad id`",
            "Line 4, column 1 (A)</span> id: person `zed` is already on line 2",
        ] {
            assert!(a.body.contains(at), "{at}: {}", a.body);
        }
        assert_eq!(head(&s).await, before);
    }

    // Semicolons, Latin-1, missing columns: each named, 400.
    for (file, says) in [
        (
            &b"id;name\nzed;Zed\n"[..],
            "this file uses &#x27;;&#x27; between fields",
        ),
        (
            &b"id,name\nzed,Z\xE9d\n"[..],
            "Line 2, column 2 (B)</span> not UTF-8 text",
        ),
        (
            &b"person_name,roles\nzed,crew\n"[..],
            "missing columns: `id`, `name`",
        ),
    ] {
        let a = upload(
            &s,
            &pat,
            &[("csrf", &pat.csrf), ("kind", "crew"), ("action", "import")],
            Some(file),
        )
        .await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
        assert!(a.body.contains(says), "{says}: {}", a.body);
    }

    // Well formed, but the rules refuse a command: 409, and nothing of the file is recorded
    // (the first row alone would have been accepted).
    let refused = "id,name,roles\nyan,Yan Li,crew\nzed,Zed Smith,armorer\n";
    let a = upload(
        &s,
        &pat,
        &[("csrf", &pat.csrf), ("kind", "crew"), ("action", "import")],
        Some(refused.as_bytes()),
    )
    .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.body);
    assert!(
        a.body
            .contains("Line 3, column 3 (C)</span> refused to give zed the role armorer")
    );
    // Unknown ids in a schedule.
    let sched = "id,date,items,performers\nx,2029-06-01,winchester,nobody\n";
    let a = upload(
        &s,
        &pat,
        &[
            ("csrf", &pat.csrf),
            ("kind", "schedule"),
            ("action", "check"),
        ],
        Some(sched.as_bytes()),
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    assert!(
        a.body
            .contains("Line 2, column 3 (C)</span> items: unknown item `winchester`")
    );
    assert!(
        a.body
            .contains("Line 2, column 4 (D)</span> performers: unknown performer `nobody`")
    );
    // No file at all, and a kind that is not one.
    let a = upload(&s, &pat, &[("csrf", &pat.csrf), ("kind", "crew")], None).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    assert!(a.body.contains("file: choose the CSV file"), "{}", a.body);
    let a = upload(
        &s,
        &pat,
        &[("csrf", &pat.csrf), ("kind", "people")],
        Some(b"id,name\nzed,Zed\n"),
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    assert!(a.body.contains("kind: "), "{}", a.body);
    assert_eq!(head(&s).await, before);
}

#[tokio::test]
async fn only_the_office_imports_and_strangers_see_no_page() {
    let s = server();
    s.demo().await;
    let before = head(&s).await;
    let crew = example("crew.csv");
    // A camera operator (role crew) and the first AD may not register people.
    for user in ["ines", "sam"] {
        let who = s.session(user).await;
        for action in ["check", "import"] {
            let a = upload(
                &s,
                &who,
                &[("csrf", &who.csrf), ("kind", "crew"), ("action", action)],
                Some(&crew),
            )
            .await;
            assert_eq!(a.status, StatusCode::FORBIDDEN, "{user}: {}", a.body);
            assert!(
                a.body
                    .contains("is the production office&#x27;s: only the producer"),
                "{}",
                a.body
            );
            assert!(a.body.contains("nothing was imported"), "{}", a.body);
        }
    }
    assert_eq!(head(&s).await, before);

    // Someone on no production: as if it did not exist.
    let vic = stranger(&s).await;
    assert_eq!(s.page(URI, &vic).await.status, StatusCode::NOT_FOUND);
    let a = upload(
        &s,
        &vic,
        &[("csrf", &vic.csrf), ("kind", "crew"), ("action", "import")],
        Some(&crew),
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.body);
    assert_eq!(head(&s).await, before);

    // Not signed in: the page sends to sign-in; a post is refused.
    let anon = s
        .raw(Request::get(URI).body(Body::empty()).expect("request"))
        .await;
    assert_eq!(anon.status, StatusCode::SEE_OTHER);
    assert!(
        anon.headers[header::LOCATION]
            .to_str()
            .expect("location")
            .starts_with("/sign-in?next=")
    );
}

#[tokio::test]
async fn a_form_without_the_session_s_csrf_token_is_refused() {
    let s = server();
    s.demo().await;
    let pat = s.session("pat").await;
    let before = head(&s).await;
    let crew = example("crew.csv");
    for fields in [
        vec![("kind", "crew"), ("action", "import")],
        vec![("csrf", "forged"), ("kind", "crew"), ("action", "import")],
    ] {
        let a = upload(&s, &pat, &fields, Some(&crew)).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
        assert!(a.body.contains("CSRF token does not match"), "{}", a.body);
        let text = String::from_utf8(crew.clone()).expect("utf-8");
        let mut f = fields.clone();
        f.push(("text", &text));
        let a = s.form(URI, &pat, &f).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{}", a.body);
    }
    assert_eq!(head(&s).await, before);
}

#[tokio::test]
async fn a_large_file_is_taken_and_an_oversized_one_is_413() {
    let s = server();
    s.demo().await;
    let pat = s.session("pat").await;
    // Over the server's 64 KiB for commands: 2,000 people.
    let mut big = String::from("id,name,roles\n");
    for i in 0..2000 {
        big.push_str(&format!("extra-{i:04},Extra Number {i:04},crew\n"));
    }
    assert!(big.len() > 64 * 1024);
    let before = head(&s).await;
    let a = upload(
        &s,
        &pat,
        &[("csrf", &pat.csrf), ("kind", "crew"), ("action", "check")],
        Some(big.as_bytes()),
    )
    .await;
    assert_eq!(
        a.status,
        StatusCode::OK,
        "{}",
        &a.body[..a.body.len().min(2000)]
    );
    assert!(
        a.body.contains("Check passed: 4000 commands"),
        "{}",
        &a.body[..2000]
    );
    assert_eq!(head(&s).await, before);

    let huge = vec![b'x'; setguard_server::web::import::LIMIT + 1];
    let a = upload(
        &s,
        &pat,
        &[("csrf", &pat.csrf), ("kind", "crew"), ("action", "import")],
        Some(&huge),
    )
    .await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", a.body);
    assert!(a.body.contains("too large"), "{}", a.body);
    assert_eq!(head(&s).await, before);
}
