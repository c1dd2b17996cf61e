-- Hourly rollups older than a week, one row per probe per day: `data` is
-- the day's hours packed and compressed together (domain::probes::archive).
-- Hourly rows are summed in SQL only for the 24-hour and 7-day windows, so
-- after that they are archived (backend::probe_rollups): 24 rows become one
-- value of about 2.5 KB, which keeps a probe-year small. Written once,
-- never updated; deleted after the hours' keeping, like the hourly rows
-- were. A table with row ids: its leaves hold values up to almost a page
-- (4 KB), where a WITHOUT ROWID table would spill every value past about
-- 1 KB into an overflow page of its own.
CREATE TABLE probe_hour_archive (
    probe_id  BIGINT NOT NULL REFERENCES probes (id),
    -- The day the hours are of (epoch ms, UTC midnight).
    day_at    BIGINT NOT NULL,
    data      BLOB NOT NULL,
    PRIMARY KEY (probe_id, day_at)
);
