//! What administrators do to accounts: list, create (with an invitation
//! link), change role, disable and enable, hand out password-reset links.
//!
//! Every change that alters what someone may do stamps
//! `privileges_changed_at`; disabling also deletes the user's sessions so
//! they are signed out at once, not at their next request.

use super::accounts::{self, normalize_email, normalize_name, User};
use super::audit::{self, Actor, AuditEntry};
use super::db::decode_word;
use super::sessions;
use super::teams;
use super::tokens;
use super::Db;
use crate::domain::access::{Role, TeamRole};
use crate::domain::links::LinkKind;
use crate::domain::people::{Person, UserMembership, UserRow, UserStatus};
use crate::error::AppError;

fn email_taken(err: sqlx::Error) -> AppError {
    if err.as_database_error().is_some_and(|e| e.is_unique_violation()) {
        email_taken_error()
    } else {
        err.into()
    }
}

async fn ensure_email_free(db: &Db, email: &str, except: Option<i64>) -> Result<(), AppError> {
    match accounts::find_by_email(db, email).await? {
        Some(other) if Some(other.id) != except => Err(email_taken_error()),
        _ => Ok(()),
    }
}

fn email_taken_error() -> AppError {
    AppError::invalid("email", "That email is already used by another account.")
}

/// Everyone (or only `only`), with status, teams and whether they have a
/// second factor.
pub async fn list(db: &Db, now: i64, only: Option<i64>) -> Result<Vec<UserRow>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Listed {
        id: i64,
        name: String,
        email: String,
        role: String,
        disabled_at: Option<i64>,
        /// Has no password yet (an integer: the Any driver reads SQLite's
        /// booleans as integers).
        invited: i64,
        mfa_factors: i64,
        last_seen_at: Option<i64>,
        invitation_expires_at: Option<i64>,
    }
    #[derive(sqlx::FromRow)]
    struct Membership {
        user_id: i64,
        team_id: i64,
        team_name: String,
        role: String,
    }
    let rows: Vec<Listed> = sqlx::query_as(
        "SELECT u.id, u.name, u.email, u.role, u.disabled_at,
                CASE WHEN u.password_hash = '' THEN 1 ELSE 0 END AS invited,
                (SELECT COUNT(*) FROM user_mfa f WHERE f.user_id = u.id AND f.confirmed_at IS NOT NULL) AS mfa_factors,
                (SELECT MAX(s.last_seen_at) FROM sessions s WHERE s.user_id = u.id) AS last_seen_at,
                (SELECT MAX(t.expires_at) FROM user_tokens t
                  WHERE t.user_id = u.id AND t.purpose = 'invite' AND t.used_at IS NULL AND t.expires_at > $1)
                  AS invitation_expires_at
         FROM users u WHERE $2 IS NULL OR u.id = $2 ORDER BY LOWER(u.name), u.id",
    )
    .bind(now)
    .bind(only)
    .fetch_all(db.pool())
    .await?;
    let memberships: Vec<Membership> = sqlx::query_as(
        "SELECT m.user_id, t.id AS team_id, t.name AS team_name, m.role
         FROM team_members m JOIN teams t ON t.id = m.team_id
         WHERE $1 IS NULL OR m.user_id = $1 ORDER BY t.name_key",
    )
    .bind(only)
    .fetch_all(db.pool())
    .await?;
    rows.into_iter()
        .map(|row| {
            let status = if row.disabled_at.is_some() {
                UserStatus::Disabled
            } else if row.invited != 0 {
                UserStatus::Invited { expires_at_ms: row.invitation_expires_at }
            } else {
                UserStatus::Active
            };
            let teams = memberships
                .iter()
                .filter(|m| m.user_id == row.id)
                .map(|m| {
                    Ok(UserMembership {
                        team_id: m.team_id,
                        team_name: m.team_name.clone(),
                        role: decode_word(m.role.clone())?,
                    })
                })
                .collect::<Result<_, sqlx::Error>>()?;
            Ok(UserRow {
                id: row.id,
                name: row.name,
                email: row.email,
                role: decode_word(row.role)?,
                status,
                mfa: row.mfa_factors > 0,
                last_seen_ms: row.last_seen_at,
                teams,
            })
        })
        .collect()
}

/// Enabled people who may be in a team (members and administrators, see
/// `Role::team_refusal`), for choosing team members.
pub async fn people(db: &Db) -> Result<Vec<Person>, sqlx::Error> {
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT id, name, email FROM users WHERE disabled_at IS NULL AND role IN ('admin', 'member')
         ORDER BY LOWER(name), id",
    )
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(|(id, name, email)| Person { id, name, email }).collect())
}

/// A new account and its team memberships, all in one transaction, with a
/// fresh invitation token (the person chooses their own password).
pub async fn create(
    db: &Db,
    actor: Actor<'_>,
    name: &str,
    email: &str,
    role: Role,
    memberships: &[(i64, TeamRole)],
    now: i64,
) -> Result<(i64, String), AppError> {
    let name = normalize_name(name)?;
    let email = normalize_email(email)?;
    ensure_email_free(db, &email, None).await?;
    if let (Some(refusal), false) = (role.team_refusal(), memberships.is_empty()) {
        return Err(AppError::invalid("teams", refusal));
    }
    let active = teams::active_ids(db).await?;
    if memberships.iter().any(|(team, _)| !active.contains(team)) {
        return Err(AppError::invalid("teams", "One of the chosen teams no longer exists or is archived."));
    }
    let mut tx = db.pool().begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (email, name, password_hash, role, created_at, updated_at, privileges_changed_at)
         VALUES ($1, $2, '', $3, $4, $4, $4) RETURNING id",
    )
    .bind(&email)
    .bind(&name)
    .bind(role.as_str())
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .map_err(email_taken)?;
    for (team_id, team_role) in memberships {
        teams::put_member(&mut tx, *team_id, id, *team_role, now).await?;
    }
    let token = tokens::issue(&mut tx, id, LinkKind::Invite, Some(actor.id), now).await?;
    audit::record(&mut *tx, now, actor.entry("user.created", "user", id, Some(format!("role {}", role.as_str()))))
        .await?;
    tx.commit().await?;
    Ok((id, token))
}

/// The user with `user_id`, or 404.
pub async fn find(db: &Db, user_id: i64) -> Result<User, AppError> {
    accounts::find_by_id(db, user_id).await?.ok_or(AppError::NotFound)
}

/// Refuses changes an admin must not make to their own account (they could
/// lock everyone out).
fn not_self(actor: Actor<'_>, user_id: i64, what: &str) -> Result<(), AppError> {
    if actor.id == user_id {
        Err(AppError::invalid("user", format!("You cannot {what} your own account; ask another administrator.")))
    } else {
        Ok(())
    }
}

/// Inside a transaction that may take away someone's administrator powers:
/// waits for every other such transaction (one guard row, locked by the
/// first write of this one: a row lock on PostgreSQL, the write lock on
/// SQLite), then refuses when `user_id` is an active administrator and no
/// other is left. Two admins demoting each other at once cannot both win.
async fn keep_an_active_admin(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    user_id: i64,
    field: &str,
) -> Result<(), AppError> {
    sqlx::query("UPDATE instance_settings SET updated_at = updated_at WHERE key = 'setup.completed'")
        .execute(&mut **tx)
        .await?;
    let target_is_active_admin: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE id = $1 AND role = 'admin' AND disabled_at IS NULL")
            .bind(user_id)
            .fetch_one(&mut **tx)
            .await?;
    let others: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE id <> $1 AND role = 'admin' AND disabled_at IS NULL")
            .bind(user_id)
            .fetch_one(&mut **tx)
            .await?;
    if target_is_active_admin > 0 && others == 0 {
        return Err(AppError::invalid(
            field,
            "Preflight needs at least one active administrator. Make someone else an administrator first.",
        ));
    }
    Ok(())
}

pub async fn set_role(db: &Db, actor: Actor<'_>, user_id: i64, role: Role, now: i64) -> Result<(), AppError> {
    not_self(actor, user_id, "change the role of")?;
    let user = find(db, user_id).await?;
    if user.role == role {
        return Ok(());
    }
    let mut tx = db.pool().begin().await?;
    if role != Role::Admin {
        keep_an_active_admin(&mut tx, user_id, "role").await?;
    }
    if role.team_refusal().is_some() {
        let teams: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM team_members WHERE user_id = $1")
            .bind(user_id)
            .fetch_one(&mut *tx)
            .await?;
        if teams > 0 {
            let message = format!(
                "{} cannot be in a team, and this person is in {teams}. Remove them from their teams first.",
                role.label()
            );
            return Err(AppError::invalid("role", message));
        }
    }
    sqlx::query("UPDATE users SET role = $1, updated_at = $2, privileges_changed_at = $2 WHERE id = $3")
        .bind(role.as_str())
        .bind(now)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    let detail = format!("{} -> {}", user.role.as_str(), role.as_str());
    audit::record(&mut *tx, now, actor.entry("user.role_changed", "user", user_id, Some(detail))).await?;
    tx.commit().await?;
    Ok(())
}

/// Disables (and signs out everywhere) or enables an account.
pub async fn set_enabled(db: &Db, actor: Actor<'_>, user_id: i64, enabled: bool, now: i64) -> Result<(), AppError> {
    not_self(actor, user_id, if enabled { "enable" } else { "disable" })?;
    let user = find(db, user_id).await?;
    if user.disabled != enabled {
        return Ok(());
    }
    let mut tx = db.pool().begin().await?;
    if !enabled {
        keep_an_active_admin(&mut tx, user_id, "user").await?;
    }
    sqlx::query("UPDATE users SET disabled_at = $1, updated_at = $2, privileges_changed_at = $2 WHERE id = $3")
        .bind((!enabled).then_some(now))
        .bind(now)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    let mut detail = None;
    if !enabled {
        let ended = sessions::end_all(&mut tx, user_id, now).await?;
        detail = Some(format!("{ended} sessions ended"));
    }
    let action = if enabled { "user.enabled" } else { "user.disabled" };
    audit::record(&mut *tx, now, actor.entry(action, "user", user_id, detail)).await?;
    tx.commit().await?;
    Ok(())
}

/// Signs the user out on every device; returns how many sessions ended.
pub async fn end_sessions(db: &Db, actor: Actor<'_>, user_id: i64, now: i64) -> Result<u64, AppError> {
    find(db, user_id).await?;
    let mut tx = db.pool().begin().await?;
    let ended = sessions::end_all(&mut tx, user_id, now).await?;
    audit::record(
        &mut *tx,
        now,
        actor.entry("user.sessions_ended", "user", user_id, Some(format!("{ended} sessions"))),
    )
    .await?;
    tx.commit().await?;
    Ok(ended)
}

/// Turns off someone else's second factor (lost phone and codes) and ends
/// their sessions, with the audit entry, in one transaction.
pub async fn reset_mfa(db: &Db, actor: Actor<'_>, user_id: i64, now: i64) -> Result<(), AppError> {
    not_self(actor, user_id, "reset two-step sign-in of")?;
    find(db, user_id).await?;
    let mut tx = db.pool().begin().await?;
    if !super::mfa::remove_in(&mut tx, user_id, now).await? {
        return Err(AppError::invalid("user", "This person has not set up two-step sign-in."));
    }
    let ended = sessions::end_all(&mut tx, user_id, now).await?;
    audit::record(&mut *tx, now, actor.entry("mfa.reset", "user", user_id, Some(format!("{ended} sessions ended"))))
        .await?;
    tx.commit().await?;
    Ok(())
}

/// A single-use link for the user: a new invitation while they have no
/// password yet, otherwise a password reset. Earlier links stop working.
pub async fn issue_link(
    db: &Db,
    actor: Option<Actor<'_>>,
    user: &User,
    now: i64,
) -> Result<(LinkKind, String), AppError> {
    let kind = if user.has_password() { LinkKind::Reset } else { LinkKind::Invite };
    let mut tx = db.pool().begin().await?;
    let token = tokens::issue(&mut tx, user.id, kind, actor.map(|a| a.id), now).await?;
    let action = match kind {
        LinkKind::Invite => "user.invite_link_issued",
        LinkKind::Reset => "password.reset_link_issued",
    };
    let entry = match actor {
        Some(actor) => actor.entry(action, "user", user.id, None),
        None => AuditEntry {
            actor_label: "password reset form",
            action,
            subject_type: Some("user"),
            subject_id: Some(user.id.to_string()),
            ..Default::default()
        },
    };
    audit::record(&mut *tx, now, entry).await?;
    tx.commit().await?;
    Ok((kind, token))
}

/// Changes a user's own name and email (email uniqueness checked); `actor`
/// is the user themself.
pub async fn update_profile(
    db: &Db,
    actor: Actor<'_>,
    user: &User,
    name: &str,
    email: &str,
    now: i64,
) -> Result<(), AppError> {
    let name = normalize_name(name)?;
    let email = normalize_email(email)?;
    ensure_email_free(db, &email, Some(user.id)).await?;
    let mut tx = db.pool().begin().await?;
    sqlx::query("UPDATE users SET name = $1, email = $2, updated_at = $3 WHERE id = $4")
        .bind(&name)
        .bind(&email)
        .bind(now)
        .bind(user.id)
        .execute(&mut *tx)
        .await
        .map_err(email_taken)?;
    let detail = (email != user.email).then(|| "email changed".to_string());
    audit::record(&mut *tx, now, actor.entry("user.profile_changed", "user", user.id, detail)).await?;
    tx.commit().await?;
    Ok(())
}

/// Sets a new password from a single-use link and signs the user out
/// everywhere. The link is used up in the same transaction. Returns the
/// user, or `None` when the link is unknown, used or expired.
pub async fn set_password_with_link(
    db: &Db,
    token: &str,
    kind: LinkKind,
    hash: &str,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let mut tx = db.pool().begin().await?;
    let Some(user_id) = tokens::consume(&mut *tx, token, kind, now).await? else {
        return Ok(None);
    };
    let updated =
        sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3 AND disabled_at IS NULL")
            .bind(hash)
            .bind(now)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
    if updated.rows_affected() == 0 {
        // A disabled account cannot be taken back with a link (dropping the
        // transaction leaves the link unused too).
        return Ok(None);
    }
    sessions::end_all(&mut tx, user_id, now).await?;
    let (action, label) = match kind {
        LinkKind::Invite => ("user.invite_accepted", "invitation link"),
        LinkKind::Reset => ("password.reset", "password reset link"),
    };
    audit::record(
        &mut *tx,
        now,
        AuditEntry {
            actor_user_id: Some(user_id),
            actor_label: label,
            action,
            subject_type: Some("user"),
            subject_id: Some(user_id.to_string()),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Some(user_id))
}
