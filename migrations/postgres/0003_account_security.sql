-- Single-use links sent to people: invitations (choose a first password)
-- and password resets. Only the SHA-256 of the token is stored, so a copy
-- of this table opens nothing.
CREATE TABLE user_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL CHECK (purpose IN ('invite', 'reset')),
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX user_tokens_user ON user_tokens (user_id);
CREATE INDEX user_tokens_expires_at ON user_tokens (expires_at);

-- TOTP second factor. `confirmed_at` is NULL while enrolment waits for the
-- first code. `last_step` is the newest 30-second step accepted: a code
-- from that step or an older one is refused, so a code cannot be replayed.
CREATE TABLE user_mfa (
    user_id      BIGINT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret       TEXT NOT NULL,
    confirmed_at BIGINT,
    last_step    BIGINT,
    created_at   BIGINT NOT NULL
);

-- One-time recovery codes, stored as SHA-256 (they are long random strings).
CREATE TABLE mfa_recovery_codes (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id   BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at   BIGINT
);
CREATE INDEX mfa_recovery_codes_user ON mfa_recovery_codes (user_id);

-- When the user's powers last changed (role, enabled again, MFA). Sessions
-- signed in before that get a new id on their next request.
ALTER TABLE users ADD COLUMN privileges_changed_at BIGINT NOT NULL DEFAULT 0;
