-- Probe rollups and stored uptime windows.
--
-- `probe_rollup_marks`: how far each span is rolled up, instance-wide:
-- every hour before `done_until` has its 'hour' rows, every day before it
-- its 'day' rows. Replicas advance a mark only from the value they read,
-- so two never roll the same span twice (and rows are inserted with ON
-- CONFLICT DO NOTHING besides).
CREATE TABLE probe_rollup_marks (
    span       TEXT PRIMARY KEY,
    done_until BIGINT NOT NULL
);

-- A probe's uptime per window as counts over rolled-up hours before
-- `windows_until` (24 h and 7 d from hours, 30 d and 365 d from days plus
-- the hours of the current day); pages add the raw checks since. Counts
-- rather than ratios, so the raw tail adds up exactly. They replace the
-- ratios 0012 planned.
ALTER TABLE probes DROP COLUMN uptime_24h;
ALTER TABLE probes DROP COLUMN uptime_7d;
ALTER TABLE probes DROP COLUMN uptime_30d;
ALTER TABLE probes DROP COLUMN uptime_365d;
ALTER TABLE probes ADD COLUMN windows_until BIGINT;
ALTER TABLE probes ADD COLUMN checks_24h BIGINT NOT NULL DEFAULT 0;
ALTER TABLE probes ADD COLUMN failures_24h BIGINT NOT NULL DEFAULT 0;
ALTER TABLE probes ADD COLUMN checks_7d BIGINT NOT NULL DEFAULT 0;
ALTER TABLE probes ADD COLUMN failures_7d BIGINT NOT NULL DEFAULT 0;
ALTER TABLE probes ADD COLUMN checks_30d BIGINT NOT NULL DEFAULT 0;
ALTER TABLE probes ADD COLUMN failures_30d BIGINT NOT NULL DEFAULT 0;
ALTER TABLE probes ADD COLUMN checks_365d BIGINT NOT NULL DEFAULT 0;
ALTER TABLE probes ADD COLUMN failures_365d BIGINT NOT NULL DEFAULT 0;
