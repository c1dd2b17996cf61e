//! A service's applied checklists as the service page shows them: every
//! item with its standing at `now`, grouped by template and section, and
//! the gate panel's lists (blocking, waived, due soon). Two statements for
//! the whole page, whatever the number of items.

use sqlx::FromRow;

use super::db::decode_word;
use super::figures::{FactsRow, FACTS_COLUMNS};
use super::Db;
use crate::domain::checklist::{Level, Severity};
use crate::domain::readiness::{stale_at, standing, Standing, DAY_MS};
use crate::domain::services::{AppliedChecklist, ItemLine, ItemRef, SectionProgress};

/// Approved items going stale within this many days are "due soon".
pub const DUE_SOON_DAYS: i64 = 14;

/// An item with its scoring facts (the same columns the stored figures
/// are computed from) and what the page shows beside them.
#[derive(FromRow)]
struct Row {
    #[sqlx(flatten)]
    facts: FactsRow,
    template_id: i64,
    template_name: String,
    version: i64,
    latest_version: i64,
    section_name: String,
    title: String,
    evidence_count: i64,
}

/// The checklists of one service, and its blocking, waived and due-soon
/// items, at `now`.
pub struct ServiceChecklists {
    pub checklists: Vec<AppliedChecklist>,
    pub blocking: Vec<ItemRef>,
    pub waived: Vec<ItemRef>,
    pub due_soon: Vec<ItemRef>,
}

pub async fn for_service(db: &Db, service_id: i64, tier: u8, now: i64) -> Result<ServiceChecklists, sqlx::Error> {
    let sql = format!(
        "SELECT st.template_id, v.name AS template_name, v.version, t.latest_version,
                sec.name AS section_name, ti.title, {FACTS_COLUMNS},
                si.has_link, si.has_file, si.approvals, si.waiver_expires_at,
                (SELECT COUNT(*) FROM evidence e WHERE e.service_item_id = si.id AND e.withdrawn_at IS NULL)
                  AS evidence_count
         FROM service_items si
         JOIN service_templates st ON st.id = si.service_template_id
         JOIN templates t ON t.id = st.template_id
         JOIN template_versions v ON v.id = st.template_version_id
         JOIN template_items ti ON ti.id = si.template_item_id
         JOIN template_sections sec ON sec.template_version_id = v.id AND sec.key = ti.section_key
         WHERE si.service_id = $1 AND si.removed_at IS NULL
         ORDER BY st.id, sec.position, ti.position"
    );
    let rows: Vec<Row> = sqlx::query_as(&sql).bind(service_id).fetch_all(db.pool()).await?;

    let mut result =
        ServiceChecklists { checklists: Vec::new(), blocking: Vec::new(), waived: Vec::new(), due_soon: Vec::new() };
    for row in rows {
        let (id, facts) = row.facts.into_facts(tier)?;
        let standing = standing(&facts, now);
        let gating = facts.severity == Severity::Critical || facts.level == Level::Bronze;
        let item_ref = |at: Option<i64>| ItemRef {
            id,
            title: row.title.clone(),
            checklist: row.template_name.clone(),
            severity: facts.severity,
            standing: standing.clone(),
            at,
        };
        match &standing {
            Standing::Unmet(_) if gating => result.blocking.push(item_ref(None)),
            Standing::Waived { expires_at } => result.waived.push(item_ref(Some(*expires_at))),
            Standing::Satisfied => {
                if let Some(at) = stale_at(&facts).filter(|at| *at - now <= DUE_SOON_DAYS * DAY_MS) {
                    result.due_soon.push(item_ref(Some(at)));
                }
            }
            _ => {}
        }

        if result.checklists.last().is_none_or(|c| c.template_id != row.template_id) {
            result.checklists.push(AppliedChecklist {
                template_id: row.template_id,
                name: row.template_name.clone(),
                version: row.version as u32,
                latest_version: row.latest_version as u32,
                sections: Vec::new(),
            });
        }
        let checklist = result.checklists.last_mut().expect("pushed above");
        if checklist.sections.last().is_none_or(|s| s.name != row.section_name) {
            checklist.sections.push(SectionProgress {
                name: row.section_name.clone(),
                counted: 0,
                passing: 0,
                items: Vec::new(),
            });
        }
        let section = checklist.sections.last_mut().expect("pushed above");
        section.counted += u32::from(standing.counts());
        section.passing += u32::from(standing.counts() && standing.passes());
        section.items.push(ItemLine {
            id,
            title: row.title,
            severity: facts.severity,
            level: facts.level,
            status: facts.status,
            standing,
            evidence: row.evidence_count as u32,
            approvals: facts.approvals,
            approvals_required: facts.approvals_required,
        });
    }
    // Most severe first; the order within a severity is the checklists'.
    result.blocking.sort_by_key(|item| item.severity);
    result.due_soon.sort_by_key(|item| item.at);
    result.waived.sort_by_key(|item| item.at);
    Ok(result)
}

/// Approved items of live services that go stale within
/// [`DUE_SOON_DAYS`] (or already have), soonest first, for the services
/// of `teams` (every team when `None`). One statement.
pub async fn due_soon(
    db: &Db,
    teams: Option<&[i64]>,
    now: i64,
) -> Result<Vec<crate::domain::services::DueItem>, sqlx::Error> {
    #[derive(FromRow)]
    struct Due {
        id: i64,
        title: String,
        service_name: String,
        service_slug: String,
        team_name: String,
        severity: String,
        stale_at: i64,
    }
    let team_filter = match teams {
        None => String::new(),
        Some([]) => return Ok(Vec::new()),
        // Ids are integers from the caller's own memberships, not text.
        Some(ids) => format!(" AND s.team_id IN ({})", ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")),
    };
    let sql = format!(
        "SELECT si.id, ti.title, s.name AS service_name, s.slug AS service_slug, t.name AS team_name, ti.severity,
                si.complete_since + ti.valid_days * {DAY_MS} AS stale_at
         FROM service_items si
         JOIN services s ON s.id = si.service_id
         JOIN teams t ON t.id = s.team_id
         JOIN template_items ti ON ti.id = si.template_item_id
         WHERE si.removed_at IS NULL AND s.archived_at IS NULL AND si.complete_since IS NOT NULL
           AND ti.valid_days > 0 AND si.complete_since + ti.valid_days * {DAY_MS} <= $1{team_filter}
         ORDER BY stale_at, si.id LIMIT 500"
    );
    let rows: Vec<Due> = sqlx::query_as(&sql).bind(now + DUE_SOON_DAYS * DAY_MS).fetch_all(db.pool()).await?;
    rows.into_iter()
        .map(|r| {
            Ok(crate::domain::services::DueItem {
                item_id: r.id,
                title: r.title,
                service_name: r.service_name,
                service_slug: r.service_slug,
                team_name: r.team_name,
                severity: decode_word(r.severity)?,
                stale_at: r.stale_at,
            })
        })
        .collect()
}
