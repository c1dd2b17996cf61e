-- Campaigns and notification mail.
--
-- A campaign drives a set of services to a goal by a deadline: every
-- service reaches a level (`goal_level`), or satisfies chosen items
-- (`goal_items`: 'template-key/item-key' lines). The services it covers
-- are fixed when it starts (`campaign_services`); `selection` says in
-- words how they were chosen. `campaign_days` holds how many met the goal
-- at the end of each day (today's row is kept current), for the burn-up.
CREATE TABLE campaigns (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT NOT NULL,
    goal_kind   TEXT NOT NULL CHECK (goal_kind IN ('level', 'items')),
    goal_level  TEXT CHECK (goal_level IN ('bronze', 'silver', 'gold')),
    goal_items  TEXT,
    selection   TEXT NOT NULL,
    -- 'YYYY-MM-DD', the last day of the campaign (UTC).
    deadline    TEXT NOT NULL,
    created_by  BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at  BIGINT NOT NULL,
    ended_at    BIGINT
);

CREATE TABLE campaign_services (
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id),
    service_id  BIGINT NOT NULL REFERENCES services (id),
    PRIMARY KEY (campaign_id, service_id)
);
CREATE INDEX campaign_services_service ON campaign_services (service_id);

CREATE TABLE campaign_days (
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id),
    day         BIGINT NOT NULL,
    met         BIGINT NOT NULL,
    total       BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, day)
);

-- Mail waiting to go out (a transactional outbox): rows are written in the
-- transaction of the change that causes them, and a delivery loop sends
-- them, retrying with backoff. `claimed_until` keeps two replicas from
-- sending the same row.
CREATE TABLE mail_outbox (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id         BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind            TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    claimed_until   BIGINT,
    attempts        BIGINT NOT NULL DEFAULT 0,
    last_error      TEXT,
    sent_at         BIGINT,
    failed_at       BIGINT
);
CREATE INDEX mail_outbox_due ON mail_outbox (sent_at, failed_at, next_attempt_at);

-- Kinds of mail a person turned off on their account page.
CREATE TABLE mail_optouts (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind    TEXT NOT NULL,
    PRIMARY KEY (user_id, kind)
);

-- Periodic mail already queued for a period ('digest' for ISO week
-- '2026-W49'), so replicas and restarts queue it once.
CREATE TABLE mail_rounds (
    kind       TEXT NOT NULL,
    period     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (kind, period)
);
