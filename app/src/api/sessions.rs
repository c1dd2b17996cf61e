//! The signed-in user's sessions (the "Your sessions" page).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionSummary {
    /// The stored digest of the session id: names the session, cannot be
    /// used to take it over.
    pub id: String,
    pub device: String,
    pub started_at_ms: i64,
    pub last_seen_at_ms: i64,
    /// The session this request came from.
    pub current: bool,
}

#[cfg(feature = "ssr")]
mod server {
    use super::*;
    use crate::backend::{app_state, auth, session_store, sessions, AppState};
    use crate::domain::access::Action;

    /// The caller (who may manage their own account), their user id and
    /// the digest of their current session id.
    pub async fn caller() -> Result<(AppState, i64, Option<String>), AppError> {
        let state = app_state()?;
        let session = auth::request_session().await?;
        let me = auth::require_user(&session, &state).await?;
        me.require(Action::ManageOwnAccount)?;
        Ok((state, me.user.id, session.id().map(|id| session_store::id_hash(&id))))
    }

    pub async fn list() -> Result<Vec<SessionSummary>, AppError> {
        let (state, user_id, current) = caller().await?;
        Ok(sessions::list(&state.db, user_id, state.clock.now_millis(), current.as_deref()).await?)
    }

    pub async fn end(id: String) -> Result<(), AppError> {
        let (state, user_id, _) = caller().await?;
        if sessions::end(&state.db, user_id, &id).await? {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    }

    pub async fn end_others() -> Result<u64, AppError> {
        let (state, user_id, current) = caller().await?;
        let current = current.ok_or(AppError::Unauthenticated)?;
        Ok(sessions::end_others(&state.db, user_id, &current).await?)
    }
}

#[server(endpoint = "account/sessions")]
pub async fn fetch_my_sessions() -> Result<Vec<SessionSummary>, AppError> {
    crate::backend::respond(server::list().await)
}

#[server(endpoint = "account/sessions/end")]
pub async fn end_my_session(id: String) -> Result<(), AppError> {
    crate::backend::respond(server::end(id).await)
}

#[server(endpoint = "account/sessions/end-others")]
pub async fn end_my_other_sessions() -> Result<u64, AppError> {
    crate::backend::respond(server::end_others().await)
}
