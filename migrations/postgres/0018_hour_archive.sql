-- Hourly rollups older than a week, one row per probe per day: `data` is
-- the day's hours packed and compressed together (domain::probes::archive).
-- Hourly rows are summed in SQL only for the 24-hour and 7-day windows, so
-- after that they are archived (backend::probe_rollups): 24 rows of about
-- 320 bytes each become one value of about 2.5 KB, which keeps a probe-year
-- within the storage target. Written once, never updated; deleted after the
-- hours' keeping, like the hourly rows were.
CREATE TABLE probe_hour_archive (
    probe_id  BIGINT NOT NULL REFERENCES probes (id),
    -- The day the hours are of (epoch ms, UTC midnight).
    day_at    BIGINT NOT NULL,
    data      BYTEA NOT NULL,
    PRIMARY KEY (probe_id, day_at)
);
