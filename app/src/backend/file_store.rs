//! Evidence files, stored on disk under their SHA-256 content address
//! (`<root>/<first 2 hex>/<64 hex>`), so the same bytes are kept once and an
//! address can only ever mean the bytes it was computed from.
//!
//! Crash rule: an upload streams chunk by chunk (never whole in memory, the
//! size limit enforced as it goes) into `<root>/tmp/<random>`, on the same
//! file system so the final rename is atomic; [`Upload::finish`] fsyncs it,
//! renames it to its address, fsyncs the directory and only then returns.
//! The caller commits the row after that, so a crash leaves no row pointing
//! at a missing or partial file, only a temporary file for
//! [`FileStore::sweep_temp`].
//!
//! Types are judged by content against an allow-list, never by name (the
//! name only chooses between text kinds). Markup (HTML, XML, SVG) is refused
//! although it is text: served from our origin it could run script. Serve
//! files with [`FileKind::mime`] and `X-Content-Type-Options: nosniff`.
//!
//! ```ignore
//! let mut upload = store.begin(field.file_name().unwrap_or("")).await?;
//! while let Some(chunk) = field.chunk().await? {
//!     upload.write(&chunk).await?;
//! }
//! let stored = upload.finish().await?; // then commit the row
//! ```

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};
use std::io::Write;

use super::secrets::random_token;

/// The upload limit unless configured otherwise: 25 MiB.
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 25 * 1024 * 1024;
/// How much of the start of a file is kept for sniffing its type; JSON is
/// recognised by parsing only in files no larger than this.
const SAMPLE_BYTES: usize = 16 * 1024;
/// Temporary files older than this are crash leftovers, not uploads in progress.
const TEMP_MAX_AGE: Duration = Duration::from_secs(60 * 60);

/// Accepted binary formats, by their first bytes.
const ACCEPTED_MAGIC: &[(&[u8], FileKind)] = &[
    (b"%PDF-", FileKind::Pdf),
    (b"\x89PNG\r\n\x1a\n", FileKind::Png),
    (b"\xff\xd8\xff", FileKind::Jpeg),
    (b"PK\x03\x04", FileKind::Zip),
    (b"PK\x05\x06", FileKind::Zip),
];

/// Refused formats worth naming in the refusal; anything else that is not
/// text is "unknown binary data".
const REFUSED_MAGIC: &[(&[u8], &str)] = &[
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"\x7fELF", "executable"),
    (b"MZ\x90\x00", "executable"),
    (b"\xcf\xfa\xed\xfe", "executable"),
    (b"\x1f\x8b", "gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"\xd0\xcf\x11\xe0", "legacy Office document"),
];

/// Why a file was not stored. The messages are fit for a form field; `Io`
/// hides its cause (log the source, it is ours, not the uploader's).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the file is larger than the {} limit", human_size(*limit))]
    TooLarge { limit: u64 },
    #[error("this type of file ({detected}) is not accepted; upload a PDF, PNG, JPEG, text, Markdown, CSV, JSON or ZIP file")]
    TypeNotAllowed { detected: String },
    #[error("the file is empty")]
    Empty,
    #[error("the file could not be stored")]
    Io(#[from] io::Error),
}

fn refused(detected: &str) -> StoreError {
    StoreError::TypeNotAllowed { detected: detected.to_owned() }
}

fn human_size(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// The accepted kinds of evidence file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    Pdf,
    Png,
    Jpeg,
    Text,
    Markdown,
    Csv,
    Json,
    Zip,
}

impl FileKind {
    /// Stored name (database column), Content-Type to serve with, label for people.
    fn names(self) -> (&'static str, &'static str, &'static str) {
        match self {
            FileKind::Pdf => ("pdf", "application/pdf", "PDF document"),
            FileKind::Png => ("png", "image/png", "PNG image"),
            FileKind::Jpeg => ("jpeg", "image/jpeg", "JPEG image"),
            FileKind::Text => ("text", "text/plain; charset=utf-8", "plain text"),
            FileKind::Markdown => ("markdown", "text/markdown; charset=utf-8", "Markdown text"),
            FileKind::Csv => ("csv", "text/csv; charset=utf-8", "CSV table"),
            FileKind::Json => ("json", "application/json", "JSON document"),
            FileKind::Zip => ("zip", "application/zip", "ZIP archive"),
        }
    }

    /// The stored name: "pdf", "markdown", …
    pub fn as_str(self) -> &'static str {
        self.names().0
    }

    /// The Content-Type to serve the file with.
    pub fn mime(self) -> &'static str {
        self.names().1
    }

    /// For people: "PDF document".
    pub fn label(self) -> &'static str {
        self.names().2
    }

    /// The kind stored as [`FileKind::as_str`].
    pub fn parse(name: &str) -> Option<FileKind> {
        use FileKind::*;
        [Pdf, Png, Jpeg, Text, Markdown, Csv, Json, Zip].into_iter().find(|kind| kind.as_str() == name)
    }
}

/// A file safely at its address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub sha256: String,
    pub size: u64,
    pub kind: FileKind,
}

pub struct FileStore {
    root: PathBuf,
    max_bytes: u64,
    fail_before_rename: AtomicBool,
}

impl FileStore {
    pub fn new(root: impl Into<PathBuf>, max_bytes: u64) -> FileStore {
        FileStore { root: root.into(), max_bytes, fail_before_rename: AtomicBool::new(false) }
    }

    /// The store in `<data_dir>/evidence`.
    pub fn in_data_dir(data_dir: &Path, max_bytes: u64) -> FileStore {
        FileStore::new(data_dir.join("evidence"), max_bytes)
    }

    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    fn temp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// Test hook: make [`Upload::finish`] fail after the temporary file is
    /// written and fsynced but before it is renamed, as a crash would.
    #[doc(hidden)]
    pub fn fail_before_rename(&self, fail: bool) {
        self.fail_before_rename.store(fail, Ordering::SeqCst);
    }

    /// Starts an upload; `file_name` is only a hint between text kinds.
    pub async fn begin(&self, file_name: &str) -> Result<Upload<'_>, StoreError> {
        let dir = self.temp_dir();
        tokio::fs::create_dir_all(&dir).await?;
        let temp = dir.join(random_token());
        let file = std::fs::OpenOptions::new().write(true).create_new(true).open(&temp)?;
        Ok(Upload {
            store: self,
            file: Some(file),
            pending: Vec::with_capacity(WRITE_BATCH),
            temp: Some(temp),
            name: file_name.to_owned(),
            hasher: Sha256::new(),
            size: 0,
            sample: Vec::new(),
            kind: None,
        })
    }

    /// Stores bytes already in memory (small files, tests).
    pub async fn store_bytes(&self, file_name: &str, bytes: &[u8]) -> Result<StoredFile, StoreError> {
        let mut upload = self.begin(file_name).await?;
        upload.write(bytes).await?;
        upload.finish().await
    }

    /// Where the file with this address lives; `None` for anything but 64
    /// lower-case hex digits, so no caller input can leave the store.
    pub fn path_of(&self, sha256: &str) -> Option<PathBuf> {
        let valid = sha256.len() == 64 && sha256.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        valid.then(|| self.root.join(&sha256[..2]).join(sha256))
    }

    /// Opens a stored file for reading; NotFound for an invalid address too.
    pub async fn open(&self, sha256: &str) -> io::Result<tokio::fs::File> {
        let path = self.path_of(sha256).ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "not an address"))?;
        tokio::fs::File::open(path).await
    }

    /// Removes temporary files older than an hour (left by a crash); for
    /// start-up. Younger ones may be uploads in progress. Returns how many.
    pub async fn sweep_temp(&self) -> io::Result<usize> {
        let mut entries = match tokio::fs::read_dir(self.temp_dir()).await {
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
            entries => entries?,
        };
        let now = SystemTime::now();
        let mut removed = 0;
        while let Some(entry) = entries.next_entry().await? {
            let meta = entry.metadata().await?;
            let age = meta.modified().ok().and_then(|at| now.duration_since(at).ok());
            if meta.is_file() && age.is_some_and(|age| age > TEMP_MAX_AGE) {
                tokio::fs::remove_file(entry.path()).await?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Moves a finished temporary file to its address, durably. When the
    /// address already holds the bytes, the temporary file is just removed.
    async fn place(&self, temp: &Path, sha256: &str, size: u64) -> io::Result<()> {
        let target = self.path_of(sha256).ok_or_else(|| io::Error::other("digest is not an address"))?;
        let dir = target.parent().unwrap_or(&self.root);
        match tokio::fs::create_dir(dir).await {
            Ok(()) => sync_dir(&self.root).await?,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
        match tokio::fs::metadata(&target).await {
            Ok(meta) if meta.len() == size => tokio::fs::remove_file(temp).await?,
            _ => tokio::fs::rename(temp, &target).await?,
        }
        // Also when the bytes were already there: a concurrent upload of the
        // same file may have renamed it without its directory fsync yet.
        sync_dir(dir).await
    }
}

/// Makes a rename or a new entry in `dir` durable (unix; elsewhere a
/// directory cannot be opened as a file).
async fn sync_dir(dir: &Path) -> io::Result<()> {
    if cfg!(unix) {
        tokio::fs::File::open(dir).await?.sync_all().await?;
    }
    Ok(())
}

/// One upload in progress. Dropping it without [`Upload::finish`] removes
/// its temporary file.
/// Chunks are gathered to this size and written in one call. The write
/// lands in the page cache (the fsync comes once, in `finish`, off the
/// runtime), so it is done right here: handing each chunk to another thread,
/// as tokio's file type or `block_in_place` do, grew the process by 6–14 MiB
/// per upload (measured; thread and allocator churn), this holds 256 KiB.
const WRITE_BATCH: usize = 256 * 1024;

pub struct Upload<'a> {
    store: &'a FileStore,
    file: Option<std::fs::File>,
    /// Received but not yet written (at most [`WRITE_BATCH`] and a chunk).
    pending: Vec<u8>,
    temp: Option<PathBuf>,
    name: String,
    hasher: Sha256,
    size: u64,
    sample: Vec<u8>,
    /// Decided as soon as the sample is full, so a refused type stops early.
    kind: Option<FileKind>,
}

impl Upload<'_> {
    /// Appends a chunk. After an error the upload is over and its temporary
    /// file gone: stop reading the request.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), StoreError> {
        let limit = self.store.max_bytes;
        if self.size + chunk.len() as u64 > limit {
            self.discard().await;
            return Err(StoreError::TooLarge { limit });
        }
        let file = self.file.as_mut().ok_or_else(|| io::Error::other("upload already ended"))?;
        self.pending.extend_from_slice(chunk);
        if self.pending.len() >= WRITE_BATCH {
            file.write_all(&self.pending)?;
            self.pending.clear();
        }
        self.hasher.update(chunk);
        let room = SAMPLE_BYTES - self.sample.len();
        self.sample.extend_from_slice(&chunk[..room.min(chunk.len())]);
        self.size += chunk.len() as u64;
        if self.kind.is_none() && self.size > SAMPLE_BYTES as u64 {
            match classify(&self.sample, true, &self.name) {
                Ok(kind) => self.kind = Some(kind),
                Err(e) => {
                    self.discard().await;
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// Checks the type, fsyncs and moves the file to its address. Returns
    /// only once the file is durably there; commit the row after this.
    pub async fn finish(mut self) -> Result<StoredFile, StoreError> {
        let mut file = self.file.take().ok_or_else(|| io::Error::other("upload already ended"))?;
        file.write_all(&self.pending)?;
        self.pending = Vec::new();
        // The one slow call: off the runtime's threads.
        tokio::task::spawn_blocking(move || file.sync_all()).await.map_err(io::Error::other)??;
        if self.size == 0 {
            return Err(StoreError::Empty);
        }
        let kind = match self.kind {
            Some(kind) => kind,
            None => classify(&self.sample, false, &self.name)?,
        };
        let sha256 = hex::encode(std::mem::take(&mut self.hasher).finalize());
        if self.store.fail_before_rename.load(Ordering::SeqCst) {
            return Err(io::Error::other("simulated failure before rename").into());
        }
        let temp = self.temp.clone().ok_or_else(|| io::Error::other("upload already ended"))?;
        self.store.place(&temp, &sha256, self.size).await?;
        self.temp = None;
        Ok(StoredFile { sha256, size: self.size, kind })
    }

    /// Gives up the upload and removes its temporary file.
    pub async fn abort(mut self) {
        self.discard().await;
    }

    async fn discard(&mut self) {
        self.file = None;
        if let Some(temp) = self.temp.take() {
            let _ = tokio::fs::remove_file(temp).await;
        }
    }
}

impl Drop for Upload<'_> {
    fn drop(&mut self) {
        if let Some(temp) = self.temp.take() {
            let _ = std::fs::remove_file(temp);
        }
    }
}

/// The kind of a file from its first bytes (`truncated`: the file goes on).
fn classify(sample: &[u8], truncated: bool, name: &str) -> Result<FileKind, StoreError> {
    if let Some((_, kind)) = ACCEPTED_MAGIC.iter().find(|(magic, _)| sample.starts_with(magic)) {
        return Ok(*kind);
    }
    if let Some((_, what)) = REFUSED_MAGIC.iter().find(|(magic, _)| sample.starts_with(magic)) {
        return Err(refused(what));
    }
    let text = as_text(sample, truncated).ok_or_else(|| refused("unknown binary data"))?;
    if let Some(what) = markup(text) {
        return Err(refused(what));
    }
    Ok(text_kind(text, truncated, name))
}

/// The sample as text: UTF-8 without NUL bytes; a multi-byte character cut
/// off by the sample's end is allowed when the file goes on.
fn as_text(sample: &[u8], truncated: bool) -> Option<&str> {
    let bytes = sample.strip_prefix(b"\xef\xbb\xbf").unwrap_or(sample);
    if bytes.contains(&0) {
        return None;
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Some(text),
        Err(e) if truncated && e.error_len().is_none() => std::str::from_utf8(&bytes[..e.valid_up_to()]).ok(),
        Err(_) => None,
    }
}

/// What markup the text starts with, if any: any text whose first visible
/// character is `<` is refused, named as precisely as is cheap.
fn markup(text: &str) -> Option<&'static str> {
    let text = text.trim_start();
    if !text.starts_with('<') {
        return None;
    }
    let head: String = text.chars().take(1024).collect::<String>().to_ascii_lowercase();
    const HTML: &[&str] = &["<!doctype html", "<html", "<head", "<body", "<script", "<iframe", "<meta", "<div"];
    Some(if head.contains("<svg") {
        "SVG image"
    } else if HTML.iter().any(|tag| head.starts_with(tag)) {
        "HTML document"
    } else if head.starts_with("<?xml") {
        "XML document"
    } else {
        "HTML/XML markup"
    })
}

/// Which text kind: JSON when a small file parses as an object or array,
/// else the name's extension among text kinds, else plain text.
fn text_kind(text: &str, truncated: bool, name: &str) -> FileKind {
    let extension = Path::new(name).extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    let hint = match extension.as_deref() {
        Some("json") => Some(FileKind::Json),
        Some("csv") => Some(FileKind::Csv),
        Some("md" | "markdown") => Some(FileKind::Markdown),
        Some("txt") => Some(FileKind::Text),
        _ => None,
    };
    if truncated {
        return hint.unwrap_or(FileKind::Text);
    }
    match hint {
        None | Some(FileKind::Json) if is_json(text) => FileKind::Json,
        None | Some(FileKind::Json) => FileKind::Text,
        Some(kind) => kind,
    }
}

fn is_json(text: &str) -> bool {
    text.trim_start().starts_with(['{', '[']) && serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store_in(dir: &tempfile::TempDir, max_bytes: u64) -> FileStore {
        FileStore::in_data_dir(dir.path(), max_bytes)
    }

    fn count_files(dir: &Path) -> usize {
        std::fs::read_dir(dir)
            .map(|entries| entries.filter(|e| e.as_ref().unwrap().path().is_file()).count())
            .unwrap_or(0)
    }

    fn temp_files(store: &FileStore) -> usize {
        count_files(&store.temp_dir())
    }

    async fn kind_of(name: &str, bytes: &[u8]) -> Result<FileKind, StoreError> {
        let dir = tempfile::tempdir().unwrap();
        store_in(&dir, DEFAULT_MAX_UPLOAD_BYTES).store_bytes(name, bytes).await.map(|stored| stored.kind)
    }

    async fn refusal(name: &str, bytes: &[u8]) -> String {
        match kind_of(name, bytes).await {
            Err(StoreError::TypeNotAllowed { detected }) => detected,
            other => panic!("{name}: expected a refusal, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn stores_and_finds_by_address() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_in(&dir, DEFAULT_MAX_UPLOAD_BYTES);
        let stored = store.store_bytes("notes.txt", b"hello evidence\n").await.unwrap();
        assert_eq!(stored.sha256, hex::encode(Sha256::digest(b"hello evidence\n")));
        assert_eq!((stored.size, stored.kind), (15, FileKind::Text));
        let path = store.path_of(&stored.sha256).unwrap();
        assert_eq!(path, dir.path().join("evidence").join(&stored.sha256[..2]).join(&stored.sha256));
        assert_eq!(std::fs::read(path).unwrap(), b"hello evidence\n");
        let mut text = String::new();
        tokio::io::AsyncReadExt::read_to_string(&mut store.open(&stored.sha256).await.unwrap(), &mut text)
            .await
            .unwrap();
        assert_eq!(text, "hello evidence\n");
        assert_eq!(temp_files(&store), 0);
    }

    #[tokio::test]
    async fn same_content_is_stored_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_in(&dir, DEFAULT_MAX_UPLOAD_BYTES);
        let first = store.store_bytes("a.csv", b"a,b\n1,2\n").await.unwrap();
        let second = store.store_bytes("b.csv", b"a,b\n1,2\n").await.unwrap();
        assert_eq!(first, second);
        assert_eq!(count_files(store.path_of(&first.sha256).unwrap().parent().unwrap()), 1);
        assert_eq!(temp_files(&store), 0);
    }

    #[tokio::test]
    async fn oversize_is_refused_while_streaming() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_in(&dir, 10);
        let mut upload = store.begin("big.txt").await.unwrap();
        let mut chunks = std::iter::repeat_n(b"abcd", 10);
        let error = loop {
            match upload.write(chunks.next().expect("refused before the end")).await {
                Ok(()) => continue,
                Err(e) => break e,
            }
        };
        assert!(matches!(error, StoreError::TooLarge { limit: 10 }), "{error:?}");
        assert_eq!(error.to_string(), "the file is larger than the 10 bytes limit");
        assert_eq!(chunks.count(), 7, "stopped at the third chunk");
        assert_eq!(temp_files(&store), 0);
        assert!(matches!(upload.finish().await, Err(StoreError::Io(_))));
    }

    #[tokio::test]
    async fn dropped_or_aborted_uploads_leave_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_in(&dir, DEFAULT_MAX_UPLOAD_BYTES);
        let mut upload = store.begin("a.txt").await.unwrap();
        upload.write(b"partial").await.unwrap();
        assert_eq!(temp_files(&store), 1);
        drop(upload);
        assert_eq!(temp_files(&store), 0);
        store.begin("b.txt").await.unwrap().abort().await;
        assert_eq!(temp_files(&store), 0);
    }

    #[tokio::test]
    async fn markup_and_unlisted_binaries_are_refused_by_content() {
        assert_eq!(refusal("x.pdf", b"<!DOCTYPE html><html><script>alert(1)</script>").await, "HTML document");
        assert_eq!(refusal("x.txt", b"\xef\xbb\xbf\n  <HTML><body>hi</body></html>").await, "HTML document");
        assert_eq!(
            refusal("x.svg", b"<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>").await,
            "SVG image"
        );
        assert_eq!(refusal("x.png", b"<svg onload=\"alert(1)\"></svg>").await, "SVG image");
        assert_eq!(refusal("x.json", b"<?xml version=\"1.0\"?><a/>").await, "XML document");
        assert_eq!(refusal("x.png", b"GIF89a\x01\x00\x01\x00\x80\x00\x00").await, "GIF image");
        assert_eq!(refusal("x.txt", b"\x7fELF\x02\x01\x01\x00").await, "executable");
        assert_eq!(refusal("x.txt", b"text\0with a NUL").await, "unknown binary data");
        assert_eq!(refusal("x.txt", b"\xff\xfe\x00latin").await, "unknown binary data");
        assert_eq!(refusal("x.txt", b"cut short \xc3").await, "unknown binary data");
        let message = kind_of("x.pdf", b"<html>").await.unwrap_err().to_string();
        assert!(message.starts_with("this type of file (HTML document) is not accepted"), "{message}");
    }

    #[tokio::test]
    async fn allowed_binaries_are_accepted() {
        assert_eq!(kind_of("a.bin", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n").await.unwrap(), FileKind::Pdf);
        assert_eq!(kind_of("a", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").await.unwrap(), FileKind::Png);
        assert_eq!(kind_of("a.txt", b"\xff\xd8\xff\xe0\0\x10JFIF").await.unwrap(), FileKind::Jpeg);
        assert_eq!(kind_of("a.zip", b"PK\x03\x04\x14\0\0\0").await.unwrap(), FileKind::Zip);
        assert_eq!(kind_of("empty.zip", b"PK\x05\x06\0\0\0\0").await.unwrap(), FileKind::Zip);
    }

    #[tokio::test]
    async fn text_kinds_come_from_content_then_name() {
        assert_eq!(kind_of("notes", "Grüße, naïve café ✓\n".as_bytes()).await.unwrap(), FileKind::Text);
        assert_eq!(kind_of("table.CSV", b"name,score\nA,1\n").await.unwrap(), FileKind::Csv);
        assert_eq!(kind_of("README.md", b"# Title\n\n* item\n").await.unwrap(), FileKind::Markdown);
        assert_eq!(kind_of("data.json", b" {\"a\": [1, 2]}\n").await.unwrap(), FileKind::Json);
        assert_eq!(kind_of("upload", b"[1, 2]").await.unwrap(), FileKind::Json);
        assert_eq!(kind_of("broken.json", b"{\"a\": ").await.unwrap(), FileKind::Text);
        assert_eq!(kind_of("a.txt", b"{\"a\": 1}").await.unwrap(), FileKind::Text);
        // Larger than the sample, with a character cut at the sample's end.
        let mut big = vec![b'a'; SAMPLE_BYTES - 1];
        big.extend_from_slice("é and more\n".as_bytes());
        assert_eq!(kind_of("big.md", &big).await.unwrap(), FileKind::Markdown);
        assert_eq!(kind_of("big", &big).await.unwrap(), FileKind::Text);
    }

    #[tokio::test]
    async fn empty_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_in(&dir, DEFAULT_MAX_UPLOAD_BYTES);
        let error = store.store_bytes("a.txt", b"").await.unwrap_err();
        assert_eq!((matches!(error, StoreError::Empty), error.to_string().as_str()), (true, "the file is empty"));
        assert_eq!(temp_files(&store), 0);
    }

    #[test]
    fn path_of_accepts_only_lower_case_digests() {
        let store = FileStore::new("/srv/evidence", DEFAULT_MAX_UPLOAD_BYTES);
        let digest = "ab".repeat(32);
        assert_eq!(store.path_of(&digest), Some(PathBuf::from(format!("/srv/evidence/ab/{digest}"))));
        for bad in ["../x", "", &digest.to_uppercase(), &digest[1..], &format!("{}/../x", &digest[..59])] {
            assert_eq!(store.path_of(bad), None, "{bad}");
        }
    }

    #[tokio::test]
    async fn failure_before_rename_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_in(&dir, DEFAULT_MAX_UPLOAD_BYTES);
        store.fail_before_rename(true);
        let error = store.store_bytes("a.txt", b"evidence").await.unwrap_err();
        assert!(matches!(error, StoreError::Io(_)), "{error:?}");
        let address = hex::encode(Sha256::digest(b"evidence"));
        assert!(!store.path_of(&address).unwrap().exists());
        assert_eq!(temp_files(&store), 0);
        store.fail_before_rename(false);
        assert_eq!(store.store_bytes("a.txt", b"evidence").await.unwrap().sha256, address);
    }

    #[tokio::test]
    async fn sweep_removes_only_old_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_in(&dir, DEFAULT_MAX_UPLOAD_BYTES);
        assert_eq!(store.sweep_temp().await.unwrap(), 0, "no temp directory yet");
        std::fs::create_dir_all(store.temp_dir()).unwrap();
        let (old, fresh) = (store.temp_dir().join("old"), store.temp_dir().join("fresh"));
        std::fs::write(&fresh, b"in progress").unwrap();
        let file = std::fs::File::create(&old).unwrap();
        file.set_modified(SystemTime::now() - Duration::from_secs(2 * 60 * 60)).unwrap();
        assert_eq!(store.sweep_temp().await.unwrap(), 1);
        assert!(!old.exists() && fresh.exists());
    }
}
