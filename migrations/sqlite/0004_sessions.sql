-- Sessions move from tower-sessions' JSON blob to columns Preflight reads
-- and writes itself (one lookup per request, updates that can never bring
-- an ended session back). Existing sessions are dropped: everyone signs in
-- once more after the upgrade.
DROP TABLE sessions;

-- One row per signed-in browser, or per browser between password and
-- second factor (`pending_user_id` set, `user_id` NULL). The cookie holds a
-- random token; only its SHA-256 is stored. `expires_at` slides with
-- activity (idle expiry) but never past `ends_at` (absolute lifetime).
-- `privileges_at` is the user's `privileges_changed_at` when the token was
-- issued; a newer value gives the session a new token. The token it replaced
-- (`previous_id_hash`) still works for a few seconds after `rotated_at`, so
-- requests already on their way with it (a second tab) are not signed out.
CREATE TABLE sessions (
    id_hash         TEXT PRIMARY KEY NOT NULL,
    user_id         BIGINT REFERENCES users (id) ON DELETE CASCADE,
    pending_user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    device          TEXT NOT NULL,
    client_ip       TEXT NOT NULL,
    privileges_at   BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    last_seen_at    BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    ends_at         BIGINT NOT NULL,
    previous_id_hash TEXT,
    rotated_at      BIGINT
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_pending_user ON sessions (pending_user_id);
CREATE INDEX sessions_previous_id ON sessions (previous_id_hash);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- Sessions that started before this moment are over, whatever rows remain:
-- "sign out everywhere", a password change or reset, disabling.
ALTER TABLE users ADD COLUMN sessions_valid_from BIGINT NOT NULL DEFAULT 0;
