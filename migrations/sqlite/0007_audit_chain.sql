-- The audit trail becomes a hash chain (see app/src/backend/audit_chain.rs).
-- seq is the entry's place in the chain (1, 2, …), prev_hash the hash of
-- entry seq-1 (64 zeros for the first), entry_hash the hash of the entry's
-- own canonical content. Rows written before this migration are sealed by
-- the migration runner, in id order, in the same transaction.
ALTER TABLE audit_events ADD COLUMN seq BIGINT;
ALTER TABLE audit_events ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_events ADD COLUMN entry_hash TEXT;
CREATE UNIQUE INDEX audit_events_seq ON audit_events (seq);
-- The trail page filters by person and by service and pages by seq.
CREATE INDEX audit_events_actor_seq ON audit_events (actor_user_id, seq);
CREATE INDEX audit_events_service_seq ON audit_events (service_id, seq);

-- One row: the chain's last sequence number and hash. Appending updates it
-- first, so the row lock serialises appends (across replicas too) and the
-- update commits with the entry.
CREATE TABLE audit_chain_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_chain_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
