//! Password hashing, verification and the policy for new passwords.
//!
//! Hashes are Argon2id PHC strings with OWASP's parameters (m = 19 MiB, t = 2,
//! p = 1) and a random 16-byte salt. Argon2 is deliberately slow and memory
//! hungry, so every hash and verification runs on tokio's blocking pool and
//! waits for a permit from a small semaphore first: a flood of logins queues
//! instead of taking every core and starving the async runtime.
//!
//! Argon2's 19 MiB of working memory is kept and reused, one buffer per
//! permit. Allocating it afresh on whichever blocking thread ran the job made
//! the allocator keep a 19 MiB heap per thread: a sign-in flood grew the
//! process from 20 to over 400 MiB. With reuse it stays at the permits' worth.
//!
//! Passwords are never stored in these types, logged, or put into an error
//! message or `Debug` output.

use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, LazyLock};

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{Output, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::Semaphore;

/// Argon2 memory cost in KiB (19 MiB).
pub const M_COST_KIB: u32 = 19_456;
/// Argon2 iterations.
pub const T_COST: u32 = 2;
/// Argon2 lanes.
pub const P_COST: u32 = 1;
/// Length of the derived hash in bytes.
const OUTPUT_LEN: usize = 32;

/// How many hashes or verifications run at once unless told otherwise.
pub const DEFAULT_MAX_CONCURRENT: usize = 2;
/// How many may wait for a turn, per concurrent slot, before new ones are
/// turned away as busy: a flood gets quick refusals instead of a queue that
/// grows without end.
const WAITING_PER_SLOT: usize = 16;

/// Hashing slots for this machine: half the cores (at least one), so the
/// other half keeps serving pages however many sign-ins arrive.
pub fn slots_for_this_machine() -> usize {
    std::thread::available_parallelism().map(|n| n.get() / 2).unwrap_or(1).max(1)
}

/// Shortest password accepted, in Unicode scalar values.
pub const MIN_LENGTH: usize = 12;
/// Longest password accepted, in Unicode scalar values.
pub const MAX_LENGTH: usize = 128;

/// Internal failures while hashing or verifying. The messages hold no secret:
/// neither the password nor the stored hash.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// The stored hash is not a PHC string this module can verify.
    #[error("stored password hash is malformed or uses an unsupported algorithm")]
    MalformedHash,
    /// Argon2 itself failed (its messages name parameters, never inputs).
    #[error("password hashing failed: {0}")]
    Hash(argon2::password_hash::Error),
    /// The blocking task panicked or was cancelled.
    #[error("password hashing task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
    /// The semaphore was closed (only during shutdown).
    #[error("password hashing is shutting down")]
    Closed,
    /// Too many hashes are already waiting; try again shortly.
    #[error("password hashing is busy")]
    Busy,
}

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    /// The password is the right one.
    pub matched: bool,
    /// The password matched, but the stored hash uses another algorithm,
    /// version or parameters than [`Passwords::hash`] does today: hash the
    /// password again and store the new PHC string. Always false when the
    /// password did not match.
    pub needs_rehash: bool,
}

/// Hashes and verifies passwords on the blocking pool, a few at a time.
/// Cheap to clone; clones share the same permits.
#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    /// Callers waiting for a permit now, and how many may.
    waiting: Arc<std::sync::atomic::AtomicUsize>,
    max_waiting: usize,
    /// Argon2 working memory, reused; never more buffers than permits.
    memory: Arc<std::sync::Mutex<Vec<Vec<Block>>>>,
    /// A hash of a random password, verified against by
    /// [`Passwords::verify_dummy`]. Made on first use, so start-up and
    /// one-shot commands never pay for an Argon2 run they do not need.
    dummy_hash: Arc<tokio::sync::OnceCell<String>>,
}

impl fmt::Debug for Passwords {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Passwords")
            .field("available_permits", &self.permits.available_permits())
            .finish_non_exhaustive()
    }
}

impl Default for Passwords {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_CONCURRENT)
    }
}

/// The Argon2id hasher with today's parameters.
fn argon2() -> Argon2<'static> {
    let params =
        Params::new(M_COST_KIB, T_COST, P_COST, Some(OUTPUT_LEN)).expect("constant Argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Runs Argon2 with `argon2`'s parameters into `out`, in `memory` (grown
/// to the size the parameters need).
fn derive(
    argon2: &Argon2<'_>,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
    memory: &mut Vec<Block>,
) -> Result<(), PasswordError> {
    let blocks = argon2.params().block_count();
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    argon2
        .hash_password_into_with_memory(password, salt, out, &mut memory[..blocks])
        .map_err(|e| PasswordError::Hash(e.into()))
}

fn hash_blocking(password: &[u8], memory: &mut Vec<Block>) -> Result<String, PasswordError> {
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_raw = salt.as_salt().decode_b64(&mut salt_bytes).map_err(PasswordError::Hash)?;
    let argon2 = argon2();
    let mut out = [0u8; OUTPUT_LEN];
    derive(&argon2, password, salt_raw, &mut out, memory)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: argon2.params().try_into().map_err(PasswordError::Hash)?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(PasswordError::Hash)?),
    };
    Ok(phc.to_string())
}

fn verify_blocking(password: &[u8], phc: &str, memory: &mut Vec<Block>) -> Result<Verified, PasswordError> {
    let parsed = PasswordHash::new(phc).map_err(|_| PasswordError::MalformedHash)?;
    // Without these the library reports a plain mismatch; a stored hash
    // missing them is broken data, not a wrong password.
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Err(PasswordError::MalformedHash);
    };
    // The algorithm, version and parameters recorded in the stored hash, so
    // hashes made with older settings still verify.
    let algorithm = Algorithm::try_from(parsed.algorithm).map_err(|_| PasswordError::MalformedHash)?;
    let version = match parsed.version {
        Some(v) => Version::try_from(v).map_err(|_| PasswordError::MalformedHash)?,
        None => Version::V0x13,
    };
    let params = Params::try_from(&parsed).map_err(|_| PasswordError::MalformedHash)?;
    let mut salt_bytes = [0u8; 64];
    let salt_raw = salt.decode_b64(&mut salt_bytes).map_err(|_| PasswordError::MalformedHash)?;
    let mut out = vec![0u8; expected.len()];
    derive(&Argon2::new(algorithm, version, params), password, salt_raw, &mut out, memory)
        .map_err(|_| PasswordError::MalformedHash)?;
    // `Output` compares in constant time.
    let matched = Output::new(&out).map_err(|_| PasswordError::MalformedHash)? == expected;
    Ok(Verified { matched, needs_rehash: matched && needs_rehash(&parsed) })
}

/// Whether a (verified) stored hash differs from what [`Passwords::hash`]
/// would produce today.
fn needs_rehash(parsed: &PasswordHash<'_>) -> bool {
    if parsed.algorithm != Algorithm::Argon2id.ident() || parsed.version != Some(Version::V0x13.into()) {
        return true;
    }
    let Ok(params) = Params::try_from(parsed) else {
        return true;
    };
    params.m_cost() != M_COST_KIB
        || params.t_cost() != T_COST
        || params.p_cost() != P_COST
        || parsed.hash.as_ref().is_none_or(|output| output.len() != OUTPUT_LEN)
}

impl Passwords {
    /// At most `max_concurrent` (at least 1) hashes or verifications run at
    /// once; up to 16 per slot more wait their turn, and beyond that callers
    /// get [`PasswordError::Busy`] at once.
    pub fn new(max_concurrent: usize) -> Self {
        let slots = max_concurrent.max(1);
        Self {
            permits: Arc::new(Semaphore::new(slots)),
            waiting: Default::default(),
            max_waiting: slots * WAITING_PER_SLOT,
            memory: Default::default(),
            dummy_hash: Default::default(),
        }
    }

    /// Whether a new hash would be turned away as busy right now. Lets a
    /// sign-in flood be refused before it costs any database work.
    pub fn is_saturated(&self) -> bool {
        self.permits.available_permits() == 0
            && self.waiting.load(std::sync::atomic::Ordering::SeqCst) >= self.max_waiting
    }

    /// Runs `work` on the blocking pool once a permit is free. The permit
    /// moves into the task, so it stays taken until the work ends even when
    /// the caller stops waiting.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> Result<T, PasswordError> {
        use std::sync::atomic::Ordering;
        let permit = match self.permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                // Counted while waiting, also when the caller gives up (drop).
                struct Waiting<'a>(&'a std::sync::atomic::AtomicUsize);
                impl Drop for Waiting<'_> {
                    fn drop(&mut self) {
                        self.0.fetch_sub(1, Ordering::SeqCst);
                    }
                }
                let _waiting = Waiting(&self.waiting);
                if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.max_waiting {
                    return Err(PasswordError::Busy);
                }
                self.permits.clone().acquire_owned().await.map_err(|_| PasswordError::Closed)?
            }
        };
        let pool = self.memory.clone();
        let result = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            // A permit holder finds a free buffer (or makes the first ones);
            // the buffer goes back before the permit is released.
            let mut memory = pool.lock().map(|mut free| free.pop()).ok().flatten().unwrap_or_default();
            let result = work(&mut memory);
            if let Ok(mut free) = pool.lock() {
                free.push(memory);
            }
            result
        })
        .await?;
        Ok(result)
    }

    /// Hashes `password` into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`)
    /// with a fresh random salt.
    pub async fn hash(&self, password: &str) -> Result<String, PasswordError> {
        let password = password.to_owned();
        self.run(move |memory| hash_blocking(password.as_bytes(), memory)).await?
    }

    /// Checks `password` against the stored PHC string `phc`.
    pub async fn verify(&self, password: &str, phc: &str) -> Result<Verified, PasswordError> {
        let password = password.to_owned();
        let phc = phc.to_owned();
        self.run(move |memory| verify_blocking(password.as_bytes(), &phc, memory)).await?
    }

    /// Verifies `password` against a hash nobody knows the password of, so a
    /// login for an unknown account takes about as long as a real one and
    /// does not reveal which accounts exist. The outcome is always a mismatch.
    /// Only [`PasswordError::Busy`] is returned (so a busy server answers
    /// unknown and known emails alike); other failures are logged.
    pub async fn verify_dummy(&self, password: &str) -> Result<(), PasswordError> {
        let dummy = self
            .dummy_hash
            .get_or_try_init(|| async {
                let mut random = [0u8; 32];
                OsRng.fill_bytes(&mut random);
                self.run(move |memory| hash_blocking(&random, memory)).await?
            })
            .await;
        let outcome = match dummy {
            Ok(dummy) => self.verify(password, dummy).await.map(|_| ()),
            Err(error) => Err(error),
        };
        match outcome {
            Err(PasswordError::Busy) => Err(PasswordError::Busy),
            Err(error) => {
                tracing::warn!(%error, "dummy password verification failed");
                Ok(())
            }
            Ok(()) => Ok(()),
        }
    }
}

/// Why a new password was refused. `Display` is a sentence to show the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("Use at least 12 characters.")]
    TooShort,
    #[error("Use at most 128 characters.")]
    TooLong,
    #[error("That password is too common; choose something harder to guess.")]
    TooCommon,
    #[error("Don't use your email address as your password.")]
    SameAsEmail,
    #[error("Don't use your name as your password.")]
    SameAsName,
}

/// The common-password list (see `app/data/README.md`), lower-case.
static COMMON_PASSWORDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../data/common-passwords.txt")
        .lines()
        .map(|line| line.trim_end_matches('\r'))
        .filter(|line| !line.is_empty())
        .collect()
});

/// Whether `password` (compared in lower case) is on the common list.
pub fn is_common(password: &str) -> bool {
    COMMON_PASSWORDS.contains(password.to_lowercase().as_str())
}

/// Checks a password a user is choosing: 12 to 128 characters (Unicode
/// scalar values), not on the common list, and not the user's email address
/// or name (ignoring case).
pub fn check_new_password(password: &str, email: &str, name: &str) -> Result<(), PolicyError> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(PolicyError::TooShort);
    }
    if length > MAX_LENGTH {
        return Err(PolicyError::TooLong);
    }
    let lower = password.to_lowercase();
    let same_as = |other: &str| {
        let other = other.trim();
        !other.is_empty() && lower == other.to_lowercase()
    };
    if same_as(email) {
        return Err(PolicyError::SameAsEmail);
    }
    if same_as(name) {
        return Err(PolicyError::SameAsName);
    }
    if COMMON_PASSWORDS.contains(lower.as_str()) {
        return Err(PolicyError::TooCommon);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    #[tokio::test]
    async fn hashes_are_standard_phc_strings_that_the_argon2_crate_verifies() {
        let passwords = Passwords::new(1);
        let phc = passwords.hash(PASSWORD).await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        let parsed = PasswordHash::new(&phc).unwrap();
        assert!(argon2().verify_password(PASSWORD.as_bytes(), &parsed).is_ok());
        assert!(argon2().verify_password(b"another password", &parsed).is_err());
    }

    const PASSWORD: &str = "correct horse battery staple";

    /// A hash made the way an older release might have: weaker parameters.
    fn weak_hash(algorithm: Algorithm, password: &str) -> String {
        let params = Params::new(4096, 1, 1, None).unwrap();
        let salt = SaltString::generate(&mut OsRng);
        Argon2::new(algorithm, Version::V0x13, params).hash_password(password.as_bytes(), &salt).unwrap().to_string()
    }

    #[tokio::test]
    async fn hash_is_argon2id_with_owasp_parameters() {
        let passwords = Passwords::new(2);
        let phc = passwords.hash(PASSWORD).await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(!phc.contains(PASSWORD));
    }

    #[tokio::test]
    async fn verify_accepts_the_right_password_and_rejects_a_wrong_one() {
        let passwords = Passwords::new(2);
        let phc = passwords.hash(PASSWORD).await.unwrap();
        assert_eq!(passwords.verify(PASSWORD, &phc).await.unwrap(), Verified { matched: true, needs_rehash: false });
        let wrong = passwords.verify("correct horse battery stapler", &phc).await.unwrap();
        assert_eq!(wrong, Verified { matched: false, needs_rehash: false });
    }

    #[tokio::test]
    async fn weaker_hashes_verify_but_need_rehash() {
        let passwords = Passwords::new(2);
        for algorithm in [Algorithm::Argon2id, Algorithm::Argon2i] {
            let old = weak_hash(algorithm, PASSWORD);
            assert_eq!(passwords.verify(PASSWORD, &old).await.unwrap(), Verified { matched: true, needs_rehash: true });
            assert!(!passwords.verify("not the password", &old).await.unwrap().matched);
        }
    }

    #[tokio::test]
    async fn two_hashes_of_one_password_differ() {
        let passwords = Passwords::new(2);
        let (a, b) = tokio::join!(passwords.hash(PASSWORD), passwords.hash(PASSWORD));
        assert_ne!(a.unwrap(), b.unwrap());
    }

    #[tokio::test]
    async fn malformed_hash_is_an_error_without_secrets() {
        let passwords = Passwords::new(1);
        for phc in ["", "not a hash", "$argon2id$v=19$m=19456,t=2,p=1", "$pbkdf2-sha256$i=1000$c2FsdHNhbHQ$aGFzaA"] {
            let error = passwords.verify(PASSWORD, phc).await.unwrap_err();
            assert!(matches!(error, PasswordError::MalformedHash), "{phc}: {error:?}");
            for text in [error.to_string(), format!("{error:?}")] {
                assert!(!text.contains(PASSWORD), "{text}");
                assert!(phc.len() < 4 || !text.contains(phc), "{text}");
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_flood_beyond_the_waiting_room_is_turned_away_at_once() {
        let passwords = Passwords::new(1);
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..40 {
            let passwords = passwords.clone();
            tasks.spawn(async move { passwords.hash(PASSWORD).await });
        }
        let (mut done, mut busy) = (0, 0);
        while let Some(result) = tasks.join_next().await {
            match result.unwrap() {
                Ok(_) => done += 1,
                Err(PasswordError::Busy) => busy += 1,
                Err(other) => panic!("{other}"),
            }
        }
        // One hashing and at most 16 waiting; the rest are refused.
        assert!(busy >= 40 - 17, "done {done}, busy {busy}");
        assert!(done >= 1);
        assert!(passwords.hash(PASSWORD).await.is_ok(), "the room empties again");
    }

    #[tokio::test]
    async fn dummy_verification_runs_and_debug_hides_the_hash() {
        let passwords = Passwords::new(1);
        assert!(passwords.dummy_hash.get().is_none(), "made only when first needed");
        passwords.verify_dummy(PASSWORD).await.unwrap();
        let dummy = passwords.dummy_hash.get().expect("made by the first dummy verification");
        assert!(dummy.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(!passwords.verify(PASSWORD, dummy).await.unwrap().matched);
        let debug = format!("{passwords:?}");
        assert!(!debug.contains("argon2"), "{debug}");
    }

    #[tokio::test]
    async fn semaphore_bounds_concurrency() {
        let passwords = Passwords::new(1);
        let phc = passwords.hash(PASSWORD).await.unwrap();

        // While the only permit is taken, no hashing starts.
        let held = passwords.permits.clone().acquire_owned().await.unwrap();
        let waiting = tokio::time::timeout(Duration::from_millis(200), passwords.verify(PASSWORD, &phc)).await;
        assert!(waiting.is_err(), "verification ran without a permit");
        drop(held);

        // Several verifications at once all finish, one after another.
        let results = tokio::join!(
            passwords.verify(PASSWORD, &phc),
            passwords.verify("wrong password 1", &phc),
            passwords.verify(PASSWORD, &phc),
            passwords.verify("wrong password 2", &phc),
        );
        let matched = [results.0, results.1, results.2, results.3].map(|r| r.unwrap().matched);
        assert_eq!(matched, [true, false, true, false]);
        assert_eq!(passwords.permits.available_permits(), 1);
    }

    #[test]
    fn zero_permits_means_one() {
        assert_eq!(Passwords::new(0).permits.available_permits(), 1);
    }

    #[test]
    fn policy_length_limits() {
        let ok = |p: &str| check_new_password(p, "ada@example.com", "Ada Lovelace");
        assert_eq!(ok("kq7#vbn2!xz"), Err(PolicyError::TooShort));
        assert_eq!(ok("kq7#vbn2!xzm"), Ok(()));
        assert_eq!(ok(&"kq7#vbn2!xzm".repeat(11)[..129]), Err(PolicyError::TooLong));
        assert_eq!(ok(&"kq7#vbn2!xzm".repeat(11)[..128]), Ok(()));
        // Twelve characters, far more than twelve bytes.
        let multibyte = "日本語のパスワードです秘";
        assert_eq!(multibyte.chars().count(), 12);
        assert_eq!(ok(multibyte), Ok(()));
        assert_eq!(ok(&multibyte[..multibyte.len() - "秘".len()]), Err(PolicyError::TooShort));
        assert_eq!(PolicyError::TooShort.to_string(), "Use at least 12 characters.");
    }

    #[test]
    fn policy_rejects_common_passwords() {
        assert!(is_common("password1234"));
        let result = check_new_password("Password1234", "ada@example.com", "Ada");
        assert_eq!(result, Err(PolicyError::TooCommon));
        assert_eq!(check_new_password("qwertyuiop12", "", ""), Err(PolicyError::TooCommon));
        assert!(result.unwrap_err().to_string().contains("too common"));
    }

    #[test]
    fn policy_rejects_email_and_name() {
        let email = "Ada.Lovelace@example.com";
        let name = "Augusta Ada King";
        assert_eq!(check_new_password("ada.lovelace@EXAMPLE.com", email, name), Err(PolicyError::SameAsEmail));
        assert_eq!(check_new_password("augusta ada king", email, name), Err(PolicyError::SameAsName));
        assert_eq!(check_new_password("augusta ada king!", email, name), Ok(()));
    }

    #[test]
    fn common_list_is_large_lower_case_and_unique() {
        let text = include_str!("../../data/common-passwords.txt");
        let lines: Vec<&str> = text.lines().collect();
        assert!(COMMON_PASSWORDS.len() >= 10_000, "{}", COMMON_PASSWORDS.len());
        assert_eq!(COMMON_PASSWORDS.len(), lines.len(), "duplicate or empty lines");
        assert!(lines.iter().all(|line| *line == line.to_lowercase()));
        assert_eq!(lines[0], "123456");
    }
}
