//! Evidence and documents through the real server on both databases:
//! links, uploads (size refused while streaming, type judged by content,
//! the same bytes stored once, the crash rule), downloads (always an
//! attachment, obeying the viewer setting), withdrawal and citations.

mod support;

use app::backend::{figures, Backend};
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};
use support::readiness::*;
use support::{invalid_field, location, TestServer};

both_backends!(
    links_and_withdrawals_send_items_back_to_review,
    uploads_are_judged_by_content_and_stored_once,
    oversized_uploads_are_refused_while_streaming,
    a_failed_store_leaves_no_row_and_no_file,
    downloads_are_attachments_and_follow_the_viewer_setting,
    documents_have_versions_and_items_cite_them,
);

/// A tiny but real PDF.
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

/// One critical bronze item that needs a link or a file and one approval.
const EVIDENCED: &str = r#"
[template]
id = "evidenced"
name = "Evidenced"
version = 1

[[sections]]
id = "e"
name = "Evidence"

[[items]]
id = "e.one"
title = "Backed by evidence"
severity = "critical"
level = "bronze"
evidence = "link-or-file"
approvals = 1
"#;

async fn setup(server: &TestServer) -> (Org, i64) {
    let org = org(server).await;
    let template = create_template(server, EVIDENCED).await;
    service_with(server, "pay", template).await;
    let item = item_by_key(server, "pay", "e.one").await;
    (org, item)
}

/// Uploads `bytes` as `name` to the item as `client`; returns where the
/// server sent the browser.
async fn upload(
    server: &TestServer,
    client: &reqwest::Client,
    item: i64,
    name: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let form = Form::new().text("note", "from the test").part("file", Part::bytes(bytes).file_name(name.to_string()));
    client
        .post(server.url(&format!("/items/{item}/evidence/file")))
        .header("origin", &server.base)
        .multipart(form)
        .send()
        .await
        .expect("upload request")
}

async fn count(server: &TestServer, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(server.db.pool()).await.unwrap()
}

/// Files under the store's root, temporary ones apart: (stored, temporary).
fn files_on_disk(root: &std::path::Path) -> (usize, usize) {
    let mut stored = 0;
    let mut temporary = 0;
    let Ok(dirs) = std::fs::read_dir(root) else { return (0, 0) };
    for dir in dirs.flatten() {
        let is_tmp = dir.file_name() == "tmp";
        for file in std::fs::read_dir(dir.path()).into_iter().flatten().flatten() {
            if file.path().is_file() {
                if is_tmp {
                    temporary += 1;
                } else {
                    stored += 1;
                }
            }
        }
    }
    (stored, temporary)
}

async fn links_and_withdrawals_send_items_back_to_review(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    let server = &server;
    let (org, item) = setup(server).await;
    let link = |client: &reqwest::Client, url: &'static str| {
        let client = client.clone();
        async move {
            server
                .post_with(
                    &client,
                    "/api/items/evidence/link",
                    &[("item_id", &item.to_string()), ("url", url), ("note", "")],
                )
                .await
        }
    };
    for bad in ["javascript:alert(1)", "ftp://files.example.com/x", "not a link", "data:text/html,hi"] {
        let refused = link(&org.member, bad).await;
        assert_eq!(refused.status(), 422, "{bad}");
        assert_eq!(invalid_field(&refused.json().await.unwrap()), "url");
    }
    for client in [&org.viewer, &org.auditor, &org.other_lead] {
        assert_eq!(link(client, "https://ci.example.com/run/1").await.status(), 403);
    }
    assert_eq!(set_status(server, &org.lead, item, "done", "").await.status(), 200);
    assert_eq!(link(&org.member, "https://ci.example.com/run/1").await.status(), 200);
    assert_eq!(item_json(server, &org.viewer, item).await["standing"], json!({"Unmet": {"AwaitingApprovals": 1}}));
    assert_eq!(review(server, &org.auditor, item, "approve", "").await.status(), 200);
    assert_eq!(stored(server, "pay").await.1, 1, "ready");

    // New evidence after an approval sends the item back to review.
    assert_eq!(link(&org.member, "https://ci.example.com/run/2").await.status(), 200);
    assert_eq!(stored(server, "pay").await.1, 0);
    assert_eq!(review(server, &org.auditor, item, "approve", "").await.status(), 200);
    // So does withdrawing evidence, which stays in the history.
    let first: i64 = count(server, "SELECT MIN(id) FROM evidence").await;
    let withdraw = |client: &reqwest::Client| {
        let client = client.clone();
        async move {
            server
                .post_with(&client, "/api/items/evidence/withdraw", &[("evidence_id", &first.to_string())])
                .await
                .status()
        }
    };
    assert_eq!(withdraw(&org.viewer).await, 403);
    assert_eq!(withdraw(&org.member).await, 200);
    assert_eq!(withdraw(&org.member).await, 404, "withdrawn once");
    assert_eq!(stored(server, "pay").await.1, 0);
    let read = item_json(server, &org.member, item).await;
    let evidence = read["evidence"].as_array().unwrap();
    assert_eq!(evidence.len(), 2, "withdrawn evidence stays listed");
    assert!(evidence[0]["withdrawn_at"].is_null() && evidence[1]["withdrawn_at"].is_number());
    assert_eq!(evidence[1]["url"], "https://ci.example.com/run/1");
    // Whoever added current evidence never approves the item.
    let admin_link = server
        .post_json(
            "/api/items/evidence/link",
            &[("item_id", &item.to_string()), ("url", "https://x.example.com/"), ("note", "")],
        )
        .await;
    assert_eq!(admin_link.status(), 200);
    assert_eq!(
        invalid_field(&review(server, &server.client, item, "approve", "").await.json().await.unwrap()),
        "decision"
    );
    let (_, disagreements) = figures::check(&server.db, server.clock.now_millis()).await.unwrap();
    assert_eq!(disagreements, vec![]);
}

async fn uploads_are_judged_by_content_and_stored_once(backend: Backend) {
    let (server, db) = TestServer::for_backend(backend).await;
    let server = &server;
    let (org, item) = setup(server).await;
    let root = db.data_dir().join("evidence");

    let html =
        upload(server, &org.member, item, "report.pdf", b"<!DOCTYPE html><html><script>alert(1)</script>".to_vec())
            .await;
    assert_eq!(html.status(), 303);
    assert!(location(&html).contains("problem=type&detected=HTML%20document"), "{}", location(&html));
    let svg = upload(
        server,
        &org.member,
        item,
        "chart.png",
        b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"x()\"/>".to_vec(),
    )
    .await;
    assert!(location(&svg).contains("detected=SVG%20image"), "{}", location(&svg));
    let empty = upload(server, &org.member, item, "empty.txt", Vec::new()).await;
    assert!(location(&empty).contains("problem=empty"), "{}", location(&empty));
    assert_eq!(count(server, "SELECT COUNT(*) FROM evidence").await, 0, "nothing refused is kept");
    assert_eq!(files_on_disk(&root), (0, 0));

    // A PDF is stored once, however often and wherever it is attached.
    let ok = upload(server, &org.member, item, "pentest.pdf", PDF.to_vec()).await;
    assert_eq!(ok.status(), 303);
    assert_eq!(location(&ok), format!("/items/{item}?added=file#evidence"));
    assert_eq!(upload(server, &org.lead, item, "copy.pdf", PDF.to_vec()).await.status(), 303);
    assert_eq!(count(server, "SELECT COUNT(*) FROM evidence WHERE kind = 'file'").await, 2);
    assert_eq!(count(server, "SELECT COUNT(*) FROM blobs").await, 1);
    assert_eq!(files_on_disk(&root), (1, 0));
    let read = item_json(server, &org.viewer, item).await;
    assert_eq!(read["evidence"][0]["file_name"], "copy.pdf");
    assert_eq!(read["evidence"][0]["size_bytes"], PDF.len());

    // Only the owning team uploads.
    for client in [&org.viewer, &org.auditor, &org.other_lead] {
        assert_eq!(upload(server, client, item, "x.pdf", PDF.to_vec()).await.status(), 403);
    }
    let anonymous = support::cookieless_browser();
    assert_eq!(upload(server, &anonymous, item, "x.pdf", PDF.to_vec()).await.status(), 303, "to the sign-in page");
}

async fn oversized_uploads_are_refused_while_streaming(backend: Backend) {
    let (server, db) = TestServer::for_backend_with(backend, &[("PREFLIGHT_MAX_UPLOAD_MIB", "1")]).await;
    let server = &server;
    let (org, item) = setup(server).await;
    // 3 MiB of text: refused at the first chunk past 1 MiB, never held whole.
    let big = b"0123456789abcdef".repeat(3 * 65536);
    let refused = upload(server, &org.member, item, "huge.txt", big).await;
    assert_eq!(refused.status(), 303);
    assert!(location(&refused).contains("problem=too-large&limit=1"), "{}", location(&refused));
    assert_eq!(count(server, "SELECT COUNT(*) FROM evidence").await, 0);
    assert_eq!(files_on_disk(&db.data_dir().join("evidence")), (0, 0), "no partial file is left");
    // Just under the limit is fine.
    let fits = upload(server, &org.member, item, "fits.txt", b"x".repeat(1024 * 1024 - 16)).await;
    assert_eq!(location(&fits), format!("/items/{item}?added=file#evidence"));
}

async fn a_failed_store_leaves_no_row_and_no_file(backend: Backend) {
    let (server, db) = TestServer::for_backend(backend).await;
    let server = &server;
    let (org, item) = setup(server).await;
    // The file is written and fsynced, then storing fails before the rename
    // to its address: the row that would point at it is never written.
    server.files.fail_before_rename(true);
    let failed = upload(server, &org.member, item, "pentest.pdf", PDF.to_vec()).await;
    assert!(location(&failed).contains("problem=failed"), "{}", location(&failed));
    assert_eq!(count(server, "SELECT COUNT(*) FROM evidence").await, 0);
    assert_eq!(count(server, "SELECT COUNT(*) FROM blobs").await, 0);
    assert_eq!(files_on_disk(&db.data_dir().join("evidence")), (0, 0));
    server.files.fail_before_rename(false);
    assert_eq!(
        location(&upload(server, &org.member, item, "pentest.pdf", PDF.to_vec()).await),
        format!("/items/{item}?added=file#evidence")
    );
    // Every row points at a file that is there, whole.
    let sha: String = sqlx::query_scalar("SELECT blob_sha256 FROM evidence").fetch_one(server.db.pool()).await.unwrap();
    let path = server.files.path_of(&sha).unwrap();
    assert_eq!(std::fs::read(path).unwrap(), PDF);
}

async fn downloads_are_attachments_and_follow_the_viewer_setting(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    let server = &server;
    let (org, item) = setup(server).await;
    assert_eq!(upload(server, &org.member, item, "pen test \"final\".pdf", PDF.to_vec()).await.status(), 303);
    let evidence: i64 = count(server, "SELECT id FROM evidence").await;
    let get = |client: &reqwest::Client| {
        let client = client.clone();
        async move { client.get(server.url(&format!("/evidence/{evidence}/download"))).send().await.unwrap() }
    };
    let file = get(&org.auditor).await;
    assert_eq!(file.status(), 200);
    let headers = file.headers().clone();
    assert_eq!(headers["content-type"], "application/pdf");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment; filename=\"pen test _final_.pdf\""), "{disposition}");
    assert!(headers["content-security-policy"].to_str().unwrap().contains("sandbox"));
    assert_eq!(file.bytes().await.unwrap().as_ref(), PDF);

    // Viewers only when an administrator allows it.
    assert_eq!(get(&org.viewer).await.status(), 403);
    let allowed = server.post_json("/api/admin/settings/viewer-evidence-downloads", &[("allowed", "true")]).await;
    assert_eq!(allowed.status(), 200);
    assert_eq!(get(&org.viewer).await.status(), 200);
    assert_eq!(get(&support::cookieless_browser()).await.status(), 303, "anonymous: to the sign-in page");
    let missing = org.auditor.get(server.url("/evidence/999/download")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
}

/// Posts the document form as `client`.
async fn document(
    server: &TestServer,
    client: &reqwest::Client,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> reqwest::Response {
    let mut form = Form::new();
    for (name, value) in fields {
        form = form.text(name.to_string(), value.to_string());
    }
    if let Some((name, bytes)) = file {
        form = form.part("file", Part::bytes(bytes.to_vec()).file_name(name.to_string()));
    }
    client
        .post(server.url("/services/pay/documents"))
        .header("origin", &server.base)
        .multipart(form)
        .send()
        .await
        .expect("document request")
}

async fn documents_have_versions_and_items_cite_them(backend: Backend) {
    let (server, _db) = TestServer::for_backend(backend).await;
    let server = &server;
    let (org, item) = setup(server).await;
    let runbook = [
        ("document_id", ""),
        ("kind", "runbook"),
        ("title", "Failover"),
        ("label", "v1"),
        ("date", "2026-10-01"),
        ("url", "https://wiki.example.com/failover"),
    ];
    // Field problems come back to the form, named.
    let mut no_title = runbook;
    no_title[2] = ("title", "");
    assert!(location(&document(server, &org.member, &no_title, None).await).contains("problem=field&field=title"));
    let mut bad_date = runbook;
    bad_date[4] = ("date", "last week");
    assert!(location(&document(server, &org.member, &bad_date, None).await).contains("field=date"));
    let mut bad_link = runbook;
    bad_link[5] = ("url", "javascript:alert(1)");
    assert!(location(&document(server, &org.member, &bad_link, None).await).contains("field=url"));
    assert_eq!(document(server, &org.viewer, &runbook, None).await.status(), 403);

    assert_eq!(
        location(&document(server, &org.member, &runbook, None).await),
        "/services/pay?added=document#documents"
    );
    let doc: i64 = count(server, "SELECT id FROM documents").await;
    let doc_id = doc.to_string();
    let v2 = [
        ("document_id", doc_id.as_str()),
        ("kind", ""),
        ("title", ""),
        ("label", "v2"),
        ("date", "2026-11-01"),
        ("url", ""),
    ];
    assert_eq!(
        location(&document(server, &org.member, &v2, Some(("failover-v2.pdf", PDF))).await),
        "/services/pay?added=document#documents"
    );
    let page: Value =
        server.post_with(&org.viewer, "/api/services/one", &[("slug", "pay")]).await.json().await.unwrap();
    let versions = page["documents"][0]["versions"].as_array().unwrap();
    assert_eq!(versions.iter().map(|v| v["label"].as_str().unwrap()).collect::<Vec<_>>(), ["v2", "v1"]);
    assert!(versions[0]["download"].as_str().unwrap().starts_with("/documents/versions/"));

    // An item cites the file version: it counts as a file.
    let read = item_json(server, &org.member, item).await;
    let citable = read["citable"].as_array().unwrap();
    assert_eq!(citable.len(), 2);
    let v2_id = citable[0][0].as_i64().unwrap().to_string();
    let cite = server
        .post_with(
            &org.member,
            "/api/items/evidence/document",
            &[("item_id", &item.to_string()), ("document_version_id", &v2_id), ("note", "")],
        )
        .await;
    assert_eq!(cite.status(), 200);
    let has_file: i64 = sqlx::query_scalar("SELECT has_file FROM service_items WHERE id = $1")
        .bind(item)
        .fetch_one(server.db.pool())
        .await
        .unwrap();
    assert_eq!(has_file, 1);
    let download = org.auditor.get(server.url(&format!("/documents/versions/{v2_id}/download"))).send().await.unwrap();
    assert_eq!(download.headers()["content-disposition"].to_str().unwrap().split(';').next(), Some("attachment"));
    // Another service's document cannot be cited.
    let foreign = server
        .post_with(
            &org.member,
            "/api/items/evidence/document",
            &[("item_id", &item.to_string()), ("document_version_id", "999"), ("note", "")],
        )
        .await;
    assert_eq!(invalid_field(&foreign.json().await.unwrap()), "document_version_id");
    let (_, disagreements) = figures::check(&server.db, server.clock.now_millis()).await.unwrap();
    assert_eq!(disagreements, vec![]);
}
