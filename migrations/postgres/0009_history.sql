-- Score history. Every change of a service's figures is a row of
-- score_changes (kept 30 days); every service has one row per day in
-- score_days (its figures at the end of that day, or now for today; kept for
-- ever); scope_days holds the totals of each team and, under team_id 0, of
-- the whole organisation per day, so charts never aggregate thousands of
-- rows when a page is read.
CREATE TABLE score_changes (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service_id BIGINT NOT NULL REFERENCES services (id),
    at         BIGINT NOT NULL,
    score      BIGINT,
    level      TEXT,
    ready      BIGINT NOT NULL,
    blocking   BIGINT NOT NULL,
    waivers    BIGINT NOT NULL
);
CREATE INDEX score_changes_service ON score_changes (service_id, at);
CREATE INDEX score_changes_at ON score_changes (at);

CREATE TABLE score_days (
    service_id BIGINT NOT NULL REFERENCES services (id),
    -- Days since 1970-01-01, UTC.
    day        BIGINT NOT NULL,
    score      BIGINT,
    level      TEXT,
    ready      BIGINT NOT NULL,
    blocking   BIGINT NOT NULL,
    waivers    BIGINT NOT NULL,
    PRIMARY KEY (service_id, day)
);
CREATE INDEX score_days_day ON score_days (day);

CREATE TABLE scope_days (
    team_id   BIGINT NOT NULL,
    day       BIGINT NOT NULL,
    services  BIGINT NOT NULL,
    ready     BIGINT NOT NULL,
    waivers   BIGINT NOT NULL,
    scored    BIGINT NOT NULL,
    score_sum BIGINT NOT NULL,
    bronze    BIGINT NOT NULL,
    silver    BIGINT NOT NULL,
    gold      BIGINT NOT NULL,
    PRIMARY KEY (team_id, day)
);
