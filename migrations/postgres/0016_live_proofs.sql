-- Checklist items satisfied by live data (template_items.auto_signal):
-- whether the service's probes and alert rules prove the item now, and
-- why (domain::probes::proof), judged by the probe upkeep once a minute
-- (backend::live_proofs). NULL until first judged.
ALTER TABLE service_items ADD COLUMN live_proven BIGINT;
ALTER TABLE service_items ADD COLUMN live_note TEXT;
