//! Server settings: defaults, then a config file, then `SETGUARD_` environment variables, then
//! the command line. `setguard default-config` prints [`DEFAULT_CONFIG`].

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// A commented example config, with every setting at its default.
pub const DEFAULT_CONFIG: &str = r#"# setguard server configuration. Every setting is optional; each can also be given as an
# environment variable (SETGUARD_ and the name in capitals: SETGUARD_LISTEN=0.0.0.0:8080) or on
# the command line (setguard serve --listen ...), which win over this file.

# The ledger: sqlite:PATH (one server) or postgres://user@host/db (several servers).
# Default: sqlite: setguard.db in the data directory.
# db = "sqlite:/var/lib/setguard/setguard.db"

# Where the node's signing key (node.key) and the default SQLite ledger live.
# Default: $SETGUARD_DATA_DIR, else ~/.local/share/setguard.
# data_dir = "/var/lib/setguard"

# The address to listen on. 127.0.0.1 keeps the server to this machine; to reach it from a
# tablet on set, listen on the set's network (0.0.0.0:8080) behind TLS.
listen = "127.0.0.1:8080"

# Load a demo production (people, items, lots, a day in progress) if the ledger has none.
demo = false

# How often passing time is checked for alarms (an unattended item, an unreturned gun, an
# unanswered concern), in seconds.
tick_seconds = 5

# Notifications: escalations (an incident or a concern left open past its deadline), incidents
# reported, stop-work, walkouts and resignations over safety go to the studio safety office, the
# union representative and the compliance contact. None are sent unless some are set here (in the
# file only; it then holds secrets: keep it readable by the server's user only). role is one of
# studio-safety-office, union-representative, compliance-contact. docs/api.md, "Notifications",
# describes the payload and how to check its signature.
#
# A webhook: a JSON POST signed with HMAC-SHA256 under the secret, retried with backoff. Plain
# HTTP only (no TLS): point it at a relay on the studio's own network.
# [[notify.webhook]]
# name = "studio-safety"
# role = "studio-safety-office"
# url = "http://hooks.studio.internal:9000/setguard"
# secret = "a long random string the receiver also knows"
#
# Email, through an SMTP relay that takes mail without TLS or login (one on this machine or on
# the studio's network), to each address listed.
# [notify.email]
# smtp_host = "127.0.0.1"
# smtp_port = 25
# from = "setguard@studio.example"
# [[notify.email.to]]
# role = "union-representative"
# address = "safety-rep@union.example"
# [[notify.email.to]]
# role = "compliance-contact"
# address = "compliance@studio.example"
"#;

/// The server's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub db: String,
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub demo: bool,
    pub tick_seconds: u64,
    /// Where notifications go (`[notify]`, file only); none by default.
    pub notify: NotifyConfig,
}

/// Where notifications go: webhooks and email recipients. Empty: nothing is sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyConfig {
    #[serde(default)]
    pub webhook: Vec<WebhookConfig>,
    #[serde(default)]
    pub email: Option<EmailConfig>,
}

impl NotifyConfig {
    pub fn is_empty(&self) -> bool {
        self.webhook.is_empty() && self.email.as_ref().is_none_or(|e| e.to.is_empty())
    }
}

/// Who a notification is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecipientRole {
    StudioSafetyOffice,
    UnionRepresentative,
    ComplianceContact,
}

impl RecipientRole {
    pub fn as_str(self) -> &'static str {
        match self {
            RecipientRole::StudioSafetyOffice => "studio-safety-office",
            RecipientRole::UnionRepresentative => "union-representative",
            RecipientRole::ComplianceContact => "compliance-contact",
        }
    }
}

/// `[[notify.webhook]]`: a JSON POST to `url` (plain `http://`), signed with `secret`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// Names the recipient in the outbox and the log; unique among the webhooks.
    pub name: String,
    pub role: RecipientRole,
    pub url: String,
    pub secret: String,
}

/// Redacts the secret.
impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("name", &self.name)
            .field("role", &self.role)
            .field("url", &self.url)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// `[notify.email]`: an SMTP relay taking mail without TLS or login, and the recipients.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    pub smtp_host: String,
    #[serde(default = "default_smtp_port")]
    pub smtp_port: u16,
    pub from: String,
    #[serde(default)]
    pub to: Vec<EmailRecipient>,
}

fn default_smtp_port() -> u16 {
    25
}

/// `[[notify.email.to]]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailRecipient {
    pub role: RecipientRole,
    pub address: String,
}

/// What a config file may say; everything optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    db: Option<String>,
    data_dir: Option<PathBuf>,
    listen: Option<String>,
    demo: Option<bool>,
    tick_seconds: Option<u64>,
    notify: Option<NotifyConfig>,
}

/// Settings given on the command line, which win over everything else.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub db: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub listen: Option<String>,
    pub demo: bool,
}

/// A setting that could not be read: which one, from where, and why.
#[derive(Debug, thiserror::Error)]
#[error("{source_name}: {why}")]
pub struct ConfigError {
    pub source_name: String,
    pub why: String,
}

impl Config {
    /// Reads the settings: defaults, the file (`--config`, else `SETGUARD_CONFIG`, if set),
    /// the environment (`env` is `std::env::var` in the binary, a map in tests), the flags.
    pub fn load(
        flags: &Overrides,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let file_path = flags
            .config_file
            .clone()
            .or_else(|| env("SETGUARD_CONFIG").map(PathBuf::from));
        let file = match &file_path {
            Some(p) => read_file(p)?,
            None => FileConfig::default(),
        };
        let env_bool = |name: &str| -> Result<Option<bool>, ConfigError> {
            env(name)
                .map(|v| match v.as_str() {
                    "1" | "true" | "yes" => Ok(true),
                    "0" | "false" | "no" | "" => Ok(false),
                    other => Err(ConfigError {
                        source_name: name.to_owned(),
                        why: format!("{other:?} is not true or false"),
                    }),
                })
                .transpose()
        };
        let data_dir = flags
            .data_dir
            .clone()
            .or_else(|| env("SETGUARD_DATA_DIR").map(PathBuf::from))
            .or(file.data_dir)
            .or_else(|| env("HOME").map(|h| PathBuf::from(h).join(".local/share/setguard")))
            .unwrap_or_else(|| PathBuf::from("setguard-data"));
        let db = flags
            .db
            .clone()
            .or_else(|| env("SETGUARD_DB"))
            .or(file.db)
            .unwrap_or_else(|| format!("sqlite:{}", data_dir.join("setguard.db").display()));
        let (listen_from, listen) = match (&flags.listen, env("SETGUARD_LISTEN"), file.listen) {
            (Some(l), _, _) => ("--listen", l.clone()),
            (None, Some(l), _) => ("SETGUARD_LISTEN", l),
            (None, None, Some(l)) => ("listen (config file)", l),
            (None, None, None) => ("listen", "127.0.0.1:8080".to_owned()),
        };
        let listen = listen.parse().map_err(|_| ConfigError {
            source_name: listen_from.to_owned(),
            why: format!("{listen:?} is not an address and port, such as 127.0.0.1:8080"),
        })?;
        let demo = flags.demo || env_bool("SETGUARD_DEMO")?.or(file.demo).unwrap_or(false);
        let tick_seconds = match env("SETGUARD_TICK_SECONDS") {
            Some(v) => v.parse().map_err(|_| ConfigError {
                source_name: "SETGUARD_TICK_SECONDS".to_owned(),
                why: format!("{v:?} is not a whole number of seconds"),
            })?,
            None => file.tick_seconds.unwrap_or(5),
        };
        if tick_seconds == 0 {
            return Err(ConfigError {
                source_name: "tick_seconds".to_owned(),
                why: "must be at least 1".to_owned(),
            });
        }
        let notify = file.notify.unwrap_or_default();
        check_notify(&notify)?;
        Ok(Config {
            db,
            data_dir,
            listen,
            demo,
            tick_seconds,
            notify,
        })
    }
}

/// Refuses a notification setting that could never deliver: a webhook that is not plain
/// `http://`, an empty secret, a name used twice, an address without `@`.
fn check_notify(notify: &NotifyConfig) -> Result<(), ConfigError> {
    let bad = |source_name: String, why: &str| {
        Err(ConfigError {
            source_name,
            why: why.to_owned(),
        })
    };
    for (i, w) in notify.webhook.iter().enumerate() {
        let at = |field: &str| format!("notify.webhook[{i}].{field} (config file)");
        if w.name.trim().is_empty() {
            return bad(at("name"), "must name the webhook");
        }
        if notify.webhook[..i].iter().any(|o| o.name == w.name) {
            return bad(at("name"), "is the name of another webhook");
        }
        if !w.url.starts_with("http://") {
            return bad(
                at("url"),
                "must be a plain http:// URL (webhooks go to a relay on the studio's network)",
            );
        }
        if w.secret.len() < 16 {
            return bad(at("secret"), "must be at least 16 characters");
        }
    }
    if let Some(e) = &notify.email {
        if e.smtp_host.trim().is_empty() {
            return bad(
                "notify.email.smtp_host (config file)".to_owned(),
                "is empty",
            );
        }
        if !e.from.contains('@') {
            return bad(
                "notify.email.from (config file)".to_owned(),
                "is not an email address",
            );
        }
        for (i, to) in e.to.iter().enumerate() {
            if !to.address.contains('@') {
                return bad(
                    format!("notify.email.to[{i}].address (config file)"),
                    "is not an email address",
                );
            }
        }
    }
    Ok(())
}

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        source_name: name.clone(),
        why: e.to_string(),
    })?;
    toml::from_str(&text).map_err(|e| ConfigError {
        source_name: name,
        why: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn defaults_then_file_then_environment_then_flags() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("setguard.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:9000\"\ndemo = true\ntick_seconds = 7\n",
        )
        .unwrap();

        let c = Config::load(&Overrides::default(), &env(&[("HOME", "/home/a")])).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.db, "sqlite:/home/a/.local/share/setguard/setguard.db");
        assert!(!c.demo);

        let flags = Overrides {
            config_file: Some(file.clone()),
            ..Overrides::default()
        };
        let c = Config::load(&flags, &env(&[])).unwrap();
        assert_eq!((c.listen.port(), c.demo, c.tick_seconds), (9000, true, 7));

        let c = Config::load(&flags, &env(&[("SETGUARD_LISTEN", "127.0.0.1:9100")])).unwrap();
        assert_eq!(c.listen.port(), 9100);

        let flags = Overrides {
            listen: Some("127.0.0.1:9200".to_owned()),
            ..flags
        };
        let c = Config::load(&flags, &env(&[("SETGUARD_LISTEN", "127.0.0.1:9100")])).unwrap();
        assert_eq!(c.listen.port(), 9200);
    }

    #[test]
    fn a_bad_setting_says_which_and_where() {
        let err =
            Config::load(&Overrides::default(), &env(&[("SETGUARD_LISTEN", "8080")])).unwrap_err();
        assert_eq!(err.source_name, "SETGUARD_LISTEN");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, "lissen = \"x\"\n").unwrap();
        let flags = Overrides {
            config_file: Some(file),
            ..Overrides::default()
        };
        let err = Config::load(&flags, &env(&[])).unwrap_err();
        assert!(err.to_string().contains("lissen"), "{err}");
    }

    #[test]
    fn the_default_config_reads_back_as_the_defaults() {
        let parsed: FileConfig = toml::from_str(DEFAULT_CONFIG).unwrap();
        assert_eq!(parsed.listen.as_deref(), Some("127.0.0.1:8080"));
        assert_eq!((parsed.demo, parsed.tick_seconds), (Some(false), Some(5)));
        assert!(parsed.notify.is_none());
    }

    #[test]
    fn the_notify_example_reads_when_uncommented() {
        let start = DEFAULT_CONFIG.find("# [[notify.webhook]]").unwrap();
        let example: String = DEFAULT_CONFIG[start..]
            .lines()
            .filter_map(|l| l.strip_prefix("# "))
            // The settings, not the prose between them.
            .filter(|l| l.starts_with('[') || l.contains(" = "))
            .collect::<Vec<_>>()
            .join("\n");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("notify.toml");
        std::fs::write(&file, &example).unwrap();
        let flags = Overrides {
            config_file: Some(file.clone()),
            ..Overrides::default()
        };
        let c = Config::load(&flags, &env(&[])).unwrap();
        assert_eq!(c.notify.webhook.len(), 1);
        assert_eq!(c.notify.webhook[0].role, RecipientRole::StudioSafetyOffice);
        let email = c.notify.email.as_ref().unwrap();
        assert_eq!((email.smtp_port, email.to.len()), (25, 2));
        assert!(
            !format!("{c:?}").contains("long random"),
            "the secret is redacted"
        );

        std::fs::write(&file, example.replace("http://hooks", "https://hooks")).unwrap();
        let err = Config::load(&flags, &env(&[])).unwrap_err();
        assert_eq!(err.source_name, "notify.webhook[0].url (config file)");
    }
}
