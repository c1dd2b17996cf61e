//! The audit trail's hash chain, as pure functions: how an entry is hashed,
//! how a sequence of entries is checked, and how an exported file is read
//! back. No I/O beyond the reader it is handed, so the database check
//! (`audit::verify`) and the offline file check (`preflight audit verify
//! --file`) apply exactly the same rules.
//!
//! An entry's hash is the hex SHA-256 of its canonical content: the compact
//! JSON object of [`ChainEntry`]'s fields, in the order they are declared
//! (serde writes struct fields in declaration order, and `serde_json`
//! escapes strings one way only). The content includes the previous
//! entry's hash, so changing, removing or reordering any entry breaks every
//! link after it; the chain head (last sequence number and hash) is kept in
//! its own row and printed on exports and printable views, so cutting
//! entries off the end is caught too.

use std::io::BufRead;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The hash the first entry links to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// First line of an exported JSON Lines file.
pub const EXPORT_FORMAT: &str = "preflight-audit/1";

/// One audit entry's canonical content. Field order is part of the format:
/// never reorder, rename or remove a field (a new field would need a new
/// export format version).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainEntry {
    pub seq: i64,
    pub prev_hash: String,
    pub occurred_at: i64,
    pub actor_user_id: Option<i64>,
    pub actor_label: String,
    pub action: String,
    pub subject_type: Option<String>,
    pub subject_id: Option<String>,
    pub detail: Option<String>,
    pub client_ip: Option<String>,
    pub request_id: Option<String>,
    pub service_id: Option<i64>,
}

impl ChainEntry {
    /// The hex SHA-256 of this entry's canonical content.
    pub fn hash(&self) -> String {
        let mut hasher = Sha256::new();
        // Writing into the hasher cannot fail, and these fields always
        // serialise (no maps with non-string keys, no floats).
        serde_json::to_writer(HashWriter(&mut hasher), self).expect("an audit entry always serialises");
        hex::encode(hasher.finalize())
    }

    /// This entry with its hash, as stored and exported.
    pub fn seal(self) -> SealedEntry {
        let hash = self.hash();
        SealedEntry { entry: self, hash }
    }
}

/// Feeds `serde_json`'s output straight into the hasher (no buffer per
/// entry: verifying a million entries should cost hashing, not allocating).
struct HashWriter<'a>(&'a mut Sha256);

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// An entry with the hash recorded for it: one line of a JSON Lines export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedEntry {
    #[serde(flatten)]
    pub entry: ChainEntry,
    pub hash: String,
}

/// The chain's last sequence number and hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainHead {
    pub seq: i64,
    pub hash: String,
}

impl ChainHead {
    pub fn genesis() -> ChainHead {
        ChainHead { seq: 0, hash: GENESIS.to_string() }
    }

    /// A short reference for printouts: the sequence number and the first
    /// 16 hex digits of the hash.
    pub fn reference(&self) -> String {
        format!("#{} {}", self.seq, &self.hash[..self.hash.len().min(16)])
    }
}

/// The first line of an export: what it holds and the chain head it was
/// cut from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportHeader {
    pub format: String,
    /// True when the export holds the whole chain up to `head`; false for
    /// a filtered excerpt, whose entries are checked one by one and linked
    /// only where they are consecutive.
    pub complete: bool,
    pub head: ChainHead,
    /// The filter that cut the excerpt, in words ("" when complete).
    pub filter: String,
    pub exported_at: i64,
}

/// Where and how the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("entry {seq} was changed: its content no longer matches its recorded hash")]
    ContentChanged { seq: i64 },
    #[error("entry {seq} does not link to the entry before it: it records previous hash {found}, but the entry before it hashes to {expected}")]
    LinkBroken { seq: i64, expected: String, found: String },
    #[error("entry {expected} is missing or out of order: entry {found} comes after entry {previous}")]
    OutOfSequence { expected: i64, found: i64, previous: i64 },
    #[error("the chain ends at entry {last}, but its head records entry {head}: entries were removed from the end")]
    Truncated { last: i64, head: i64 },
    #[error("the last entry ({seq}) hashes to {found}, but the chain head records {expected}")]
    HeadMismatch { seq: i64, expected: String, found: String },
    #[error("the chain has entries after its head (entry {seq}, head {head})")]
    BeyondHead { seq: i64, head: i64 },
}

impl ChainBreak {
    /// The sequence number of the first entry that is wrong.
    pub fn seq(&self) -> i64 {
        match self {
            ChainBreak::ContentChanged { seq } | ChainBreak::LinkBroken { seq, .. } => *seq,
            ChainBreak::OutOfSequence { expected, .. } => *expected,
            ChainBreak::Truncated { last, .. } => last + 1,
            ChainBreak::HeadMismatch { seq, .. } | ChainBreak::BeyondHead { seq, .. } => *seq,
        }
    }
}

/// Checks entries one at a time, in sequence order, holding only the last
/// one's number and hash.
#[derive(Debug, Clone)]
pub struct Verifier {
    /// Whole chains start at 1 and must have no gaps; excerpts may start
    /// anywhere and skip entries.
    whole: bool,
    last: Option<(i64, String)>,
    checked: u64,
}

impl Verifier {
    /// For the whole chain, from entry 1.
    pub fn whole_chain() -> Verifier {
        Verifier { whole: true, last: Some((0, GENESIS.to_string())), checked: 0 }
    }

    /// For a filtered excerpt: each entry's own hash, links only between
    /// consecutive entries, ascending order throughout.
    pub fn excerpt() -> Verifier {
        Verifier { whole: false, last: None, checked: 0 }
    }

    /// Checks the next entry, given with the hash recorded for it.
    pub fn push(&mut self, entry: &ChainEntry, recorded_hash: &str) -> Result<(), ChainBreak> {
        if let Some((last_seq, last_hash)) = &self.last {
            let consecutive = entry.seq == last_seq + 1;
            if (self.whole && !consecutive) || entry.seq <= *last_seq {
                return Err(ChainBreak::OutOfSequence {
                    expected: last_seq + 1,
                    found: entry.seq,
                    previous: *last_seq,
                });
            }
            if consecutive && entry.prev_hash != *last_hash {
                return Err(ChainBreak::LinkBroken {
                    seq: entry.seq,
                    expected: last_hash.clone(),
                    found: entry.prev_hash.clone(),
                });
            }
        }
        if entry.hash() != recorded_hash {
            return Err(ChainBreak::ContentChanged { seq: entry.seq });
        }
        self.last = Some((entry.seq, recorded_hash.to_string()));
        self.checked += 1;
        Ok(())
    }

    /// Checks that the chain ends exactly at `head`: nothing cut off the
    /// end, nothing added after it. Excerpts only check that they do not
    /// reach past it, and the hash where they end at it.
    pub fn finish(&self, head: &ChainHead) -> Result<u64, ChainBreak> {
        let (last_seq, last_hash) = match &self.last {
            Some((seq, hash)) => (*seq, hash.as_str()),
            None => return Ok(self.checked),
        };
        if last_seq > head.seq {
            return Err(ChainBreak::BeyondHead { seq: last_seq, head: head.seq });
        }
        if last_seq < head.seq {
            return if self.whole {
                Err(ChainBreak::Truncated { last: last_seq, head: head.seq })
            } else {
                Ok(self.checked)
            };
        }
        if last_hash != head.hash {
            return Err(ChainBreak::HeadMismatch {
                seq: last_seq,
                expected: head.hash.clone(),
                found: last_hash.to_string(),
            });
        }
        Ok(self.checked)
    }

    pub fn checked(&self) -> u64 {
        self.checked
    }
}

/// What a good export holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportReport {
    pub header: ExportHeader,
    pub entries: u64,
}

/// Why an export does not verify; every variant names the line.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot read the file: {0}")]
    Read(#[from] std::io::Error),
    #[error("the file is empty; an export starts with a header line")]
    Empty,
    #[error("line 1 is not a Preflight audit export header ({0})")]
    Header(String),
    #[error("line 1: export format {0:?} is not one this Preflight reads (expected {EXPORT_FORMAT:?})")]
    Format(String),
    #[error("line {line} is not an audit entry ({message})")]
    Malformed { line: u64, message: String },
    #[error("line {line}: {source}")]
    Broken { line: u64, source: ChainBreak },
    #[error("after line {line}: {source}")]
    Ending { line: u64, source: ChainBreak },
}

/// Checks an exported JSON Lines file: its header, every entry's hash, the
/// links between consecutive entries, and (for a complete export) that the
/// chain runs from entry 1 to the head the header records.
pub fn verify_export(reader: impl BufRead) -> Result<ExportReport, ExportError> {
    let mut lines = reader.lines();
    let first = lines.next().ok_or(ExportError::Empty)??;
    let header: ExportHeader = serde_json::from_str(&first).map_err(|e| ExportError::Header(e.to_string()))?;
    if header.format != EXPORT_FORMAT {
        return Err(ExportError::Format(header.format));
    }
    let mut verifier = if header.complete { Verifier::whole_chain() } else { Verifier::excerpt() };
    let mut line_no = 1;
    for line in lines {
        let line = line?;
        line_no += 1;
        if line.trim().is_empty() {
            continue;
        }
        let sealed: SealedEntry = serde_json::from_str(&line)
            .map_err(|e| ExportError::Malformed { line: line_no, message: e.to_string() })?;
        verifier.push(&sealed.entry, &sealed.hash).map_err(|source| ExportError::Broken { line: line_no, source })?;
    }
    let entries = verifier.finish(&header.head).map_err(|source| ExportError::Ending { line: line_no, source })?;
    Ok(ExportReport { header, entries })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<SealedEntry> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let sealed = ChainEntry {
                    seq,
                    prev_hash: prev.clone(),
                    occurred_at: 1_700_000_000_000 + seq,
                    actor_user_id: Some(seq % 3),
                    actor_label: format!("user {}", seq % 3),
                    action: "item.status".into(),
                    subject_type: Some("item".into()),
                    subject_id: Some(seq.to_string()),
                    detail: Some(format!("done \"quoted\" ✓ {seq}")),
                    client_ip: None,
                    request_id: None,
                    service_id: Some(7),
                }
                .seal();
                prev = sealed.hash.clone();
                sealed
            })
            .collect()
    }

    fn head_of(entries: &[SealedEntry]) -> ChainHead {
        entries.last().map(|e| ChainHead { seq: e.entry.seq, hash: e.hash.clone() }).unwrap_or_else(ChainHead::genesis)
    }

    fn verify(entries: &[SealedEntry], head: &ChainHead) -> Result<u64, ChainBreak> {
        let mut v = Verifier::whole_chain();
        for e in entries {
            v.push(&e.entry, &e.hash)?;
        }
        v.finish(head)
    }

    fn export(entries: &[SealedEntry], head: &ChainHead, complete: bool) -> String {
        let header = ExportHeader {
            format: EXPORT_FORMAT.into(),
            complete,
            head: head.clone(),
            filter: String::new(),
            exported_at: 1,
        };
        let mut out = serde_json::to_string(&header).unwrap();
        for e in entries {
            out.push('\n');
            out.push_str(&serde_json::to_string(e).unwrap());
        }
        out.push('\n');
        out
    }

    #[test]
    fn the_hash_is_sha256_of_the_compact_json_in_field_order() {
        let e = chain(1).remove(0).entry;
        let json = serde_json::to_string(&e).unwrap();
        assert!(json.starts_with(r#"{"seq":1,"prev_hash":"0000"#), "{json}");
        assert!(json.ends_with(r#""service_id":7}"#), "{json}");
        assert_eq!(e.hash(), hex::encode(Sha256::digest(json.as_bytes())));
    }

    #[test]
    fn an_intact_chain_verifies_and_an_empty_one_too() {
        let entries = chain(50);
        assert_eq!(verify(&entries, &head_of(&entries)), Ok(50));
        assert_eq!(verify(&[], &ChainHead::genesis()), Ok(0));
    }

    #[test]
    fn an_edited_entry_is_named() {
        let mut entries = chain(20);
        entries[6].entry.detail = Some("not what happened".into());
        assert_eq!(verify(&entries, &head_of(&entries)), Err(ChainBreak::ContentChanged { seq: 7 }));
    }

    #[test]
    fn an_entry_rehashed_after_editing_breaks_the_next_link() {
        let mut entries = chain(20);
        entries[6].entry.actor_label = "someone else".into();
        entries[6].hash = entries[6].entry.hash();
        let err = verify(&entries, &head_of(&entries)).unwrap_err();
        assert!(matches!(err, ChainBreak::LinkBroken { seq: 8, .. }), "{err:?}");
    }

    #[test]
    fn a_deleted_entry_is_named() {
        let mut entries = chain(20);
        entries.remove(11);
        let err = verify(&entries, &head_of(&chain(20))).unwrap_err();
        assert_eq!(err, ChainBreak::OutOfSequence { expected: 12, found: 13, previous: 11 });
        assert_eq!(err.seq(), 12);
    }

    #[test]
    fn swapped_entries_are_caught_at_the_first() {
        let mut entries = chain(20);
        entries.swap(4, 9);
        let err = verify(&entries, &head_of(&chain(20))).unwrap_err();
        assert_eq!(err.seq(), 5, "{err:?}");
        // Swapping sequence numbers as well still breaks the link.
        let mut entries = chain(20);
        let (a, b) = (entries[4].entry.seq, entries[9].entry.seq);
        entries[4].entry.seq = b;
        entries[9].entry.seq = a;
        entries.sort_by_key(|e| e.entry.seq);
        let err = verify(&entries, &head_of(&chain(20))).unwrap_err();
        assert_eq!(err.seq(), 5, "{err:?}");
    }

    #[test]
    fn entries_cut_off_the_end_are_caught_by_the_head() {
        let full = chain(20);
        let err = verify(&full[..18], &head_of(&full)).unwrap_err();
        assert_eq!(err, ChainBreak::Truncated { last: 18, head: 20 });
        let err = verify(&full, &ChainHead { seq: 20, hash: GENESIS.into() }).unwrap_err();
        assert!(matches!(err, ChainBreak::HeadMismatch { seq: 20, .. }));
        let err = verify(&full, &ChainHead { seq: 19, hash: full[18].hash.clone() }).unwrap_err();
        assert_eq!(err, ChainBreak::BeyondHead { seq: 20, head: 19 });
    }

    #[test]
    fn a_complete_export_round_trips_and_a_changed_byte_is_named_by_line() {
        let entries = chain(30);
        let head = head_of(&entries);
        let text = export(&entries, &head, true);
        let report = verify_export(text.as_bytes()).unwrap();
        assert_eq!(report.entries, 30);
        assert_eq!(report.header.head, head);

        // Entry 9 is on line 10 (line 1 is the header).
        let changed = text.replacen("done \\\"quoted\\\" ✓ 9\"", "done \\\"quoted\\\" ✓ 8\"", 1);
        assert_ne!(changed, text);
        match verify_export(changed.as_bytes()) {
            Err(ExportError::Broken { line: 10, source: ChainBreak::ContentChanged { seq: 9 } }) => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_damaged_or_truncated_file_is_reported_not_panicked_on() {
        let entries = chain(5);
        let head = head_of(&entries);
        let text = export(&entries, &head, true);
        assert!(matches!(verify_export(&b""[..]), Err(ExportError::Empty)));
        assert!(matches!(verify_export(&b"hello\n"[..]), Err(ExportError::Header(_))));
        // Cut in the middle of line 4.
        let cut = &text[..text.match_indices('\n').nth(2).unwrap().0 + 20];
        match verify_export(cut.as_bytes()) {
            Err(ExportError::Malformed { line: 4, .. }) => {}
            other => panic!("{other:?}"),
        }
        // Whole lines missing at the end.
        let short: String = text.lines().take(4).map(|l| format!("{l}\n")).collect();
        match verify_export(short.as_bytes()) {
            Err(ExportError::Ending { source: ChainBreak::Truncated { last: 3, head: 5 }, .. }) => {}
            other => panic!("{other:?}"),
        }
        // Bytes that are not UTF-8.
        let mut bytes = text.clone().into_bytes();
        let at = bytes.len() - 10;
        bytes[at] = 0xff;
        assert!(verify_export(&bytes[..]).is_err());
        let wrong_format = text.replacen(EXPORT_FORMAT, "preflight-audit/9", 1);
        assert!(matches!(verify_export(wrong_format.as_bytes()), Err(ExportError::Format(_))));
    }

    #[test]
    fn an_excerpt_checks_each_entry_and_the_links_it_can() {
        let entries = chain(20);
        let head = head_of(&entries);
        let picked: Vec<SealedEntry> = entries.iter().filter(|e| e.entry.seq % 3 != 0).cloned().collect();
        let report = verify_export(export(&picked, &head, false).as_bytes()).unwrap();
        assert_eq!(report.entries, picked.len() as u64);

        let mut edited = picked.clone();
        edited[3].entry.action = "item.approved".into();
        let err = verify_export(export(&edited, &head, false).as_bytes()).unwrap_err();
        assert!(matches!(err, ExportError::Broken { source: ChainBreak::ContentChanged { .. }, .. }), "{err:?}");

        let mut reordered = picked;
        reordered.swap(2, 3);
        let err = verify_export(export(&reordered, &head, false).as_bytes()).unwrap_err();
        assert!(matches!(err, ExportError::Broken { source: ChainBreak::OutOfSequence { .. }, .. }), "{err:?}");
    }
}
