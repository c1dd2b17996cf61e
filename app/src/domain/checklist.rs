//! Checklist templates as data: the format of the built-in templates
//! (`shared/checklists/*.toml`, whose header explains every field), plus the
//! optional `tiers` field, and the rules a template must follow.
//!
//! Parsing the TOML text is the backend's job (it names the line of a syntax
//! error); these types and [`problems`] are shared so that the browser and the
//! server agree on what a template means.

use serde::{Deserialize, Serialize};

/// How much an item weighs in the score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
}

impl Severity {
    pub const ALL: [Severity; 4] = [Severity::Critical, Severity::High, Severity::Medium, Severity::Low];

    /// Weight in the score: critical 8, high 4, medium 2, low 1.
    pub fn weight(self) -> u32 {
        match self {
            Severity::Critical => 8,
            Severity::High => 4,
            Severity::Medium => 2,
            Severity::Low => 1,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// The readiness level an item belongs to; bronze is the minimum to launch.
/// Ordered: bronze < silver < gold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Bronze,
    Silver,
    Gold,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::Bronze, Level::Silver, Level::Gold];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Bronze => "bronze",
            Level::Silver => "silver",
            Level::Gold => "gold",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Level::Bronze => "Bronze",
            Level::Silver => "Silver",
            Level::Gold => "Gold",
        }
    }

    pub fn parse(text: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == text)
    }
}

/// What evidence an item needs before it can be reviewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EvidenceRule {
    None,
    Link,
    File,
    LinkOrFile,
}

impl EvidenceRule {
    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceRule::None => "none",
            EvidenceRule::Link => "link",
            EvidenceRule::File => "file",
            EvidenceRule::LinkOrFile => "link-or-file",
        }
    }

    pub fn parse(text: &str) -> Option<EvidenceRule> {
        [EvidenceRule::None, EvidenceRule::Link, EvidenceRule::File, EvidenceRule::LinkOrFile]
            .into_iter()
            .find(|r| r.as_str() == text)
    }

    /// Whether evidence of these kinds meets the rule. A cited service
    /// document counts as what it is (a file or a link).
    pub fn is_met(self, has_link: bool, has_file: bool) -> bool {
        match self {
            EvidenceRule::None => true,
            EvidenceRule::Link => has_link,
            EvidenceRule::File => has_file,
            EvidenceRule::LinkOrFile => has_link || has_file,
        }
    }

    /// What is missing, for a person: "a link", "a file", "a link or a file".
    pub fn wanted(self) -> &'static str {
        match self {
            EvidenceRule::None => "nothing",
            EvidenceRule::Link => "a link",
            EvidenceRule::File => "a file",
            EvidenceRule::LinkOrFile => "a link or a file",
        }
    }
}

super::stored_word!(Severity, "severity");
super::stored_word!(Level, "level");
super::stored_word!(EvidenceRule, "evidence rule");

/// A live signal that satisfies an item by itself once probes exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AutoSignal {
    #[serde(rename = "probe.uptime")]
    Uptime,
    #[serde(rename = "probe.error_rate")]
    ErrorRate,
    #[serde(rename = "probe.latency")]
    Latency,
}

/// Service tiers: 1 is critical, 3 is low.
pub const TIERS: [u8; 3] = [1, 2, 3];
/// The most distinct approvals an item may ask for.
pub const MAX_APPROVALS: u8 = 5;
/// The longest freshness an item may have (ten years).
pub const MAX_VALID_DAYS: u32 = 3650;

/// A whole template file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateFile {
    pub template: TemplateHeader,
    #[serde(default)]
    pub sections: Vec<SectionDef>,
    #[serde(default)]
    pub items: Vec<ItemDef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateHeader {
    /// Stable key, e.g. "web-app".
    pub id: String,
    pub name: String,
    /// Grows by one with every published change.
    pub version: u32,
    #[serde(default)]
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectionDef {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemDef {
    /// "<section>.<slug>"; never reused for another meaning.
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub guidance: String,
    pub severity: Severity,
    pub level: Level,
    pub evidence: EvidenceRule,
    /// Distinct reviewers needed, never the person who ticked it.
    #[serde(default)]
    pub approvals: u8,
    /// Approved evidence goes stale this many days after approval (0: never).
    #[serde(default)]
    pub valid_days: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto: Option<AutoSignal>,
    /// Only services of these tiers are held to the item (absent: all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tiers: Option<Vec<u8>>,
}

impl ItemDef {
    /// The section the item belongs to: its id up to the first dot.
    pub fn section_id(&self) -> &str {
        self.id.split_once('.').map_or("", |(section, _)| section)
    }

    /// Whether a service of `tier` is held to this item.
    pub fn applies_to_tier(&self, tier: u8) -> bool {
        self.tiers.as_ref().is_none_or(|tiers| tiers.contains(&tier))
    }
}

/// Something wrong with a template, named by the field it concerns
/// (`items[3].approvals`, `template.id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateProblem {
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for TemplateProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Keys are lower-case ASCII letters, digits and dashes, starting with a
/// letter or digit, at most 64 characters.
pub fn is_key(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && !text.starts_with('-')
        && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Everything wrong with `file`, in order; empty when it is a valid template.
pub fn problems(file: &TemplateFile) -> Vec<TemplateProblem> {
    let mut found = Vec::new();
    let mut problem = |field: String, message: &str| found.push(TemplateProblem { field, message: message.into() });

    let header = &file.template;
    if !is_key(&header.id) {
        problem("template.id".into(), "use lower-case letters, digits and dashes, e.g. web-app");
    }
    if header.name.trim().is_empty() {
        problem("template.name".into(), "give the template a name");
    }
    if header.version == 0 {
        problem("template.version".into(), "versions start at 1");
    }
    if file.items.is_empty() {
        problem("items".into(), "a template needs at least one item");
    }

    let mut section_ids = std::collections::HashSet::new();
    for (i, section) in file.sections.iter().enumerate() {
        if !is_key(&section.id) {
            problem(format!("sections[{i}].id"), "use lower-case letters, digits and dashes, e.g. auth");
        } else if !section_ids.insert(section.id.as_str()) {
            problem(format!("sections[{i}].id"), "another section has this id");
        }
        if section.name.trim().is_empty() {
            problem(format!("sections[{i}].name"), "give the section a name");
        }
    }

    let mut item_ids = std::collections::HashSet::new();
    for (i, item) in file.items.iter().enumerate() {
        let field = |name: &str| format!("items[{i}].{name}");
        let slug = item.id.split_once('.').map(|(_, slug)| slug);
        if !slug.is_some_and(is_key) {
            problem(field("id"), "use <section>.<slug>, e.g. auth.password-hashing");
        } else if !section_ids.contains(item.section_id()) {
            problem(field("id"), "the part before the dot must be the id of a section");
        } else if !item_ids.insert(item.id.as_str()) {
            problem(field("id"), "another item has this id");
        }
        if item.title.trim().is_empty() {
            problem(field("title"), "say what a team claims when it ticks the item");
        }
        if item.approvals > MAX_APPROVALS {
            problem(field("approvals"), "at most 5 distinct reviewers");
        }
        if item.valid_days > MAX_VALID_DAYS {
            problem(field("valid_days"), "at most 3650 days (0: never stale)");
        }
        if let Some(tiers) = &item.tiers {
            if tiers.is_empty() || tiers.iter().any(|t| !TIERS.contains(t)) {
                problem(field("tiers"), "list tiers from 1 to 3, e.g. [1, 2]");
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str) -> ItemDef {
        ItemDef {
            id: id.into(),
            title: "A claim".into(),
            guidance: String::new(),
            severity: Severity::High,
            level: Level::Bronze,
            evidence: EvidenceRule::Link,
            approvals: 1,
            valid_days: 365,
            auto: None,
            tiers: None,
        }
    }

    fn template(items: Vec<ItemDef>) -> TemplateFile {
        TemplateFile {
            template: TemplateHeader { id: "web-app".into(), name: "Web".into(), version: 1, summary: String::new() },
            sections: vec![SectionDef { id: "auth".into(), name: "Authentication".into() }],
            items,
        }
    }

    fn fields(file: &TemplateFile) -> Vec<String> {
        problems(file).into_iter().map(|p| p.field).collect()
    }

    #[test]
    fn a_good_template_has_no_problems() {
        assert!(problems(&template(vec![item("auth.a"), item("auth.b")])).is_empty());
    }

    #[test]
    fn each_problem_names_its_field() {
        let mut bad = template(vec![item("auth.a"), item("auth.a"), item("db.x"), item("nodot")]);
        bad.template.id = "Web App".into();
        bad.template.version = 0;
        bad.items[0].approvals = 6;
        bad.items[0].valid_days = 4000;
        bad.items[0].tiers = Some(vec![1, 4]);
        bad.items[0].title = " ".into();
        assert_eq!(
            fields(&bad),
            [
                "template.id",
                "template.version",
                "items[0].title",
                "items[0].approvals",
                "items[0].valid_days",
                "items[0].tiers",
                "items[1].id",
                "items[2].id",
                "items[3].id",
            ]
        );
        assert_eq!(fields(&template(vec![])), ["items"]);
        let mut empty_tiers = template(vec![item("auth.a")]);
        empty_tiers.items[0].tiers = Some(vec![]);
        assert_eq!(fields(&empty_tiers), ["items[0].tiers"]);
    }

    #[test]
    fn tiers_limit_who_is_held_to_an_item() {
        let mut it = item("auth.a");
        assert!(TIERS.iter().all(|t| it.applies_to_tier(*t)), "no tiers: every tier");
        it.tiers = Some(vec![1, 2]);
        assert!(it.applies_to_tier(1) && it.applies_to_tier(2) && !it.applies_to_tier(3));
    }

    #[test]
    fn evidence_rules() {
        use EvidenceRule::*;
        for (rule, link, file, met) in [
            (None, false, false, true),
            (Link, true, false, true),
            (Link, false, true, false),
            (File, false, true, true),
            (File, true, false, false),
            (LinkOrFile, true, false, true),
            (LinkOrFile, false, true, true),
            (LinkOrFile, false, false, false),
        ] {
            assert_eq!(rule.is_met(link, file), met, "{rule:?} link={link} file={file}");
        }
    }

    #[test]
    fn severities_weigh_and_levels_order() {
        assert_eq!(Severity::ALL.map(Severity::weight), [8, 4, 2, 1]);
        assert!(Level::Bronze < Level::Silver && Level::Silver < Level::Gold);
        for s in Severity::ALL {
            assert_eq!(Severity::parse(s.as_str()), Some(s));
        }
        for l in Level::ALL {
            assert_eq!(Level::parse(l.as_str()), Some(l));
        }
    }
}
