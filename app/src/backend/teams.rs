//! Teams and their membership in the database.
//!
//! Changing someone's membership changes what they may do, so it also
//! stamps `users.privileges_changed_at` (their sessions get a new id).

use sqlx::any::AnyRow;
use sqlx::{Any, Row};

use super::{accounts, Db};
use crate::api::teams::{TeamDetail, TeamMember, TeamSummary};
use crate::domain::access::TeamRole;
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

/// Refuses a name another team (other than `except`) already has, ignoring case.
async fn ensure_name_free(db: &Db, name: &str, except: Option<i64>) -> Result<(), AppError> {
    let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM teams WHERE LOWER(name) = LOWER($1) AND id <> $2")
        .bind(name)
        .bind(except.unwrap_or(-1))
        .fetch_optional(db.pool())
        .await?;
    match taken {
        Some(_) => Err(AppError::invalid("name", "Another team already has that name.")),
        None => Ok(()),
    }
}

fn unique_violation(err: sqlx::Error) -> AppError {
    if err.as_database_error().is_some_and(|e| e.is_unique_violation()) {
        AppError::invalid("name", "Another team already has that name.")
    } else {
        err.into()
    }
}

pub async fn list(db: &Db) -> Result<Vec<TeamSummary>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT t.id, t.name, t.archived_at,
                (SELECT COUNT(*) FROM team_members m WHERE m.team_id = t.id),
                (SELECT COUNT(*) FROM team_members m WHERE m.team_id = t.id AND m.role = 'lead')
         FROM teams t ORDER BY LOWER(t.name)",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(TeamSummary {
                id: row.try_get(0)?,
                name: row.try_get(1)?,
                archived: row.try_get::<Option<i64>, _>(2)?.is_some(),
                members: row.try_get(3)?,
                leads: row.try_get(4)?,
            })
        })
        .collect()
}

fn member_from_row(row: &AnyRow) -> Result<TeamMember, sqlx::Error> {
    let role: String = row.try_get(3)?;
    Ok(TeamMember {
        user_id: row.try_get(0)?,
        name: row.try_get(1)?,
        email: row.try_get(2)?,
        role: TeamRole::parse(&role).ok_or_else(|| sqlx::Error::Decode(format!("team role {role:?}").into()))?,
    })
}

/// One team with its members (leads first), or `None`.
pub async fn detail(db: &Db, team_id: i64) -> Result<Option<TeamDetail>, sqlx::Error> {
    let Some(team) = sqlx::query("SELECT id, name, archived_at FROM teams WHERE id = $1")
        .bind(team_id)
        .fetch_optional(db.pool())
        .await?
    else {
        return Ok(None);
    };
    let members = sqlx::query(
        "SELECT u.id, u.name, u.email, m.role FROM team_members m JOIN users u ON u.id = m.user_id
         WHERE m.team_id = $1 ORDER BY CASE m.role WHEN 'lead' THEN 0 ELSE 1 END, LOWER(u.name)",
    )
    .bind(team_id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(member_from_row)
    .collect::<Result<_, _>>()?;
    Ok(Some(TeamDetail {
        id: team.try_get(0)?,
        name: team.try_get(1)?,
        archived: team.try_get::<Option<i64>, _>(2)?.is_some(),
        members,
        can_manage_members: false,
        can_manage_team: false,
    }))
}

pub async fn create(db: &Db, name: &str, now: i64) -> Result<i64, AppError> {
    let name = normalize_team_name(name)?;
    ensure_name_free(db, &name, None).await?;
    sqlx::query_scalar("INSERT INTO teams (name, created_at) VALUES ($1, $2) RETURNING id")
        .bind(&name)
        .bind(now)
        .fetch_one(db.pool())
        .await
        .map_err(unique_violation)
}

pub async fn rename(db: &Db, team_id: i64, name: &str) -> Result<String, AppError> {
    let name = normalize_team_name(name)?;
    ensure_name_free(db, &name, Some(team_id)).await?;
    let done = sqlx::query("UPDATE teams SET name = $1 WHERE id = $2")
        .bind(&name)
        .bind(team_id)
        .execute(db.pool())
        .await
        .map_err(unique_violation)?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    Ok(name)
}

/// Archives (hides, keeps history) or restores a team. False if no such team.
pub async fn set_archived(db: &Db, team_id: i64, archived: bool, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE teams SET archived_at = $1 WHERE id = $2")
        .bind(archived.then_some(now))
        .bind(team_id)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() == 1)
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

/// Adds or re-roles a member in its own transaction.
pub async fn set_member(db: &Db, team_id: i64, user_id: i64, role: TeamRole, now: i64) -> Result<(), sqlx::Error> {
    let mut tx = db.pool().begin().await?;
    put_member(&mut tx, team_id, user_id, role, now).await?;
    tx.commit().await
}

/// Removes a member; false when they were not in the team.
pub async fn remove_member(db: &Db, team_id: i64, user_id: i64, now: i64) -> Result<bool, sqlx::Error> {
    let mut tx = db.pool().begin().await?;
    let done = sqlx::query("DELETE FROM team_members WHERE team_id = $1 AND user_id = $2")
        .bind(team_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    accounts::touch_privileges(&mut *tx, user_id, now).await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

/// Ids of the teams that are not archived.
pub async fn active_ids(db: &Db) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT id FROM teams WHERE archived_at IS NULL").fetch_all(db.pool()).await
}
