-- Live probes. A probe's definition and the state the engine keeps on it
-- share one row, so pages read status, last latency and uptime without
-- touching results. Raw checks live in hourly blocks (one row per probe
-- per hour; 8-byte records appended to `data`, see
-- domain::probes::blocks) kept a week; rollups (per hour for a year, per
-- day for good) hold counts and a latency histogram. Leases let
-- PostgreSQL replicas share the work: a probe runs on `lease_owner` until
-- `lease_until`.
CREATE TABLE probes (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id         BIGINT NOT NULL REFERENCES services (id),
    name               TEXT NOT NULL,
    name_key           TEXT NOT NULL,
    kind               TEXT NOT NULL,
    -- What the probe reaches, for lists: a URL or host:port.
    target             TEXT NOT NULL,
    -- The definition as JSON (domain::probes::definition), secret header values included.
    definition         TEXT NOT NULL,
    interval_s         BIGINT NOT NULL,
    deleted_at         BIGINT,
    -- Bumped by every change people make; the engine writes state only
    -- over the version it loaded, so it never undoes a pause.
    version            BIGINT NOT NULL DEFAULT 1,
    created_by         BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    -- "Check now", asked at this time.
    check_requested_at BIGINT,
    -- State (domain::probes::status::ProbeState), written by the engine.
    status             TEXT NOT NULL DEFAULT 'pending',
    status_since       BIGINT NOT NULL,
    successes_in_row   BIGINT NOT NULL DEFAULT 0,
    failures_in_row    BIGINT NOT NULL DEFAULT 0,
    last_check_at      BIGINT,
    last_duration_us   BIGINT,
    -- domain::probes::status::Outcome::code of the last check.
    last_outcome       BIGINT,
    last_status_code   BIGINT,
    last_message       TEXT,
    tls_not_after      BIGINT,
    -- Metrics probes: the last scrape's request and error totals, and the
    -- error rate between the last two scrapes.
    requests_total     DOUBLE PRECISION,
    errors_total       DOUBLE PRECISION,
    error_rate         DOUBLE PRECISION,
    error_rate_at      BIGINT,
    -- Uptime over 24 hours, 7, 30 and 365 days in parts per million,
    -- refreshed from the rollups.
    uptime_24h         BIGINT,
    uptime_7d          BIGINT,
    uptime_30d         BIGINT,
    uptime_365d        BIGINT,
    lease_owner        TEXT,
    lease_until        BIGINT
);
CREATE UNIQUE INDEX probes_service_name ON probes (service_id, name_key) WHERE deleted_at IS NULL;
CREATE INDEX probes_lease ON probes (lease_owner, lease_until);

CREATE TABLE probe_blocks (
    probe_id  BIGINT NOT NULL REFERENCES probes (id),
    -- The hour the block covers (epoch ms).
    start_at  BIGINT NOT NULL,
    checks    BIGINT NOT NULL,
    data      BLOB NOT NULL,
    PRIMARY KEY (probe_id, start_at)
);
CREATE INDEX probe_blocks_start ON probe_blocks (start_at);

CREATE TABLE probe_rollups (
    probe_id  BIGINT NOT NULL REFERENCES probes (id),
    -- 'hour' or 'day'.
    span      TEXT NOT NULL,
    start_at  BIGINT NOT NULL,
    checks    BIGINT NOT NULL,
    failures  BIGINT NOT NULL,
    degraded  BIGINT NOT NULL,
    requests  BIGINT,
    errors    BIGINT,
    latency   BLOB NOT NULL,
    PRIMARY KEY (probe_id, span, start_at)
);
CREATE INDEX probe_rollups_start ON probe_rollups (span, start_at);

-- Server processes running probes, for each one's fair share of them.
CREATE TABLE probe_workers (
    id           TEXT PRIMARY KEY,
    started_at   BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL
);
