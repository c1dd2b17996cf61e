//! Checklist templates as the pages show them, and what changes between two
//! versions of one (shown to a lead before an upgrade).

use serde::{Deserialize, Serialize};

use super::checklist::{ItemDef, TemplateFile};

/// A template in the list of what can be applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateSummary {
    pub id: i64,
    pub key: String,
    pub name: String,
    pub built_in: bool,
    pub latest_version: u32,
    pub summary: String,
    pub items: u32,
}

/// What an upgrade from one version to another does to a service's items.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionDiff {
    /// New items, which start not started.
    pub added: Vec<ItemDef>,
    /// Items the new version drops; their history stays.
    pub removed: Vec<ItemDef>,
    /// (old, new) for items whose definition changed: status and evidence
    /// are kept, approvals start over (what was approved was another claim).
    pub changed: Vec<(ItemDef, ItemDef)>,
    /// Items that stay exactly as they were, progress and all.
    pub unchanged: usize,
}

impl VersionDiff {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// Compares two versions item by item (items are matched by id).
pub fn diff(old: &TemplateFile, new: &TemplateFile) -> VersionDiff {
    let mut result = VersionDiff::default();
    for item in &new.items {
        match old.items.iter().find(|o| o.id == item.id) {
            None => result.added.push(item.clone()),
            Some(before) if before != item => result.changed.push((before.clone(), item.clone())),
            Some(_) => result.unchanged += 1,
        }
    }
    result.removed = old.items.iter().filter(|o| !new.items.iter().any(|n| n.id == o.id)).cloned().collect();
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::checklist::{EvidenceRule, Level, SectionDef, Severity, TemplateHeader};

    fn item(id: &str, title: &str) -> ItemDef {
        ItemDef {
            id: id.into(),
            title: title.into(),
            guidance: String::new(),
            severity: Severity::High,
            level: Level::Bronze,
            evidence: EvidenceRule::Link,
            approvals: 1,
            valid_days: 0,
            auto: None,
            tiers: None,
        }
    }

    fn file(items: Vec<ItemDef>) -> TemplateFile {
        TemplateFile {
            template: TemplateHeader { id: "t".into(), name: "T".into(), version: 1, summary: String::new() },
            sections: vec![SectionDef { id: "a".into(), name: "A".into() }],
            items,
        }
    }

    #[test]
    fn items_are_matched_by_id() {
        let old = file(vec![item("a.keep", "Keep"), item("a.edit", "Before"), item("a.drop", "Drop")]);
        let new = file(vec![item("a.edit", "After"), item("a.keep", "Keep"), item("a.new", "New")]);
        let d = diff(&old, &new);
        assert_eq!(d.added.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), ["a.new"]);
        assert_eq!(d.removed.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), ["a.drop"]);
        assert_eq!(d.changed.len(), 1);
        assert_eq!((d.changed[0].0.title.as_str(), d.changed[0].1.title.as_str()), ("Before", "After"));
        assert_eq!(d.unchanged, 1);
        assert!(diff(&old, &old).is_empty());
    }
}

/// A template with its versions, for the templates page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateDetail {
    pub summary: TemplateSummary,
    /// (version, published at), newest first.
    pub versions: Vec<(u32, i64)>,
    /// The latest version as TOML, in the format it is imported in.
    pub source: String,
    /// The latest version, for the form editor.
    pub file: TemplateFile,
    /// Services that apply it, and those on an older version.
    pub services: u32,
    pub services_behind: u32,
}

/// What an upgrade of one service's checklist would do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpgradePreview {
    pub service_slug: String,
    pub service_name: String,
    pub template_id: i64,
    pub template_name: String,
    pub from_version: u32,
    pub to_version: u32,
    pub diff: VersionDiff,
}

/// What saving the form editor's template gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SaveOutcome {
    /// Saved as this template (a new one, or its next version).
    Saved { template_id: i64 },
    /// Not saved: every problem, named by field (`items[2].approvals`).
    Problems(Vec<super::checklist::TemplateProblem>),
}

/// An empty item for the form editor, in `section`.
pub fn new_item(section: &str) -> ItemDef {
    ItemDef {
        id: format!("{section}."),
        title: String::new(),
        guidance: String::new(),
        severity: super::checklist::Severity::Medium,
        level: super::checklist::Level::Bronze,
        evidence: super::checklist::EvidenceRule::LinkOrFile,
        approvals: 1,
        valid_days: 365,
        auto: None,
        tiers: None,
    }
}
