//! `setguard user add` and `user link` as a person at the server's machine runs them: accounts
//! made beside the ledger, usable to sign in, and every mistake told plainly with nothing saved.

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

fn setguard(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_setguard"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("setguard runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("setguard ends")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn accounts_are_made_beside_the_ledger_and_sign_in() {
    let dir = tempfile::tempdir().expect("dir");
    let db = format!("sqlite:{}", dir.path().join("set.db").display());
    let made = setguard(
        &["user", "add", "admin", "--admin", "--db", &db],
        "a long password\n2468\n",
    );
    assert!(made.status.success(), "{}", text(&made));
    assert!(text(&made).contains("made the account admin (server administrator)"));
    let made = setguard(
        &[
            "user",
            "add",
            "rosa",
            "--db",
            &db,
            "--production",
            "dusty-creek",
            "--person",
            "rosa",
        ],
        "rosa's own password\n1357\n",
    );
    assert!(made.status.success(), "{}", text(&made));
    assert!(
        text(&made).contains("rosa is rosa on dusty-creek"),
        "{}",
        text(&made)
    );

    // The server finds them where it looks: beside its ledger, never in it.
    let accounts = setguard_server::accounts::open(&setguard_server::accounts::url_for(&db))
        .expect("the accounts");
    let s = accounts
        .sign_in(
            "rosa",
            "rosa's own password",
            chrono::Utc::now().timestamp(),
        )
        .expect("rosa signs in");
    assert!(!s.admin);
    assert_eq!(
        accounts.person_in("rosa", "dusty-creek").expect("read"),
        Some("rosa".to_owned())
    );
    assert!(
        accounts
            .check_pin(
                "dusty-creek",
                "rosa",
                "1357",
                chrono::Utc::now().timestamp()
            )
            .is_ok()
    );

    // Mistakes: said, exit 2, nothing saved.
    for (args, stdin, says) in [
        (
            vec!["user", "add", "rosa"],
            "another password\n1111\n",
            "already an account",
        ),
        (vec!["user", "add", "sam"], "short\n1111\n", "password"),
        (vec!["user", "add", "sam"], "a long password\n12\n", "PIN"),
        (vec!["user", "add", "sam"], "a long password\n", "PIN"),
        (
            vec!["user", "add", "Sam Smith"],
            "a long password\n1234\n",
            "username",
        ),
    ] {
        let mut args = args.clone();
        args.extend(["--db", &db]);
        let o = setguard(&args, stdin);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(
            text(&o).contains(says),
            "{args:?} should say {says:?}: {}",
            text(&o)
        );
    }
    assert!(
        !accounts.exists("sam").expect("read"),
        "nothing of a refused account saved"
    );

    let linked = setguard(
        &[
            "user",
            "link",
            "admin",
            "--production",
            "night-train",
            "--person",
            "ops",
            "--db",
            &db,
        ],
        "",
    );
    assert!(linked.status.success(), "{}", text(&linked));
    assert_eq!(
        accounts.memberships("admin").expect("read"),
        vec![("night-train".to_owned(), "ops".to_owned())]
    );
}
