-- A service's status badge (/badge/<slug>.svg) is public from this moment
-- until a lead withdraws it (NULL: not public; the route answers 404).
ALTER TABLE services ADD COLUMN badge_public_at BIGINT;
