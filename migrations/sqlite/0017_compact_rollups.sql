-- Probe rollups are most of a probe's stored bytes (about 9,000 hourly and
-- 365 daily rows per probe-year). Stored in their key's order (WITHOUT
-- ROWID), a row is kept once instead of once in the table and again in
-- the key's index, and the index by (span, start_at) goes: pruning and
-- daily rollups now look rows up by probe (backend::probe_rollups). Saves
-- about 0.4 MB per probe-year.
CREATE TABLE probe_rollups_by_key (
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
) WITHOUT ROWID;
INSERT INTO probe_rollups_by_key (probe_id, span, start_at, checks, failures, degraded, requests, errors, latency)
    SELECT probe_id, span, start_at, checks, failures, degraded, requests, errors, latency FROM probe_rollups;
DROP TABLE probe_rollups;
ALTER TABLE probe_rollups_by_key RENAME TO probe_rollups;
