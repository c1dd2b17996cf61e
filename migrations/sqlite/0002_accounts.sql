-- People who sign in. `role` is the global role: admin, auditor, viewer, or
-- member (no global powers; what a member may do comes from team_members).
-- Emails are stored lower-cased, so uniqueness ignores case.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'auditor', 'viewer', 'member')),
    disabled_at   BIGINT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

CREATE TABLE teams (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL UNIQUE,
    archived_at BIGINT,
    created_at  BIGINT NOT NULL
);

CREATE TABLE team_members (
    team_id  BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id  BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role     TEXT NOT NULL CHECK (role IN ('lead', 'member')),
    added_at BIGINT NOT NULL,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);

-- Server-side sessions. The id in the cookie is stored only as its SHA-256,
-- so a copy of this table does not hand out live sessions. `user_id` is
-- copied out of the session data so all of a user's sessions can be listed
-- and ended.
CREATE TABLE sessions (
    id_hash      TEXT PRIMARY KEY NOT NULL,
    user_id      BIGINT REFERENCES users (id) ON DELETE CASCADE,
    data         TEXT NOT NULL,
    expires_at   BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- Sign-in throttling, shared by all replicas. Failures are counted per
-- submitted email (stored as its SHA-256), whether or not an account has
-- that email, so a locked account looks exactly like any other.
CREATE TABLE login_throttle (
    email_key    TEXT PRIMARY KEY NOT NULL,
    failures     BIGINT NOT NULL,
    locked_until BIGINT,
    updated_at   BIGINT NOT NULL
);

-- A token bucket per client address; tokens are counted in thousandths.
CREATE TABLE login_ip_buckets (
    client_ip    TEXT PRIMARY KEY NOT NULL,
    tokens_milli BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
