-- Probe rollups are most of a probe's stored bytes (about 9,000 hourly and
-- 365 daily rows per probe-year). The index by (span, start_at) goes:
-- pruning and daily rollups now look rows up by probe through the primary
-- key (backend::probe_rollups). (SQLite also stores the rows in key order;
-- PostgreSQL has no such table, and its key index stays.)
DROP INDEX probe_rollups_start;
