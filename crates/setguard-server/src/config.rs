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
# file only). role is one of studio-safety-office, union-representative, compliance-contact.
# docs/api.md, "Notifications", describes the payload and how to check its signature. Secrets
# can stay out of this file: secret_env names an environment variable holding a webhook's secret
# in place of secret, password_env one holding the SMTP password in place of password; they are
# read at start. If this file holds a secret, keep it readable by the server's user only.
#
# A webhook: a JSON POST signed with HMAC-SHA256 under the secret, retried with backoff. https://
# (checked against the public CAs, plus ca_file: a PEM file of the studio's own CA, if given) or
# http:// (plain: only to a relay on the studio's own network).
# [[notify.webhook]]
# name = "studio-safety"
# role = "studio-safety-office"
# url = "https://hooks.studio.example/setguard"
# secret = "a long random string the receiver also knows"
# ca_file = "/etc/setguard/studio-ca.pem"
#
# Email, through an SMTP server, to each address listed. tls is "none" (plain SMTP, to a relay
# on this machine or the studio's network; the default), "starttls" (usually port 587) or "tls"
# (usually port 465); smtp_port, unless given, is 25, 587 or 465 to match. A login (username,
# and password or password_env) is sent only over TLS. ca_file: as for a webhook.
# [notify.email]
# smtp_host = "smtp.studio.example"
# smtp_port = 587
# tls = "starttls"
# username = "setguard"
# password_env = "SETGUARD_SMTP_PASSWORD"
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

/// `[[notify.webhook]]`: a JSON POST to `url` (`https://`, or `http://` to a relay on the
/// studio's network), signed with `secret`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// Names the recipient in the outbox and the log; unique among the webhooks.
    pub name: String,
    pub role: RecipientRole,
    pub url: String,
    /// The signing secret. After [`Config::load`] it is set, from the file or from
    /// `secret_env`.
    #[serde(default)]
    pub secret: String,
    /// The environment variable holding the secret, read at start, so that the file need not
    /// hold it.
    #[serde(default)]
    pub secret_env: Option<String>,
    /// A PEM file of CA certificates trusted for this webhook besides the public roots (a
    /// studio's own CA).
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
}

/// Redacts the secret.
impl std::fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("name", &self.name)
            .field("role", &self.role)
            .field("url", &self.url)
            .field("secret", &"<redacted>")
            .field("secret_env", &self.secret_env)
            .field("ca_file", &self.ca_file)
            .finish()
    }
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SmtpTls {
    /// Plain SMTP, to a relay on this machine or the studio's network (the default, as before
    /// TLS was supported, so that existing config files keep working).
    #[default]
    None,
    /// Plain connection upgraded with STARTTLS, which must succeed (usually port 587).
    Starttls,
    /// TLS from the first byte (usually port 465).
    Tls,
}

/// `[notify.email]`: an SMTP server, how to reach it, and the recipients.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    pub smtp_host: String,
    /// Unset: the usual port for `tls` ([`EmailConfig::port`]).
    #[serde(default)]
    pub smtp_port: Option<u16>,
    pub from: String,
    #[serde(default)]
    pub to: Vec<EmailRecipient>,
    #[serde(default)]
    pub tls: SmtpTls,
    /// A login, with `password` or `password_env`; only over TLS.
    #[serde(default)]
    pub username: Option<String>,
    /// After [`Config::load`], set from the file or from `password_env` when there is a login.
    #[serde(default)]
    pub password: Option<String>,
    /// The environment variable holding the password, read at start.
    #[serde(default)]
    pub password_env: Option<String>,
    /// A PEM file of CA certificates trusted for the SMTP server besides the public roots.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
}

/// Redacts the password.
impl std::fmt::Debug for EmailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailConfig")
            .field("smtp_host", &self.smtp_host)
            .field("smtp_port", &self.smtp_port)
            .field("from", &self.from)
            .field("to", &self.to)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("password_env", &self.password_env)
            .field("ca_file", &self.ca_file)
            .finish()
    }
}

impl EmailConfig {
    /// The port to connect to: the one given, else the usual one for the TLS mode (25 plain,
    /// 587 STARTTLS, 465 TLS), so that `tls = "tls"` alone does not knock on port 25.
    pub fn port(&self) -> u16 {
        self.smtp_port.unwrap_or(match self.tls {
            SmtpTls::None => 25,
            SmtpTls::Starttls => 587,
            SmtpTls::Tls => 465,
        })
    }
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
        let mut notify = file.notify.unwrap_or_default();
        secrets_from_env(&mut notify, env)?;
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

/// Reads `secret_env` and `password_env` into `secret` and `password`: a secret kept out of the
/// config file. Both a literal and a variable, or a variable that is not set, is refused.
fn secrets_from_env(
    notify: &mut NotifyConfig,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(), ConfigError> {
    let read = |field: String, name: &str, literal: bool, what: &str| {
        if literal {
            return Err(ConfigError {
                source_name: field,
                why: format!("give the {what} or the variable holding it, not both"),
            });
        }
        env(name).ok_or_else(|| ConfigError {
            source_name: field,
            why: format!("names the environment variable {name}, which is not set"),
        })
    };
    for (i, w) in notify.webhook.iter_mut().enumerate() {
        if let Some(name) = &w.secret_env {
            w.secret = read(
                format!("notify.webhook[{i}].secret_env (config file)"),
                name,
                !w.secret.is_empty(),
                "secret",
            )?;
        }
    }
    if let Some(e) = &mut notify.email {
        if let Some(name) = &e.password_env {
            e.password = Some(read(
                "notify.email.password_env (config file)".to_owned(),
                name,
                e.password.is_some(),
                "password",
            )?);
        }
    }
    Ok(())
}

/// Refuses a notification setting that could never deliver or would leak: a webhook that is
/// not `http://` or `https://`, an empty secret, a name used twice, an address without `@`, a
/// login without TLS.
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
        let https = w.url.starts_with("https://");
        if !https && !w.url.starts_with("http://") {
            return bad(at("url"), "must be an https:// or http:// URL");
        }
        if w.ca_file.is_some() && !https {
            return bad(at("ca_file"), "is for an https:// URL");
        }
        if w.secret.len() < 16 {
            let field = if w.secret_env.is_some() {
                "secret_env"
            } else {
                "secret"
            };
            return bad(at(field), "the secret must be at least 16 characters");
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
        let field = |f: &str| format!("notify.email.{f} (config file)");
        match (&e.username, &e.password) {
            (Some(_), None) => {
                return bad(
                    field("password"),
                    "a username needs a password (or password_env)",
                );
            }
            (None, Some(_)) => {
                let f = if e.password_env.is_some() {
                    "password_env"
                } else {
                    "password"
                };
                return bad(field(f), "a password needs a username");
            }
            (Some(u), Some(_)) if u.trim().is_empty() => return bad(field("username"), "is empty"),
            (Some(_), Some(_)) if e.tls == SmtpTls::None => {
                return bad(
                    field("tls"),
                    "must be \"starttls\" or \"tls\" with a login: a password must not cross \
                     the network in clear",
                );
            }
            _ => {}
        }
        if e.ca_file.is_some() && e.tls == SmtpTls::None {
            return bad(field("ca_file"), "is for tls = \"starttls\" or \"tls\"");
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
        let password = [("SETGUARD_SMTP_PASSWORD", "hunter2 but longer")];
        let c = Config::load(&flags, &env(&password)).unwrap();
        assert_eq!(c.notify.webhook.len(), 1);
        assert_eq!(c.notify.webhook[0].role, RecipientRole::StudioSafetyOffice);
        assert_eq!(
            c.notify.webhook[0].ca_file.as_deref(),
            Some(Path::new("/etc/setguard/studio-ca.pem"))
        );
        let email = c.notify.email.as_ref().unwrap();
        assert_eq!((email.port(), email.to.len()), (587, 2));
        assert_eq!(email.tls, SmtpTls::Starttls);
        assert_eq!(email.password.as_deref(), Some("hunter2 but longer"));
        let debug = format!("{c:?}");
        assert!(!debug.contains("long random"), "the secret is redacted");
        assert!(!debug.contains("hunter2"), "the password is redacted");

        std::fs::write(&file, example.replace("https://hooks", "ftp://hooks")).unwrap();
        let err = Config::load(&flags, &env(&password)).unwrap_err();
        assert_eq!(err.source_name, "notify.webhook[0].url (config file)");
    }

    /// Loads `toml` as the config file, with `vars` as the environment.
    fn load_notify(toml: &str, vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("notify.toml");
        std::fs::write(&file, toml).unwrap();
        let flags = Overrides {
            config_file: Some(file),
            ..Overrides::default()
        };
        Config::load(&flags, &env(vars))
    }

    const HOOK: &str = "[[notify.webhook]]\nname = \"safety\"\nrole = \"studio-safety-office\"\n";

    #[test]
    fn webhooks_take_https_and_plain_http_and_a_ca_file_only_for_https() {
        for url in ["https://hooks.example/x", "http://relay.internal:9000/x"] {
            let c = load_notify(
                &format!("{HOOK}url = \"{url}\"\nsecret = \"sixteen chars at least\"\n"),
                &[],
            )
            .unwrap();
            assert_eq!(c.notify.webhook[0].url, url);
            assert_eq!(c.notify.webhook[0].ca_file, None);
        }
        let err = load_notify(
            &format!(
                "{HOOK}url = \"http://relay/x\"\nsecret = \"sixteen chars at least\"\nca_file = \"/ca.pem\"\n"
            ),
            &[],
        )
        .unwrap_err();
        assert_eq!(err.source_name, "notify.webhook[0].ca_file (config file)");
    }

    #[test]
    fn a_webhook_secret_can_come_from_the_environment() {
        let toml = format!("{HOOK}url = \"https://h/x\"\nsecret_env = \"STUDIO_HOOK_SECRET\"\n");
        let c = load_notify(&toml, &[("STUDIO_HOOK_SECRET", "from the environment!")]).unwrap();
        assert_eq!(c.notify.webhook[0].secret, "from the environment!");
        assert!(!format!("{c:?}").contains("from the environment"));

        let err = load_notify(&toml, &[]).unwrap_err();
        assert_eq!(
            err.source_name,
            "notify.webhook[0].secret_env (config file)"
        );
        assert!(err.why.contains("STUDIO_HOOK_SECRET"), "{err}");
        assert!(err.why.contains("not set"), "{err}");

        let err = load_notify(&toml, &[("STUDIO_HOOK_SECRET", "short")]).unwrap_err();
        assert_eq!(
            err.source_name,
            "notify.webhook[0].secret_env (config file)"
        );
        assert!(err.why.contains("16"), "{err}");

        let both = format!("{toml}secret = \"sixteen chars at least\"\n");
        let err =
            load_notify(&both, &[("STUDIO_HOOK_SECRET", "from the environment!")]).unwrap_err();
        assert_eq!(
            err.source_name,
            "notify.webhook[0].secret_env (config file)"
        );
        assert!(err.why.contains("not both"), "{err}");
    }

    const MAIL: &str =
        "[notify.email]\nsmtp_host = \"smtp.example\"\nfrom = \"sg@studio.example\"\n";

    #[test]
    fn smtp_defaults_to_plain_as_before_and_takes_starttls_or_tls() {
        let e = load_notify(MAIL, &[]).unwrap().notify.email.unwrap();
        assert_eq!(
            (e.tls, e.port(), e.username, e.password),
            (SmtpTls::None, 25, None, None)
        );
        // Unless given, the port follows the TLS mode; given, it is kept.
        for (word, port) in [("starttls", 587), ("tls", 465)] {
            let toml = format!("{MAIL}tls = \"{word}\"\n");
            let e = load_notify(&toml, &[]).unwrap().notify.email.unwrap();
            assert_eq!(e.port(), port, "tls = {word:?}");
            let toml = format!("{MAIL}tls = \"{word}\"\nsmtp_port = 2525\n");
            let e = load_notify(&toml, &[]).unwrap().notify.email.unwrap();
            assert_eq!(e.port(), 2525, "tls = {word:?} and a port");
        }
        for (word, tls) in [("starttls", SmtpTls::Starttls), ("tls", SmtpTls::Tls)] {
            let toml = format!(
                "{MAIL}tls = \"{word}\"\nsmtp_port = 465\nusername = \"sg\"\npassword = \"pw\"\nca_file = \"/ca.pem\"\n"
            );
            let e = load_notify(&toml, &[]).unwrap().notify.email.unwrap();
            assert_eq!(e.tls, tls);
            assert_eq!(
                (e.username.as_deref(), e.password.as_deref()),
                (Some("sg"), Some("pw"))
            );
            assert_eq!(e.ca_file.as_deref(), Some(Path::new("/ca.pem")));
            assert!(
                !format!("{e:?}").contains("\"pw\""),
                "the password is redacted"
            );
        }
        let err = load_notify(&format!("{MAIL}tls = \"ssl\"\n"), &[]).unwrap_err();
        assert!(err.why.contains("ssl"), "{err}");
    }

    #[test]
    fn an_smtp_login_without_tls_is_refused() {
        let err = load_notify(
            &format!("{MAIL}username = \"sg\"\npassword = \"pw\"\n"),
            &[],
        )
        .unwrap_err();
        assert_eq!(err.source_name, "notify.email.tls (config file)");
        assert!(err.why.contains("in clear"), "{err}");

        let err =
            load_notify(&format!("{MAIL}tls = \"tls\"\nusername = \"sg\"\n"), &[]).unwrap_err();
        assert_eq!(err.source_name, "notify.email.password (config file)");

        let err = load_notify(&format!("{MAIL}ca_file = \"/ca.pem\"\n"), &[]).unwrap_err();
        assert_eq!(err.source_name, "notify.email.ca_file (config file)");
    }

    #[test]
    fn an_smtp_password_can_come_from_the_environment() {
        let toml =
            format!("{MAIL}tls = \"starttls\"\nusername = \"sg\"\npassword_env = \"SMTP_PW\"\n");
        let e = load_notify(&toml, &[("SMTP_PW", "from env")])
            .unwrap()
            .notify
            .email
            .unwrap();
        assert_eq!(e.password.as_deref(), Some("from env"));

        let err = load_notify(&toml, &[]).unwrap_err();
        assert_eq!(err.source_name, "notify.email.password_env (config file)");
        assert!(err.why.contains("SMTP_PW"), "{err}");

        let both = format!("{toml}password = \"pw\"\n");
        let err = load_notify(&both, &[("SMTP_PW", "from env")]).unwrap_err();
        assert_eq!(err.source_name, "notify.email.password_env (config file)");
    }
}
