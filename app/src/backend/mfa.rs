//! Second factor: TOTP (RFC 6238: SHA-1, 6 digits, 30-second steps, the
//! usual authenticator-app settings) plus one-time recovery codes.
//!
//! A code is accepted for the current step and one step either side (clock
//! drift). Accepting a code records its step; a code from that step or an
//! earlier one is refused afterwards, so an observed code cannot be replayed
//! even inside its window. The check-and-record is one conditional UPDATE,
//! so two requests racing with the same code cannot both pass.

use qrcode::render::svg;
use qrcode::QrCode;
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, TOTP};

use super::audit::{self, AuditEntry};
use super::secrets::{random_bytes, sha256_hex};
use super::{accounts, Db};

const ISSUER: &str = "Preflight";
const STEP_SECONDS: u64 = 30;
const DIGITS: usize = 6;
/// Steps either side of now that still count (clock drift between phone and server).
const SKEW_STEPS: i64 = 1;
pub const RECOVERY_CODE_COUNT: usize = 10;

/// What the enrolment page shows.
#[derive(Debug, Clone)]
pub struct Enrolment {
    /// The key in base32, for typing into an app by hand.
    pub secret_base32: String,
    /// `otpauth://` URL, the content of the QR code.
    pub url: String,
    /// The QR code as an SVG document.
    pub qr_svg: String,
}

/// The outcome of checking a code at sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checked {
    /// A fresh TOTP code.
    Totp,
    /// An unused recovery code, now used up.
    RecoveryCode,
    /// A valid TOTP code that was already used (replay).
    Replayed,
    Wrong,
}

fn totp(secret: Vec<u8>, account: &str) -> Result<TOTP, sqlx::Error> {
    TOTP::new(Algorithm::SHA1, DIGITS, SKEW_STEPS as u8, STEP_SECONDS, secret, Some(ISSUER.into()), account.into())
        .map_err(|e| sqlx::Error::Decode(format!("TOTP secret: {e:?}").into()))
}

fn decode_secret(base32: &str) -> Result<Vec<u8>, sqlx::Error> {
    totp_rs::Secret::Encoded(base32.to_string())
        .to_bytes()
        .map_err(|e| sqlx::Error::Decode(format!("stored TOTP secret: {e:?}").into()))
}

/// Digits only, without the spaces people type ("123 456").
fn normalize_code(code: &str) -> String {
    code.chars().filter(|c| !c.is_whitespace() && *c != '-').collect::<String>().to_ascii_lowercase()
}

/// The step in `[now - skew, now + skew]` whose code is `code`, if any.
fn matching_step(totp: &TOTP, code: &str, now_millis: i64) -> Option<i64> {
    let code = normalize_code(code);
    if code.len() != DIGITS || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let now_step = now_millis.div_euclid(1000 * STEP_SECONDS as i64);
    (now_step - SKEW_STEPS..=now_step + SKEW_STEPS)
        .filter(|step| *step >= 0)
        .find(|step| bool::from(totp.generate(*step as u64 * STEP_SECONDS).as_bytes().ct_eq(code.as_bytes())))
}

/// The current code for a base32 secret (tests and the end-to-end suite
/// play the phone with this).
pub fn code_at(secret_base32: &str, now_millis: i64) -> Result<String, sqlx::Error> {
    let totp = totp(decode_secret(secret_base32)?, "")?;
    Ok(totp.generate(now_millis as u64 / 1000))
}

/// Draws `content` as an SVG QR code.
fn qr_svg(content: &str) -> Result<String, sqlx::Error> {
    let code = QrCode::new(content.as_bytes()).map_err(|e| sqlx::Error::Protocol(format!("QR code: {e}")))?;
    Ok(code
        .render::<svg::Color<'_>>()
        .min_dimensions(192, 192)
        .dark_color(svg::Color("#111827"))
        .light_color(svg::Color("#ffffff"))
        .build())
}

/// Whether `user_id` has a confirmed second factor, and how many recovery
/// codes are left.
pub async fn status(db: &Db, user_id: i64) -> Result<(bool, i64), sqlx::Error> {
    let (factors, codes_left): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM user_mfa WHERE user_id = $1 AND confirmed_at IS NOT NULL),
                (SELECT COUNT(*) FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NULL)",
    )
    .bind(user_id)
    .fetch_one(db.pool())
    .await?;
    Ok((factors > 0, codes_left))
}

/// Starts (or restarts) enrolment with a fresh secret. Refused with `None`
/// when a confirmed factor exists: turn it off first.
pub async fn begin_enrolment(db: &Db, user_id: i64, email: &str, now: i64) -> Result<Option<Enrolment>, sqlx::Error> {
    let secret = random_bytes(20);
    let totp = totp(secret, email)?;
    let secret_base32 = totp.get_secret_base32();
    let done = sqlx::query(
        "INSERT INTO user_mfa (user_id, secret, confirmed_at, last_step, created_at) VALUES ($1, $2, NULL, NULL, $3)
         ON CONFLICT (user_id) DO UPDATE SET secret = $2, created_at = $3 WHERE user_mfa.confirmed_at IS NULL",
    )
    .bind(user_id)
    .bind(&secret_base32)
    .bind(now)
    .execute(db.pool())
    .await?;
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    let url = totp.get_url();
    Ok(Some(Enrolment { qr_svg: qr_svg(&url)?, url, secret_base32 }))
}

/// Confirms a pending enrolment with a first code. Returns the new recovery
/// codes (shown once), or `None` when the code is wrong or nothing is pending.
/// The user gains powers (an admin may act now), so their sessions get a new
/// token; `entry` is recorded in the same transaction.
pub async fn confirm_enrolment(
    db: &Db,
    user_id: i64,
    code: &str,
    now: i64,
    entry: AuditEntry<'_>,
) -> Result<Option<Vec<String>>, sqlx::Error> {
    let mut tx = db.pool().begin().await?;
    let secret: Option<String> =
        sqlx::query_scalar("SELECT secret FROM user_mfa WHERE user_id = $1 AND confirmed_at IS NULL")
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(secret) = secret else { return Ok(None) };
    let Some(step) = matching_step(&totp(decode_secret(&secret)?, "")?, code, now) else {
        return Ok(None);
    };
    sqlx::query("UPDATE user_mfa SET confirmed_at = $2, last_step = $3 WHERE user_id = $1")
        .bind(user_id)
        .bind(now)
        .bind(step)
        .execute(&mut *tx)
        .await?;
    let codes = replace_recovery_codes(&mut tx, user_id).await?;
    accounts::touch_privileges(&mut *tx, user_id, now).await?;
    audit::record(&mut *tx, now, entry).await?;
    tx.commit().await?;
    Ok(Some(codes))
}

/// A recovery code: ten characters from an alphabet without look-alikes,
/// shown as `xxxxx-xxxxx` (about 50 bits).
fn new_recovery_code() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let chars: String = random_bytes(10).iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect();
    format!("{}-{}", &chars[..5], &chars[5..])
}

async fn replace_recovery_codes(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    user_id: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query("DELETE FROM mfa_recovery_codes WHERE user_id = $1").bind(user_id).execute(&mut **tx).await?;
    let codes: Vec<String> = (0..RECOVERY_CODE_COUNT).map(|_| new_recovery_code()).collect();
    for code in &codes {
        sqlx::query("INSERT INTO mfa_recovery_codes (user_id, code_hash) VALUES ($1, $2)")
            .bind(user_id)
            .bind(sha256_hex(&normalize_code(code)))
            .execute(&mut **tx)
            .await?;
    }
    Ok(codes)
}

/// New recovery codes for a user with a confirmed factor; the old ones stop working.
pub async fn regenerate_recovery_codes(
    db: &Db,
    user_id: i64,
    now: i64,
    entry: AuditEntry<'_>,
) -> Result<Vec<String>, sqlx::Error> {
    let mut tx = db.pool().begin().await?;
    let codes = replace_recovery_codes(&mut tx, user_id).await?;
    audit::record(&mut *tx, now, entry).await?;
    tx.commit().await?;
    Ok(codes)
}

/// Checks a sign-in code: a TOTP code (refused if its step was used
/// already) or a recovery code (used up).
pub async fn check(db: &Db, user_id: i64, code: &str, now: i64) -> Result<Checked, sqlx::Error> {
    let secret: Option<String> =
        sqlx::query_scalar("SELECT secret FROM user_mfa WHERE user_id = $1 AND confirmed_at IS NOT NULL")
            .bind(user_id)
            .fetch_optional(db.pool())
            .await?;
    let Some(secret) = secret else { return Ok(Checked::Wrong) };
    if let Some(step) = matching_step(&totp(decode_secret(&secret)?, "")?, code, now) {
        let fresh = sqlx::query(
            "UPDATE user_mfa SET last_step = $2 WHERE user_id = $1 AND (last_step IS NULL OR last_step < $2)",
        )
        .bind(user_id)
        .bind(step)
        .execute(db.pool())
        .await?;
        return Ok(if fresh.rows_affected() == 1 { Checked::Totp } else { Checked::Replayed });
    }
    let used = sqlx::query(
        "UPDATE mfa_recovery_codes SET used_at = $3 WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
    )
    .bind(user_id)
    .bind(sha256_hex(&normalize_code(code)))
    .bind(now)
    .execute(db.pool())
    .await?;
    Ok(if used.rows_affected() > 0 { Checked::RecoveryCode } else { Checked::Wrong })
}

/// Removes the second factor and its recovery codes, in the caller's
/// transaction. False when there was none.
pub async fn remove_in(tx: &mut sqlx::Transaction<'_, sqlx::Any>, user_id: i64, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM user_mfa WHERE user_id = $1").bind(user_id).execute(&mut **tx).await?;
    sqlx::query("DELETE FROM mfa_recovery_codes WHERE user_id = $1").bind(user_id).execute(&mut **tx).await?;
    if done.rows_affected() > 0 {
        accounts::touch_privileges(&mut **tx, user_id, now).await?;
    }
    Ok(done.rows_affected() > 0)
}

/// Removes the user's own second factor and records `entry`, in one
/// transaction. False (and nothing recorded) when there was none.
pub async fn remove(db: &Db, user_id: i64, now: i64, entry: AuditEntry<'_>) -> Result<bool, sqlx::Error> {
    let mut tx = db.pool().begin().await?;
    let removed = remove_in(&mut tx, user_id, now).await?;
    if removed {
        audit::record(&mut *tx, now, entry).await?;
    }
    tx.commit().await?;
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

    #[test]
    fn codes_match_their_step_and_neighbours_only() {
        let t = totp(decode_secret(SECRET).unwrap(), "").unwrap();
        // A moment whose code from three steps back differs from the codes
        // of the steps that count now (6 digits do repeat, rarely).
        let now = (0..100)
            .map(|i| 1_700_000_000_000i64 + i * 30_000)
            .find(|&now| {
                let old = code_at(SECRET, now - 90_000).unwrap();
                [-1, 0, 1].iter().all(|d| code_at(SECRET, now + d * 30_000).unwrap() != old)
            })
            .expect("a moment whose old code is unlike its neighbours");
        let step = now / 30_000;
        let code_now = code_at(SECRET, now).unwrap();
        assert_eq!(matching_step(&t, &code_now, now), Some(step));
        let spaced = format!("{} {}", &code_now[..3], &code_now[3..]);
        assert_eq!(matching_step(&t, &spaced, now), Some(step), "spaces are ignored");
        // Codes from the neighbouring steps still count; codes from two steps
        // away do not. Six-digit codes can repeat, so first check (always,
        // for this secret and time) that the far codes differ from all three
        // in the window; otherwise `None` would prove nothing.
        assert_eq!(matching_step(&t, &code_at(SECRET, now - 30_000).unwrap(), now), Some(step - 1));
        assert_eq!(matching_step(&t, &code_at(SECRET, now + 30_000).unwrap(), now), Some(step + 1));
        let window: Vec<String> = [-1, 0, 1].iter().map(|d| code_at(SECRET, now + d * 30_000).unwrap()).collect();
        for far in [-2, 2] {
            let code = code_at(SECRET, now + far * 30_000).unwrap();
            assert!(!window.contains(&code), "step {far:+}: {code} repeats a code in the window {window:?}");
            assert_eq!(matching_step(&t, &code, now), None, "step {far:+}");
        }
        assert_eq!(matching_step(&t, "12345", now), None);
        assert_eq!(matching_step(&t, "abcdef", now), None);
    }

    #[test]
    fn rfc6238_vector() {
        // RFC 6238 appendix B, SHA-1, T = 59 s: 94287082 (8 digits); the
        // 6-digit code is its last six digits.
        let secret = totp_rs::Secret::Raw(b"12345678901234567890".to_vec()).to_encoded().to_string();
        assert_eq!(code_at(&secret, 59_000).unwrap(), "287082");
    }

    #[test]
    fn recovery_codes_look_right() {
        let code = new_recovery_code();
        assert_eq!(code.len(), 11);
        assert_eq!(&code[5..6], "-");
        assert_ne!(code, new_recovery_code());
        assert_eq!(normalize_code(" ABCDE-fghij "), "abcdefghij");
    }

    #[test]
    fn qr_code_is_svg() {
        let svg = qr_svg("otpauth://totp/Preflight:ada%40example.com?secret=JBSWY3DP&issuer=Preflight").unwrap();
        assert!(svg.contains("<svg"), "{svg}");
    }
}
