//! The evidence dossier's archive format, as code over `Write` and
//! `Read + Seek` only (no database, no runtime), so the server that writes
//! a dossier and `preflight dossier verify` that checks one share one
//! definition, and both are unit-tested in memory.
//!
//! A dossier is a ZIP written front to back to a sink that cannot seek (an
//! HTTP response): every entry has a data descriptor, and ZIP64 records
//! appear where sizes or offsets need them. JSON is deflated; evidence is
//! stored as it is (PDFs and images are compressed already).
//!
//! `manifest.json` is the last entry. It lists every other entry with its
//! size and the hex SHA-256 of its bytes, computed while the entry was
//! written (never by reading it again): exactly what `sha256sum` prints
//! for the extracted file.

use std::collections::{BTreeMap, HashSet};
use std::io::{self, BufRead, BufReader, Read, Seek, Write};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zip::write::{SimpleFileOptions, StreamWriter};
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use app::backend::audit_chain::{verify_export, ChainHead, ExportError, ExportReport, SealedEntry};
pub use app::backend::dossier::evidence_path;

/// The manifest's `format`.
pub const FORMAT: &str = "preflight-dossier/1";
pub const MANIFEST: &str = "manifest.json";
pub const AUDIT: &str = "audit.jsonl";
/// Where evidence and document files go: `evidence/<sha256>-<safe name>`.
pub const EVIDENCE_DIR: &str = "evidence/";

/// Bytes copied per read while an evidence file streams into the archive.
const COPY_CHUNK: usize = 64 * 1024;

/// The manifest's promise, in words, for whoever opens it without this
/// program.
const HASH_RULE: &str = "sha256 is the hex SHA-256 of the entry's bytes as extracted from the archive \
                         (what `sha256sum` prints); size is their length in bytes";

/// One entry of the archive as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestService {
    pub slug: String,
    pub name: String,
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub service: ManifestService,
    /// RFC 3339, UTC.
    pub generated_at: String,
    /// The audit chain head the dossier reflects: every change it shows
    /// was recorded at or before this entry.
    pub audit_chain_head: ChainHead,
    /// The head's short form, as printed on scorecards (`#123 9f2c…`).
    pub audit_chain_reference: String,
    pub hash_rule: String,
    pub files: Vec<ManifestFile>,
}

impl Manifest {
    pub fn new(service: ManifestService, generated_at: String, head: ChainHead) -> Manifest {
        Manifest {
            format: FORMAT.to_string(),
            service,
            generated_at,
            audit_chain_reference: head.reference(),
            audit_chain_head: head,
            hash_rule: HASH_RULE.to_string(),
            files: Vec::new(),
        }
    }
}

/// Writes a dossier entry by entry, hashing and counting every byte on its
/// way into the archive; [`DossierWriter::finish`] appends the manifest.
pub struct DossierWriter<W: Write> {
    zip: ZipWriter<StreamWriter<W>>,
    modified: zip::DateTime,
    files: Vec<ManifestFile>,
    paths: HashSet<String>,
    open: Option<OpenEntry>,
}

struct OpenEntry {
    path: String,
    hasher: Sha256,
    size: u64,
}

impl<W: Write> DossierWriter<W> {
    /// `generated_at` (epoch milliseconds) becomes every entry's date.
    pub fn new(sink: W, generated_at: i64) -> DossierWriter<W> {
        let modified = chrono::DateTime::from_timestamp_millis(generated_at)
            .and_then(|t| {
                use chrono::{Datelike, Timelike};
                let (y, mo, d) = (t.year(), t.month(), t.day());
                zip::DateTime::from_date_and_time(
                    u16::try_from(y).ok()?,
                    mo as u8,
                    d as u8,
                    t.hour() as u8,
                    t.minute() as u8,
                    t.second() as u8,
                )
                .ok()
            })
            .unwrap_or_default();
        DossierWriter {
            zip: ZipWriter::new_stream(sink).set_auto_large_file(),
            modified,
            files: Vec::new(),
            paths: HashSet::new(),
            open: None,
        }
    }

    /// Starts the entry `path`; `deflate` for text, stored otherwise.
    /// `expected_size`, when known, marks entries of 4 GiB and more as
    /// ZIP64 from their local header on.
    pub fn begin(&mut self, path: &str, deflate: bool, expected_size: Option<u64>) -> io::Result<()> {
        self.end()?;
        if path == MANIFEST || !self.paths.insert(path.to_string()) {
            return Err(io::Error::other(format!("{path} is already in the dossier")));
        }
        let method = if deflate { CompressionMethod::Deflated } else { CompressionMethod::Stored };
        let options = SimpleFileOptions::default()
            .compression_method(method)
            .unix_permissions(0o644)
            .last_modified_time(self.modified)
            .large_file(expected_size.is_some_and(|s| s >= u64::from(u32::MAX)));
        self.zip.start_file(path, options).map_err(io::Error::other)?;
        self.open = Some(OpenEntry { path: path.to_string(), hasher: Sha256::new(), size: 0 });
        Ok(())
    }

    /// Appends to the entry begun last.
    pub fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        let open = self.open.as_mut().ok_or_else(|| io::Error::other("no dossier entry is open"))?;
        self.zip.write_all(bytes)?;
        open.hasher.update(bytes);
        open.size += bytes.len() as u64;
        Ok(())
    }

    /// Closes the open entry (if any) and lists it for the manifest.
    pub fn end(&mut self) -> io::Result<()> {
        if let Some(open) = self.open.take() {
            self.files.push(ManifestFile {
                path: open.path,
                size: open.size,
                sha256: hex::encode(open.hasher.finalize()),
            });
        }
        Ok(())
    }

    /// A whole entry from bytes at hand (the JSON files), deflated.
    pub fn add_json(&mut self, path: &str, bytes: &[u8]) -> io::Result<()> {
        self.begin(path, true, None)?;
        self.write(bytes)?;
        self.end()
    }

    /// An entry copied from `reader` a chunk at a time, stored. Returns
    /// the bytes copied.
    pub fn copy(&mut self, path: &str, mut reader: impl Read, expected_size: Option<u64>) -> io::Result<u64> {
        self.begin(path, false, expected_size)?;
        let mut buffer = vec![0; COPY_CHUNK];
        loop {
            let n = match reader.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            self.write(&buffer[..n])?;
        }
        let size = self.open.as_ref().map_or(0, |o| o.size);
        self.end()?;
        Ok(size)
    }

    /// The entries written so far, as the manifest will list them.
    pub fn listed(&self) -> &[ManifestFile] {
        &self.files
    }

    /// Writes `manifest.json` (with every entry written before it) and the
    /// central directory; returns the sink.
    pub fn finish(mut self, mut manifest: Manifest) -> io::Result<W> {
        self.end()?;
        manifest.files = std::mem::take(&mut self.files);
        let json = serde_json::to_vec_pretty(&manifest).map_err(io::Error::other)?;
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .unix_permissions(0o644)
            .last_modified_time(self.modified);
        self.zip.start_file(MANIFEST, options).map_err(io::Error::other)?;
        self.zip.write_all(&json)?;
        let stream = self.zip.finish().map_err(io::Error::other)?;
        Ok(stream.into_inner())
    }
}

/// What a good dossier holds.
#[derive(Debug, Clone)]
pub struct Verified {
    pub manifest: Manifest,
    pub files: usize,
    pub bytes: u64,
    pub audit: ExportReport,
}

/// One thing wrong with a dossier, naming the file (and for the audit
/// trail, the line and entry).
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    #[error("not a readable ZIP archive ({0}); the file is truncated or damaged")]
    Archive(String),
    #[error("{MANIFEST} is missing")]
    NoManifest,
    #[error("{MANIFEST} cannot be read: {0}")]
    Manifest(String),
    #[error("{MANIFEST}: format {0:?} is not one this Preflight reads (expected {FORMAT:?})")]
    Format(String),
    #[error("{0}: listed twice in {MANIFEST}")]
    ListedTwice(String),
    #[error("{0}: listed in {MANIFEST} but missing from the archive")]
    Missing(String),
    #[error("{0}: in the archive but not listed in {MANIFEST}")]
    Unlisted(String),
    #[error("{path}: cannot be read ({message}); its content was changed or damaged")]
    Unreadable { path: String, message: String },
    #[error("{path}: {found} bytes, but {MANIFEST} records {expected}")]
    Size { path: String, expected: u64, found: u64 },
    #[error("{path}: SHA-256 {found}, but {MANIFEST} records {expected}; its content was changed")]
    Hash { path: String, expected: String, found: String },
    #[error("{AUDIT}: {0}")]
    Audit(ExportError),
    #[error("{0}: its name does not start with its SHA-256")]
    Misnamed(String),
    #[error("{0}: no entry of {AUDIT} records this file's SHA-256 (it was not added through Preflight)")]
    NotRecorded(String),
    #[error("{AUDIT} was cut at chain head {found}, but {MANIFEST} records {expected}")]
    Head { expected: String, found: String },
}

/// Checks a dossier: every manifest entry's size and SHA-256 against the
/// archive, entries missing or not listed, and the audit excerpt's chain
/// hashes. Returns every problem found, in archive order (the first is
/// the one to name); never panics on damaged input.
pub fn verify<R: Read + Seek>(reader: R) -> Result<Verified, Vec<Problem>> {
    let mut archive = ZipArchive::new(reader).map_err(|e| vec![Problem::Archive(e.to_string())])?;
    let manifest = read_manifest(&mut archive).map_err(|p| vec![p])?;
    let mut problems = Vec::new();

    let mut listed: BTreeMap<&str, &ManifestFile> = BTreeMap::new();
    for file in &manifest.files {
        if listed.insert(file.path.as_str(), file).is_some() {
            problems.push(Problem::ListedTwice(file.path.clone()));
        }
    }
    let mut seen = HashSet::new();
    let mut bytes = 0;
    let count = archive.len();
    for index in 0..count {
        let mut entry = match archive.by_index(index) {
            Ok(entry) => entry,
            Err(e) => {
                problems.push(Problem::Archive(format!("entry {} of {count}: {e}", index + 1)));
                continue;
            }
        };
        let path = String::from_utf8_lossy(entry.name_raw()).into_owned();
        if path == MANIFEST {
            continue;
        }
        let Some(expected) = listed.get(path.as_str()) else {
            problems.push(Problem::Unlisted(path));
            continue;
        };
        seen.insert(path.clone());
        match hash_of(&mut entry) {
            Err(e) => problems.push(Problem::Unreadable { path, message: e.to_string() }),
            Ok((size, _)) if size != expected.size => {
                problems.push(Problem::Size { path, expected: expected.size, found: size })
            }
            Ok((size, sha256)) if sha256 != expected.sha256 => {
                bytes += size;
                problems.push(Problem::Hash { path, expected: expected.sha256.clone(), found: sha256 })
            }
            Ok((size, _)) => bytes += size,
        }
    }
    let mut reported = HashSet::new();
    for file in &manifest.files {
        if !seen.contains(&file.path) && reported.insert(file.path.as_str()) {
            problems.push(Problem::Missing(file.path.clone()));
        }
    }

    // The audit excerpt: each entry's own hash, the links where entries
    // are consecutive, and the head it was cut at. Checked even when its
    // SHA-256 disagreed, to name the entry that changed.
    let audit = match archive.by_name(AUDIT) {
        Ok(entry) => match verify_export(BufReader::new(entry)) {
            Ok(report) => {
                if report.header.head != manifest.audit_chain_head {
                    problems.push(Problem::Head {
                        expected: manifest.audit_chain_head.reference(),
                        found: report.header.head.reference(),
                    });
                }
                Some(report)
            }
            Err(e) => {
                problems.push(Problem::Audit(e));
                None
            }
        },
        Err(_) => {
            if !problems.iter().any(|p| matches!(p, Problem::Missing(f) if f == AUDIT)) {
                problems.push(Problem::Missing(AUDIT.to_string()));
            }
            None
        }
    };
    // Each file is anchored in the chain: named by its SHA-256, which the
    // entry that recorded it (evidence.added, document.added) holds.
    if audit.is_some() {
        let recorded = recorded_files(&mut archive);
        for file in manifest.files.iter().filter(|f| f.path.starts_with(EVIDENCE_DIR)) {
            let named = file.path[EVIDENCE_DIR.len()..].split('-').next().unwrap_or_default();
            if named != file.sha256 {
                problems.push(Problem::Misnamed(file.path.clone()));
            } else if !recorded.contains(named) {
                problems.push(Problem::NotRecorded(file.path.clone()));
            }
        }
    }
    match audit {
        Some(audit) if problems.is_empty() => Ok(Verified { files: manifest.files.len(), manifest, bytes, audit }),
        _ => Err(problems),
    }
}

/// The SHA-256 of every file the audit excerpt's entries record (the
/// `sha256` of their JSON detail). Read after the excerpt verified.
fn recorded_files<R: Read + Seek>(archive: &mut ZipArchive<R>) -> HashSet<String> {
    let mut recorded = HashSet::new();
    let Ok(entry) = archive.by_name(AUDIT) else { return recorded };
    for line in BufReader::new(entry).lines().skip(1).map_while(Result::ok) {
        let Ok(sealed) = serde_json::from_str::<SealedEntry>(&line) else { continue };
        let detail = sealed.entry.detail.as_deref().and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok());
        if let Some(sha256) = detail.as_ref().and_then(|d| d.get("sha256")).and_then(|s| s.as_str()) {
            recorded.insert(sha256.to_string());
        }
    }
    recorded
}

fn read_manifest<R: Read + Seek>(archive: &mut ZipArchive<R>) -> Result<Manifest, Problem> {
    let entry = match archive.by_name(MANIFEST) {
        Ok(entry) => entry,
        Err(zip::result::ZipError::FileNotFound) => return Err(Problem::NoManifest),
        Err(e) => return Err(Problem::Manifest(e.to_string())),
    };
    // A manifest lists files, not megabytes of them: refuse a giant one
    // rather than hold it.
    let mut text = Vec::new();
    entry.take(64 * 1024 * 1024).read_to_end(&mut text).map_err(|e| Problem::Manifest(e.to_string()))?;
    let value: serde_json::Value = serde_json::from_slice(&text).map_err(|e| Problem::Manifest(e.to_string()))?;
    match value.get("format").and_then(|f| f.as_str()) {
        Some(FORMAT) => {}
        Some(other) => return Err(Problem::Format(other.to_string())),
        None => return Err(Problem::Manifest("it has no format".into())),
    }
    serde_json::from_value(value).map_err(|e| Problem::Manifest(e.to_string()))
}

/// Size and hex SHA-256 of an entry's extracted bytes (the reader checks
/// the CRC-32 at the end, and reports a mismatch as an error).
fn hash_of(entry: &mut impl Read) -> io::Result<(u64, String)> {
    let mut hasher = Sha256::new();
    let mut size = 0;
    let mut buffer = vec![0; COPY_CHUNK];
    loop {
        let n = match entry.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buffer[..n]);
        size += n as u64;
    }
    Ok((size, hex::encode(hasher.finalize())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::backend::audit_chain::{ChainEntry, ExportHeader, EXPORT_FORMAT, GENESIS};
    use std::io::Cursor;

    /// A write-only sink: proves the writer never seeks.
    struct Sink(Vec<u8>);

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn chain(n: i64) -> Vec<SealedEntry> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let sealed = ChainEntry {
                    seq,
                    prev_hash: prev.clone(),
                    occurred_at: 1_767_225_600_000 + seq,
                    actor_user_id: Some(1),
                    actor_label: "Ada".into(),
                    action: "item.status_changed".into(),
                    subject_type: Some("item".into()),
                    subject_id: Some(seq.to_string()),
                    detail: Some(if seq == 3 {
                        format!(r#"{{"step":3,"sha256":"{}"}}"#, hex::encode(Sha256::digest(PDF)))
                    } else {
                        format!("step {seq}")
                    }),
                    client_ip: None,
                    request_id: None,
                    service_id: Some(1),
                }
                .seal();
                prev = sealed.hash.clone();
                sealed
            })
            .collect()
    }

    fn audit_text(entries: &[SealedEntry], head: &ChainHead) -> String {
        let header = ExportHeader {
            format: EXPORT_FORMAT.into(),
            complete: false,
            head: head.clone(),
            filter: "service pay".into(),
            exported_at: 1,
        };
        let mut out = serde_json::to_string(&header).unwrap();
        out.push('\n');
        for e in entries {
            out.push_str(&serde_json::to_string(e).unwrap());
            out.push('\n');
        }
        out
    }

    const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

    /// A dossier with two JSON files, the audit excerpt and one evidence
    /// file; returns its bytes and the evidence path.
    fn dossier() -> (Vec<u8>, String) {
        let entries = chain(6);
        let head = ChainHead { seq: 6, hash: entries[5].hash.clone() };
        let mut writer = DossierWriter::new(Sink(Vec::new()), 1_767_225_600_000);
        writer.add_json("scorecard.json", br#"{"score": 80}"#).unwrap();
        writer.add_json("items.json", br#"[]"#).unwrap();
        writer.add_json(AUDIT, audit_text(&entries[1..], &head).as_bytes()).unwrap();
        let sha = hex::encode(Sha256::digest(PDF));
        let path = evidence_path(&sha, "../../Report Q3.pdf");
        // In small reads, as a file would come.
        assert_eq!(
            writer.copy(&path, PDF.chunks(7).flatten().copied().collect::<Vec<_>>().as_slice(), None).unwrap(),
            PDF.len() as u64
        );
        let manifest = Manifest::new(
            ManifestService { slug: "pay".into(), name: "Payments".into() },
            "2026-01-01T00:00:00Z".into(),
            head,
        );
        (writer.finish(manifest).unwrap().0, path)
    }

    fn problems(bytes: &[u8]) -> Vec<String> {
        match verify(Cursor::new(bytes)) {
            Ok(v) => panic!("verified: {v:?}"),
            Err(problems) => problems.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn a_dossier_lists_every_entry_with_what_sha256sum_prints_and_verifies() {
        let (bytes, path) = dossier();
        let verified = verify(Cursor::new(&bytes)).unwrap();
        assert_eq!(verified.files, 4);
        assert_eq!(verified.audit.entries, 5);
        assert_eq!(verified.manifest.audit_chain_reference, verified.manifest.audit_chain_head.reference());
        // Read back with the ZIP reader alone: the manifest is the last
        // entry, and every hash is the extracted bytes' SHA-256.
        let mut archive = ZipArchive::new(Cursor::new(&bytes)).unwrap();
        assert_eq!(archive.name_for_index(archive.len() - 1).unwrap().unwrap(), MANIFEST);
        let mut evidence = Vec::new();
        archive.by_name(&path).unwrap().read_to_end(&mut evidence).unwrap();
        assert_eq!(evidence, PDF);
        for file in &verified.manifest.files {
            let mut content = Vec::new();
            archive.by_name(&file.path).unwrap().read_to_end(&mut content).unwrap();
            assert_eq!((file.size, file.sha256.clone()), (content.len() as u64, hex::encode(Sha256::digest(&content))));
        }
        // Stored, with a data descriptor (bit 3 of the local header's flags).
        let at = bytes.windows(path.len()).position(|w| w == path.as_bytes()).unwrap() - 30;
        assert_eq!(&bytes[at..at + 4], b"PK\x03\x04");
        assert_eq!(u16::from_le_bytes([bytes[at + 6], bytes[at + 7]]) & 0x08, 0x08);
        assert_eq!(u16::from_le_bytes([bytes[at + 8], bytes[at + 9]]), 0, "stored");
    }

    #[test]
    fn a_changed_evidence_byte_is_named() {
        let (mut bytes, path) = dossier();
        let at = bytes.windows(8).position(|w| w == b"Catalog>").unwrap();
        bytes[at] ^= 0x20;
        let found = problems(&bytes);
        assert!(found[0].starts_with(&format!("{path}: ")), "{found:?}");
    }

    #[test]
    fn a_wrong_hash_or_size_in_the_manifest_is_named() {
        // A consistent archive (CRCs right) whose manifest lies: as if the
        // evidence had been swapped and the archive rebuilt.
        let (bytes, path) = dossier();
        let mut archive = ZipArchive::new(Cursor::new(&bytes)).unwrap();
        let mut manifest: Manifest = serde_json::from_reader(archive.by_name(MANIFEST).unwrap()).unwrap();
        let mut wrong = manifest.clone();
        wrong.files.iter_mut().find(|f| f.path == path).unwrap().sha256 = "0".repeat(64);
        let found = problems(&rebuild(&bytes, &wrong));
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].starts_with(&format!("{path}: SHA-256 ")), "{found:?}");
        assert_eq!(found[1], format!("{path}: its name does not start with its SHA-256"));

        manifest.files.iter_mut().find(|f| f.path == "items.json").unwrap().size = 3;
        manifest.files.push(ManifestFile {
            path: format!("evidence/{}-gone.pdf", "0".repeat(64)),
            size: 1,
            sha256: "0".repeat(64),
        });
        manifest.files.retain(|f| f.path != "scorecard.json");
        let found = problems(&rebuild(&bytes, &manifest));
        assert_eq!(
            found,
            [
                "scorecard.json: in the archive but not listed in manifest.json".to_string(),
                "items.json: 2 bytes, but manifest.json records 3".to_string(),
                format!("evidence/{}-gone.pdf: listed in manifest.json but missing from the archive", "0".repeat(64)),
                format!("evidence/{}-gone.pdf: no entry of audit.jsonl records this file's SHA-256 (it was not added through Preflight)", "0".repeat(64)),
            ]
        );
    }

    /// The archive's entries copied as they are, with `manifest` instead.
    fn rebuild(bytes: &[u8], manifest: &Manifest) -> Vec<u8> {
        let mut archive = ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut out = ZipWriter::new(Cursor::new(Vec::new()));
        for i in 0..archive.len() {
            let entry = archive.by_index_raw(i).unwrap();
            if entry.name_raw() != MANIFEST.as_bytes() {
                out.raw_copy_file(entry).unwrap();
            }
        }
        out.start_file(MANIFEST, SimpleFileOptions::default()).unwrap();
        out.write_all(&serde_json::to_vec(manifest).unwrap()).unwrap();
        out.finish().unwrap().into_inner()
    }

    #[test]
    fn a_changed_audit_entry_is_named_by_line_and_entry() {
        let (bytes, _) = dossier();
        let mut archive = ZipArchive::new(Cursor::new(&bytes)).unwrap();
        let mut text = String::new();
        archive.by_name(AUDIT).unwrap().read_to_string(&mut text).unwrap();
        let manifest: Manifest = serde_json::from_reader(archive.by_name(MANIFEST).unwrap()).unwrap();
        let changed = text.replacen("step 4", "step 9", 1);
        let mut out = ZipWriter::new(Cursor::new(Vec::new()));
        for i in 0..archive.len() {
            let entry = archive.by_index_raw(i).unwrap();
            match entry.name_raw() {
                b"manifest.json" => {}
                b"audit.jsonl" => {
                    drop(entry);
                    out.start_file(AUDIT, SimpleFileOptions::default()).unwrap();
                    out.write_all(changed.as_bytes()).unwrap();
                }
                _ => out.raw_copy_file(entry).unwrap(),
            }
        }
        out.start_file(MANIFEST, SimpleFileOptions::default()).unwrap();
        out.write_all(&serde_json::to_vec(&manifest).unwrap()).unwrap();
        let found = problems(&out.finish().unwrap().into_inner());
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].starts_with("audit.jsonl: SHA-256 "), "{found:?}");
        assert_eq!(
            found[1],
            "audit.jsonl: line 4: entry 4 was changed: its content no longer matches its recorded hash"
        );
    }

    #[test]
    fn truncated_or_damaged_archives_are_reported_never_panicked_on() {
        let (bytes, _) = dossier();
        for cut in (0..bytes.len()).step_by(13).chain([bytes.len() - 1, bytes.len() - 22, 1, 4]) {
            let found = problems(&bytes[..cut]);
            assert!(!found.is_empty(), "cut at {cut}");
        }
        // Every byte flipped in turn: none panics, every byte of content
        // is caught, and so is most of the rest.
        let evidence = bytes.windows(PDF.len()).position(|w| w == PDF).unwrap();
        let mut caught = 0;
        for at in 0..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[at] ^= 0xff;
            let failed = verify(Cursor::new(&damaged)).is_err();
            assert!(
                failed || !(evidence..evidence + PDF.len()).contains(&at),
                "a flipped evidence byte at {at} passed"
            );
            caught += usize::from(failed);
        }
        // What passes: fields no reader relies on (the version that made
        // the archive, timestamps, attributes, the local copies of sizes
        // that the data descriptor and central directory give).
        assert!(caught * 10 >= bytes.len() * 7, "{caught} of {}", bytes.len());
        assert!(matches!(problems(b"not a zip")[0].as_str(), s if s.starts_with("not a readable ZIP archive")));
    }

    #[test]
    fn a_file_the_trail_never_recorded_is_named() {
        let (bytes, _) = dossier();
        let mut archive = ZipArchive::new(Cursor::new(&bytes)).unwrap();
        let mut manifest: Manifest = serde_json::from_reader(archive.by_name(MANIFEST).unwrap()).unwrap();
        let smuggled = b"%PDF-1.4 not recorded anywhere";
        let path = evidence_path(&hex::encode(Sha256::digest(smuggled)), "extra.pdf");
        let mut out = ZipWriter::new(Cursor::new(Vec::new()));
        for i in 0..archive.len() {
            let entry = archive.by_index_raw(i).unwrap();
            if entry.name_raw() != MANIFEST.as_bytes() {
                out.raw_copy_file(entry).unwrap();
            }
        }
        out.start_file(path.as_str(), SimpleFileOptions::default()).unwrap();
        out.write_all(smuggled).unwrap();
        manifest.files.push(ManifestFile {
            path: path.clone(),
            size: smuggled.len() as u64,
            sha256: hex::encode(Sha256::digest(smuggled)),
        });
        out.start_file(MANIFEST, SimpleFileOptions::default()).unwrap();
        out.write_all(&serde_json::to_vec(&manifest).unwrap()).unwrap();
        let found = problems(&out.finish().unwrap().into_inner());
        assert_eq!(
            found,
            [format!(
                "{path}: no entry of audit.jsonl records this file's SHA-256 (it was not added through Preflight)"
            )]
        );
    }

    #[test]
    fn no_manifest_or_a_foreign_one_is_named() {
        let mut out = ZipWriter::new(Cursor::new(Vec::new()));
        out.start_file("items.json", SimpleFileOptions::default()).unwrap();
        out.write_all(b"[]").unwrap();
        let plain = out.finish().unwrap().into_inner();
        assert_eq!(problems(&plain), ["manifest.json is missing"]);

        let mut out = ZipWriter::new(Cursor::new(Vec::new()));
        out.start_file(MANIFEST, SimpleFileOptions::default()).unwrap();
        out.write_all(br#"{"format": "preflight-dossier/9"}"#).unwrap();
        let found = problems(&out.finish().unwrap().into_inner());
        assert!(found[0].contains("\"preflight-dossier/9\" is not one this Preflight reads"), "{found:?}");
    }

    #[test]
    fn an_entry_cannot_be_written_twice() {
        let mut writer = DossierWriter::new(Sink(Vec::new()), 0);
        writer.add_json("items.json", b"[]").unwrap();
        assert!(writer.add_json("items.json", b"[]").is_err());
        assert!(writer.add_json(MANIFEST, b"{}").is_err());
        assert_eq!(writer.listed().len(), 1);
    }
}
