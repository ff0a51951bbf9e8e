//! The pages as a person uses them, in a real headless Chromium driven over WebDriver
//! (`fantoccini`): signing in, the armorer's console through a safe hand-over and back, a refusal
//! shown where the button was pressed, the set board changing live while another session acts,
//! an anonymous concern, and the crew list imported from a file chosen in the file picker.
//!
//! Each test runs the server in-process on 127.0.0.1:0 over a SQLite ledger in a temporary
//! directory, starts its own `chromedriver` on a free port (killed with its browser when the test
//! ends, even on a panic) and a browser with a fresh profile. Screenshots of each test's key
//! moments are saved as `target/browser-screenshots/TEST-NN-STEP.png`; the directory is printed.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`/usr/bin/chromium`, `/usr/bin/chromedriver`).
//! Without them a test fails under CI (`CI=true`) and, elsewhere, says the browser suite did not
//! run and passes.

mod common;

use common::{Server, server};
use fantoccini::elements::Element;
use fantoccini::error::CmdError;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use setguard_server::{demo, router};
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const BOARD: &str = "/productions/dusty-creek/board";
const CONSOLE: &str = "/productions/dusty-creek/console";
/// How long a page is given to show what is awaited (a slow, shared CI machine included).
const PATIENCE: Duration = Duration::from_secs(10);

/// Prints past the test harness's capture, so it shows in the test output even when tests pass.
fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// Whether Chromium and its driver are here. Under CI their absence fails the test; elsewhere
/// the test says the browser suite did not run, and returns.
fn browser_installed(test: &str) -> bool {
    let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
        .into_iter()
        .filter(|p| !Path::new(p).exists())
        .collect();
    if missing.is_empty() {
        return true;
    }
    let missing = missing.join(" and ");
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{test}: {missing} not found: CI must run the browser suite. Install Chromium and its \
         driver with `apt-get update && apt-get install -y chromium chromium-driver`"
    );
    say(&format!(
        "NOTE: {missing} not found: the browser suite did NOT run ({test} passed without a \
         browser). Install Chromium and its driver with \
         `apt-get install chromium chromium-driver`."
    ));
    false
}

/// Where the screenshots go: `target/browser-screenshots` (beside `target/tmp`).
fn screenshot_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).join("browser-screenshots")
}

/// The server on a real socket, in this test's runtime: its base URL.
async fn serve(s: &Server) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = router(s.app());
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// A chromedriver this test started, in a process group of its own with the browser it starts:
/// the whole group is killed when this is dropped, whether the test passed or panicked.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start() -> Driver {
        use std::os::unix::process::CommandExt;
        let mut last = String::new();
        // A port found free can be taken before chromedriver binds it: then try another.
        for _ in 0..5 {
            last.clear();
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a free port")
                .port();
            let child = Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn()
                .unwrap_or_else(|e| panic!("starting {CHROMEDRIVER}: {e}"));
            let mut driver = Driver { child, port };
            let started = Instant::now();
            while started.elapsed() < PATIENCE {
                if let Ok(Some(status)) = driver.child.try_wait() {
                    last = format!("chromedriver on port {port} exited at once: {status}");
                    break;
                }
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return driver;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            if last.is_empty() {
                last = format!("chromedriver did not listen on port {port} within {PATIENCE:?}");
            }
        }
        panic!("{last}");
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The group's id is chromedriver's pid: this ends it and the browser it began (Chromium's
        // crash handler, in a group of its own, leaves with the browser).
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One browser session of one test, with its screenshots.
struct Browser {
    client: Client,
    base: String,
    test: &'static str,
    shots: usize,
    // Dropped in this order after the client: the driver and its browser, then the profile.
    _driver: Driver,
    _profile: tempfile::TempDir,
}

impl Browser {
    async fn open(test: &'static str, base: &str) -> Browser {
        let driver = Driver::start();
        let profile = tempfile::tempdir().expect("profile dir");
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".to_owned(),
            json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--no-first-run",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            }),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await
            .unwrap_or_else(|e| panic!("{test}: a browser session: {e}"));
        client
            .set_window_size(1280, 1000)
            .await
            .expect("window size");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        // This test's screenshots of an earlier run would mislead.
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for e in entries.flatten() {
                if e.file_name()
                    .to_string_lossy()
                    .starts_with(&format!("{test}-"))
                {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
        Browser {
            client,
            base: base.to_owned(),
            test,
            shots: 0,
            _driver: driver,
            _profile: profile,
        }
    }

    /// Ends the browser session cleanly (the driver's drop kills whatever is left).
    async fn close(self) {
        let Browser { client, test, .. } = self;
        if let Err(e) = client.close().await {
            say(&format!("{test}: closing the browser session: {e}"));
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn goto(&self, path: &str) {
        self.client
            .goto(&self.url(path))
            .await
            .unwrap_or_else(|e| panic!("opening {path}: {e}"));
    }

    async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    async fn find(&self, css: &str) -> Element {
        match self.client.find(Locator::Css(css)).await {
            Ok(e) => e,
            Err(e) => panic!(
                "{}: no `{css}` on {} ({e})\n{}",
                self.test,
                self.path().await,
                self.client.source().await.unwrap_or_default()
            ),
        }
    }

    async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("text")
    }

    /// The text of `css` as it is this instant, read in one go (a live redraw can replace an
    /// element between finding it and reading it).
    async fn text_now(&self, css: &str) -> Option<String> {
        let script = "const e = document.querySelector(arguments[0]); \
                      return e ? e.innerText.trim() : null;";
        match self.client.execute(script, vec![json!(css)]).await {
            Ok(serde_json::Value::String(s)) => Some(s),
            _ => None,
        }
    }

    /// Saves what the browser shows as `TEST-NN-STEP.png`.
    async fn shot(&mut self, step: &str) {
        self.shots += 1;
        let png = self.client.screenshot().await.expect("screenshot");
        let file = screenshot_dir().join(format!("{}-{:02}-{step}.png", self.test, self.shots));
        std::fs::write(&file, png).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    }

    /// Clicks `button` (which submits a form) and waits until the next page has loaded.
    async fn submit_with(&self, button: &Element) {
        self.client
            .execute("document.documentElement.dataset.left = 'not yet';", vec![])
            .await
            .expect("marking the page");
        button.click().await.expect("click");
        let script = "return document.readyState === 'complete' \
                      && document.documentElement.dataset.left === undefined;";
        self.until("the next page", || async {
            // Between two pages a script may fail: that is "not yet".
            Ok(self.client.execute(script, vec![]).await? == json!(true))
        })
        .await;
    }

    /// Waits until `ready` says so, or fails the test naming `what`.
    async fn until<F, Fut>(&self, what: &str, mut ready: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<bool, CmdError>>,
    {
        let started = Instant::now();
        loop {
            if let Ok(true) = ready().await {
                return;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "{}: {what} not seen within {PATIENCE:?} (at {})",
                self.test,
                self.path().await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Signs in on the page it is on (the sign-in page), typing as a person would.
    async fn type_sign_in(&self, username: &str, password: &str) {
        let user = self.find("#username").await;
        user.clear().await.expect("clear");
        user.send_keys(username).await.expect("type");
        let pass = self.find("#password").await;
        pass.clear().await.expect("clear");
        pass.send_keys(password).await.expect("type");
        let button = self.find("form button[type=submit]").await;
        self.submit_with(&button).await;
    }

    /// Opens `path` signed in as `username` (through the sign-in page it is sent to).
    async fn signed_in(&self, username: &str, path: &str) {
        self.goto(path).await;
        assert!(
            self.path().await.starts_with("/sign-in"),
            "{}",
            self.path().await
        );
        self.type_sign_in(username, demo::PASSWORD).await;
        assert_eq!(self.path().await, path, "{username} signed in");
    }

    /// Presses the console button of `action` in `item`'s box, after filling in its form's
    /// `fields` (a select by value or label, an input by typing), and returns the notice shown in
    /// that box afterwards: its class and text.
    async fn press(&self, item: &str, action: &str, fields: &[(&str, &str)]) -> (String, String) {
        let form = self.console_form(item, action).await;
        self.fill(&form, fields).await;
        let button = form.find(Locator::Css("button")).await.expect("button");
        self.submit_with(&button).await;
        self.notice(item).await
    }

    async fn console_form(&self, item: &str, action: &str) -> Element {
        self.find(&format!(
            "#item-{item} form:has(input[name=\"do\"][value=\"{action}\"])"
        ))
        .await
    }

    async fn fill(&self, form: &Element, fields: &[(&str, &str)]) {
        for (name, value) in fields {
            let field = form
                .find(Locator::Css(&format!("[name=\"{name}\"]")))
                .await
                .unwrap_or_else(|e| panic!("no field {name}: {e}"));
            if field.tag_name().await.expect("tag") == "select" {
                // An option's value, or its words when it has no value of its own.
                field
                    .select_by(Locator::XPath(&format!(
                        ".//option[@value='{value}' or (not(@value) and normalize-space(.)='{value}')]"
                    )))
                    .await
                    .unwrap_or_else(|e| panic!("no option {value} for {name}: {e}"));
            } else {
                field.clear().await.expect("clear");
                field.send_keys(value).await.expect("type");
            }
        }
    }

    /// The notice in `item`'s box: its class and its text.
    async fn notice(&self, item: &str) -> (String, String) {
        let notice = self.find(&format!("#item-{item} div.notice")).await;
        (
            notice
                .attr("class")
                .await
                .expect("class")
                .unwrap_or_default(),
            notice.text().await.expect("text"),
        )
    }
}

/// Reports where this test's screenshots are.
fn screenshots_saved(test: &str) {
    say(&format!(
        "{test}: screenshots in {}",
        screenshot_dir().display()
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_in_a_browser_lands_on_the_board_and_a_wrong_password_says_so() {
    const TEST: &str = "sign-in";
    if !browser_installed(TEST) {
        return;
    }
    let started = Instant::now();
    let s = server();
    s.demo().await;
    let base = serve(&s).await;
    let mut b = Browser::open(TEST, &base).await;

    // The board without a session sends the browser to the sign-in page, to come back.
    b.goto(BOARD).await;
    assert_eq!(b.path().await, format!("/sign-in?next={BOARD}"));
    assert_eq!(b.client.title().await.expect("title"), "Sign in - setguard");
    b.shot("sign-in-page").await;

    // A wrong password: the page says so, keeps the username, and no session starts.
    b.type_sign_in("rosa", "not-the-password").await;
    assert_eq!(b.path().await, "/sign-in");
    let error = b.text("p.error").await;
    assert_eq!(error, "that username and password do not match");
    assert_eq!(
        b.find("#username")
            .await
            .prop("value")
            .await
            .expect("value")
            .as_deref(),
        Some("rosa")
    );
    b.shot("wrong-password").await;

    // The right one lands on the set board, where the person was going.
    b.type_sign_in("rosa", demo::PASSWORD).await;
    assert_eq!(b.path().await, BOARD);
    assert_eq!(
        b.client.title().await.expect("title"),
        "Dusty Creek (demo) - set board"
    );
    assert_eq!(b.text("header h1").await, "Dusty Creek (demo)");
    assert_eq!(
        b.text("li.item[data-item=\"colt-3\"] .status").await,
        "IN STORAGE"
    );
    b.shot("board").await;

    b.close().await;
    screenshots_saved(TEST);
    println!("{TEST}: {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_safe_hand_over_from_check_out_to_return_on_the_console() {
    const TEST: &str = "console-hand-over";
    if !browser_installed(TEST) {
        return;
    }
    let started = Instant::now();
    let s = server();
    s.demo().await;
    let base = serve(&s).await;
    let mut b = Browser::open(TEST, &base).await;
    b.signed_in("rosa", CONSOLE).await;
    assert_eq!(b.text("#item-colt-3 .status").await, "IN STORAGE");
    b.shot("console").await;

    // Each button pressed in colt-3's box, with what its form needs, shows "recorded" there.
    // (screenshot, the form's `do`, its fields)
    type Step<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)]);
    let steps: [Step; 6] = [
        ("checked-out", "check-out", &[]),
        ("loaded", "load", &[("lot", "dummies-a"), ("rounds", "6")]),
        (
            "inspected",
            "inspect",
            &[("state", "dummies"), ("rounds", "6"), ("lot", "dummies-a")],
        ),
        (
            "lee-confirmed",
            "confirm-check",
            &[("as_person", "lee"), ("pin", "3333")],
        ),
        ("announced-cold", "announce", &[("status", "cold")]),
        ("handed-to-lee", "hand-over", &[("to", "lee")]),
    ];
    for (step, action, fields) in steps {
        if action == "confirm-check" {
            // Lee at the cart, typing his PIN on Rosa's tablet.
            let form = b.console_form("colt-3", action).await;
            b.fill(&form, fields).await;
            b.shot("lee-types-his-pin").await;
        }
        let (class, text) = b.press("colt-3", action, fields).await;
        assert!(
            class.split(' ').any(|c| c == "recorded"),
            "{action}: {class}: {text}"
        );
        assert!(text.contains("recorded #"), "{action}: {text}");
        b.shot(step).await;
    }
    assert_eq!(b.text("#item-colt-3 .status").await, "COLD");
    assert!(
        b.text("#item-colt-3 .detail")
            .await
            .contains("WITH Lee Marsh"),
        "{}",
        b.text("#item-colt-3 .detail").await
    );

    // Lee hands it back with his PIN ("Back to me"), and Rosa stores it.
    let back = b.console_form("colt-3", "hand-over").await;
    assert_eq!(
        back.find(Locator::Css("button"))
            .await
            .expect("button")
            .text()
            .await
            .expect("text"),
        "Back to me from Lee Marsh (performer)"
    );
    let (class, text) = b.press("colt-3", "hand-over", &[("pin", "3333")]).await;
    assert!(class.contains("recorded"), "back to me: {class}: {text}");
    b.shot("back-to-rosa").await;
    let (class, text) = b.press("colt-3", "store", &[]).await;
    assert!(class.contains("recorded"), "store: {class}: {text}");
    assert_eq!(b.text("#item-colt-3 .status").await, "IN STORAGE");
    b.shot("in-storage").await;

    b.close().await;
    screenshots_saved(TEST);
    println!("{TEST}: {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_is_shown_in_the_box_of_the_item_pressed() {
    const TEST: &str = "console-refusal";
    if !browser_installed(TEST) {
        return;
    }
    let started = Instant::now();
    let s = server();
    s.demo().await;
    let base = serve(&s).await;
    let mut b = Browser::open(TEST, &base).await;

    // Ines, a camera operator (not a handler), presses Check out on the stored revolver.
    b.signed_in("ines", CONSOLE).await;
    let (class, text) = b.press("colt-3", "check-out", &[]).await;
    assert!(class.split(' ').any(|c| c == "refused"), "{class}: {text}");
    assert!(text.contains("REFUSED [handler-hands-over]"), "{text}");
    // Only in that box; and the revolver stays where it was.
    let notices = b
        .client
        .find_all(Locator::Css("div.notice"))
        .await
        .expect("notices");
    assert_eq!(notices.len(), 1, "one notice on the page");
    assert_eq!(b.text("#item-colt-3 .status").await, "IN STORAGE");
    b.shot("refused").await;

    b.close().await;
    screenshots_saved(TEST);
    println!("{TEST}: {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_board_changes_live_when_someone_else_acts() {
    const TEST: &str = "board-live";
    if !browser_installed(TEST) {
        return;
    }
    let started = Instant::now();
    let s = server();
    s.demo().await;
    let base = serve(&s).await;
    let mut b = Browser::open(TEST, &base).await;

    // Sam, the 1st AD, watches the set board.
    b.signed_in("sam", BOARD).await;
    let colt2 = "li.item[data-item=\"colt-2\"] .status";
    assert_eq!(b.text(colt2).await, "WITH ROSA VEGA (ARMORER)");
    // The page's live connection is open (so it hears what comes next), and the page is marked
    // to tell it from a reloaded one.
    b.until("the board's event stream open", || async {
        let open = b
            .client
            .execute("return document.body.dataset.live === 'open';", vec![])
            .await?;
        Ok(open == json!(true))
    })
    .await;
    b.client
        .execute("window.sameDocument = true;", vec![])
        .await
        .expect("mark");
    b.shot("before").await;

    // Rosa stores colt-2, through the API.
    let rosa = s.token("rosa").await;
    let a = s
        .command("dusty-creek", &rosa, r#"{"do":"store","item":"colt-2"}"#)
        .await;
    assert_eq!(a.status, axum::http::StatusCode::OK, "{}", a.body);
    let given = Instant::now();

    let mut seen = None;
    while given.elapsed() < PATIENCE {
        if b.text_now(colt2).await.as_deref() == Some("IN STORAGE") {
            seen = Some(given.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let Some(seen) = seen else {
        b.shot("not-updated").await;
        panic!(
            "the board did not show colt-2 IN STORAGE within {PATIENCE:?}: {:?}",
            b.text_now(colt2).await
        );
    };
    let same = b
        .client
        .execute("return window.sameDocument === true;", vec![])
        .await
        .expect("mark");
    assert_eq!(
        same,
        json!(true),
        "the board was reloaded, not updated live"
    );
    b.shot("after").await;

    b.close().await;
    screenshots_saved(TEST);
    println!(
        "{TEST}: the board showed the change {seen:?} after the command; {:?} in all",
        started.elapsed()
    );
}

/// A grip scans the poster's QR code: the form opens in a browser that has never signed in,
/// the concern is sent, and nothing of the sender is kept: no cookie in the browser, no sender
/// in the record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_anonymous_concern_from_the_posted_link() {
    const TEST: &str = "anonymous-concern";
    if !browser_installed(TEST) {
        return;
    }
    let s = server();
    s.demo().await;
    let base = serve(&s).await;

    // Someone on the crew prints the poster.
    let mut crew = Browser::open(TEST, &base).await;
    crew.goto("/productions/dusty-creek/concern-poster").await;
    crew.type_sign_in("ines", demo::PASSWORD).await;
    assert_eq!(crew.path().await, "/productions/dusty-creek/concern-poster");
    let link = crew.text("p.link").await;
    assert!(link.contains("/concern/"), "{link}");
    crew.find(".qr svg").await;
    crew.shot("poster").await;
    crew.close().await;

    // A phone that has never been here follows it.
    let mut phone = Browser::open(TEST, &base).await;
    let path = link
        .split_once("/concern/")
        .map(|(_, t)| format!("/concern/{t}"))
        .expect("a concern path");
    phone.goto(&path).await;
    assert_eq!(
        phone.client.title().await.expect("title"),
        "Raise a safety concern - Dusty Creek (demo)"
    );
    phone
        .find("#text")
        .await
        .send_keys("the revolver cart is left open at lunch")
        .await
        .expect("typing");
    phone
        .find("input[name=\"urgent\"]")
        .await
        .click()
        .await
        .expect("urgent");
    phone.shot("form").await;
    let send = phone.find("form button").await;
    phone.submit_with(&send).await;
    let done = phone.text(".done").await;
    assert!(done.contains("Recorded as concern #1"), "{done}");
    assert!(done.contains("1 hour"), "urgent: {done}");
    phone.shot("recorded").await;
    let cookies = phone.client.get_all_cookies().await.expect("cookies");
    assert!(cookies.is_empty(), "the form set cookies: {cookies:?}");
    phone.close().await;

    // In the record: the concern, with no sender.
    let id = setguard_core::ProductionId::parse("dusty-creek").expect("id");
    let records = s.productions.records(&id, 1).await.expect("records");
    let raised = records
        .iter()
        .find(|r| matches!(r.event.body, setguard_core::EventBody::ConcernRaised { .. }))
        .expect("the concern is recorded");
    assert_eq!(raised.event.by, None);
    screenshots_saved(TEST);
}

/// The producer brings the crew list in from the office's CSV file: chosen in the browser's file
/// picker (a real multipart upload), checked (nothing saved), then imported from the text the
/// check kept, in one commit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_crew_list_imported_from_a_file() {
    const TEST: &str = "import-crew";
    const IMPORT: &str = "/productions/dusty-creek/import";
    if !browser_installed(TEST) {
        return;
    }
    let s = server();
    s.demo().await;
    let base = serve(&s).await;
    let id = setguard_core::ProductionId::parse("dusty-creek").expect("id");
    let commits = |s: &Server| {
        let productions = s.productions.clone();
        let id = id.clone();
        async move {
            productions
                .checkpoints(&id)
                .await
                .expect("checkpoints")
                .len()
        }
    };
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/examples/imports/crew.csv");
    let file = file.canonicalize().expect("the example crew list");

    let mut office = Browser::open(TEST, &base).await;
    office.signed_in("pat", IMPORT).await;
    office
        .find("input[name=\"kind\"][value=\"crew\"]")
        .await
        .click()
        .await
        .expect("crew");
    office
        .find("#file")
        .await
        .send_keys(&file.display().to_string())
        .await
        .expect("choosing the file");
    office.shot("chosen").await;
    let before = commits(&s).await;
    let check = office.find("button[value=\"check\"]").await;
    office.submit_with(&check).await;
    let notice = office.text("#result .notice").await;
    assert!(notice.starts_with("Check passed"), "{notice}");
    assert!(
        office.text("#result ol.lines").await.contains("Line 2"),
        "each line says what it would record"
    );
    assert_eq!(commits(&s).await, before, "a check saves nothing");
    office.shot("checked").await;

    // The file's text was kept in the box: Import without choosing it again.
    let kept = office
        .client
        .execute("return document.querySelector('#text').value;", vec![])
        .await
        .expect("the box");
    assert!(
        kept.as_str().is_some_and(|t| t.contains("Rosa Diaz")),
        "{kept}"
    );
    let import = office.find("button[value=\"import\"]").await;
    office.submit_with(&import).await;
    let notice = office.text("#result .notice").await;
    assert!(notice.starts_with("Imported"), "{notice}");
    assert_eq!(commits(&s).await, before + 1, "one commit");
    office.shot("imported").await;
    office.close().await;

    let known = s
        .productions
        .view(&id, |state, _| {
            state
                .people
                .keys()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
        })
        .await
        .expect("view");
    assert!(known.iter().any(|p| p == "ben"), "{known:?}");
    screenshots_saved(TEST);
}
