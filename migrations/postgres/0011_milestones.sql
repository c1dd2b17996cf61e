-- Milestones: a named snapshot of a service's scorecard ("launch review",
-- "post-incident review"). The figures at the time are columns, so lists
-- read them without parsing; the frozen items (standing, evidence,
-- approvals, waiver) are one JSON document, written once and never
-- changed. Names are unique per service, case ignored (name_key).
CREATE TABLE milestones (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service_id  BIGINT NOT NULL REFERENCES services (id),
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL,
    note        TEXT,
    created_by  BIGINT REFERENCES users (id) ON DELETE SET NULL,
    -- The author's name as it was, so the list still reads after a rename.
    created_by_name TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    score       BIGINT,
    level       TEXT,
    ready       BIGINT NOT NULL,
    blocking    BIGINT NOT NULL,
    waivers     BIGINT NOT NULL,
    snapshot    TEXT NOT NULL,
    UNIQUE (service_id, name_key)
);
CREATE INDEX milestones_service ON milestones (service_id, created_at);
