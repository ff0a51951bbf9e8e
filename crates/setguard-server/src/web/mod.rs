//! The pages, server-rendered with minijinja from templates compiled into the binary.

pub mod act;
pub mod board;
pub mod concern;
pub mod console;
pub mod dashboard;
pub mod forms;
pub mod history;
pub mod import;
pub mod meeting;
pub mod pages;
pub mod reports;
pub mod safety;

use minijinja::Environment;
use std::sync::OnceLock;

/// Every template, by name, compiled into the binary.
const TEMPLATES: &[(&str, &str)] = &[
    ("board.html", include_str!("../../templates/board.html")),
    (
        "board_body.html",
        include_str!("../../templates/board_body.html"),
    ),
    ("sign_in.html", include_str!("../../templates/sign_in.html")),
    ("console.html", include_str!("../../templates/console.html")),
    ("concern.html", include_str!("../../templates/concern.html")),
    (
        "concern_poster.html",
        include_str!("../../templates/concern_poster.html"),
    ),
    ("safety.html", include_str!("../../templates/safety.html")),
    ("history.html", include_str!("../../templates/history.html")),
    (
        "dashboard.html",
        include_str!("../../templates/dashboard.html"),
    ),
    ("meeting.html", include_str!("../../templates/meeting.html")),
    ("import.html", include_str!("../../templates/import.html")),
];

/// The templates, loaded once.
pub fn templates() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        // Autoescaping is on for .html names: text from the record (names, summaries) is
        // never markup.
        for (name, text) in TEMPLATES {
            if let Err(e) = env.add_template(name, text) {
                // A template that does not compile is a build mistake, caught by the test below.
                tracing::error!(template = name, error = %e, "template");
            }
        }
        env
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_template_compiles() {
        let mut env = minijinja::Environment::new();
        for (name, text) in super::TEMPLATES {
            if let Err(e) = env.add_template(name, text) {
                panic!("{name}: {e:#}");
            }
        }
    }
}
