//! The audit trail for administrators and auditors: one page at a time,
//! filtered by person, service, kind and date. Exports stream from the
//! server's `/audit/export` route.

use leptos::prelude::*;

use crate::domain::audit::AuditPage;
use crate::error::AppError;

/// Entries per page.
pub const PAGE_SIZE: i64 = 50;

#[cfg(feature = "ssr")]
mod server {
    use super::*;
    use crate::backend::audit;
    use crate::backend::caller::caller;
    use crate::domain::access::Action;
    use crate::domain::audit::AuditFilter;

    pub async fn page(query: String) -> Result<AuditPage, AppError> {
        let caller = caller(Action::ReadAuditTrail)?;
        let db = &caller.state.db;
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
        let (filter, mut problems) = AuditFilter::from_pairs(get);
        let before = get("before").and_then(|v| v.trim().parse().ok());
        let head = audit::head(db).await?;
        let (rows, older) = match audit::resolve(db, &filter).await? {
            Ok(resolved) if problems.is_empty() => audit::page(db, &resolved, before, PAGE_SIZE).await?,
            Ok(_) => (Vec::new(), None),
            Err(problem) => {
                problems.push(problem);
                (Vec::new(), None)
            }
        };
        Ok(AuditPage {
            rows,
            older,
            head_seq: head.seq,
            head_hash: head.hash,
            filter,
            problems,
            people: audit::people(db).await?,
        })
    }
}

/// One page of the audit trail; `query` is the page's query string
/// (person, service, kind, from, to, before).
#[server(endpoint = "audit/page")]
pub async fn fetch_audit_page(query: String) -> Result<AuditPage, AppError> {
    crate::backend::respond(server::page(query).await)
}
