//! Services in the catalogue, as the list and the service page show them,
//! and the list's filters.

use serde::{Deserialize, Serialize};

use super::checklist::Level;

/// Where a service runs. Stored as its word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    Production,
    Staging,
    Test,
    Development,
    Internal,
}

impl Environment {
    pub const ALL: [Environment; 5] = [
        Environment::Production,
        Environment::Staging,
        Environment::Test,
        Environment::Development,
        Environment::Internal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Production => "production",
            Environment::Staging => "staging",
            Environment::Test => "test",
            Environment::Development => "development",
            Environment::Internal => "internal",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Environment::Production => "Production",
            Environment::Staging => "Staging",
            Environment::Test => "Test",
            Environment::Development => "Development",
            Environment::Internal => "Internal",
        }
    }

    pub fn parse(text: &str) -> Option<Environment> {
        Environment::ALL.into_iter().find(|e| e.as_str() == text)
    }
}

super::stored_word!(Environment, "environment");

/// "Tier 1 · critical".
pub fn tier_label(tier: u8) -> &'static str {
    match tier {
        1 => "Tier 1 · critical",
        2 => "Tier 2",
        _ => "Tier 3 · low",
    }
}

/// A service's stored figures (see `domain::readiness::score`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    /// Whole percent with waivers; `None` while no item counts.
    pub score: Option<u32>,
    pub score_without_waivers: Option<u32>,
    pub level: Option<Level>,
    pub ready: bool,
    /// Granted, unexpired waivers.
    pub waivers: u32,
    /// Items in the way of the gate.
    pub blocking: u32,
    /// Items that count, and those that pass.
    pub items_total: u32,
    pub items_satisfied: u32,
}

impl Figures {
    /// "Ready", "Ready with 2 waivers" or "Not ready".
    pub fn gate_label(&self) -> String {
        match (self.ready, self.waivers) {
            (false, _) => "Not ready".into(),
            (true, 0) => "Ready".into(),
            (true, 1) => "Ready with 1 waiver".into(),
            (true, n) => format!("Ready with {n} waivers"),
        }
    }
}

/// One row of the services list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceSummary {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub team_id: i64,
    pub team_name: String,
    pub tier: u8,
    pub environment: Environment,
    /// 'YYYY-MM-DD'.
    pub launch_date: Option<String>,
    pub archived: bool,
    pub figures: Figures,
}

/// How the list is ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServiceSort {
    #[default]
    Name,
    /// Lowest score first: what needs attention.
    Score,
    /// Soonest launch first; services without a date last.
    LaunchDate,
}

impl ServiceSort {
    pub const ALL: [ServiceSort; 3] = [ServiceSort::Name, ServiceSort::Score, ServiceSort::LaunchDate];

    pub fn as_str(self) -> &'static str {
        match self {
            ServiceSort::Name => "name",
            ServiceSort::Score => "score",
            ServiceSort::LaunchDate => "launch",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ServiceSort::Name => "Name",
            ServiceSort::Score => "Score (lowest first)",
            ServiceSort::LaunchDate => "Launch date (soonest first)",
        }
    }

    pub fn parse(text: &str) -> Option<ServiceSort> {
        ServiceSort::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// The level filter: a level, or "below bronze".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LevelFilter {
    None,
    At(Level),
}

impl LevelFilter {
    pub fn as_str(self) -> &'static str {
        match self {
            LevelFilter::None => "none",
            LevelFilter::At(level) => level.as_str(),
        }
    }

    pub fn parse(text: &str) -> Option<LevelFilter> {
        match text {
            "none" => Some(LevelFilter::None),
            other => Level::parse(other).map(LevelFilter::At),
        }
    }
}

/// What the services list shows: filters, order and the page after a key.
/// Read from and written to the page's query string, so a filtered list is
/// a link.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceQuery {
    /// Part of the name (case ignored).
    pub search: String,
    pub team_id: Option<i64>,
    pub tier: Option<u8>,
    pub level: Option<LevelFilter>,
    /// `Some(true)`: ready only; `Some(false)`: not ready only.
    pub ready: Option<bool>,
    /// Only services with granted, unexpired waivers.
    pub waived: bool,
    pub sort: ServiceSort,
    pub include_archived: bool,
    /// The key of the last row of the previous page (see the backend).
    pub after: Option<String>,
}

impl ServiceQuery {
    /// Reads the query string's values, ignoring anything malformed (a
    /// hand-edited link shows the unfiltered list rather than an error).
    pub fn from_pairs<'a>(get: impl Fn(&str) -> Option<&'a str>) -> ServiceQuery {
        let nonempty = |key: &str| get(key).map(str::trim).filter(|v| !v.is_empty());
        ServiceQuery {
            search: nonempty("q").unwrap_or_default().chars().take(100).collect(),
            team_id: nonempty("team").and_then(|v| v.parse().ok()),
            tier: nonempty("tier").and_then(|v| v.parse().ok()).filter(|t| super::checklist::TIERS.contains(t)),
            level: nonempty("level").and_then(LevelFilter::parse),
            ready: match nonempty("gate") {
                Some("ready") => Some(true),
                Some("not-ready") => Some(false),
                _ => None,
            },
            waived: nonempty("waivers") == Some("1"),
            sort: nonempty("sort").and_then(ServiceSort::parse).unwrap_or_default(),
            include_archived: nonempty("archived") == Some("1"),
            after: nonempty("after").map(str::to_string),
        }
    }

    /// The query string for this query (without `?`), `after` replaced.
    pub fn to_query_string(&self, after: Option<&str>) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if !self.search.is_empty() {
            pairs.push(("q", self.search.clone()));
        }
        if let Some(team) = self.team_id {
            pairs.push(("team", team.to_string()));
        }
        if let Some(tier) = self.tier {
            pairs.push(("tier", tier.to_string()));
        }
        if let Some(level) = self.level {
            pairs.push(("level", level.as_str().into()));
        }
        if let Some(ready) = self.ready {
            pairs.push(("gate", if ready { "ready" } else { "not-ready" }.into()));
        }
        if self.waived {
            pairs.push(("waivers", "1".into()));
        }
        if self.sort != ServiceSort::Name {
            pairs.push(("sort", self.sort.as_str().into()));
        }
        if self.include_archived {
            pairs.push(("archived", "1".into()));
        }
        if let Some(after) = after {
            pairs.push(("after", after.into()));
        }
        pairs.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect::<Vec<_>>().join("&")
    }

    /// Whether any filter narrows the list.
    pub fn is_filtered(&self) -> bool {
        !self.search.is_empty()
            || self.team_id.is_some()
            || self.tier.is_some()
            || self.level.is_some()
            || self.ready.is_some()
            || self.waived
            || self.include_archived
    }
}

/// Everything but the unreserved characters of RFC 3986.
const QUERY_VALUE: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// Percent-encodes a query value.
pub(crate) fn encode(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, QUERY_VALUE).to_string()
}

/// One page of the services list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServicePage {
    pub services: Vec<ServiceSummary>,
    /// The key to ask for the next page with, when there is one.
    pub next: Option<String>,
    /// Teams to filter by (id, name).
    pub teams: Vec<(i64, String)>,
    /// The caller may register services (for some team, or as admin).
    pub can_register: bool,
}

/// The fields of a service as its form sends them (all text: the server
/// validates and names the field of every problem).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceForm {
    pub name: String,
    pub slug: String,
    pub team_id: String,
    pub tier: String,
    pub environment: String,
    pub description: String,
    pub repository_url: String,
    pub docs_url: String,
    pub launch_date: String,
}

/// Lower-case ASCII letters, digits and single dashes, from the name: a
/// suggestion for the slug field.
pub fn slug_from(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let trimmed = slug.trim_end_matches('-');
    trimmed.chars().take(60).collect::<String>().trim_end_matches('-').to_string()
}

/// Everything the service page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceDetail {
    pub summary: ServiceSummary,
    pub description: String,
    pub repository_url: Option<String>,
    pub docs_url: Option<String>,
    /// Grows with every edit of the fields above (the edit form sends it).
    pub version: i64,
    /// The caller may edit, archive and apply templates (lead or admin).
    pub can_manage: bool,
    /// `/badge/<slug>.svg` answers for everyone (the lead chose so).
    pub badge_public: bool,
    /// When this was read, and the audit chain head it reflects
    /// ("#1234 9f2c…"), for the printed scorecard.
    pub as_of: i64,
    pub chain_reference: String,
    /// The caller may work the checklists (team member, lead or admin).
    pub can_work: bool,
    /// The caller may download evidence, and so the evidence dossier.
    pub can_download: bool,
    pub checklists: Vec<AppliedChecklist>,
    /// Items in the way of the gate, each with its reason, most severe first.
    pub blocking: Vec<ItemRef>,
    /// Items passing by exception, with the waiver's expiry.
    pub waived: Vec<ItemRef>,
    /// Approved items going stale within 14 days.
    pub due_soon: Vec<ItemRef>,
    /// Audit reports, runbooks and the like, newest version first.
    pub documents: Vec<super::documents::DocumentLine>,
    /// Templates the caller could still apply.
    pub templates_to_apply: Vec<super::templates::TemplateSummary>,
    pub activity: Vec<ActivityEntry>,
}

/// A template as applied to a service, with its items by section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedChecklist {
    pub template_id: i64,
    pub name: String,
    pub version: u32,
    pub latest_version: u32,
    pub sections: Vec<SectionProgress>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionProgress {
    pub name: String,
    /// Items that count, and those that pass.
    pub counted: u32,
    pub passing: u32,
    pub items: Vec<ItemLine>,
}

/// One item in a checklist, at a glance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemLine {
    pub id: i64,
    pub title: String,
    pub severity: super::checklist::Severity,
    pub level: Level,
    pub status: super::readiness::ItemStatus,
    pub standing: super::readiness::Standing,
    /// Current evidence (links, files and cited documents).
    pub evidence: u32,
    pub approvals: u8,
    pub approvals_required: u8,
}

/// An item named in the gate panel or a list, with why it is there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemRef {
    pub id: i64,
    pub title: String,
    pub checklist: String,
    pub severity: super::checklist::Severity,
    pub standing: super::readiness::Standing,
    /// The moment that matters: a waiver's expiry, a staleness date.
    pub at: Option<i64>,
}

/// An approved item going stale soon, in the "due soon" list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueItem {
    pub item_id: i64,
    pub title: String,
    pub service_name: String,
    pub service_slug: String,
    pub team_name: String,
    pub severity: super::checklist::Severity,
    /// When its approval goes (or went) stale.
    pub stale_at: i64,
}

/// One line of a service's recent activity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityEntry {
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub detail: Option<String>,
}

/// How an audit action reads on the service page.
pub fn describe_action(action: &str) -> &str {
    match action {
        "service.created" => "registered the service",
        "service.updated" => "edited the service",
        "service.archived" => "archived the service",
        "service.restored" => "restored the service",
        "service.template_applied" => "applied a checklist",
        "service.template_upgraded" => "upgraded a checklist",
        "service.badge_published" => "made the status badge public",
        "service.badge_withdrawn" => "withdrew the public status badge",
        "item.status_changed" => "changed an item's status",
        "item.commented" => "commented on an item",
        "item.na_accepted" => "accepted a not-applicable item",
        "item.na_declined" => "declined a not-applicable item",
        "evidence.added" => "added evidence",
        "evidence.withdrawn" => "withdrew evidence",
        "review.approved" => "approved an item",
        "review.rejected" => "rejected an item",
        "review.revoked" => "revoked an approval",
        "waiver.requested" => "requested a waiver",
        "waiver.granted" => "granted a waiver",
        "waiver.declined" => "declined a waiver",
        "document.added" => "added a document",
        "milestone.recorded" => "recorded a milestone",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_from_names() {
        assert_eq!(slug_from("Payments API"), "payments-api");
        assert_eq!(slug_from("  Ünïcode -- Service!! "), "n-code-service");
        assert_eq!(slug_from("***"), "");
    }

    #[test]
    fn queries_round_trip_through_the_query_string() {
        let query = ServiceQuery {
            search: "pay & go".into(),
            team_id: Some(3),
            tier: Some(1),
            level: Some(LevelFilter::None),
            ready: Some(false),
            waived: true,
            sort: ServiceSort::Score,
            include_archived: true,
            after: None,
        };
        let text = query.to_query_string(Some("k1"));
        assert_eq!(
            text,
            "q=pay%20%26%20go&team=3&tier=1&level=none&gate=not-ready&waivers=1&sort=score&archived=1&after=k1"
        );
        let pairs: Vec<(String, String)> = text
            .split('&')
            .map(|pair| {
                let (k, v) = pair.split_once('=').unwrap();
                (k.to_string(), v.replace("%20", " ").replace("%26", "&"))
            })
            .collect();
        let read = ServiceQuery::from_pairs(|key| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()));
        assert_eq!(read, ServiceQuery { after: Some("k1".into()), ..query });
    }

    #[test]
    fn malformed_query_values_are_ignored() {
        let read = ServiceQuery::from_pairs(|key| match key {
            "tier" => Some("7"),
            "team" => Some("x"),
            "sort" => Some("price"),
            "level" => Some("platinum"),
            _ => None,
        });
        assert_eq!(read, ServiceQuery::default());
    }

    #[test]
    fn gate_labels() {
        let mut figures = Figures { ready: true, ..Figures::default() };
        assert_eq!(figures.gate_label(), "Ready");
        figures.waivers = 2;
        assert_eq!(figures.gate_label(), "Ready with 2 waivers");
        figures.ready = false;
        assert_eq!(figures.gate_label(), "Not ready");
    }
}
