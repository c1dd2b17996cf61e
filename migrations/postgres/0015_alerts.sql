-- Alerts. A team's channels (where notifications go), a service's rules
-- (what to watch, sent to which channels), incidents (a rule breached on
-- a probe, from start to end, with its worst figure) and the deliveries
-- queued for them: an outbox like mail_outbox, written in the transaction
-- that opens, reminds or closes the incident. Maintenance windows silence
-- a service's notifications (incidents are still recorded).
CREATE TABLE alert_channels (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    team_id     BIGINT NOT NULL REFERENCES teams (id),
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('webhook', 'slack', 'email')),
    -- A URL (webhook, slack) or an email address.
    target      TEXT NOT NULL,
    -- Webhooks: the HMAC key (hex), shown once when the channel is made.
    signing_key TEXT,
    created_by  BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at  BIGINT NOT NULL,
    deleted_at  BIGINT
);
CREATE INDEX alert_channels_team ON alert_channels (team_id);

CREATE TABLE alert_rules (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service_id  BIGINT NOT NULL REFERENCES services (id),
    -- One probe, or every probe of the service when NULL.
    probe_id    BIGINT REFERENCES probes (id),
    -- domain::probes::alerts::Rule as JSON.
    definition  TEXT NOT NULL,
    created_by  BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at  BIGINT NOT NULL,
    deleted_at  BIGINT
);
CREATE INDEX alert_rules_service ON alert_rules (service_id);

CREATE TABLE alert_rule_channels (
    rule_id    BIGINT NOT NULL REFERENCES alert_rules (id),
    channel_id BIGINT NOT NULL REFERENCES alert_channels (id),
    PRIMARY KEY (rule_id, channel_id)
);

CREATE TABLE incidents (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rule_id     BIGINT NOT NULL REFERENCES alert_rules (id),
    service_id  BIGINT NOT NULL REFERENCES services (id),
    probe_id    BIGINT NOT NULL REFERENCES probes (id),
    started_at  BIGINT NOT NULL,
    ended_at    BIGINT,
    -- The worst figure while it lasted (see alerts::breach for units).
    peak        DOUBLE PRECISION NOT NULL,
    -- The last trigger or reminder queued; NULL while silenced.
    notified_at BIGINT
);
CREATE UNIQUE INDEX incidents_open ON incidents (rule_id, probe_id) WHERE ended_at IS NULL;
CREATE INDEX incidents_service ON incidents (service_id, started_at);

CREATE TABLE alert_deliveries (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id     BIGINT REFERENCES incidents (id),
    channel_id      BIGINT NOT NULL REFERENCES alert_channels (id),
    event           TEXT NOT NULL CHECK (event IN ('trigger', 'reminder', 'recovery', 'test')),
    -- The JSON sent (webhook) or rendered (Slack, email).
    body            TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    claimed_until   BIGINT,
    attempts        BIGINT NOT NULL DEFAULT 0,
    last_error      TEXT,
    delivered_at    BIGINT,
    failed_at       BIGINT
);
CREATE INDEX alert_deliveries_due ON alert_deliveries (delivered_at, failed_at, next_attempt_at);
CREATE INDEX alert_deliveries_channel ON alert_deliveries (channel_id, created_at);

CREATE TABLE maintenance_windows (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service_id  BIGINT NOT NULL REFERENCES services (id),
    -- domain::probes::alerts::Maintenance as JSON.
    definition  TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    created_by  BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at  BIGINT NOT NULL,
    deleted_at  BIGINT
);
CREATE INDEX maintenance_windows_service ON maintenance_windows (service_id);
