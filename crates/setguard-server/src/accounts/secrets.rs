//! The secrets of accounts, and how they are kept: passwords and PINs as argon2id PHC strings,
//! session tokens and CSRF tokens as 256 random bits in lowercase hex.
//!
//! A session token is stored only as its SHA-256: the token is 256 random bits, so a slow hash
//! would add nothing, and a fast one keeps the lookup of every request an index probe. Someone
//! who reads the table cannot sign in with what they read.

use super::AccountError;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use std::sync::{Mutex, OnceLock, PoisonError, mpsc};

/// Hashes a password or PIN with argon2id (the crate's defaults: v19, 19 MiB, 2 passes, one
/// lane) and a fresh random salt. The PHC string carries the parameters, so hashes made with
/// other parameters later still verify.
pub(super) fn hash(secret: &str) -> Result<String, AccountError> {
    let secret = secret.to_owned();
    on_the_hashing_thread(move |memory| {
        let fail =
            |e: &dyn std::fmt::Display| AccountError::Store(format!("hashing a secret: {e}"));
        let salt = SaltString::generate(&mut OsRng);
        let mut salt_buf = [0u8; 64];
        let salt_bytes = salt
            .as_salt()
            .decode_b64(&mut salt_buf)
            .map_err(|e| fail(&e))?;
        let argon = Argon2::default();
        let params = argon.params().clone();
        let len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
        let output = Output::init_with(len, |out| {
            argon
                .hash_password_into_with_memory(
                    secret.as_bytes(),
                    salt_bytes,
                    out,
                    memory.blocks(&params),
                )
                .map_err(Into::into)
        })
        .map_err(|e| fail(&e))?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&params).map_err(|e| fail(&e))?,
            salt: Some(salt.as_salt()),
            hash: Some(output),
        };
        Ok(phc.to_string())
    })?
}

/// Whether `secret` is the one `phc` was made from. A stored hash that cannot be read is a
/// store failure, not a wrong secret: nobody should be locked out by a damaged row unawares.
pub(super) fn verify(secret: &str, phc: &str) -> Result<bool, AccountError> {
    let (secret, phc) = (secret.to_owned(), phc.to_owned());
    on_the_hashing_thread(move |memory| {
        let unreadable = |e: &dyn std::fmt::Display| {
            AccountError::Store(format!("a stored secret hash is unreadable: {e}"))
        };
        let parsed = PasswordHash::new(&phc).map_err(|e| unreadable(&e))?;
        let algorithm = Algorithm::try_from(parsed.algorithm).map_err(|e| unreadable(&e))?;
        let version = parsed
            .version
            .map(Version::try_from)
            .transpose()
            .map_err(|e| unreadable(&e))?
            .unwrap_or_default();
        let params = Params::try_from(&parsed).map_err(|e| unreadable(&e))?;
        let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
            return Err(unreadable(&"no salt or no hash"));
        };
        let mut salt_buf = [0u8; 64];
        let salt_bytes = salt.decode_b64(&mut salt_buf).map_err(|e| unreadable(&e))?;
        let argon = Argon2::new(algorithm, version, params.clone());
        let computed = Output::init_with(expected.len(), |out| {
            argon
                .hash_password_into_with_memory(
                    secret.as_bytes(),
                    salt_bytes,
                    out,
                    memory.blocks(&params),
                )
                .map_err(Into::into)
        })
        .map_err(|e| AccountError::Store(format!("checking a secret: {e}")))?;
        // `Output`'s equality is constant-time.
        Ok(computed == expected)
    })?
}

/// The hashing thread's working memory, kept for the life of the process: argon2id works in a
/// 19 MiB block, and one kept block costs less than glibc keeping freed ones.
struct Memory(Vec<Block>);

impl Memory {
    fn blocks(&mut self, params: &Params) -> &mut [Block] {
        let n = params.block_count();
        if self.0.len() < n {
            self.0.resize(n, Block::default());
        }
        &mut self.0[..n]
    }
}

/// A job for the hashing thread.
type Job = Box<dyn FnOnce(&mut Memory) + Send>;

/// Runs `f` on the one thread that hashes, with its working memory, and waits for it.
///
/// argon2id works in a 19 MiB block. Allocated and freed on whichever thread hashed, glibc kept
/// such blocks in that thread's memory pool (measured: a demo server went from 33 to 110 MiB
/// after five concurrent sign-ins). Here one thread hashes, in one block kept for good: checks
/// take turns (one takes tens of milliseconds) and the server's memory stays bounded.
fn on_the_hashing_thread<T: Send + 'static>(
    f: impl FnOnce(&mut Memory) -> T + Send + 'static,
) -> Result<T, AccountError> {
    static JOBS: OnceLock<Mutex<mpsc::Sender<Job>>> = OnceLock::new();
    let jobs = JOBS.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        let spawned = std::thread::Builder::new()
            .name("setguard-argon2".to_owned())
            .spawn(move || {
                let mut memory = Memory(Vec::new());
                for job in rx {
                    // A job that panics answers no one (its caller gets an error); the thread
                    // lives on for the next sign-in.
                    let _ =
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&mut memory)));
                }
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "starting the hashing thread");
        }
        Mutex::new(tx)
    });
    let (done_tx, done_rx) = mpsc::channel();
    let job: Job = Box::new(move |memory| {
        let _ = done_tx.send(f(memory));
    });
    let sent = jobs
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .send(job);
    if sent.is_err() {
        return Err(AccountError::Store(
            "the hashing thread is not running".to_owned(),
        ));
    }
    done_rx
        .recv()
        .map_err(|_| AccountError::Store("the hashing thread stopped".to_owned()))
}

/// Spends the time of one verification, for an attempt that has no stored hash to check (an
/// unknown username, a malformed secret), so that how long a refusal takes does not tell
/// whether the account exists.
pub(super) fn burn() {
    static DUMMY: OnceLock<Option<String>> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash("setguard: no account has this password").ok());
    if let Some(phc) = dummy {
        let _ = verify("setguard: not the password", phc);
    }
}

/// 32 bytes from the operating system's generator, in lowercase hex (64 characters).
pub(super) fn random_token() -> Result<String, AccountError> {
    let mut bytes = [0u8; 32];
    OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|e| AccountError::Store(format!("the system's random generator failed: {e}")))?;
    Ok(hex(&bytes))
}

/// Whether `s` looks like a token [`random_token`] makes; anything else is not looked up.
pub(super) fn is_token(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The SHA-256 of a token, in lowercase hex: what the sessions table keeps instead of it.
pub(super) fn digest(token: &str) -> String {
    hex(&digest_bytes(token))
}

/// The SHA-256 of a token: what the server's memory of recent sessions is keyed by.
pub(super) fn digest_bytes(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn hex(bytes: &[u8]) -> String {
    // By table rather than `write!("{b:02x}")`: every request's token is digested here.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_standard_argon2id_phc_strings() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        // Ours verifies with the crate's own verifier, and the crate's with ours.
        let ours = hash("a long password").unwrap();
        assert!(
            ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{ours}"
        );
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"a long password", &parsed)
                .is_ok()
        );
        let salt = SaltString::generate(&mut OsRng);
        let theirs = Argon2::default()
            .hash_password(b"1234", &salt)
            .unwrap()
            .to_string();
        assert!(verify("1234", &theirs).unwrap());
        assert!(!verify("1235", &theirs).unwrap());
        assert!(verify("1234", "$argon2id$v=19$garbage").is_err());
    }

    #[test]
    fn tokens_are_64_lowercase_hex_and_differ() {
        let a = random_token().unwrap();
        let b = random_token().unwrap();
        assert!(is_token(&a) && is_token(&b));
        assert_ne!(a, b);
        assert!(!is_token(&a.to_uppercase()));
        assert!(!is_token(&a[1..]));
    }

    #[test]
    fn digest_is_sha256_hex() {
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn hashes_verify_only_their_secret() {
        let h = hash("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse", &h).unwrap());
        assert!(!verify("correct horsf", &h).unwrap());
        assert!(matches!(
            verify("x", "not a hash"),
            Err(AccountError::Store(_))
        ));
    }
}
