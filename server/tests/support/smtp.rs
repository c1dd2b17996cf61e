//! A real SMTP server for tests: aiosmtpd (from PyPI, installed by
//! scripts/test-deps.sh into ~/.cache/preflight-tools/pyenv) writing every
//! message it receives into a Maildir.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct SmtpSink {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Child,
}

fn python() -> PathBuf {
    if let Ok(path) = std::env::var("PREFLIGHT_TEST_PYTHON") {
        return path.into();
    }
    let home = std::env::var("HOME").expect("HOME");
    let path = PathBuf::from(home).join(".cache/preflight-tools/pyenv/bin/python");
    assert!(path.exists(), "{} is missing: run scripts/test-deps.sh (it installs aiosmtpd)", path.display());
    path
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let dir = tempfile::tempdir().unwrap();
        let maildir = dir.path().join("mail");
        let child = Command::new(python())
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        // Owned from here on, so a failed start still stops the process (Drop).
        let sink = SmtpSink { port, dir, child };
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return sink;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("aiosmtpd did not start on port {port}");
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, as text with quoted-printable soft
    /// line breaks joined (long lines such as links arrive wrapped).
    pub fn messages(&self) -> Vec<String> {
        let new = self.dir.path().join("mail/new");
        let mut found: Vec<String> = std::fs::read_dir(new)
            .map(|entries| entries.filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok()).collect())
            .unwrap_or_default();
        for text in &mut found {
            *text = text.replace("=\r\n", "").replace("=\n", "").replace("=3D", "=");
        }
        found.sort();
        found
    }

    /// Waits up to 10 s for at least `count` messages.
    pub async fn wait_for(&self, count: usize) -> Vec<String> {
        for _ in 0..400 {
            let found = self.messages();
            if found.len() >= count {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("expected {count} messages, got {}", self.messages().len());
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
