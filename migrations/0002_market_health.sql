-- Health of each market source (so a failing source shows as stale with its error while its last good
-- offers stay in force), and interruptions recorded per node (the learned interruption rate per pool).
ALTER TABLE market_sources ADD COLUMN last_attempt_at TEXT;
ALTER TABLE market_sources ADD COLUMN last_error TEXT;
ALTER TABLE market_sources ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;

ALTER TABLE nodes ADD COLUMN interrupted_at TEXT;
CREATE INDEX nodes_pool ON nodes (cloud, region, zone, instance_type, market);
