-- Instance-wide settings an admin can change at run time (key -> JSON value).
CREATE TABLE instance_settings (
    key        TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Append-only audit trail. Actors are recorded by id and by a label copied
-- at the time, so an entry still reads correctly after the user is renamed
-- or removed (hence no foreign key).
CREATE TABLE audit_events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    occurred_at   BIGINT NOT NULL,
    actor_user_id BIGINT,
    actor_label   TEXT NOT NULL,
    action        TEXT NOT NULL,
    subject_type  TEXT,
    subject_id    TEXT,
    detail        TEXT,
    client_ip     TEXT,
    request_id    TEXT
);
CREATE INDEX audit_events_occurred_at ON audit_events (occurred_at);
CREATE INDEX audit_events_subject ON audit_events (subject_type, subject_id);
