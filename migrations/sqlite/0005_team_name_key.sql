-- Team names are unique ignoring case, enforced by the database: `name_key`
-- is the name case-folded by Preflight (Rust's full Unicode lower-casing, the
-- same on both databases; SQLite's LOWER() folds only ASCII). Filled here
-- with LOWER(name) for existing teams and brought to the Rust folding at
-- start-up (teams::refresh_name_keys).
ALTER TABLE teams ADD COLUMN name_key TEXT;
UPDATE teams SET name_key = LOWER(name);
CREATE UNIQUE INDEX teams_unique_name_key ON teams (name_key);
