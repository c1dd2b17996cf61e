//! The HTTP status codes an HTTP probe accepts, written as `200-299,301`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The lowest and highest status codes a set may name.
pub const STATUS_RANGE: (u16, u16) = (100, 599);
/// The most comma-separated entries a set may have.
const MAX_ENTRIES: usize = 50;

/// A set of accepted status codes: sorted, merged, inclusive ranges,
/// never empty. Written and read as text (`200-299,301`); serde uses the
/// same text, so a stored set is checked again when it is read.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StatusSet {
    ranges: Vec<(u16, u16)>,
}

impl Default for StatusSet {
    /// 200-299: any success.
    fn default() -> StatusSet {
        StatusSet { ranges: vec![(200, 299)] }
    }
}

impl StatusSet {
    /// Reads comma-separated entries, each a code (`301`), a range
    /// (`200-299`) or a class (`2xx`), all within 100..=599. Spaces are
    /// ignored; the error is a sentence naming the bad entry.
    pub fn parse(text: &str) -> Result<StatusSet, String> {
        let entries: Vec<&str> = text.split(',').map(str::trim).filter(|e| !e.is_empty()).collect();
        if entries.is_empty() {
            return Err("Enter the accepted status codes, e.g. 200-299.".into());
        }
        if entries.len() > MAX_ENTRIES {
            return Err(format!("Use at most {MAX_ENTRIES} entries."));
        }
        let mut ranges = entries.into_iter().map(parse_entry).collect::<Result<Vec<_>, _>>()?;
        ranges.sort_unstable();
        Ok(StatusSet { ranges: merge(ranges) })
    }

    /// Whether `code` is accepted.
    pub fn contains(&self, code: u16) -> bool {
        self.ranges.iter().any(|(low, high)| (*low..=*high).contains(&code))
    }

    /// The ranges, sorted and merged (`301` is `(301, 301)`).
    pub fn ranges(&self) -> &[(u16, u16)] {
        &self.ranges
    }
}

fn parse_entry(entry: &str) -> Result<(u16, u16), String> {
    let not_understood = || format!("“{entry}” is not a status code, a range such as 200-299, or a class such as 2xx.");
    let (low, high) = if let Some(class) = entry.strip_suffix("xx").or_else(|| entry.strip_suffix("XX")) {
        let digit: u16 = class.parse().ok().filter(|_| class.len() == 1).ok_or_else(not_understood)?;
        (digit * 100, digit * 100 + 99)
    } else if let Some((low, high)) = entry.split_once('-') {
        (code(low.trim()).ok_or_else(not_understood)?, code(high.trim()).ok_or_else(not_understood)?)
    } else {
        let single = code(entry).ok_or_else(not_understood)?;
        (single, single)
    };
    let (min, max) = STATUS_RANGE;
    if low < min || high > max {
        return Err(format!("“{entry}”: status codes run from {min} to {max}."));
    }
    if low > high {
        return Err(format!("“{entry}”: the range runs backwards; write the lower code first."));
    }
    Ok((low, high))
}

/// A status code of exactly three digits.
fn code(text: &str) -> Option<u16> {
    if text.len() == 3 && text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse().ok()
    } else {
        None
    }
}

/// Joins overlapping and adjacent ranges of a sorted list.
fn merge(sorted: Vec<(u16, u16)>) -> Vec<(u16, u16)> {
    let mut merged: Vec<(u16, u16)> = Vec::with_capacity(sorted.len());
    for (low, high) in sorted {
        match merged.last_mut() {
            Some((_, last_high)) if low <= last_high.saturating_add(1) => *last_high = (*last_high).max(high),
            _ => merged.push((low, high)),
        }
    }
    merged
}

impl fmt::Display for StatusSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (low, high)) in self.ranges.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if low == high {
                write!(f, "{low}")?;
            } else {
                write!(f, "{low}-{high}")?;
            }
        }
        Ok(())
    }
}

impl TryFrom<String> for StatusSet {
    type Error = String;

    fn try_from(text: String) -> Result<StatusSet, String> {
        StatusSet::parse(&text)
    }
}

impl From<StatusSet> for String {
    fn from(set: StatusSet) -> String {
        set.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_parse_and_print_canonically() {
        let cases = [
            ("200-299", "200-299"),
            ("200-299,301", "200-299,301"),
            (" 301 , 200 - 299 ", "200-299,301"),
            ("2xx", "200-299"),
            ("2xx,3XX", "200-399"),
            ("200,201,202", "200-202"),
            ("200-250,240-260,404", "200-260,404"),
            ("500-599,100", "100,500-599"),
            ("200,,204,", "200,204"),
            ("599", "599"),
        ];
        for (text, printed) in cases {
            let set = StatusSet::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(set.to_string(), printed, "{text}");
            assert_eq!(StatusSet::parse(&set.to_string()).unwrap(), set, "{text} round trip");
        }
    }

    #[test]
    fn membership() {
        let set = StatusSet::parse("200-204,301,5xx").unwrap();
        for code in [200, 204, 301, 500, 599] {
            assert!(set.contains(code), "{code}");
        }
        for code in [199, 205, 300, 302, 499, 600, 0] {
            assert!(!set.contains(code), "{code}");
        }
        assert!(StatusSet::default().contains(204));
        assert!(!StatusSet::default().contains(301));
    }

    #[test]
    fn errors_name_the_bad_entry() {
        let cases = [
            ("", "Enter the accepted status codes, e.g. 200-299."),
            (" , ", "Enter the accepted status codes, e.g. 200-299."),
            ("200,abc", "“abc” is not a status code, a range such as 200-299, or a class such as 2xx."),
            ("200-", "“200-” is not a status code, a range such as 200-299, or a class such as 2xx."),
            ("20", "“20” is not a status code, a range such as 200-299, or a class such as 2xx."),
            ("+200", "“+200” is not a status code, a range such as 200-299, or a class such as 2xx."),
            ("22xx", "“22xx” is not a status code, a range such as 200-299, or a class such as 2xx."),
            ("200-300-400", "“200-300-400” is not a status code, a range such as 200-299, or a class such as 2xx."),
            ("099", "“099”: status codes run from 100 to 599."),
            ("600", "“600”: status codes run from 100 to 599."),
            ("6xx", "“6xx”: status codes run from 100 to 599."),
            ("0xx", "“0xx”: status codes run from 100 to 599."),
            ("200-999", "“200-999”: status codes run from 100 to 599."),
            ("299-200", "“299-200”: the range runs backwards; write the lower code first."),
        ];
        for (text, message) in cases {
            assert_eq!(StatusSet::parse(text), Err(message.to_string()), "{text:?}");
        }
        let many = vec!["200"; 51].join(",");
        assert_eq!(StatusSet::parse(&many), Err("Use at most 50 entries.".into()));
    }

    #[test]
    fn every_single_code_and_pair_round_trips() {
        for low in (100..=599).step_by(7) {
            for high in (low..=599).step_by(53) {
                let set = StatusSet::parse(&format!("{high},{low}-{high}")).unwrap();
                assert_eq!(set.ranges(), &[(low, high)]);
                assert_eq!(StatusSet::parse(&set.to_string()).unwrap(), set);
            }
        }
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn serde_uses_the_text_and_checks_it() {
        let set = StatusSet::parse("200-299,301").unwrap();
        assert_eq!(serde_json::to_string(&set).unwrap(), "\"200-299,301\"");
        assert_eq!(serde_json::from_str::<StatusSet>("\"301,2xx\"").unwrap(), set);
        assert!(serde_json::from_str::<StatusSet>("\"700\"").is_err());
    }
}
