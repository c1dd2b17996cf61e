//! The signed-in user's sessions (the "Your sessions" page).

use leptos::prelude::*;

use crate::domain::sessions::SessionSummary;
use crate::error::AppError;

#[cfg(feature = "ssr")]
mod server {
    use super::*;
    use crate::backend::caller::{caller, Caller};
    use crate::backend::sessions;
    use crate::domain::access::Action;

    fn me() -> Result<Caller, AppError> {
        caller(Action::ManageOwnAccount)
    }

    pub async fn list() -> Result<Vec<SessionSummary>, AppError> {
        let caller = me()?;
        let current = caller.request.session().map(|s| s.id_hash.as_str());
        let state = &caller.state;
        Ok(sessions::list(&state.db, caller.me.user.id, state.clock.now_millis(), current).await?)
    }

    pub async fn end(id: String) -> Result<(), AppError> {
        let caller = me()?;
        let state = &caller.state;
        let mut tx = state.db.pool().begin().await?;
        if !sessions::end(&mut *tx, caller.me.user.id, &id).await? {
            return Err(AppError::NotFound);
        }
        let entry = caller.audit("session.ended", "user", caller.me.user.id, None);
        crate::backend::audit::record(&mut *tx, state.clock.now_millis(), entry).await?;
        Ok(tx.commit().await?)
    }

    pub async fn end_others() -> Result<u64, AppError> {
        let caller = me()?;
        let state = &caller.state;
        let current = caller.request.session().ok_or(AppError::Unauthenticated)?;
        let mut tx = state.db.pool().begin().await?;
        let ended = sessions::end_others(&mut *tx, caller.me.user.id, &current.id_hash).await?;
        let entry = caller.audit("session.ended_others", "user", caller.me.user.id, Some(format!("{ended} sessions")));
        crate::backend::audit::record(&mut *tx, state.clock.now_millis(), entry).await?;
        tx.commit().await?;
        Ok(ended)
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
