-- The readiness workflow: services, versioned checklist templates, the
-- items a service works through, evidence, documents, reviews, waivers and
-- comments. Booleans are stored as 0/1 integers and moments as BIGINT
-- milliseconds since the epoch (UTC); calendar dates as 'YYYY-MM-DD' text.
-- Nothing here is ever deleted by the application: things are withdrawn,
-- superseded, archived or removed with a timestamp, so history stays.

-- A template (built-in or custom) and its published versions. A version is
-- immutable: editing a template publishes a new one, and services keep the
-- version they applied until a lead upgrades them.
CREATE TABLE templates (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    key             TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    built_in        BIGINT NOT NULL DEFAULT 0,
    latest_version  BIGINT NOT NULL,
    archived_at     BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);

-- `source` is the version as TOML in the export format, so export gives
-- back exactly what was published.
CREATE TABLE template_versions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    template_id  BIGINT NOT NULL REFERENCES templates (id),
    version      BIGINT NOT NULL,
    name         TEXT NOT NULL,
    summary      TEXT NOT NULL,
    source       TEXT NOT NULL,
    created_by   BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at   BIGINT NOT NULL,
    UNIQUE (template_id, version)
);

CREATE TABLE template_sections (
    template_version_id BIGINT NOT NULL REFERENCES template_versions (id),
    position            BIGINT NOT NULL,
    key                 TEXT NOT NULL,
    name                TEXT NOT NULL,
    PRIMARY KEY (template_version_id, key)
);

-- One item of one template version, every field of the data format.
-- `tiers` is NULL (every tier) or the tiers as text, e.g. '1,2'.
CREATE TABLE template_items (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    template_version_id BIGINT NOT NULL REFERENCES template_versions (id),
    position            BIGINT NOT NULL,
    key                 TEXT NOT NULL,
    section_key         TEXT NOT NULL,
    title               TEXT NOT NULL,
    guidance            TEXT NOT NULL,
    severity            TEXT NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low')),
    level               TEXT NOT NULL CHECK (level IN ('bronze', 'silver', 'gold')),
    evidence            TEXT NOT NULL CHECK (evidence IN ('none', 'link', 'file', 'link-or-file')),
    approvals           BIGINT NOT NULL,
    valid_days          BIGINT NOT NULL,
    auto_signal         TEXT,
    tiers               TEXT,
    UNIQUE (template_version_id, key)
);

-- A service in the catalogue. The figures after `version` are derived from
-- its items and stored with every change that moves them (and by the sweep
-- at `figures_change_at`), so lists never recompute items;
-- `preflight scores check` recomputes and compares. `version` grows with
-- every edit of the service's own fields (a second editor is told to reload).
CREATE TABLE services (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    slug               TEXT NOT NULL UNIQUE,
    name               TEXT NOT NULL,
    name_key           TEXT NOT NULL,
    team_id            BIGINT NOT NULL REFERENCES teams (id),
    tier               BIGINT NOT NULL CHECK (tier IN (1, 2, 3)),
    description        TEXT NOT NULL,
    repository_url     TEXT,
    docs_url           TEXT,
    environment        TEXT NOT NULL,
    launch_date        TEXT,
    archived_at        BIGINT,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    version            BIGINT NOT NULL DEFAULT 1,
    applicable_weight  BIGINT NOT NULL DEFAULT 0,
    satisfied_weight   BIGINT NOT NULL DEFAULT 0,
    satisfied_weight_without_waivers BIGINT NOT NULL DEFAULT 0,
    score              BIGINT,
    score_without_waivers BIGINT,
    level              TEXT CHECK (level IN ('bronze', 'silver', 'gold')),
    ready              BIGINT NOT NULL DEFAULT 0,
    waivers            BIGINT NOT NULL DEFAULT 0,
    blocking           BIGINT NOT NULL DEFAULT 0,
    items_total        BIGINT NOT NULL DEFAULT 0,
    items_satisfied    BIGINT NOT NULL DEFAULT 0,
    figures_change_at  BIGINT
);
CREATE INDEX services_team ON services (team_id);
CREATE INDEX services_name_key ON services (name_key, id);
CREATE INDEX services_score ON services (score, id);
CREATE INDEX services_launch_date ON services (launch_date, id);
CREATE INDEX services_figures_change_at ON services (figures_change_at);

-- A template version applied to a service (one row per template).
CREATE TABLE service_templates (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id          BIGINT NOT NULL REFERENCES services (id),
    template_id         BIGINT NOT NULL REFERENCES templates (id),
    template_version_id BIGINT NOT NULL REFERENCES template_versions (id),
    applied_by          BIGINT REFERENCES users (id) ON DELETE SET NULL,
    applied_at          BIGINT NOT NULL,
    upgraded_at         BIGINT,
    UNIQUE (service_id, template_id)
);

-- A service's progress on one item. The row keeps its identity across
-- template upgrades (`key` is stable; `template_item_id` moves to the new
-- version's definition); an item a new version drops gets `removed_at`.
-- `done_by` is who last marked it done (they may never approve it).
-- `has_link`, `has_file` and `approvals` are derived from current evidence
-- and reviews, stored with the change that moves them. `rejection` is the
-- comment of the latest rejection until the item is marked done again.
CREATE TABLE service_items (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id          BIGINT NOT NULL REFERENCES services (id),
    service_template_id BIGINT NOT NULL REFERENCES service_templates (id),
    template_item_id    BIGINT NOT NULL REFERENCES template_items (id),
    key                 TEXT NOT NULL,
    status              TEXT NOT NULL DEFAULT 'not-started'
                        CHECK (status IN ('not-started', 'in-progress', 'done', 'not-applicable', 'blocked')),
    status_by           BIGINT REFERENCES users (id) ON DELETE SET NULL,
    status_at           BIGINT,
    done_by             BIGINT REFERENCES users (id) ON DELETE SET NULL,
    done_at             BIGINT,
    na_justification    TEXT,
    na_accepted_by      BIGINT REFERENCES users (id) ON DELETE SET NULL,
    na_accepted_at      BIGINT,
    has_link            BIGINT NOT NULL DEFAULT 0,
    has_file            BIGINT NOT NULL DEFAULT 0,
    approvals           BIGINT NOT NULL DEFAULT 0,
    complete_since      BIGINT,
    rejection           TEXT,
    waiver_expires_at   BIGINT,
    removed_at          BIGINT,
    version             BIGINT NOT NULL DEFAULT 1,
    UNIQUE (service_template_id, key)
);
CREATE INDEX service_items_service ON service_items (service_id);
CREATE INDEX service_items_status ON service_items (status);

-- A file's bytes live once under the data directory at their SHA-256.
CREATE TABLE blobs (
    sha256      TEXT PRIMARY KEY NOT NULL,
    size_bytes  BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

-- Audit reports, runbooks, architecture documents and post-mortems of a
-- service; each new version is a row of document_versions (a file or a link).
CREATE TABLE documents (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id  BIGINT NOT NULL REFERENCES services (id),
    kind        TEXT NOT NULL CHECK (kind IN ('audit-report', 'runbook', 'architecture', 'post-mortem', 'other')),
    title       TEXT NOT NULL,
    created_by  BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at  BIGINT NOT NULL,
    withdrawn_at BIGINT
);
CREATE INDEX documents_service ON documents (service_id);

CREATE TABLE document_versions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id   BIGINT NOT NULL REFERENCES documents (id),
    label         TEXT NOT NULL,
    document_date TEXT NOT NULL,
    url           TEXT,
    blob_sha256   TEXT REFERENCES blobs (sha256),
    file_name     TEXT,
    added_by      BIGINT REFERENCES users (id) ON DELETE SET NULL,
    added_at      BIGINT NOT NULL,
    CHECK ((url IS NULL) <> (blob_sha256 IS NULL))
);
CREATE INDEX document_versions_document ON document_versions (document_id);

-- Evidence on an item: a link, a file, or a cited document version. It is
-- withdrawn, never deleted.
CREATE TABLE evidence (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    service_item_id     BIGINT NOT NULL REFERENCES service_items (id),
    kind                TEXT NOT NULL CHECK (kind IN ('link', 'file', 'document')),
    url                 TEXT,
    blob_sha256         TEXT REFERENCES blobs (sha256),
    file_name           TEXT,
    document_version_id BIGINT REFERENCES document_versions (id),
    note                TEXT NOT NULL DEFAULT '',
    added_by            BIGINT REFERENCES users (id) ON DELETE SET NULL,
    added_at            BIGINT NOT NULL,
    withdrawn_by        BIGINT REFERENCES users (id) ON DELETE SET NULL,
    withdrawn_at        BIGINT
);
CREATE INDEX evidence_item ON evidence (service_item_id);

-- Review decisions. An approval counts while `superseded_at` is NULL; new
-- or withdrawn evidence, a rejection, a revocation or a new "done"
-- supersedes it. 'accept-na' accepts a not-applicable justification.
CREATE TABLE reviews (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    service_item_id BIGINT NOT NULL REFERENCES service_items (id),
    reviewer_id     BIGINT REFERENCES users (id) ON DELETE SET NULL,
    decision        TEXT NOT NULL CHECK (decision IN ('approve', 'reject', 'revoke', 'accept-na', 'decline-na')),
    comment         TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    superseded_at   BIGINT
);
CREATE INDEX reviews_item ON reviews (service_item_id);

-- Time-limited exceptions for blocking items.
CREATE TABLE waivers (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    service_item_id      BIGINT NOT NULL REFERENCES service_items (id),
    state                TEXT NOT NULL CHECK (state IN ('requested', 'granted', 'declined', 'withdrawn')),
    reason               TEXT NOT NULL,
    compensating_control TEXT NOT NULL,
    expires_at           BIGINT NOT NULL,
    requested_by         BIGINT REFERENCES users (id) ON DELETE SET NULL,
    requested_at         BIGINT NOT NULL,
    decided_by           BIGINT REFERENCES users (id) ON DELETE SET NULL,
    decided_at           BIGINT,
    decision_comment     TEXT
);
CREATE INDEX waivers_item ON waivers (service_item_id);
CREATE INDEX waivers_state ON waivers (state);

CREATE TABLE item_comments (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    service_item_id BIGINT NOT NULL REFERENCES service_items (id),
    author_id       BIGINT REFERENCES users (id) ON DELETE SET NULL,
    author_label    TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX item_comments_item ON item_comments (service_item_id);

-- Audit entries name the service they concern, so a service's activity is
-- one indexed read.
ALTER TABLE audit_events ADD COLUMN service_id BIGINT;
CREATE INDEX audit_events_service ON audit_events (service_id, id);
