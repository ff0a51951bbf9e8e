//! Accounts: who may sign in, their sessions, and who each account is on each production.
//!
//! Accounts are not ledger events, on purpose: the ledger is the evidence record investigators
//! receive, and password hashes, PIN hashes and session tokens must never be in it. With SQLite
//! the accounts are a file of their own beside the ledger ([`url_for`]); with PostgreSQL they are
//! tables in the ledger's database, shared by every server on it, so a session made on one server
//! is good on all of them and failed attempts are counted together, whichever server saw them.
//!
//! Secrets are kept only as hashes ([`secrets`]): passwords and PINs as argon2id, session tokens
//! as SHA-256. Failures are counted by the database in one statement, so two servers cannot both
//! read "4 failures" and both let a fifth attempt through.
//!
//! Every method blocks (argon2 takes tens of milliseconds on purpose, and the PostgreSQL client
//! is the blocking one): call them from `tokio::task::spawn_blocking`.

mod postgres;
mod secrets;
mod sqlite;

use setguard_core::{PersonId, ProductionId};
use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Where accounts are kept, derived from the ledger URL: `sqlite:DIR/NAME.EXT` ->
/// `sqlite:DIR/NAME-accounts.EXT` (no extension: append `-accounts.db`); PostgreSQL URLs are
/// unchanged, since the accounts are tables in the ledger's database there.
///
/// Beside the ledger, not inside it, so that a copy of the ledger handed over as evidence
/// carries no password hashes, and so that the accounts can be backed up on their own.
pub fn url_for(ledger_url: &str) -> String {
    let Some(rest) = ledger_url.strip_prefix("sqlite:") else {
        return ledger_url.to_owned();
    };
    let (scheme, path) = match rest.strip_prefix("//") {
        Some(path) => ("sqlite://", path),
        None => ("sqlite:", rest),
    };
    if path.is_empty() {
        // Names no file: `open` says so.
        return ledger_url.to_owned();
    }
    let name_start = path.rfind(['/', '\\']).map_or(0, |i| i + 1);
    match path[name_start..].rfind('.') {
        // A leading dot (".ledger") starts a name, not an extension.
        Some(dot) if dot > 0 => {
            let (stem, ext) = path.split_at(name_start + dot);
            format!("{scheme}{stem}-accounts{ext}")
        }
        _ => format!("{scheme}{path}-accounts.db"),
    }
}

/// Opens the account store at `url` (`sqlite:PATH`, or `postgres://...`), creating it and
/// running its migrations as needed. The migrations are embedded, numbered and recorded in
/// `setguard_accounts_migrations`; with PostgreSQL they run under an advisory lock, so servers
/// starting together do not race to create the tables.
pub fn open(url: &str) -> Result<Accounts, AccountError> {
    let dir: Arc<dyn Directory> = if let Some(path) = url.strip_prefix("sqlite:") {
        let path = path.strip_prefix("//").unwrap_or(path);
        if path.is_empty() {
            return Err(AccountError::Invalid {
                field: "url",
                why: "the account store URL names no file; write sqlite:PATH".to_owned(),
            });
        }
        Arc::new(sqlite::SqliteDirectory::open(Path::new(path))?)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Arc::new(postgres::PostgresDirectory::open(url)?)
    } else {
        // The URL is not repeated: it may hold a password.
        return Err(AccountError::Invalid {
            field: "url",
            why: "the account store URL must start with sqlite: or postgres://".to_owned(),
        });
    };
    Ok(Accounts {
        recent: Arc::default(),
        dir,
        lockout: Lockout::default(),
    })
}

/// The account store, and the lockout policy it applies. Cheap to clone: clones share the
/// connection.
#[derive(Debug, Clone)]
pub struct Accounts {
    dir: Arc<dyn Directory>,
    lockout: Lockout,
    recent: Arc<Mutex<Recent>>,
}

/// How long a session or link read from the store is taken as still true without asking again.
/// A sign-out or link made through this handle is seen at once; one made on another server
/// sharing the store, within this long.
const RECENT_FOR: Duration = Duration::from_secs(2);
/// Past this many entries the memory is cleared (a flood of distinct tokens gains nothing).
const RECENT_MAX: usize = 10_000;

/// Sessions and links read a moment ago, so that a tablet polling the board or a burst of
/// commands does not cost two reads of the account store per request.
#[derive(Debug, Default)]
struct Recent {
    /// By the token's SHA-256; each shared with the requests that use it, so that a request's
    /// session costs no copy.
    sessions: HashMap<[u8; 32], (Arc<Session>, Instant)>,
    /// By account, then production: looked up without building a key.
    links: HashMap<String, HashMap<String, (Option<String>, Instant)>>,
}

/// How many wrong attempts lock a secret, for how long, and how long a session lasts.
///
/// A lock ends by itself: an attacker guessing gets `signin_failures` guesses per
/// `signin_lock_secs`, and a crew member who mistyped waits minutes, not for an admin.
#[derive(Debug, Clone, Copy)]
pub struct Lockout {
    /// Consecutive wrong passwords that lock signing in (0 is taken as 1).
    pub signin_failures: u32,
    pub signin_lock_secs: i64,
    /// Consecutive wrong PINs that lock PIN confirmation (0 is taken as 1).
    pub pin_failures: u32,
    pub pin_lock_secs: i64,
    /// How long a session lasts from signing in.
    pub session_secs: i64,
}

impl Default for Lockout {
    fn default() -> Self {
        Lockout {
            signin_failures: 5,
            signin_lock_secs: 15 * 60,
            pin_failures: 5,
            pin_lock_secs: 5 * 60,
            // A shooting day, so nobody is signed out in the middle of one.
            session_secs: 14 * 60 * 60,
        }
    }
}

/// A signed-in session. `token` is the secret the browser holds (only its SHA-256 is stored);
/// `csrf` is the token forms must echo.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    pub token: String,
    pub username: String,
    pub admin: bool,
    pub csrf: String,
    pub expires_unix: i64,
}

/// Redacts the tokens: a session logged by mistake must not hand it to whoever reads the log.
impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("token", &"<redacted>")
            .field("username", &self.username)
            .field("admin", &self.admin)
            .field("csrf", &"<redacted>")
            .field("expires_unix", &self.expires_unix)
            .finish()
    }
}

/// What went wrong with an account operation. The messages are for the people on set.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// Something is taken (a username, or a person or account already linked on a production);
    /// the message says what.
    #[error("{0}")]
    Exists(String),
    /// There is no account with this username.
    #[error("there is no account named {0:?}")]
    NoAccount(String),
    /// An input is not acceptable; `field` names it ("username", "password", "pin",
    /// "production", "person", "url") and `why` says what is wrong, as a sentence.
    #[error("{why}")]
    Invalid { field: &'static str, why: String },
    /// The store failed; the message is for the log, not for the page.
    #[error("the account store failed: {0}")]
    Store(String),
}

/// Why signing in was refused.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Unknown username or wrong password: deliberately the same answer.
    #[error("wrong username or password")]
    Wrong,
    /// Too many wrong passwords in a row; signing in is refused, even with the right password,
    /// until `until_unix`.
    #[error("too many failed sign-ins: this account is locked for now; try again later")]
    Locked { until_unix: i64 },
    #[error(transparent)]
    Store(#[from] AccountError),
}

/// Why a PIN was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum PinError {
    /// The person has no account linked on this production, so there is no PIN to check.
    #[error("this person has no account on this production, so they have no PIN to confirm with")]
    NoAccount,
    #[error("wrong PIN")]
    Wrong,
    /// Too many wrong PINs in a row; the PIN is refused, even the right one, until `until_unix`.
    #[error("too many wrong PINs: confirming with this PIN is locked for now; try again later")]
    Locked { until_unix: i64 },
    #[error(transparent)]
    Store(#[from] AccountError),
}

impl Accounts {
    pub fn with_lockout(self, lockout: Lockout) -> Accounts {
        Accounts { lockout, ..self }
    }

    pub fn lockout(&self) -> Lockout {
        self.lockout
    }

    /// Adds an account. The username is 1 to 64 of `a-z 0-9 . _ -`, starting with a letter or
    /// digit (lowercase only, so that "Alice" and "alice" are never two accounts); the password
    /// at least 10 characters; the PIN 4 to 8 digits.
    pub fn add(
        &self,
        username: &str,
        password: &str,
        pin: &str,
        admin: bool,
    ) -> Result<(), AccountError> {
        check_username(username)?;
        check_password(password)?;
        check_pin(pin)?;
        let password_hash = secrets::hash(password)?;
        let pin_hash = secrets::hash(pin)?;
        if self.dir.add(username, &password_hash, &pin_hash, admin)? {
            Ok(())
        } else {
            Err(AccountError::Exists(format!(
                "the username {username:?} is already taken"
            )))
        }
    }

    /// Replaces the password. It also lifts a sign-in lock: whoever may set the password may let
    /// its owner in. Sessions already open stay open.
    pub fn set_password(&self, username: &str, password: &str) -> Result<(), AccountError> {
        check_password(password)?;
        let hash = secrets::hash(password)?;
        self.set(Secret::Password, username, &hash)
    }

    /// Replaces the PIN, and lifts a PIN lock.
    pub fn set_pin(&self, username: &str, pin: &str) -> Result<(), AccountError> {
        check_pin(pin)?;
        let hash = secrets::hash(pin)?;
        self.set(Secret::Pin, username, &hash)
    }

    fn set(&self, which: Secret, username: &str, hash: &str) -> Result<(), AccountError> {
        if self.dir.set_secret(which, username, hash)? {
            Ok(())
        } else {
            Err(AccountError::NoAccount(username.to_owned()))
        }
    }

    pub fn exists(&self, username: &str) -> Result<bool, AccountError> {
        self.dir.exists(username)
    }

    /// Signs in with a password and starts a session.
    ///
    /// An unknown username and a wrong password get the same [`SignInError::Wrong`], after the
    /// same argon2 work, so that neither the answer nor its timing tells which usernames exist.
    /// `signin_failures` wrong passwords in a row lock signing in for `signin_lock_secs` (the
    /// attempt that locks is answered `Locked`); while locked even the right password is refused;
    /// a success clears the count.
    pub fn sign_in(
        &self,
        username: &str,
        password: &str,
        now_unix: i64,
    ) -> Result<Session, SignInError> {
        let well_formed = password.chars().count() <= MAX_PASSWORD_CHARS;
        let granted =
            match self.attempt(Secret::Password, username, password, well_formed, now_unix)? {
                Attempt::Granted(c) => c,
                Attempt::Unknown | Attempt::Wrong => return Err(SignInError::Wrong),
                Attempt::Locked(until_unix) => return Err(SignInError::Locked { until_unix }),
            };
        let session = Session {
            token: secrets::random_token()?,
            username: username.to_owned(),
            admin: granted.admin,
            csrf: secrets::random_token()?,
            expires_unix: now_unix.saturating_add(self.lockout.session_secs),
        };
        self.dir.start_session(
            &secrets::digest(&session.token),
            &session.username,
            &session.csrf,
            now_unix,
            session.expires_unix,
        )?;
        Ok(session)
    }

    /// The session for a token if it exists and has not expired (it lasts while `now_unix` is
    /// before `expires_unix`). The admin flag is the account's as of now.
    pub fn session(&self, token: &str, now_unix: i64) -> Result<Option<Session>, AccountError> {
        if !secrets::is_token(token) {
            // Not something we ever handed out: no need to ask the store.
            return Ok(None);
        }
        let digest = secrets::digest(token);
        let found = self.dir.session(&digest, now_unix)?.map(|s| Session {
            token: token.to_owned(),
            username: s.username,
            admin: s.admin,
            csrf: s.csrf,
            expires_unix: s.expires_unix,
        });
        let key = secrets::digest_bytes(token);
        let mut recent = self.recent();
        match &found {
            Some(s) => {
                if recent.sessions.len() >= RECENT_MAX {
                    recent.sessions.clear();
                }
                recent
                    .sessions
                    .insert(key, (Arc::new(s.clone()), Instant::now()));
            }
            None => {
                recent.sessions.remove(&key);
            }
        }
        Ok(found)
    }

    /// The session for a token if it was read from the store a moment ago and has not expired:
    /// answered from memory, without blocking. `None` means "ask [`Accounts::session`]".
    pub fn recent_session(&self, token: &str, now_unix: i64) -> Option<Arc<Session>> {
        if !secrets::is_token(token) {
            return None;
        }
        let recent = self.recent();
        let (s, at) = recent.sessions.get(&secrets::digest_bytes(token))?;
        (at.elapsed() < RECENT_FOR && s.expires_unix > now_unix).then(|| s.clone())
    }

    /// The person an account is on a production, if read a moment ago (`None`: ask
    /// [`Accounts::person_in`]).
    pub fn recent_person_in(&self, username: &str, production: &str) -> Option<Option<String>> {
        let recent = self.recent();
        let (person, at) = recent.links.get(username)?.get(production)?;
        (at.elapsed() < RECENT_FOR).then(|| person.clone())
    }

    fn recent(&self) -> std::sync::MutexGuard<'_, Recent> {
        self.recent.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Ends a session, on every server. Ending one that is not there (already ended, expired or
    /// never made) is not an error: the outcome is the same.
    pub fn sign_out(&self, token: &str) -> Result<(), AccountError> {
        if !secrets::is_token(token) {
            return Ok(());
        }
        let digest = secrets::digest(token);
        self.recent().sessions.remove(&secrets::digest_bytes(token));
        self.dir.end_session(&digest)
    }

    /// Links an account to the person it is on one production. On a production a person has
    /// at most one account and an account is at most one person: a link that would break either
    /// is refused with [`AccountError::Exists`] saying who holds it, never replaced, since
    /// re-linking a person changes who may confirm as them. Making a link that is already there
    /// is not an error.
    pub fn link(&self, username: &str, production: &str, person: &str) -> Result<(), AccountError> {
        ProductionId::parse(production).map_err(|e| AccountError::Invalid {
            field: "production",
            why: format!("the production is not a valid id: {e}"),
        })?;
        PersonId::parse(person).map_err(|e| AccountError::Invalid {
            field: "person",
            why: format!("the person is not a valid id: {e}"),
        })?;
        if !self.dir.exists(username)? {
            return Err(AccountError::NoAccount(username.to_owned()));
        }
        if let Some(of) = self.recent().links.get_mut(username) {
            of.remove(production);
        }
        if self.dir.insert_link(username, production, person)? {
            return Ok(());
        }
        if let Some(holder) = self.dir.account_of(production, person)? {
            if holder == username {
                return Ok(());
            }
            return Err(AccountError::Exists(format!(
                "{person:?} on {production:?} is already linked to the account {holder:?}"
            )));
        }
        if let Some(other) = self.dir.person_in(username, production)? {
            return Err(AccountError::Exists(format!(
                "the account {username:?} is already linked to {other:?} on {production:?}"
            )));
        }
        Err(AccountError::Store(
            "a link was refused as taken, but nothing holds it now; try again".to_owned(),
        ))
    }

    pub fn person_in(
        &self,
        username: &str,
        production: &str,
    ) -> Result<Option<String>, AccountError> {
        let person = self.dir.person_in(username, production)?;
        let mut recent = self.recent();
        if recent.links.len() >= RECENT_MAX {
            recent.links.clear();
        }
        recent
            .links
            .entry(username.to_owned())
            .or_default()
            .insert(production.to_owned(), (person.clone(), Instant::now()));
        Ok(person)
    }

    /// The productions an account is linked to, with the person it is on each, sorted.
    pub fn memberships(&self, username: &str) -> Result<Vec<(String, String)>, AccountError> {
        let mut all = self.dir.memberships(username)?;
        // Sorted here, bytewise, whatever the database's collation.
        all.sort();
        Ok(all)
    }

    /// The token of the production's anonymous concern link (`/concern/TOKEN`), made on first
    /// use: posted on set as a QR code, it is the only way to the form.
    pub fn concern_link(&self, production: &str) -> Result<String, AccountError> {
        let fresh = secrets::random_token()?;
        self.dir.concern_link(production, &fresh)
    }

    /// The production a concern link is for, if it is one.
    pub fn concern_production(&self, token: &str) -> Result<Option<String>, AccountError> {
        if !secrets::is_token(token) {
            return Ok(None);
        }
        self.dir.concern_production(token)
    }

    /// Claims the notification of `production`'s record `seq` for `recipient`: `Some(id)` for
    /// the one caller (on any server sharing this store) that gets to deliver it, `None` for
    /// every other, so that a notification goes out once however many servers follow the
    /// production. See `crate::notify`.
    ///
    /// The claim is a lease held by `holder` (a token of the claiming notifier's own) until
    /// `lease_until_unix`; the holder renews it before each attempt ([`Accounts::renew_lease`]).
    /// Should it run out (the server stopped mid-retry), another notifier takes the
    /// notification over ([`Accounts::take_over_notifications`]).
    #[allow(clippy::too_many_arguments)]
    pub fn claim_notification(
        &self,
        production: &str,
        seq: u64,
        recipient: &str,
        kind: &str,
        now_unix: i64,
        holder: &str,
        lease_until_unix: i64,
    ) -> Result<Option<i64>, AccountError> {
        self.dir.claim_notification(
            production,
            seq_sql(seq)?,
            recipient,
            kind,
            now_unix,
            holder,
            lease_until_unix,
        )
    }

    /// Extends `holder`'s lease on `notification` to `until_unix`: `false` if the lease is no
    /// longer `holder`'s (another notifier took it over) or the delivery is over, and the
    /// holder must stop.
    pub fn renew_lease(
        &self,
        notification: i64,
        holder: &str,
        until_unix: i64,
    ) -> Result<bool, AccountError> {
        self.dir
            .renew_lease(notification, holder, until_unix.min(LEASE_ENDED - 1))
    }

    /// Marks `holder`'s delivery of `notification` over (delivered, or out of attempts): it is
    /// never taken over.
    pub fn end_lease(&self, notification: i64, holder: &str) -> Result<(), AccountError> {
        self.dir.end_lease(notification, holder)
    }

    /// Takes over, for `holder` until `lease_until_unix`, every notification to `recipient`
    /// whose lease ran out before `now_unix` (its server stopped mid-retry), that is not
    /// delivered and has had fewer than `max_attempts` attempts. One conditional UPDATE: of
    /// several notifiers sweeping at once, one takes each.
    pub fn take_over_notifications(
        &self,
        recipient: &str,
        holder: &str,
        now_unix: i64,
        lease_until_unix: i64,
        max_attempts: u32,
    ) -> Result<Vec<TakenOver>, AccountError> {
        self.dir.take_over_notifications(
            recipient,
            holder,
            now_unix,
            lease_until_unix.min(LEASE_ENDED - 1),
            i64::from(max_attempts),
        )
    }

    /// Records one delivery attempt of a claimed notification: when, and what came of it (an
    /// HTTP status, an SMTP answer or an error), and whether it was delivered.
    pub fn record_attempt(
        &self,
        notification: i64,
        at_unix: i64,
        outcome: &str,
        delivered: bool,
    ) -> Result<(), AccountError> {
        self.dir
            .record_attempt(notification, at_unix, outcome, delivered)
    }

    /// The highest record of `production` a notification was claimed for, if any: where a
    /// restarted server resumes.
    pub fn notified_up_to(&self, production: &str) -> Result<Option<u64>, AccountError> {
        Ok(self
            .dir
            .notified_up_to(production)?
            .and_then(|s| u64::try_from(s).ok()))
    }

    /// Every delivery attempt of `production`'s notifications, in order.
    pub fn delivery_attempts(
        &self,
        production: &str,
    ) -> Result<Vec<DeliveryAttempt>, AccountError> {
        self.dir.delivery_attempts(production)
    }

    /// Checks the PIN of whoever is `person` on `production`: how they confirm on someone
    /// else's tablet. `pin_failures` wrong PINs in a row lock it for `pin_lock_secs` (the attempt
    /// that locks is answered `Locked`); a success clears the count.
    pub fn check_pin(
        &self,
        production: &str,
        person: &str,
        pin: &str,
        now_unix: i64,
    ) -> Result<(), PinError> {
        let Some(username) = self.dir.account_of(production, person)? else {
            return Err(PinError::NoAccount);
        };
        match self.attempt(
            Secret::Pin,
            &username,
            pin,
            pin_is_well_formed(pin),
            now_unix,
        )? {
            Attempt::Granted(_) => Ok(()),
            // The link's account went away between the two reads.
            Attempt::Unknown => Err(PinError::NoAccount),
            Attempt::Wrong => Err(PinError::Wrong),
            Attempt::Locked(until_unix) => Err(PinError::Locked { until_unix }),
        }
    }

    /// One try at a password or PIN, with the lockout counted by the store. `well_formed` false
    /// means the secret cannot be right (too long, not digits): it is not hashed, but costs the
    /// same time and counts as a failure.
    fn attempt(
        &self,
        which: Secret,
        username: &str,
        secret: &str,
        well_formed: bool,
        now: i64,
    ) -> Result<Attempt, AccountError> {
        let (limit, lock_secs) = match which {
            Secret::Password => (self.lockout.signin_failures, self.lockout.signin_lock_secs),
            Secret::Pin => (self.lockout.pin_failures, self.lockout.pin_lock_secs),
        };
        let Some(cred) = self.dir.credentials(which, username)? else {
            secrets::burn();
            return Ok(Attempt::Unknown);
        };
        if cred.locked_until > now {
            return Ok(Attempt::Locked(cred.locked_until));
        }
        let right = if well_formed {
            secrets::verify(secret, &cred.hash)?
        } else {
            secrets::burn();
            false
        };
        if !right {
            let until = now.saturating_add(lock_secs.max(0));
            return Ok(
                match self.dir.failed(which, username, now, limit.max(1), until)? {
                    Some(until) => Attempt::Locked(until),
                    None => Attempt::Wrong,
                },
            );
        }
        if self.dir.succeeded(which, username, &cred.hash, now)? {
            return Ok(Attempt::Granted(cred));
        }
        // Between the check and now, another attempt (maybe on another server) locked it, or
        // the secret was changed: the secret checked is no longer the one that counts.
        Ok(match self.dir.credentials(which, username)? {
            Some(c) if c.locked_until > now => Attempt::Locked(c.locked_until),
            Some(_) => Attempt::Wrong,
            None => Attempt::Unknown,
        })
    }
}

/// A seq as the stores' `BIGINT`/`INTEGER` column holds it.
fn seq_sql(seq: u64) -> Result<i64, AccountError> {
    i64::try_from(seq).map_err(|_| AccountError::Invalid {
        field: "seq",
        why: format!("the seq {seq} is out of range"),
    })
}

/// `lease_until_unix` of a notification whose delivery is over (delivered, or out of
/// attempts): never reached, so never taken over.
const LEASE_ENDED: i64 = i64::MAX;

/// A notification taken over from a notifier that stopped delivering it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakenOver {
    pub id: i64,
    pub production: String,
    pub seq: u64,
    pub kind: String,
    /// Attempts already recorded: they count toward the limit.
    pub attempts: u32,
}

/// One attempt at delivering a notification, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryAttempt {
    pub seq: u64,
    pub recipient: String,
    pub kind: String,
    pub at_unix: i64,
    /// `HTTP 200`, `HTTP 500`, `250 ...` (SMTP), or the error.
    pub outcome: String,
    pub delivered: bool,
}

enum Attempt {
    Granted(Credentials),
    Unknown,
    Wrong,
    Locked(i64),
}

const MAX_PASSWORD_CHARS: usize = 1024;

fn check_username(username: &str) -> Result<(), AccountError> {
    let invalid = |why: &str| {
        Err(AccountError::Invalid {
            field: "username",
            why: why.to_owned(),
        })
    };
    if username.is_empty() || username.len() > 64 {
        return invalid("the username must be 1 to 64 characters");
    }
    if !username
        .bytes()
        .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' | b'-'))
    {
        return invalid("the username may use only lowercase letters, digits, '.', '_' and '-'");
    }
    if !username.as_bytes()[0].is_ascii_alphanumeric() {
        return invalid("the username must start with a letter or a digit");
    }
    Ok(())
}

fn check_password(password: &str) -> Result<(), AccountError> {
    let len = password.chars().count();
    if len < 10 {
        return Err(AccountError::Invalid {
            field: "password",
            why: "the password must be at least 10 characters".to_owned(),
        });
    }
    if len > MAX_PASSWORD_CHARS {
        return Err(AccountError::Invalid {
            field: "password",
            why: format!("the password must be at most {MAX_PASSWORD_CHARS} characters"),
        });
    }
    Ok(())
}

fn pin_is_well_formed(pin: &str) -> bool {
    (4..=8).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit())
}

fn check_pin(pin: &str) -> Result<(), AccountError> {
    if pin_is_well_formed(pin) {
        Ok(())
    } else {
        Err(AccountError::Invalid {
            field: "pin",
            why: "the PIN must be 4 to 8 digits".to_owned(),
        })
    }
}

/// Which secret an attempt is at; each has its own hash, failure count and lock.
#[derive(Debug, Clone, Copy)]
enum Secret {
    Password,
    Pin,
}

/// The columns of one secret, so both backends write each counting statement once.
struct Columns {
    hash: &'static str,
    failures: &'static str,
    locked_until: &'static str,
}

impl Secret {
    fn columns(self) -> Columns {
        match self {
            Secret::Password => Columns {
                hash: "password_hash",
                failures: "signin_failures",
                locked_until: "signin_locked_until",
            },
            Secret::Pin => Columns {
                hash: "pin_hash",
                failures: "pin_failures",
                locked_until: "pin_locked_until",
            },
        }
    }
}

/// What an attempt at one secret needs from the store.
#[derive(Debug)]
struct Credentials {
    hash: String,
    /// Unix second the lock ends; in the past (or 0) when not locked.
    locked_until: i64,
    admin: bool,
}

/// A session as stored; the token is not in it.
#[derive(Debug)]
struct StoredSession {
    username: String,
    admin: bool,
    csrf: String,
    expires_unix: i64,
}

/// Where accounts are stored, in the words of this module. Synchronous and object safe: one
/// implementation per backend, chosen once by [`open`]. Every method is one statement (or reads
/// only), so that what two servers do at once is ordered by the database.
trait Directory: Send + Sync + fmt::Debug {
    /// Adds an account; `false` if the username is taken.
    fn add(
        &self,
        username: &str,
        password_hash: &str,
        pin_hash: &str,
        admin: bool,
    ) -> Result<bool, AccountError>;
    /// Replaces one secret's hash and clears its failures and lock; `false` if there is no
    /// such account.
    fn set_secret(&self, which: Secret, username: &str, hash: &str) -> Result<bool, AccountError>;
    fn exists(&self, username: &str) -> Result<bool, AccountError>;
    fn credentials(
        &self,
        which: Secret,
        username: &str,
    ) -> Result<Option<Credentials>, AccountError>;
    /// Counts a failure, unless the secret is locked at `now` already. The failure that reaches
    /// `limit` locks it until `lock_until` and starts the count again. Returns when the lock
    /// ends if the secret is locked after this, else `None`.
    fn failed(
        &self,
        which: Secret,
        username: &str,
        now: i64,
        limit: u32,
        lock_until: i64,
    ) -> Result<Option<i64>, AccountError>;
    /// Clears the failures, if the secret is still `hash` and not locked at `now`; `false`
    /// (nothing changed) otherwise.
    fn succeeded(
        &self,
        which: Secret,
        username: &str,
        hash: &str,
        now: i64,
    ) -> Result<bool, AccountError>;
    /// Stores a session, and forgets the sessions that have expired by `now`.
    fn start_session(
        &self,
        token_hash: &str,
        username: &str,
        csrf: &str,
        now: i64,
        expires: i64,
    ) -> Result<(), AccountError>;
    /// The session with this token hash, if it has not expired at `now`.
    fn session(&self, token_hash: &str, now: i64) -> Result<Option<StoredSession>, AccountError>;
    fn end_session(&self, token_hash: &str) -> Result<(), AccountError>;
    /// Adds a link; `false` if the person or the account is already linked on the production.
    fn insert_link(
        &self,
        username: &str,
        production: &str,
        person: &str,
    ) -> Result<bool, AccountError>;
    fn person_in(&self, username: &str, production: &str) -> Result<Option<String>, AccountError>;
    fn account_of(&self, production: &str, person: &str) -> Result<Option<String>, AccountError>;
    fn memberships(&self, username: &str) -> Result<Vec<(String, String)>, AccountError>;
    /// The production's concern link, stored as `fresh` if it has none yet (two servers asking
    /// at once get the same one).
    fn concern_link(&self, production: &str, fresh: &str) -> Result<String, AccountError>;
    fn concern_production(&self, token: &str) -> Result<Option<String>, AccountError>;
    /// Inserts the notification row unless it is there (`ON CONFLICT DO NOTHING`); its id if
    /// this call inserted it.
    #[allow(clippy::too_many_arguments)]
    fn claim_notification(
        &self,
        production: &str,
        seq: i64,
        recipient: &str,
        kind: &str,
        now: i64,
        holder: &str,
        lease_until: i64,
    ) -> Result<Option<i64>, AccountError>;
    /// `UPDATE ... WHERE id AND lease_holder AND lease_until_unix <> LEASE_ENDED`: whether it
    /// was renewed.
    fn renew_lease(
        &self,
        notification: i64,
        holder: &str,
        until: i64,
    ) -> Result<bool, AccountError>;
    /// Sets the lease to [`LEASE_ENDED`] if `holder` holds it.
    fn end_lease(&self, notification: i64, holder: &str) -> Result<(), AccountError>;
    /// One `UPDATE ... RETURNING` (see [`Accounts::take_over_notifications`]).
    fn take_over_notifications(
        &self,
        recipient: &str,
        holder: &str,
        now: i64,
        lease_until: i64,
        max_attempts: i64,
    ) -> Result<Vec<TakenOver>, AccountError>;
    fn record_attempt(
        &self,
        notification: i64,
        at: i64,
        outcome: &str,
        delivered: bool,
    ) -> Result<(), AccountError>;
    fn notified_up_to(&self, production: &str) -> Result<Option<i64>, AccountError>;
    fn delivery_attempts(&self, production: &str) -> Result<Vec<DeliveryAttempt>, AccountError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_for_puts_accounts_beside_the_ledger() {
        assert_eq!(
            url_for("sqlite:/var/lib/setguard/ledger.db"),
            "sqlite:/var/lib/setguard/ledger-accounts.db"
        );
        assert_eq!(
            url_for("sqlite:ledger.sqlite3"),
            "sqlite:ledger-accounts.sqlite3"
        );
        assert_eq!(
            url_for("sqlite://data/ledger.db"),
            "sqlite://data/ledger-accounts.db"
        );
        assert_eq!(
            url_for("sqlite:data/ledger"),
            "sqlite:data/ledger-accounts.db"
        );
        // Only the file name's dot counts, not a directory's.
        assert_eq!(
            url_for("sqlite:data.d/ledger"),
            "sqlite:data.d/ledger-accounts.db"
        );
        assert_eq!(
            url_for("sqlite:/srv/.ledger"),
            "sqlite:/srv/.ledger-accounts.db"
        );
        assert_eq!(url_for("sqlite:a.b.db"), "sqlite:a.b-accounts.db");
    }

    #[test]
    fn url_for_leaves_postgres_alone() {
        for url in [
            "postgres://u:p@db:5432/setguard",
            "postgresql://db/setguard?sslmode=disable",
        ] {
            assert_eq!(url_for(url), url);
        }
    }

    #[test]
    fn usernames() {
        for ok in [
            "a",
            "alice",
            "0ne",
            "first.ad",
            "key_grip-2",
            &"a".repeat(64),
        ] {
            check_username(ok).unwrap();
        }
        for bad in [
            "",
            "Alice",
            ".alice",
            "-a",
            "_a",
            "al ice",
            "élise",
            &"a".repeat(65),
        ] {
            assert!(
                matches!(
                    check_username(bad),
                    Err(AccountError::Invalid {
                        field: "username",
                        ..
                    })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn pins_and_passwords() {
        for ok in ["0000", "12345678"] {
            check_pin(ok).unwrap();
        }
        for bad in ["123", "123456789", "12a4", "１２３４", ""] {
            assert!(check_pin(bad).is_err(), "{bad:?}");
        }
        check_password("ten chars!").unwrap();
        check_password(&"é".repeat(1024)).unwrap();
        assert!(check_password("nine char").is_err());
        assert!(check_password(&"x".repeat(1025)).is_err());
    }

    #[test]
    fn session_debug_hides_the_tokens() {
        let s = Session {
            token: "a".repeat(64),
            username: "alice".into(),
            admin: false,
            csrf: "b".repeat(64),
            expires_unix: 1,
        };
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("aaaa") && !shown.contains("bbbb"),
            "{shown}"
        );
    }
}
