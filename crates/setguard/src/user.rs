//! `setguard user add` and `setguard user link`: the first accounts of a server, and a person's
//! account on a production, made at the server's own machine (the producer does the rest on the
//! API). Accounts live beside the ledger, never in it: see `setguard_server::accounts`.

use anyhow::{Context as _, bail};
use setguard_server::accounts::{self, Accounts};
use setguard_server::config::{Config, Overrides};
use std::io::{BufRead as _, IsTerminal as _};
use std::path::PathBuf;

/// The account store of the ledger the server would use with these settings.
fn open(db: Option<String>, data_dir: Option<PathBuf>) -> anyhow::Result<Accounts> {
    let flags = Overrides {
        db,
        data_dir,
        ..Overrides::default()
    };
    let config = Config::load(&flags, &|k| std::env::var(k).ok()).context("the settings")?;
    let url = accounts::url_for(&config.db);
    if let Some(dir) = PathBuf::from(url.trim_start_matches("sqlite:")).parent()
        && url.starts_with("sqlite:")
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).with_context(|| format!("making {}", dir.display()))?;
    }
    accounts::open(&url).with_context(|| "opening the accounts".to_owned())
}

/// The password and PIN: asked for without echo on a terminal, else read as two lines of
/// standard input (for scripts: `printf '%s\n%s\n' "$PASSWORD" "$PIN" | setguard user add ...`).
fn secrets(username: &str) -> anyhow::Result<(String, String)> {
    if std::io::stdin().is_terminal() {
        let password = rpassword::prompt_password(format!("Password for {username}: "))?;
        let again = rpassword::prompt_password("The same password again: ")?;
        if password != again {
            bail!("the two passwords differ; nothing was saved");
        }
        let pin = rpassword::prompt_password(format!(
            "PIN for {username} (4 to 8 digits, to confirm on someone else's tablet): "
        ))?;
        return Ok((password, pin));
    }
    let mut lines = std::io::stdin().lock().lines();
    let mut next = |what: &str| -> anyhow::Result<String> {
        match lines.next() {
            Some(line) => Ok(line.context("reading standard input")?),
            None => bail!(
                "standard input ended before the {what} (give the password, then the PIN, one per line)"
            ),
        }
    };
    let password = next("password")?;
    let pin = next("PIN")?;
    Ok((password, pin))
}

/// Makes an account, and links it to its person on a production if one is given.
pub fn add(
    username: &str,
    administrator: bool,
    link_to: Option<(String, String)>,
    db: Option<String>,
    data_dir: Option<PathBuf>,
) -> anyhow::Result<String> {
    let accounts = open(db, data_dir)?;
    if accounts.exists(username)? {
        bail!("there is already an account {username:?}; nothing was changed");
    }
    let (password, pin) = secrets(username)?;
    accounts.add(username, &password, &pin, administrator)?;
    let mut out = format!(
        "made the account {username}{}\n",
        if administrator {
            " (server administrator)"
        } else {
            ""
        }
    );
    if let Some((production, person)) = link_to {
        accounts.link(username, &production, &person)?;
        out.push_str(&format!("{username} is {person} on {production}\n"));
    }
    Ok(out)
}

/// Links an existing account to the person it is on a production.
pub fn link(
    username: &str,
    production: &str,
    person: &str,
    db: Option<String>,
    data_dir: Option<PathBuf>,
) -> anyhow::Result<String> {
    let accounts = open(db, data_dir)?;
    accounts.link(username, production, person)?;
    Ok(format!("{username} is {person} on {production}\n"))
}
