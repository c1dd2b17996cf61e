//! Evidence dossiers through the real server on both databases: what the
//! ZIP holds (checked against the uploaded bytes and the database), the
//! same bytes stored once, `preflight dossier verify` through the real
//! binary catching a changed byte and a cut-off file, and who may
//! download one.

mod support;

use std::io::{Cursor, Read, Write};
use std::process::Stdio;
use std::time::Duration;

use app::backend::audit;
use app::backend::audit_chain::verify_export;
use app::backend::Backend;
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use sha2::{Digest, Sha256};
use support::readiness::*;
use support::TestServer;
use zip::write::SimpleFileOptions;
use zip::{ZipArchive, ZipWriter};

both_backends!(
    the_dossier_holds_the_service_and_lists_every_file_with_its_hash,
    dossier_verify_passes_and_names_a_changed_byte_or_a_cut_off_file,
    viewers_need_the_download_setting_and_outsiders_sign_in,
    a_missing_stored_file_is_our_error_before_the_first_byte,
);

/// A tiny but real PDF, and a PNG header with a few bytes after it.
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

/// Two critical items that need evidence and one approval.
const TWO_ITEMS: &str = r#"
[template]
id = "dossier"
name = "Dossier checklist"
version = 1

[[sections]]
id = "e"
name = "Evidence"

[[items]]
id = "e.one"
title = "Penetration test"
severity = "critical"
level = "bronze"
evidence = "link-or-file"
approvals = 1

[[items]]
id = "e.two"
title = "Disaster recovery drill"
severity = "critical"
level = "bronze"
evidence = "link-or-file"
approvals = 1
"#;

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

async fn upload(server: &TestServer, client: &reqwest::Client, item: i64, name: &str, bytes: &[u8]) {
    let form =
        Form::new().text("note", "from the test").part("file", Part::bytes(bytes.to_vec()).file_name(name.to_string()));
    let response = client
        .post(server.url(&format!("/items/{item}/evidence/file")))
        .header("origin", &server.base)
        .multipart(form)
        .send()
        .await
        .expect("upload request");
    assert_eq!(support::location(&response), format!("/items/{item}?added=file#evidence"));
}

/// The service "pay" with two items: the first backed by a PDF and a link,
/// done and approved; the second backed by the same PDF under another
/// name, with a waiver requested. A runbook (a PNG) among its documents.
/// Returns the organisation and the two items.
async fn worked_service(server: &TestServer) -> (Org, i64, i64) {
    let org = org(server).await;
    let template = create_template(server, TWO_ITEMS).await;
    service_with(server, "pay", template).await;
    let (one, two) = (item_by_key(server, "pay", "e.one").await, item_by_key(server, "pay", "e.two").await);
    upload(server, &org.member, one, "../../pen test \"final\".pdf", PDF).await;
    upload(server, &org.member, two, "drill.pdf", PDF).await;
    let link = server
        .post_with(
            &org.member,
            "/api/items/evidence/link",
            &[("item_id", &one.to_string()), ("url", "https://ci.example.com/run/7"), ("note", "CI run")],
        )
        .await;
    assert_eq!(link.status(), 200);
    assert_eq!(set_status(server, &org.member, one, "done", "").await.status(), 200);
    assert_eq!(review(server, &org.auditor, one, "approve", "Report reviewed.").await.status(), 200);
    let until = chrono::DateTime::from_timestamp_millis(server.clock.now_millis() + 30 * 86_400_000).unwrap();
    let waiver = server
        .post_with(
            &org.lead,
            "/api/items/waivers/request",
            &[
                ("item_id", &two.to_string()),
                ("reason", "Drill booked for next month."),
                ("compensating_control", "Manual failover runbook."),
                ("expires_on", &until.format("%Y-%m-%d").to_string()),
            ],
        )
        .await;
    assert_eq!(waiver.status(), 200);
    let form = Form::new()
        .text("document_id", "")
        .text("kind", "runbook")
        .text("title", "Failover")
        .text("label", "v1")
        .text("date", "2026-10-01")
        .part("file", Part::bytes(PNG.to_vec()).file_name("diagram.png"));
    let document = org
        .member
        .post(server.url("/services/pay/documents"))
        .header("origin", &server.base)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(support::location(&document), "/services/pay?added=document#documents");
    (org, one, two)
}

async fn dossier_of(server: &TestServer, client: &reqwest::Client, slug: &str) -> reqwest::Response {
    client.get(server.url(&format!("/services/{slug}/dossier.zip"))).send().await.expect("dossier request")
}

/// Every entry of the archive, in archive order: (name, bytes).
fn entries(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = ZipArchive::new(Cursor::new(bytes)).expect("a ZIP archive");
    (0..archive.len())
        .map(|i| {
            let mut entry = archive.by_index(i).unwrap();
            assert!(entry.enclosed_name().is_some(), "unsafe name {:?}", entry.name());
            let mut content = Vec::new();
            entry.read_to_end(&mut content).unwrap();
            (entry.name().unwrap().to_string(), content)
        })
        .collect()
}

fn json_of(entries: &[(String, Vec<u8>)], name: &str) -> Value {
    let (_, bytes) = entries.iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("{name} is in the dossier"));
    serde_json::from_slice(bytes).unwrap()
}

async fn the_dossier_holds_the_service_and_lists_every_file_with_its_hash(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    let server = &server;
    let (org, one, two) = worked_service(server).await;
    let head = audit::head(&server.db).await.unwrap();

    let response = dossier_of(server, &org.auditor, "pay").await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "application/zip");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment; filename=\"pay-dossier-") && disposition.contains(".zip"));
    assert!(headers.get("content-length").is_none(), "streamed, not buffered");
    let bytes = response.bytes().await.unwrap();
    let entries = entries(&bytes);

    // The files, in order, the manifest last; the PDF (uploaded twice
    // under two names) once, under the first name, made safe.
    let (pdf, png) = (sha256(PDF), sha256(PNG));
    let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "scorecard.json",
            "items.json",
            "documents.json",
            "audit.jsonl",
            &format!("evidence/{png}-diagram.png"),
            &format!("evidence/{pdf}-pen_test__final_.pdf"),
            "manifest.json",
        ]
    );
    assert_eq!(entries[4].1, PNG);
    assert_eq!(entries[5].1, PDF);

    // The manifest: every other entry, with the size and SHA-256 of the
    // bytes unzipped here.
    let manifest = json_of(&entries, "manifest.json");
    assert_eq!(manifest["format"], "preflight-dossier/1");
    assert_eq!(manifest["service"]["slug"], "pay");
    assert_eq!(manifest["audit_chain_head"]["seq"], head.seq);
    assert_eq!(manifest["audit_chain_head"]["hash"], head.hash);
    assert_eq!(manifest["audit_chain_reference"], head.reference());
    assert!(manifest["generated_at"].as_str().unwrap().starts_with("20"));
    let listed = manifest["files"].as_array().unwrap();
    assert_eq!(listed.len(), entries.len() - 1);
    for (file, (name, content)) in listed.iter().zip(&entries) {
        assert_eq!(file["path"], name.as_str());
        assert_eq!(file["size"], content.len() as u64, "{name}");
        assert_eq!(file["sha256"], sha256(content), "{name}");
    }

    // items.json: status, who ticked it and when, evidence with hashes,
    // review decisions, waivers.
    let items = json_of(&entries, "items.json");
    let items = items.as_array().unwrap();
    assert_eq!(items.len(), 2);
    let first = &items[0];
    assert_eq!((first["id"].as_i64(), first["key"].as_str()), (Some(one), Some("e.one")));
    assert_eq!(first["status"], "done");
    assert_eq!(first["done_by"], "dev");
    assert!(first["done_at"].as_i64().unwrap() > 0);
    let evidence = first["evidence"].as_array().unwrap();
    assert_eq!(evidence.len(), 2);
    assert_eq!(evidence[0]["kind"], "file");
    assert_eq!(evidence[0]["file_name"], "pen test \"final\".pdf");
    assert_eq!(evidence[0]["file"]["sha256"], pdf);
    assert_eq!(evidence[0]["file"]["size_bytes"], PDF.len());
    assert_eq!(evidence[0]["file"]["path"], format!("evidence/{pdf}-pen_test__final_.pdf"));
    assert_eq!(
        (evidence[1]["kind"].as_str(), evidence[1]["url"].as_str()),
        (Some("link"), Some("https://ci.example.com/run/7"))
    );
    let reviews = first["reviews"].as_array().unwrap();
    assert_eq!(reviews.len(), 1);
    assert_eq!(reviews[0]["reviewer"], "auditor");
    assert_eq!(reviews[0]["decision"], "approve");
    assert_eq!(reviews[0]["comment"], "Report reviewed.");
    assert!(reviews[0]["at"].as_i64().unwrap() > 0);
    let second = &items[1];
    assert_eq!(second["id"].as_i64(), Some(two));
    assert_eq!(second["evidence"][0]["file"]["path"], format!("evidence/{pdf}-pen_test__final_.pdf"), "stored once");
    assert_eq!(second["waivers"][0]["state"], "requested");
    assert_eq!(second["waivers"][0]["reason"], "Drill booked for next month.");

    let documents = json_of(&entries, "documents.json");
    assert_eq!(documents[0]["title"], "Failover");
    assert_eq!(documents[0]["kind"], "runbook");
    assert_eq!(documents[0]["versions"][0]["file"]["sha256"], png);
    assert_eq!(json_of(&entries, "scorecard.json")["service"]["slug"], "pay");

    // audit.jsonl: the service's entries up to the head, in the export's
    // format, verifiable entry by entry.
    let (_, audit_bytes) = entries.iter().find(|(n, _)| n == "audit.jsonl").unwrap();
    let report = verify_export(&audit_bytes[..]).unwrap();
    assert!(!report.header.complete);
    assert_eq!(report.header.filter, "service pay");
    assert_eq!(report.header.head, head);
    let service = service_id(server, "pay").await;
    let expected: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE service_id = $1 AND seq <= $2")
        .bind(service)
        .bind(head.seq)
        .fetch_one(server.db.pool())
        .await
        .unwrap();
    assert!(expected >= 6, "{expected}");
    assert_eq!(report.entries, expected as u64);
    let exported = server.get("/audit/export?format=jsonl&service=pay").await.text().await.unwrap();
    let lines = |text: &str| text.lines().skip(1).map(str::to_string).collect::<Vec<_>>();
    assert_eq!(lines(std::str::from_utf8(audit_bytes).unwrap()), lines(&exported), "the same lines as the export");

    let missing = dossier_of(server, &org.auditor, "no-such-service").await;
    assert_eq!(missing.status(), 404);
}

/// `preflight dossier verify FILE` without a database: (exit code, stdout, stderr).
async fn verify_command(file: &std::path::Path) -> (i32, String, String) {
    let offline = tempfile::tempdir().unwrap();
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_preflight"))
        .env_clear()
        .env("PREFLIGHT_DATABASE_URL", format!("sqlite://{}/absent/none.db", offline.path().display()))
        .env("PREFLIGHT_DATA_DIR", offline.path())
        .args(["dossier", "verify"])
        .arg(file)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(60), output).await.expect("verify finishes").unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

async fn dossier_verify_passes_and_names_a_changed_byte_or_a_cut_off_file(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    let server = &server;
    let (org, _, _) = worked_service(server).await;
    let head = audit::head(&server.db).await.unwrap();
    let response = dossier_of(server, &org.lead, "pay").await;
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.unwrap().to_vec();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pay-dossier.zip");

    std::fs::write(&file, &bytes).unwrap();
    let (code, stdout, stderr) = verify_command(&file).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains(": OK, dossier of pay (pay)"), "{stdout}");
    assert!(stdout.contains("6 files"), "{stdout}");
    assert!(stdout.contains(&format!("chain head at export: entry {} hash {}", head.seq, head.hash)), "{stdout}");

    // One changed byte in the stored PDF.
    let pdf_path = format!("evidence/{}-pen_test__final_.pdf", sha256(PDF));
    let at = bytes.windows(PDF.len()).position(|w| w == PDF).unwrap() + 20;
    let mut changed = bytes.clone();
    changed[at] ^= 0x01;
    std::fs::write(&file, &changed).unwrap();
    let (code, _, stderr) = verify_command(&file).await;
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains(&format!("the dossier does not verify: {pdf_path}: ")), "{stderr}");

    // One changed byte in an audit entry, the archive rebuilt around it
    // (its CRC right): the manifest's hash and the entry's own hash both
    // catch it, the entry named by line.
    let mut archive = ZipArchive::new(Cursor::new(&bytes)).unwrap();
    let mut trail = String::new();
    archive.by_name("audit.jsonl").unwrap().read_to_string(&mut trail).unwrap();
    let line = trail.lines().position(|l| l.contains("\"action\":\"evidence.added\"")).unwrap() + 1;
    let seq = serde_json::from_str::<Value>(trail.lines().nth(line - 1).unwrap()).unwrap()["seq"].as_i64().unwrap();
    let tampered = trail.replacen("from the test", "from the tent", 1);
    assert_ne!(tampered, trail);
    let mut out = ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).unwrap();
        if entry.name_raw() == b"audit.jsonl" {
            drop(entry);
            out.start_file("audit.jsonl", SimpleFileOptions::default()).unwrap();
            out.write_all(tampered.as_bytes()).unwrap();
        } else {
            out.raw_copy_file(entry).unwrap();
        }
    }
    std::fs::write(&file, out.finish().unwrap().into_inner()).unwrap();
    let (code, _, stderr) = verify_command(&file).await;
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("the dossier does not verify: audit.jsonl: SHA-256 "), "{stderr}");
    assert!(stderr.contains(&format!("audit.jsonl: line {line}: entry {seq} was changed")), "{stderr}");

    // Cut off: at several places, each reported, none a crash.
    for cut in [bytes.len() / 3, bytes.len() / 2, bytes.len() - 30, bytes.len() - 1] {
        std::fs::write(&file, &bytes[..cut]).unwrap();
        let (code, stdout, stderr) = verify_command(&file).await;
        assert_eq!(code, 1, "cut at {cut}: {stdout}{stderr}");
        assert!(stderr.contains("not a readable ZIP archive"), "cut at {cut}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    let (code, _, stderr) = verify_command(&dir.path().join("absent.zip")).await;
    assert_eq!(code, 1);
    assert!(stderr.contains("cannot open"), "{stderr}");
}

async fn viewers_need_the_download_setting_and_outsiders_sign_in(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    let server = &server;
    let (org, _, _) = worked_service(server).await;
    // Everyone who may download evidence, also outside the service's team.
    for client in [&server.client, &org.lead, &org.member, &org.other_lead, &org.auditor] {
        assert_eq!(dossier_of(server, client, "pay").await.status(), 200);
    }
    let refused = dossier_of(server, &org.viewer, "pay").await;
    assert_eq!(refused.status(), 403);
    let refused = dossier_of(server, &org.viewer, "no-such-service").await;
    assert_eq!(refused.status(), 403, "refused before the slug is looked up");
    let outsider = dossier_of(server, &support::cookieless_browser(), "pay").await;
    assert_eq!((outsider.status().as_u16(), support::location(&outsider).as_str()), (303, "/login"));
    // The service page offers the download only to those it is for.
    let page = |client: &reqwest::Client| {
        let client = client.clone();
        async move { client.get(server.url("/services/pay")).send().await.unwrap().text().await.unwrap() }
    };
    assert!(page(&org.auditor).await.contains("href=\"/services/pay/dossier.zip\""));
    assert!(!page(&org.viewer).await.contains("dossier.zip"));

    let allowed = server.post_json("/api/admin/settings/viewer-evidence-downloads", &[("allowed", "true")]).await;
    assert_eq!(allowed.status(), 200);
    let response = dossier_of(server, &org.viewer, "pay").await;
    assert_eq!(response.status(), 200);
    assert!(!entries(&response.bytes().await.unwrap()).is_empty());
}

async fn a_missing_stored_file_is_our_error_before_the_first_byte(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    let server = &server;
    let (org, _, _) = worked_service(server).await;
    std::fs::remove_file(server.files.path_of(&sha256(PNG)).unwrap()).unwrap();
    let response = dossier_of(server, &org.auditor, "pay").await;
    assert_eq!(response.status(), 500);
    assert_ne!(response.headers()["content-type"], "application/zip");
}
