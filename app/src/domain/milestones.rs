//! Milestones: a named snapshot of a service's scorecard ("launch review",
//! "post-incident review") that freezes every item's standing, evidence,
//! approvals and waiver as they were, and [`compare`], which sets a
//! snapshot beside the service as it is now. Pure: the backend gathers
//! both sides, the page shows the answer.
//!
//! Items are matched by their row id: a checklist upgrade keeps an item's
//! row (see `backend::upgrades`), so an item upgraded in between still
//! compares with itself; an item only in the snapshot was removed since,
//! one only in the present was added since.

use serde::{Deserialize, Serialize};

use super::checklist::Level;
use super::items::EvidenceKind;
use super::readiness::{ItemStatus, Standing};

/// The longest milestone name and note.
pub const MAX_NAME: usize = 80;
pub const MAX_NOTE: usize = 500;

/// The snapshot format written into `milestones.snapshot`.
pub const SNAPSHOT_VERSION: u32 = 1;

/// A service's headline figures at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Headline {
    /// Whole percent with waivers; `None` while no item counts.
    pub score: Option<u32>,
    pub level: Option<Level>,
    pub ready: bool,
    /// Items in the way of the gate.
    pub blocking: u32,
    /// Granted, unexpired waivers.
    pub waivers: u32,
}

impl Headline {
    /// "Ready", "Ready with 2 waivers" or "Not ready".
    pub fn gate_label(&self) -> String {
        super::services::Figures { ready: self.ready, waivers: self.waivers, ..Default::default() }.gate_label()
    }
}

/// A piece of current evidence as it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceSnap {
    /// The evidence row (stable: evidence is withdrawn, never deleted).
    pub id: i64,
    pub kind: EvidenceKind,
    /// The URL of a link, the file name of a file, the title and version
    /// of a cited document.
    pub label: String,
    pub url: Option<String>,
    /// The content address of a file (or of a cited document's file).
    pub sha256: Option<String>,
    pub added_by: String,
    pub added_at: i64,
}

/// An approval that counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalSnap {
    pub reviewer: String,
    pub at: i64,
}

/// A granted waiver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaiverSnap {
    pub id: i64,
    pub expires_at: i64,
    pub granted_by: Option<String>,
    pub reason: String,
}

/// One item of the service as it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemSnap {
    /// The service item's id (`/items/{id}`).
    pub id: i64,
    pub key: String,
    pub checklist: String,
    pub section: String,
    pub title: String,
    pub status: ItemStatus,
    pub standing: Standing,
    pub evidence: Vec<EvidenceSnap>,
    pub approvals: Vec<ApprovalSnap>,
    pub waiver: Option<WaiverSnap>,
}

/// What `milestones.snapshot` holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub version: u32,
    pub items: Vec<ItemSnap>,
}

/// A milestone in the service's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MilestoneLine {
    pub id: i64,
    pub name: String,
    pub note: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    pub figures: Headline,
}

/// A service's milestones, newest first, and whether the caller may
/// record one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MilestoneList {
    pub service_id: i64,
    pub milestones: Vec<MilestoneLine>,
    pub can_record: bool,
}

/// The compare page: a milestone of a service beside the service now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MilestoneView {
    pub service_name: String,
    pub service_slug: String,
    pub milestone: MilestoneLine,
    pub comparison: Comparison,
    /// When "now" was read, and the audit chain head it reflects, for the
    /// printout.
    pub as_of: i64,
    pub chain_reference: String,
}

/// How an item moved between the snapshot and now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Movement {
    /// Did not pass then, passes now.
    Improved,
    /// Passed then, no longer passes.
    Regressed,
    /// Only now (a checklist applied or upgraded since).
    Added,
    /// Only then (removed by an upgrade since).
    Removed,
    /// Passes (or fails) as it did; details may still have changed.
    Unchanged,
}

/// One item, then and now, with what changed about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemChange {
    pub id: i64,
    pub key: String,
    pub checklist: String,
    pub section: String,
    pub title: String,
    pub movement: Movement,
    pub then: Option<Standing>,
    pub now: Option<Standing>,
    pub status_then: Option<ItemStatus>,
    pub status_now: Option<ItemStatus>,
    /// Current now and not then, and the other way round.
    pub evidence_added: Vec<EvidenceSnap>,
    pub evidence_withdrawn: Vec<EvidenceSnap>,
    pub approvals_added: Vec<ApprovalSnap>,
    pub approvals_gone: Vec<ApprovalSnap>,
    /// The granted waiver then and now, when they differ.
    pub waiver_change: Option<(Option<WaiverSnap>, Option<WaiverSnap>)>,
}

impl ItemChange {
    /// Anything about the item changed (evidence, approvals, waiver,
    /// status or standing), even when it passes as before.
    pub fn has_details(&self) -> bool {
        !self.evidence_added.is_empty()
            || !self.evidence_withdrawn.is_empty()
            || !self.approvals_added.is_empty()
            || !self.approvals_gone.is_empty()
            || self.waiver_change.is_some()
            || self.then != self.now
            || self.status_then != self.status_now
    }
}

/// A snapshot beside the present.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comparison {
    pub then: Headline,
    pub now: Headline,
    pub regressed: Vec<ItemChange>,
    pub improved: Vec<ItemChange>,
    pub added: Vec<ItemChange>,
    pub removed: Vec<ItemChange>,
    /// Changed details first, then in checklist order.
    pub unchanged: Vec<ItemChange>,
}

/// Which way a figure moved: better, worse or the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Direction {
    Up,
    Down,
    Same,
}

impl Direction {
    pub fn arrow(self) -> &'static str {
        match self {
            Direction::Up => "↑",
            Direction::Down => "↓",
            Direction::Same => "→",
        }
    }

    /// For class names: `up`, `down`, `same`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Up => "up",
            Direction::Down => "down",
            Direction::Same => "same",
        }
    }

    fn of<T: Ord>(then: T, now: T) -> Direction {
        match now.cmp(&then) {
            std::cmp::Ordering::Greater => Direction::Up,
            std::cmp::Ordering::Less => Direction::Down,
            std::cmp::Ordering::Equal => Direction::Same,
        }
    }
}

impl Comparison {
    /// The score's direction (no score sorts below every score).
    pub fn score_direction(&self) -> Direction {
        Direction::of(self.then.score.map(i64::from).unwrap_or(-1), self.now.score.map(i64::from).unwrap_or(-1))
    }

    /// The level's direction (below bronze sorts lowest).
    pub fn level_direction(&self) -> Direction {
        Direction::of(self.then.level, self.now.level)
    }

    /// The gate's direction: becoming ready is up.
    pub fn gate_direction(&self) -> Direction {
        Direction::of(self.then.ready, self.now.ready)
    }
}

/// Sets `then` (a milestone's figures and items) beside `now`.
pub fn compare(then: (&Headline, &[ItemSnap]), now: (&Headline, &[ItemSnap])) -> Comparison {
    let (then_figures, then_items) = then;
    let (now_figures, now_items) = now;
    let mut result = Comparison {
        then: then_figures.clone(),
        now: now_figures.clone(),
        regressed: Vec::new(),
        improved: Vec::new(),
        added: Vec::new(),
        removed: Vec::new(),
        unchanged: Vec::new(),
    };
    let then_by_id: std::collections::HashMap<i64, &ItemSnap> = then_items.iter().map(|i| (i.id, i)).collect();
    let now_ids: std::collections::HashSet<i64> = now_items.iter().map(|i| i.id).collect();
    // In the present's order (checklist, section, position).
    for current in now_items {
        let change = match then_by_id.get(&current.id) {
            Some(old) => between(old, current),
            None => between_missing(current, Movement::Added),
        };
        push(&mut result, change);
    }
    // Removed items in the snapshot's order.
    for old in then_items.iter().filter(|i| !now_ids.contains(&i.id)) {
        push(&mut result, between_missing(old, Movement::Removed));
    }
    // Stable: changed details first, otherwise checklist order.
    result.unchanged.sort_by_key(|c| !c.has_details());
    result
}

fn push(result: &mut Comparison, change: ItemChange) {
    match change.movement {
        Movement::Improved => result.improved.push(change),
        Movement::Regressed => result.regressed.push(change),
        Movement::Added => result.added.push(change),
        Movement::Removed => result.removed.push(change),
        Movement::Unchanged => result.unchanged.push(change),
    }
}

/// An item on one side only: all its evidence and approvals count as added
/// (or withdrawn) with it.
fn between_missing(item: &ItemSnap, movement: Movement) -> ItemChange {
    let added = movement == Movement::Added;
    ItemChange {
        id: item.id,
        key: item.key.clone(),
        checklist: item.checklist.clone(),
        section: item.section.clone(),
        title: item.title.clone(),
        movement,
        then: (!added).then(|| item.standing.clone()),
        now: added.then(|| item.standing.clone()),
        status_then: (!added).then_some(item.status),
        status_now: added.then_some(item.status),
        evidence_added: if added { item.evidence.clone() } else { Vec::new() },
        evidence_withdrawn: if added { Vec::new() } else { item.evidence.clone() },
        approvals_added: if added { item.approvals.clone() } else { Vec::new() },
        approvals_gone: if added { Vec::new() } else { item.approvals.clone() },
        waiver_change: item.waiver.clone().map(|w| if added { (None, Some(w)) } else { (Some(w), None) }),
    }
}

fn between(old: &ItemSnap, new: &ItemSnap) -> ItemChange {
    let movement = match (old.standing.passes(), new.standing.passes()) {
        (false, true) => Movement::Improved,
        (true, false) => Movement::Regressed,
        _ => Movement::Unchanged,
    };
    let evidence_added = new.evidence.iter().filter(|e| !old.evidence.iter().any(|o| o.id == e.id)).cloned().collect();
    let evidence_withdrawn =
        old.evidence.iter().filter(|e| !new.evidence.iter().any(|n| n.id == e.id)).cloned().collect();
    let approvals_added = new.approvals.iter().filter(|a| !old.approvals.contains(a)).cloned().collect();
    let approvals_gone = old.approvals.iter().filter(|a| !new.approvals.contains(a)).cloned().collect();
    ItemChange {
        id: new.id,
        key: new.key.clone(),
        checklist: new.checklist.clone(),
        section: new.section.clone(),
        title: new.title.clone(),
        movement,
        then: Some(old.standing.clone()),
        now: Some(new.standing.clone()),
        status_then: Some(old.status),
        status_now: Some(new.status),
        evidence_added,
        evidence_withdrawn,
        approvals_added,
        approvals_gone,
        waiver_change: (old.waiver != new.waiver).then(|| (old.waiver.clone(), new.waiver.clone())),
    }
}

/// Checks a milestone's name: required, at most [`MAX_NAME`] characters.
/// Returns it trimmed, or the message for the `name` field.
pub fn check_name(name: &str) -> Result<String, &'static str> {
    let name = name.trim();
    match name.chars().count() {
        0 => Err("Name the milestone, e.g. launch review."),
        n if n > MAX_NAME => Err("Use at most 80 characters."),
        _ => Ok(name.to_string()),
    }
}

/// Checks the optional note: at most [`MAX_NOTE`] characters; empty is none.
pub fn check_note(note: &str) -> Result<Option<String>, &'static str> {
    let note = note.trim();
    if note.chars().count() > MAX_NOTE {
        return Err("Use at most 500 characters.");
    }
    Ok((!note.is_empty()).then(|| note.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::readiness::Blocker;

    fn item(id: i64, standing: Standing) -> ItemSnap {
        ItemSnap {
            id,
            key: format!("k.{id}"),
            checklist: "Web application".into(),
            section: "Basics".into(),
            title: format!("Item {id}"),
            status: if standing.passes() { ItemStatus::Done } else { ItemStatus::InProgress },
            standing,
            evidence: Vec::new(),
            approvals: Vec::new(),
            waiver: None,
        }
    }

    fn link(id: i64) -> EvidenceSnap {
        EvidenceSnap {
            id,
            kind: EvidenceKind::Link,
            label: format!("https://example.com/{id}"),
            url: Some(format!("https://example.com/{id}")),
            sha256: None,
            added_by: "Dev".into(),
            added_at: id * 1000,
        }
    }

    fn headline(score: Option<u32>, level: Option<Level>, ready: bool) -> Headline {
        Headline { score, level, ready, blocking: u32::from(!ready), waivers: 0 }
    }

    fn ids(changes: &[ItemChange]) -> Vec<i64> {
        changes.iter().map(|c| c.id).collect()
    }

    const AWAITING: Standing = Standing::Unmet(Blocker::AwaitingApprovals(1));

    #[test]
    fn items_are_sorted_by_how_they_moved() {
        let then = [
            item(1, AWAITING),
            item(2, Standing::Satisfied),
            item(3, Standing::Satisfied),
            item(4, Standing::Unmet(Blocker::NotDone(ItemStatus::NotStarted))),
            item(5, Standing::Satisfied),
        ];
        let now = [
            item(1, Standing::Satisfied),                                       // improved
            item(2, Standing::Unmet(Blocker::NotDone(ItemStatus::InProgress))), // regressed
            item(3, Standing::Satisfied),                                       // unchanged
            item(4, Standing::Unmet(Blocker::NotDone(ItemStatus::InProgress))), // unchanged (still fails)
            item(6, Standing::Unmet(Blocker::NotDone(ItemStatus::NotStarted))), // added
        ];
        let c =
            compare((&headline(Some(50), None, false), &then), (&headline(Some(60), Some(Level::Bronze), false), &now));
        assert_eq!(ids(&c.improved), [1]);
        assert_eq!(ids(&c.regressed), [2]);
        assert_eq!(ids(&c.added), [6]);
        assert_eq!(ids(&c.removed), [5]);
        // Item 4's standing changed (not started → in progress): it leads.
        assert_eq!(ids(&c.unchanged), [4, 3]);
        assert!(c.unchanged[0].has_details());
        assert!(!c.unchanged[1].has_details());
        assert_eq!(c.improved[0].then, Some(AWAITING));
        assert_eq!(c.improved[0].now, Some(Standing::Satisfied));
        assert_eq!((c.added[0].then.clone(), c.removed[0].now.clone()), (None, None));
        assert_eq!(c.score_direction(), Direction::Up);
        assert_eq!(c.level_direction(), Direction::Up);
        assert_eq!(c.gate_direction(), Direction::Same);
    }

    #[test]
    fn waivers_pass_and_expired_waivers_regress() {
        let waived = Standing::Waived { expires_at: 10 };
        let then = [item(1, waived.clone()), item(2, AWAITING), item(3, Standing::NotApplicable)];
        let now = [
            item(1, Standing::Unmet(Blocker::WaiverExpired { at: 10 })),
            item(2, waived),
            // Accepted not-applicable does not pass: satisfied is an improvement.
            item(3, Standing::Satisfied),
        ];
        let c = compare((&Headline::default(), &then), (&Headline::default(), &now));
        assert_eq!(ids(&c.regressed), [1]);
        assert_eq!(ids(&c.improved), [2, 3]);
    }

    #[test]
    fn evidence_approvals_and_waivers_are_compared_per_item() {
        let mut old = item(1, Standing::Satisfied);
        old.evidence = vec![link(10), link(11)];
        old.approvals = vec![ApprovalSnap { reviewer: "Audrey".into(), at: 5 }];
        let mut new = old.clone();
        new.standing = AWAITING;
        new.evidence = vec![link(11), link(12)];
        new.approvals = Vec::new();
        new.waiver = Some(WaiverSnap { id: 3, expires_at: 99, granted_by: Some("Audrey".into()), reason: "r".into() });
        let c = compare((&Headline::default(), &[old]), (&Headline::default(), &[new]));
        let change = &c.regressed[0];
        assert_eq!(change.evidence_added.iter().map(|e| e.id).collect::<Vec<_>>(), [12]);
        assert_eq!(change.evidence_withdrawn.iter().map(|e| e.id).collect::<Vec<_>>(), [10]);
        assert_eq!(change.approvals_gone.len(), 1);
        assert!(change.approvals_added.is_empty());
        assert_eq!(change.waiver_change.as_ref().map(|(a, b)| (a.is_none(), b.is_some())), Some((true, true)));
    }

    #[test]
    fn a_removed_item_takes_its_evidence_with_it() {
        let mut old = item(7, Standing::Satisfied);
        old.evidence = vec![link(1)];
        let c = compare((&Headline::default(), &[old]), (&Headline::default(), &[]));
        assert_eq!(c.removed[0].evidence_withdrawn.len(), 1);
        assert_eq!(c.removed[0].then, Some(Standing::Satisfied));
    }

    #[test]
    fn nothing_changed_is_all_unchanged() {
        let items = [item(1, Standing::Satisfied), item(2, AWAITING)];
        let figures = headline(Some(80), Some(Level::Silver), true);
        let c = compare((&figures, &items), (&figures, &items));
        assert!(c.improved.is_empty() && c.regressed.is_empty() && c.added.is_empty() && c.removed.is_empty());
        assert_eq!(ids(&c.unchanged), [1, 2]);
        assert!(c.unchanged.iter().all(|u| !u.has_details()));
        assert_eq!(
            (c.score_direction(), c.level_direction(), c.gate_direction()),
            (Direction::Same, Direction::Same, Direction::Same)
        );
    }

    #[test]
    fn figures_directions_treat_missing_as_lowest() {
        let c = compare((&headline(Some(0), Some(Level::Bronze), true), &[]), (&headline(None, None, false), &[]));
        assert_eq!(
            (c.score_direction(), c.level_direction(), c.gate_direction()),
            (Direction::Down, Direction::Down, Direction::Down)
        );
        assert_eq!(Direction::Down.arrow(), "↓");
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn the_snapshot_keeps_the_serde_form_of_standing() {
        let snapshot = Snapshot { version: SNAPSHOT_VERSION, items: vec![item(1, Standing::Waived { expires_at: 5 })] };
        let text = serde_json::to_string(&snapshot).unwrap();
        assert!(text.contains(r#""standing":{"Waived":{"expires_at":5}}"#), "{text}");
        assert_eq!(serde_json::from_str::<Snapshot>(&text).unwrap(), snapshot);
    }

    #[test]
    fn names_and_notes_are_checked() {
        assert_eq!(check_name("  launch review "), Ok("launch review".into()));
        assert!(check_name("   ").is_err());
        assert!(check_name(&"x".repeat(80)).is_ok());
        assert!(check_name(&"x".repeat(81)).is_err());
        assert_eq!(check_note(" "), Ok(None));
        assert_eq!(check_note("after the outage"), Ok(Some("after the outage".into())));
        assert!(check_note(&"é".repeat(501)).is_err());
    }
}
