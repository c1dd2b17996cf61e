//! Users and their team memberships in the database.

use sqlx::{Any, Executor};

use super::audit::{self, AuditEntry};
use super::db::decode_word;
use super::passwords::{check_new_password, Passwords};
use super::Db;
use crate::domain::access::{Principal, Role};
use crate::error::AppError;

#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// Empty until an invited user chooses a password.
    pub password_hash: String,
    pub disabled: bool,
    /// When the user's powers last changed; older sessions get a new id.
    pub privileges_changed_at: i64,
}

impl User {
    /// False for an invited user who has not chosen a password yet.
    pub fn has_password(&self) -> bool {
        !self.password_hash.is_empty()
    }
}

const USER_COLUMNS: &str = "id, email, name, role, password_hash, disabled_at, privileges_changed_at";

/// A `users` row as [`USER_COLUMNS`] selects it.
#[derive(sqlx::FromRow)]
struct UserRecord {
    id: i64,
    email: String,
    name: String,
    role: String,
    password_hash: String,
    disabled_at: Option<i64>,
    privileges_changed_at: i64,
}

impl TryFrom<UserRecord> for User {
    type Error = sqlx::Error;

    fn try_from(r: UserRecord) -> Result<User, sqlx::Error> {
        Ok(User {
            id: r.id,
            email: r.email,
            name: r.name,
            role: decode_word(r.role)?,
            password_hash: r.password_hash,
            disabled: r.disabled_at.is_some(),
            privileges_changed_at: r.privileges_changed_at,
        })
    }
}

/// Whether anyone has an account yet (before that, only first-run setup works).
pub async fn has_users(db: &Db) -> Result<bool, sqlx::Error> {
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM (SELECT 1 FROM users LIMIT 1) AS any_user")
        .fetch_one(db.pool())
        .await?;
    Ok(count > 0)
}

pub async fn find_by_email(db: &Db, email: &str) -> Result<Option<User>, sqlx::Error> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1");
    let row: Option<UserRecord> = sqlx::query_as(&sql).bind(email).fetch_optional(db.pool()).await?;
    row.map(User::try_from).transpose()
}

pub async fn find_by_id(db: &Db, id: i64) -> Result<Option<User>, sqlx::Error> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
    let row: Option<UserRecord> = sqlx::query_as(&sql).bind(id).fetch_optional(db.pool()).await?;
    row.map(User::try_from).transpose()
}

/// The user as permission checks see them, with their team roles.
pub async fn principal(db: &Db, user: &User) -> Result<Principal, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Membership {
        team_id: i64,
        role: String,
    }
    let rows: Vec<Membership> =
        sqlx::query_as("SELECT team_id, role FROM team_members WHERE user_id = $1 ORDER BY team_id")
            .bind(user.id)
            .fetch_all(db.pool())
            .await?;
    let teams = rows.into_iter().map(|m| Ok((m.team_id, decode_word(m.role)?))).collect::<Result<_, sqlx::Error>>()?;
    Ok(Principal { user_id: user.id, role: user.role, teams })
}

/// Records that the user's powers changed now: their sessions get a new
/// token on their next request (see `caller::resolve`).
pub async fn touch_privileges<'e, E>(executor: E, user_id: i64, now: i64) -> Result<(), sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query("UPDATE users SET privileges_changed_at = $1 WHERE id = $2")
        .bind(now)
        .bind(user_id)
        .execute(executor)
        .await?;
    Ok(())
}

pub async fn set_password_hash<'e, E>(executor: E, user_id: i64, hash: &str, now: i64) -> Result<(), sqlx::Error>
where
    E: Executor<'e, Database = Any>,
{
    sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(hash)
        .bind(now)
        .bind(user_id)
        .execute(executor)
        .await?;
    Ok(())
}

/// Creates the first administrator, exactly once per installation.
///
/// The `setup.completed` settings row is the guard: it is inserted in the
/// same transaction as the user, and its primary key lets only one of two
/// racing setups commit. Returns `None` when setup had already happened.
pub async fn create_first_admin(
    db: &Db,
    name: &str,
    email: &str,
    password_hash: &str,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let mut tx = db.pool().begin().await?;
    let guard = sqlx::query(
        "INSERT INTO instance_settings (key, value, updated_at) VALUES ('setup.completed', 'true', $1)
         ON CONFLICT (key) DO NOTHING",
    )
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if guard.rows_affected() == 0 {
        return Ok(None);
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (email, name, password_hash, role, created_at, updated_at)
         VALUES ($1, $2, $3, 'admin', $4, $4) RETURNING id",
    )
    .bind(email)
    .bind(name)
    .bind(password_hash)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut *tx,
        now,
        AuditEntry {
            actor_user_id: Some(id),
            actor_label: name,
            action: "setup.admin_created",
            subject_type: Some("user"),
            subject_id: Some(id.to_string()),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Some(id))
}

/// Validates the form and creates the first administrator (first-run setup
/// in the browser and `preflight create-admin` both come here). `NotFound`
/// once any account exists, also when another setup won a race.
pub async fn setup_first_admin(
    db: &Db,
    passwords: &Passwords,
    now: i64,
    name: &str,
    email: &str,
    password: &str,
) -> Result<User, AppError> {
    if has_users(db).await? {
        return Err(AppError::NotFound);
    }
    let name = normalize_name(name)?;
    let email = normalize_email(email)?;
    check_new_password(password, &email, &name).map_err(|e| AppError::invalid("password", e.to_string()))?;
    let hash = passwords.hash(password).await.map_err(super::auth::hashing_error)?;
    let id = create_first_admin(db, &name, &email, &hash, now).await?.ok_or(AppError::NotFound)?;
    find_by_id(db, id).await?.ok_or(AppError::Internal)
}

/// Lower-cased, trimmed email, or a field error.
///
/// The syntax is whatever the mailer accepts (`lettre::Address`), so an
/// address we store can always be mailed. On top of that the domain must
/// have a dot: lettre takes `name@localhost`, which is no one's work email;
/// and the local part must not be quoted: RFC 5321 allows `"a b"@x.com`,
/// but on a sign-in form quotes are a typing slip, not an address.
/// 254 characters is the longest address SMTP carries (RFC 5321 path limit).
pub fn normalize_email(email: &str) -> Result<String, AppError> {
    let email = email.trim().to_lowercase();
    if email.is_empty() {
        return Err(AppError::invalid("email", "Enter an email address."));
    }
    let valid = email.len() <= 254
        && email
            .parse::<lettre::Address>()
            .is_ok_and(|address| address.domain().contains('.') && !address.user().contains('"'));
    if valid {
        Ok(email)
    } else {
        Err(AppError::invalid("email", "Enter an email address like name@example.com."))
    }
}

/// Trimmed display name, or a field error.
pub fn normalize_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    match name.chars().count() {
        0 => Err(AppError::invalid("name", "Enter your name.")),
        1..=100 => Ok(name.to_string()),
        _ => Err(AppError::invalid("name", "Use at most 100 characters.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_or_refused_with_a_field_error() {
        assert_eq!(normalize_email("  Ada@Example.COM ").unwrap(), "ada@example.com");
        assert_eq!(normalize_email("a+tag@mail.example.co.uk").unwrap(), "a+tag@mail.example.co.uk");
        for empty in ["", "   "] {
            assert_eq!(normalize_email(empty).unwrap_err().field_message("email"), Some("Enter an email address."));
        }
        let long_local = format!("{}@example.com", "a".repeat(65));
        // Each part within the parser's limits, the whole over SMTP's 254.
        let too_long = format!("{}@{}.com", "a".repeat(64), vec!["b".repeat(48); 4].join("."));
        assert!(too_long.len() > 254 && too_long.parse::<lettre::Address>().is_ok());
        for bad in [
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "ada@localhost",
            "a b@example.com",
            "\"a b\"@example.com",
            "\"ada\"@example.com",
            "a@b@example.com",
            "ada@.com",
            "ada@example.com.",
            // Refused by the mailer's parser; the hand-written check let these through.
            "a..b@example.com",
            ".ada@example.com",
            "ada.@example.com",
            "a(b)@example.com",
            "a<b>@example.com",
            "a,b@example.com",
            "ada@example..com",
            "ada@-example.com",
            "ada@example-.com",
            &long_local,
            &too_long,
        ] {
            let err = normalize_email(bad).unwrap_err();
            assert_eq!(err.field_message("email"), Some("Enter an email address like name@example.com."), "{bad:?}");
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(normalize_name("  Ada Lovelace ").unwrap(), "Ada Lovelace");
        assert!(normalize_name("   ").unwrap_err().field_message("name").is_some());
        assert!(normalize_name(&"x".repeat(101)).is_err());
    }
}
