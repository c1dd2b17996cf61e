//! Teams and their membership in the database.
//!
//! Changing someone's membership changes what they may do, so it also
//! stamps `users.privileges_changed_at` (their sessions get a new id).

use sqlx::Any;

use super::audit::{self, Actor};
use super::db::decode_word;
use super::{accounts, Db};
use crate::domain::access::TeamRole;
use crate::domain::teams::{TeamDetail, TeamMember, TeamSummary};
use crate::error::AppError;

/// Trimmed team name, or a field error.
pub fn normalize_team_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    match name.chars().count() {
        0 => Err(AppError::invalid("name", "Enter a team name.")),
        1..=80 => Ok(name.to_string()),
        _ => Err(AppError::invalid("name", "Use at most 80 characters.")),
    }
}

/// The key team names are unique by: the name case-folded with full Unicode
/// lower-casing, so "Équipe" and "ÉQUIPE" are one name on both databases.
pub fn name_key(name: &str) -> String {
    name.to_lowercase()
}

/// Brings every team's stored key to [`name_key`] (migration 0005 could only
/// fold ASCII on SQLite). Two old teams whose names fold together keep their
/// keys and a warning is logged; new names are checked against both.
pub async fn refresh_name_keys(db: &Db) -> Result<(), sqlx::Error> {
    let rows: Vec<(i64, String, Option<String>)> =
        sqlx::query_as("SELECT id, name, name_key FROM teams").fetch_all(db.pool()).await?;
    for (id, name, key) in rows {
        let wanted = name_key(&name);
        if key.as_deref() != Some(wanted.as_str()) {
            let done = sqlx::query("UPDATE teams SET name_key = $1 WHERE id = $2")
                .bind(&wanted)
                .bind(id)
                .execute(db.pool())
                .await;
            if let Err(e) = done {
                tracing::warn!(team_id = id, error = %e, "team name collides with another ignoring case; left as it was");
            }
        }
    }
    Ok(())
}

fn unique_violation(err: sqlx::Error) -> AppError {
    if err.as_database_error().is_some_and(|e| e.is_unique_violation()) {
        AppError::invalid("name", "Another team already has that name.")
    } else {
        err.into()
    }
}

pub async fn list(db: &Db) -> Result<Vec<TeamSummary>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Listed {
        id: i64,
        name: String,
        archived_at: Option<i64>,
        members: i64,
        leads: i64,
    }
    let rows: Vec<Listed> = sqlx::query_as(
        "SELECT t.id, t.name, t.archived_at,
                (SELECT COUNT(*) FROM team_members m WHERE m.team_id = t.id) AS members,
                (SELECT COUNT(*) FROM team_members m WHERE m.team_id = t.id AND m.role = 'lead') AS leads
         FROM teams t ORDER BY t.name_key",
    )
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|t| TeamSummary {
            id: t.id,
            name: t.name,
            archived: t.archived_at.is_some(),
            members: t.members,
            leads: t.leads,
        })
        .collect())
}

/// A member as [`detail`] selects them.
#[derive(sqlx::FromRow)]
struct MemberRecord {
    user_id: i64,
    name: String,
    email: String,
    role: String,
}

/// One team with its members (leads first), or `None`.
pub async fn detail(db: &Db, team_id: i64) -> Result<Option<TeamDetail>, sqlx::Error> {
    let team: Option<(i64, String, Option<i64>)> =
        sqlx::query_as("SELECT id, name, archived_at FROM teams WHERE id = $1")
            .bind(team_id)
            .fetch_optional(db.pool())
            .await?;
    let Some((id, name, archived_at)) = team else {
        return Ok(None);
    };
    let members: Vec<MemberRecord> = sqlx::query_as(
        "SELECT u.id AS user_id, u.name, u.email, m.role FROM team_members m JOIN users u ON u.id = m.user_id
         WHERE m.team_id = $1 ORDER BY CASE m.role WHEN 'lead' THEN 0 ELSE 1 END, LOWER(u.name)",
    )
    .bind(team_id)
    .fetch_all(db.pool())
    .await?;
    let members = members
        .into_iter()
        .map(|m| Ok(TeamMember { user_id: m.user_id, name: m.name, email: m.email, role: decode_word(m.role)? }))
        .collect::<Result<_, sqlx::Error>>()?;
    Ok(Some(TeamDetail {
        id,
        name,
        archived: archived_at.is_some(),
        members,
        can_manage_members: false,
        can_manage_team: false,
    }))
}

/// Creates a team and records it, in one transaction. The database refuses
/// a name another team has, ignoring case (unique `name_key`).
pub async fn create(db: &Db, actor: Actor<'_>, name: &str, now: i64) -> Result<i64, AppError> {
    let name = normalize_team_name(name)?;
    let mut tx = db.pool().begin().await?;
    let id: i64 = sqlx::query_scalar("INSERT INTO teams (name, name_key, created_at) VALUES ($1, $2, $3) RETURNING id")
        .bind(&name)
        .bind(name_key(&name))
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(unique_violation)?;
    audit::record(&mut *tx, now, actor.entry("team.created", "team", id, Some(name))).await?;
    tx.commit().await?;
    Ok(id)
}

/// Renames a team and records it, in one transaction.
pub async fn rename(db: &Db, actor: Actor<'_>, team_id: i64, name: &str, now: i64) -> Result<(), AppError> {
    let name = normalize_team_name(name)?;
    let mut tx = db.pool().begin().await?;
    let done = sqlx::query("UPDATE teams SET name = $1, name_key = $2 WHERE id = $3")
        .bind(&name)
        .bind(name_key(&name))
        .bind(team_id)
        .execute(&mut *tx)
        .await
        .map_err(unique_violation)?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    audit::record(&mut *tx, now, actor.entry("team.renamed", "team", team_id, Some(name))).await?;
    tx.commit().await?;
    Ok(())
}

/// Archives (hides, keeps history) or restores a team and records it, in
/// one transaction.
pub async fn set_archived(db: &Db, actor: Actor<'_>, team_id: i64, archived: bool, now: i64) -> Result<(), AppError> {
    let mut tx = db.pool().begin().await?;
    let done = sqlx::query("UPDATE teams SET archived_at = $1 WHERE id = $2")
        .bind(archived.then_some(now))
        .bind(team_id)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    let action = if archived { "team.archived" } else { "team.restored" };
    audit::record(&mut *tx, now, actor.entry(action, "team", team_id, None)).await?;
    tx.commit().await?;
    Ok(())
}

/// Adds `user_id` to the team with `role`, or changes their role if they
/// are in it already. Inside the caller's transaction.
pub async fn put_member(
    tx: &mut sqlx::Transaction<'_, Any>,
    team_id: i64,
    user_id: i64,
    role: TeamRole,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO team_members (team_id, user_id, role, added_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (team_id, user_id) DO UPDATE SET role = $3",
    )
    .bind(team_id)
    .bind(user_id)
    .bind(role.as_str())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    accounts::touch_privileges(&mut **tx, user_id, now).await
}

/// Adds or re-roles a member and records it, in one transaction.
pub async fn set_member(
    db: &Db,
    actor: Actor<'_>,
    team_id: i64,
    user_id: i64,
    role: TeamRole,
    now: i64,
) -> Result<(), sqlx::Error> {
    let mut tx = db.pool().begin().await?;
    put_member(&mut tx, team_id, user_id, role, now).await?;
    let detail = format!("user {user_id} as {}", role.as_str());
    audit::record(&mut *tx, now, actor.entry("team.member_set", "team", team_id, Some(detail))).await?;
    tx.commit().await
}

/// Removes a member and records it, in one transaction; 404 when they were
/// not in the team.
pub async fn remove_member(db: &Db, actor: Actor<'_>, team_id: i64, user_id: i64, now: i64) -> Result<(), AppError> {
    let mut tx = db.pool().begin().await?;
    let done = sqlx::query("DELETE FROM team_members WHERE team_id = $1 AND user_id = $2")
        .bind(team_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    accounts::touch_privileges(&mut *tx, user_id, now).await?;
    let detail = format!("user {user_id}");
    audit::record(&mut *tx, now, actor.entry("team.member_removed", "team", team_id, Some(detail))).await?;
    tx.commit().await?;
    Ok(())
}

/// Ids of the teams that are not archived.
pub async fn active_ids(db: &Db) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM teams WHERE archived_at IS NULL").fetch_all(db.pool()).await
}
