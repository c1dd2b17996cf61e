//! Who a request comes from, decided once per request.
//!
//! The session middleware (`server/src/session.rs`) calls [`resolve`] with
//! the session cookie: one statement (session, user, team roles, second
//! factor and access settings) gives a [`RequestAuth`],
//! which goes into the request's extensions. The page gate, the header and
//! every server function of that request read it from there ([`caller`],
//! [`request_auth`]) instead of asking the database again.
//!
//! Resolving writes only for a live session: its idle expiry moves at most
//! once a minute, and it gets a new token after its user's powers changed.
//! An unknown, forged or expired cookie writes nothing (the browser is just
//! told to drop it).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::accounts::User;
use super::audit::{Actor, AuditEntry};
use super::sessions::{self, Lookup};
use super::state::AppState;
use crate::domain::access::{can, Action, Policy, Principal, Role, TeamRole};
use crate::error::AppError;

/// Idle expiry is written back at most this often, so a busy user costs one
/// write a minute, not one per request (expiry stays right to the minute).
pub const TOUCH_EVERY_MS: i64 = 60_000;

/// How long sessions last. Configured by the server's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// Ends a session after this long without a request.
    pub idle: Duration,
    /// Ends a session this long after sign-in, however active.
    pub lifetime: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy { idle: Duration::from_secs(30 * 60), lifetime: Duration::from_secs(12 * 3600) }
    }
}

impl SessionPolicy {
    /// The idle expiry of a session used at `now`, never past its end.
    pub fn expires_at(&self, now: i64, ends_at: i64) -> i64 {
        (now + self.idle.as_millis() as i64).min(ends_at)
    }
}

/// The signed-in caller.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: User,
    pub principal: Principal,
    /// An administrator while the "administrators need MFA" setting is on.
    pub mfa_required: bool,
    /// ...who has not set it up yet: nothing else is allowed until they do.
    pub must_enrol_mfa: bool,
    /// Has a confirmed second factor.
    pub mfa_enrolled: bool,
    /// The instance's access settings at the time of the request.
    pub policy: Policy,
}

impl CurrentUser {
    /// Fails closed with 403 unless the caller may perform `action`. Until
    /// a required second factor is set up, only the own account is allowed.
    pub fn require(&self, action: Action) -> Result<(), AppError> {
        if self.may(action) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// Whether the caller may perform `action` (for showing controls).
    pub fn may(&self, action: Action) -> bool {
        (!self.must_enrol_mfa || action == Action::ManageOwnAccount) && can(Some(&self.principal), action, &self.policy)
    }
}

/// Who is on the other end of a request, as far as we can tell.
#[derive(Debug, Clone, Default)]
pub struct Client {
    /// The client's address (a proxy's, unless the proxy is trusted).
    pub ip: String,
    /// The browser's User-Agent, shortened; shown on the sessions page.
    pub device: String,
    /// The request id of the log line, for the audit trail.
    pub request_id: String,
}

/// What the response must tell the browser about its session cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CookieChange {
    /// A new session (or a new token for this one).
    Set(String),
    /// The session ended, or the cookie named none.
    Clear,
}

/// A live session: its stored digest and when it started.
#[derive(Debug, Clone)]
pub struct LiveSession {
    pub id_hash: String,
    pub created_at: i64,
    pub ends_at: i64,
}

/// Everything the request knows about its caller, shared (cheaply cloned)
/// by the middleware, the gate and the server functions of one request.
#[derive(Debug, Clone, Default)]
pub struct RequestAuth(Arc<Inner>);

#[derive(Debug, Default)]
struct Inner {
    client: Client,
    session: Option<LiveSession>,
    user: Option<CurrentUser>,
    /// Between a correct password and the second factor.
    pending: Option<User>,
    cookie: Mutex<Option<CookieChange>>,
}

impl RequestAuth {
    /// A caller without a session.
    pub fn anonymous(client: Client) -> RequestAuth {
        RequestAuth(Arc::new(Inner { client, ..Default::default() }))
    }

    pub fn user(&self) -> Option<&CurrentUser> {
        self.0.user.as_ref()
    }

    /// The signed-in caller, or 401.
    pub fn require_user(&self) -> Result<&CurrentUser, AppError> {
        self.user().ok_or(AppError::Unauthenticated)
    }

    /// The user who gave the right password and owes the second factor.
    pub fn pending(&self) -> Option<&User> {
        self.0.pending.as_ref()
    }

    pub fn session(&self) -> Option<&LiveSession> {
        self.0.session.as_ref()
    }

    pub fn client(&self) -> &Client {
        &self.0.client
    }

    /// Tells the browser to keep `token` as its session from now on.
    pub fn set_cookie(&self, token: String) {
        *self.0.cookie.lock().unwrap_or_else(|e| e.into_inner()) = Some(CookieChange::Set(token));
    }

    /// Tells the browser to drop its session cookie.
    pub fn clear_cookie(&self) {
        *self.0.cookie.lock().unwrap_or_else(|e| e.into_inner()) = Some(CookieChange::Clear);
    }

    /// The change the response must carry, if any.
    pub fn cookie_change(&self) -> Option<CookieChange> {
        self.0.cookie.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Resolves the session `token` (from the cookie) for a request: one
/// statement for a signed-in user, none without a well-formed cookie.
pub async fn resolve(state: &AppState, token: Option<&str>, client: Client) -> Result<RequestAuth, AppError> {
    let Some(id_hash) = token.and_then(sessions::token_hash) else {
        let auth = RequestAuth::anonymous(client);
        if token.is_some() {
            auth.clear_cookie();
        }
        return Ok(auth);
    };
    // Twice at most: another request of the same browser may give the
    // session a new token between this one's lookup and its own rotation;
    // the second lookup then finds this token as the one just replaced.
    for _ in 0..2 {
        if let Some(auth) = resolve_token(state, &id_hash, &client).await? {
            return Ok(auth);
        }
    }
    Ok(ended(client))
}

/// One attempt of [`resolve`]; `None` when another request rotated the
/// session's token meanwhile (look again).
async fn resolve_token(state: &AppState, id_hash: &str, client: &Client) -> Result<Option<RequestAuth>, AppError> {
    let now = state.clock.now_millis();
    let found = state.lookups.lookup(&state.db, id_hash, now).await?;
    let Some(found) = found.filter(|s| is_live(s, now)) else {
        // Unknown, forged, expired or revoked: nothing to write, the
        // browser is told to forget it. Housekeeping removes dead rows.
        return Ok(Some(ended(client.clone())));
    };
    let user = user_of(&found, found.user_id.or(found.pending_user_id).unwrap_or_default())?;
    let session = LiveSession { id_hash: found.id_hash.clone(), created_at: found.created_at, ends_at: found.ends_at };
    let client = client.clone();

    let Some(user_id) = found.user_id else {
        // Waiting for the second factor: nothing else is allowed, and the
        // step's end was fixed when it started.
        return Ok(Some(RequestAuth(Arc::new(Inner {
            client,
            session: Some(session),
            pending: Some(user),
            ..Default::default()
        }))));
    };

    let expires_at = state.session_policy.expires_at(now, found.ends_at);
    let mut new_token = None;
    if found.replaced_at.is_some() {
        // Sent with the token a rotation has just replaced (a second tab, a
        // request already on its way): the same browser, which got the new
        // token with the rotating response. Nothing to write.
    } else if user.privileges_changed_at > found.privileges_at {
        // More (or fewer) powers since this token was issued: a new token,
        // so one captured before the change is worth nothing after it.
        let rotated = sessions::rotate(&state.db, &session.id_hash, user.privileges_changed_at, now, expires_at).await;
        // The row has a new digest: no copy read before may answer again.
        state.lookups.invalidate_all();
        match rotated? {
            Some(token) => new_token = Some(token),
            None => return Ok(None),
        }
    } else if now - found.last_seen_at >= TOUCH_EVERY_MS {
        let touched = sessions::touch(&state.db, &session.id_hash, now, expires_at).await;
        // A copy from before would only ask to touch again; drop it anyway.
        state.lookups.forget(id_hash);
        if !touched? {
            return Ok(Some(ended(client)));
        }
    }

    let teams = team_roles(found.team_roles.as_deref())?;
    let require_admin_mfa = found.require_admin_mfa.as_deref() == Some("true");
    let policy = Policy { viewers_may_download_evidence: found.viewers_download_evidence.as_deref() == Some("true") };
    let mfa_enrolled = found.mfa_enrolled > 0;
    let mfa_required = user.role == Role::Admin && require_admin_mfa;
    let me = CurrentUser {
        principal: Principal { user_id, role: user.role, teams },
        mfa_required,
        must_enrol_mfa: mfa_required && !mfa_enrolled,
        mfa_enrolled,
        policy,
        user,
    };
    let auth = RequestAuth(Arc::new(Inner { client, session: Some(session), user: Some(me), ..Default::default() }));
    if let Some(token) = new_token {
        auth.set_cookie(token);
    }
    Ok(Some(auth))
}

/// A session that ended while this request was being resolved.
fn ended(client: Client) -> RequestAuth {
    let auth = RequestAuth::anonymous(client);
    auth.clear_cookie();
    auth
}

/// Whether the looked-up session may still be used at `now`: not expired,
/// not older than its user's "sessions valid from" stamp, user enabled.
fn is_live(found: &Lookup, now: i64) -> bool {
    found.replaced_at.is_none_or(|at| now - at < sessions::ROTATION_GRACE_MS)
        && found.expires_at > now
        && found.ends_at > now
        && found.email.is_some()
        && found.disabled_at.is_none()
        && found.sessions_valid_from.is_some_and(|from| found.created_at >= from)
}

fn user_of(found: &Lookup, id: i64) -> Result<User, AppError> {
    let missing = |what| AppError::internal("session lookup", format!("user column {what} is empty"));
    let role = found.role.as_deref().ok_or_else(|| missing("role"))?;
    Ok(User {
        id,
        email: found.email.clone().ok_or_else(|| missing("email"))?,
        name: found.name.clone().ok_or_else(|| missing("name"))?,
        role: Role::parse(role)
            .ok_or_else(|| AppError::internal("session lookup", format!("unknown role {role:?}")))?,
        password_hash: found.password_hash.clone().unwrap_or_default(),
        disabled: found.disabled_at.is_some(),
        privileges_changed_at: found.privileges_changed_at.unwrap_or_default(),
    })
}

/// Team roles from the lookup's `"7:lead,9:member"`. An unknown role is an
/// error, never quietly a lesser one.
fn team_roles(text: Option<&str>) -> Result<Vec<(i64, TeamRole)>, AppError> {
    let bad = |entry: &str| AppError::internal("team roles", format!("unreadable team role {entry:?}"));
    let mut roles = text
        .unwrap_or_default()
        .split(',')
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            let (team, role) = entry.split_once(':').ok_or_else(|| bad(entry))?;
            Ok((team.parse().map_err(|_| bad(entry))?, TeamRole::parse(role).ok_or_else(|| bad(entry))?))
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    roles.sort_unstable_by_key(|(team, _)| *team);
    Ok(roles)
}

/// The caller of the server function being answered, as the session
/// middleware resolved it. A request that skipped the middleware (a wiring
/// mistake) is anonymous: it fails closed.
pub fn request_auth() -> RequestAuth {
    leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<RequestAuth>().cloned())
        .unwrap_or_default()
}

/// A server function's signed-in caller who may perform `action`.
#[derive(Clone)]
pub struct Caller {
    pub state: AppState,
    pub me: CurrentUser,
    pub request: RequestAuth,
}

impl Caller {
    /// The caller as the audit trail records them, with this request.
    pub fn actor(&self) -> Actor<'_> {
        Actor { id: self.me.user.id, name: &self.me.user.name, client: Some(self.request.client()) }
    }

    /// An audit entry of the caller's about `subject_type` `subject_id`.
    pub fn audit<'a>(
        &'a self,
        action: &'a str,
        subject_type: &'a str,
        subject_id: impl ToString,
        detail: Option<String>,
    ) -> AuditEntry<'a> {
        self.actor().entry(action, subject_type, subject_id, detail)
    }
}

/// The one way a server function learns who calls it: the state and the
/// signed-in caller, who must be allowed `action` (401 without a session,
/// 403 without the permission).
pub fn caller(action: Action) -> Result<Caller, AppError> {
    let state = super::app_state()?;
    let request = request_auth();
    let me = request.require_user()?.clone();
    me.require(action)?;
    Ok(Caller { state, me, request })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn team_roles_are_read_strictly() {
        assert_eq!(team_roles(None).unwrap(), vec![]);
        assert_eq!(team_roles(Some("9:member,7:lead")).unwrap(), vec![(7, TeamRole::Lead), (9, TeamRole::Member)]);
        for bad in ["7", "x:lead", "7:owner"] {
            assert_eq!(team_roles(Some(bad)).unwrap_err(), AppError::Internal, "{bad}");
        }
    }
}
