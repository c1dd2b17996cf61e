//! Stores, on each checklist item satisfied by live data (`auto =
//! "probe.…"`), whether the service's probes and alert rules prove it now
//! (`domain::probes::proof`). [`sweep`] runs from the probe upkeep task
//! once a minute: an item whose answer changed is written, its service
//! re-scored and the change recorded in the audit trail, in one
//! transaction, so stored scores and gates follow the probes within a
//! minute and every page reads the same answer.

use std::collections::HashMap;

use sqlx::FromRow;

use super::audit::{self, AuditEntry};
use super::figures::{lock_service, refresh_service};
use super::templates::parse_auto;
use super::Db;
use crate::domain::probes::alerts::Rule;
use crate::domain::probes::definition::ProbeKind;
use crate::domain::probes::proof::{prove, ProbeFacts, Proof, RuleFacts};

#[derive(FromRow)]
struct ItemRow {
    id: i64,
    service_id: i64,
    auto_signal: String,
    live_proven: Option<i64>,
    live_note: Option<String>,
}

#[derive(FromRow)]
struct ProbeRow {
    id: i64,
    service_id: i64,
    name: String,
    kind: String,
    status: String,
    interval_s: i64,
    last_check_at: Option<i64>,
}

/// Judges every live-data item of every service that is not archived at
/// `now`; returns how many services' figures changed.
pub async fn sweep(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    let items: Vec<ItemRow> = sqlx::query_as(
        "SELECT si.id, si.service_id, ti.auto_signal, si.live_proven, si.live_note
         FROM service_items si JOIN template_items ti ON ti.id = si.template_item_id
         JOIN services s ON s.id = si.service_id
         WHERE ti.auto_signal IS NOT NULL AND si.removed_at IS NULL AND s.archived_at IS NULL",
    )
    .fetch_all(db.pool())
    .await?;
    if items.is_empty() {
        return Ok(0);
    }
    let mut probes: HashMap<i64, Vec<ProbeFacts>> = HashMap::new();
    for row in sqlx::query_as::<_, ProbeRow>(
        "SELECT id, service_id, name, kind, status, interval_s, last_check_at FROM probes
         WHERE deleted_at IS NULL ORDER BY id",
    )
    .fetch_all(db.pool())
    .await?
    {
        let Some(kind) = ProbeKind::parse(&row.kind) else { continue };
        probes.entry(row.service_id).or_default().push(ProbeFacts {
            id: row.id,
            name: row.name,
            kind,
            paused: row.status == "paused",
            interval_secs: row.interval_s.clamp(1, i64::from(u32::MAX)) as u32,
            last_check_at: row.last_check_at,
        });
    }
    let mut rules: HashMap<i64, Vec<RuleFacts>> = HashMap::new();
    for (service_id, probe_id, definition, channels) in sqlx::query_as::<_, (i64, Option<i64>, String, i64)>(
        "SELECT r.service_id, r.probe_id, r.definition,
                (SELECT COUNT(*) FROM alert_rule_channels rc JOIN alert_channels c ON c.id = rc.channel_id
                 WHERE rc.rule_id = r.id AND c.deleted_at IS NULL)
         FROM alert_rules r WHERE r.deleted_at IS NULL ORDER BY r.id",
    )
    .fetch_all(db.pool())
    .await?
    {
        let Ok(rule) = serde_json::from_str::<Rule>(&definition) else { continue };
        rules.entry(service_id).or_default().push(RuleFacts {
            probe_id,
            kind: rule.kind,
            channels: channels.clamp(0, i64::from(u32::MAX)) as u32,
        });
    }

    // Items whose answer changed, by service.
    let mut changed: HashMap<i64, Vec<(i64, Proof)>> = HashMap::new();
    for item in items {
        let Some(signal) = parse_auto(&item.auto_signal) else { continue };
        let proof = prove(
            signal,
            probes.get(&item.service_id).map_or(&[][..], Vec::as_slice),
            rules.get(&item.service_id).map_or(&[][..], Vec::as_slice),
            now,
        );
        let stored = item.live_proven.map(|p| p != 0);
        if stored != Some(proof.proven) || item.live_note.as_deref() != Some(proof.note.as_str()) {
            changed.entry(item.service_id).or_default().push((item.id, proof));
        }
    }
    let mut services: Vec<i64> = changed.keys().copied().collect();
    services.sort_unstable();
    let mut moved = 0;
    for service_id in services {
        let proofs = &changed[&service_id];
        let mut tx = db.pool().begin().await?;
        lock_service(&mut tx, service_id).await?;
        for (item_id, proof) in proofs {
            sqlx::query("UPDATE service_items SET live_proven = $1, live_note = $2 WHERE id = $3")
                .bind(i64::from(proof.proven))
                .bind(&proof.note)
                .bind(item_id)
                .execute(&mut *tx)
                .await?;
        }
        let before: (Option<i64>, i64) = sqlx::query_as("SELECT score, ready FROM services WHERE id = $1")
            .bind(service_id)
            .fetch_one(&mut *tx)
            .await?;
        let card = refresh_service(&mut tx, service_id, now).await?;
        if (card.percent().map(i64::from), i64::from(card.gate.is_ready())) != before {
            moved += 1;
        }
        for (item_id, proof) in proofs {
            let detail = serde_json::json!({ "proven": proof.proven, "note": proof.note });
            let entry = AuditEntry {
                actor_user_id: None,
                actor_label: "Preflight",
                action: "item.live_proof_changed",
                subject_type: Some("item"),
                subject_id: Some(item_id.to_string()),
                detail: Some(detail.to_string()),
                ..AuditEntry::default()
            };
            audit::record(&mut *tx, now, entry.for_service(service_id)).await?;
        }
        tx.commit().await?;
    }
    Ok(moved)
}
