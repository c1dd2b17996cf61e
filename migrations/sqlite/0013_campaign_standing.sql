-- Each covered service's standing against its campaign's goal, stored and
-- kept current by the change that re-scores the service (and frozen when
-- the campaign ends), so a campaign page over 1,000 services reads one
-- page of rows instead of judging every service on every view.
-- `lacks`: what the service still lacks, one line each, at most four.
-- Rows that exist already are judged by the migration runner right after
-- this file, in the same transaction.
ALTER TABLE campaign_services ADD COLUMN met BIGINT NOT NULL DEFAULT 0;
ALTER TABLE campaign_services ADD COLUMN lacks TEXT NOT NULL DEFAULT '';
