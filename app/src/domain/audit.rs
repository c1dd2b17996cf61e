//! The audit trail as administrators and auditors browse it: the filter
//! (by person, service, kind and date), read from and written back to the
//! page's query string, and one page of entries.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The kinds of entry, by the first word of their action
/// (`item.status_changed` is an `item` entry), with the label the filter
/// shows.
pub const KINDS: [(&str, &str); 18] = [
    ("login", "Sign-ins"),
    ("session", "Sessions"),
    ("password", "Passwords"),
    ("mfa", "Second factor"),
    ("user", "People"),
    ("setup", "Setup"),
    ("settings", "Settings"),
    ("team", "Teams"),
    ("service", "Services"),
    ("item", "Checklist items"),
    ("evidence", "Evidence"),
    ("document", "Documents"),
    ("review", "Reviews"),
    ("waiver", "Waivers"),
    ("milestone", "Milestones"),
    ("template", "Templates"),
    ("security", "Security"),
    ("access", "Access"),
];

/// What the trail is narrowed to. Dates are whole days in UTC, both ends
/// included.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    pub person: Option<i64>,
    /// A service's slug.
    pub service: Option<String>,
    pub kind: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// A filter value that cannot be used, by the field it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterProblem {
    pub field: String,
    pub message: String,
}

impl AuditFilter {
    /// Reads the query string's values; what cannot be read is named by
    /// field rather than silently widening the trail shown or exported.
    pub fn from_pairs<'a>(get: impl Fn(&str) -> Option<&'a str>) -> (AuditFilter, Vec<FilterProblem>) {
        let nonempty = |key: &str| get(key).map(str::trim).filter(|v| !v.is_empty());
        let mut problems = Vec::new();
        let mut problem = |field: &str, message: &str| {
            problems.push(FilterProblem { field: field.into(), message: message.into() });
        };
        let person = nonempty("person").and_then(|v| match v.parse() {
            Ok(id) => Some(id),
            Err(_) => {
                problem("person", "Choose a person from the list.");
                None
            }
        });
        let kind = nonempty("kind").and_then(|v| match KINDS.iter().find(|(k, _)| *k == v) {
            Some((k, _)) => Some(k.to_string()),
            None => {
                problem("kind", "Choose a kind from the list.");
                None
            }
        });
        let mut date = |field: &str| {
            nonempty(field).and_then(|v| match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
                Ok(d) => Some(d),
                Err(_) => {
                    problem(field, "Enter a date as YYYY-MM-DD.");
                    None
                }
            })
        };
        let from = date("from");
        let to = date("to");
        if let (Some(f), Some(t)) = (from, to) {
            if t < f {
                problem("to", "The end date is before the start date.");
            }
        }
        let filter =
            AuditFilter { person, service: nonempty("service").map(|s| s.chars().take(100).collect()), kind, from, to };
        (filter, problems)
    }

    /// The query string for this filter (without `?`).
    pub fn to_query_string(&self) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(p) = self.person {
            pairs.push(("person", p.to_string()));
        }
        if let Some(s) = &self.service {
            pairs.push(("service", s.clone()));
        }
        if let Some(k) = &self.kind {
            pairs.push(("kind", k.clone()));
        }
        if let Some(d) = self.from {
            pairs.push(("from", d.to_string()));
        }
        if let Some(d) = self.to {
            pairs.push(("to", d.to_string()));
        }
        pairs.iter().map(|(k, v)| format!("{k}={}", super::services::encode(v))).collect::<Vec<_>>().join("&")
    }

    pub fn is_empty(&self) -> bool {
        *self == AuditFilter::default()
    }

    /// The filter in words, for export headers: `person 3, kind item, from
    /// 2026-01-01`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(p) = self.person {
            parts.push(format!("person {p}"));
        }
        if let Some(s) = &self.service {
            parts.push(format!("service {s}"));
        }
        if let Some(k) = &self.kind {
            parts.push(format!("kind {k}"));
        }
        if let Some(d) = self.from {
            parts.push(format!("from {d}"));
        }
        if let Some(d) = self.to {
            parts.push(format!("to {d}"));
        }
        parts.join(", ")
    }

    /// The first instant included and the first one after, in milliseconds.
    pub fn millis_range(&self) -> (Option<i64>, Option<i64>) {
        let start = |d: NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp_millis());
        (self.from.and_then(start), self.to.and_then(|d| d.succ_opt()).and_then(start))
    }
}

/// One entry as the trail page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    pub seq: i64,
    pub occurred_at: i64,
    pub actor: String,
    pub action: String,
    /// "item 42", "user 7", … when the entry has a subject.
    pub subject: Option<String>,
    pub detail: Option<String>,
    /// The service's slug and name, when the entry concerns one.
    pub service: Option<(String, String)>,
    pub client_ip: Option<String>,
    pub hash: String,
}

/// One page of the trail, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub rows: Vec<AuditRow>,
    /// The sequence number to pass as `before` for the next (older) page.
    pub older: Option<i64>,
    /// The chain head now: sequence number and hash.
    pub head_seq: i64,
    pub head_hash: String,
    pub filter: AuditFilter,
    pub problems: Vec<FilterProblem>,
    /// People to filter by (id, name).
    pub people: Vec<(i64, String)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> (AuditFilter, Vec<FilterProblem>) {
        AuditFilter::from_pairs(|key| pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| *v))
    }

    #[test]
    fn a_filter_round_trips_through_the_query_string() {
        let (filter, problems) = read(&[
            ("person", "3"),
            ("service", "pay api"),
            ("kind", "item"),
            ("from", "2026-01-02"),
            ("to", "2026-01-31"),
        ]);
        assert!(problems.is_empty(), "{problems:?}");
        let text = filter.to_query_string();
        assert_eq!(text, "person=3&service=pay%20api&kind=item&from=2026-01-02&to=2026-01-31");
        let owned: Vec<(String, String)> = text
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .map(|(k, v)| (k.to_string(), percent_encoding::percent_decode_str(v).decode_utf8_lossy().into_owned()))
            .collect();
        let again = AuditFilter::from_pairs(|key| owned.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())).0;
        assert_eq!(again, filter);
        assert_eq!(filter.describe(), "person 3, service pay api, kind item, from 2026-01-02, to 2026-01-31");
        assert!(!filter.is_empty());
        assert!(read(&[("person", " "), ("kind", "")]).0.is_empty());
    }

    #[test]
    fn unreadable_values_are_named_by_field() {
        let (filter, problems) =
            read(&[("person", "ada"), ("kind", "dance"), ("from", "2026-02-30"), ("to", "tomorrow")]);
        assert!(filter.is_empty());
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["person", "kind", "from", "to"]);
        let (_, problems) = read(&[("from", "2026-03-02"), ("to", "2026-03-01")]);
        assert_eq!(
            problems,
            [FilterProblem { field: "to".into(), message: "The end date is before the start date.".into() }]
        );
    }

    #[test]
    fn dates_cover_whole_utc_days() {
        let (filter, _) = read(&[("from", "2026-01-01"), ("to", "2026-01-01")]);
        assert_eq!(filter.millis_range(), (Some(1_767_225_600_000), Some(1_767_312_000_000)));
        assert_eq!(AuditFilter::default().millis_range(), (None, None));
    }
}
