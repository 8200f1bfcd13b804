-- The first schema: jobs and their events, nodes, offers and price history, API tokens, idempotency keys,
-- pool blocks, and the simulated cloud's instances. Times are ISO-8601 UTC strings (they sort as text).

CREATE TABLE jobs (
  seq              INTEGER PRIMARY KEY AUTOINCREMENT, -- stable order for cursors
  id               TEXT NOT NULL UNIQUE,
  name             TEXT NOT NULL,
  team             TEXT NOT NULL,
  kind             TEXT NOT NULL CHECK (kind IN ('batch', 'inference')),
  state            TEXT NOT NULL,
  reason           TEXT,
  priority         INTEGER NOT NULL,
  spec             TEXT NOT NULL,                    -- the validated job spec, JSON
  labels           TEXT NOT NULL DEFAULT '{}',       -- JSON object, copied out of spec for filtering
  depends_on       TEXT NOT NULL DEFAULT '[]',       -- JSON array of job ids
  node_ids         TEXT NOT NULL DEFAULT '[]',       -- JSON array of node ids the job holds
  submitted_at     TEXT NOT NULL,
  updated_at       TEXT NOT NULL,
  started_at       TEXT,                             -- start of the current run
  finished_at      TEXT,
  cost_usd         REAL NOT NULL DEFAULT 0,          -- accrued over finished runs
  expected_cost_usd REAL,
  checkpoint       TEXT                              -- JSON {path, step, at}
);
CREATE INDEX jobs_team_state ON jobs (team, state);
CREATE INDEX jobs_state ON jobs (state);

CREATE TABLE job_events (
  seq     INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id  TEXT NOT NULL REFERENCES jobs (id),
  at      TEXT NOT NULL,
  from_state TEXT,
  to_state   TEXT NOT NULL,
  reason  TEXT NOT NULL
);
CREATE INDEX job_events_job ON job_events (job_id, seq);

CREATE TABLE nodes (
  id             TEXT PRIMARY KEY,
  cloud          TEXT NOT NULL,
  provider       TEXT NOT NULL,
  region         TEXT NOT NULL,
  zone           TEXT,
  instance_type  TEXT NOT NULL,
  market         TEXT NOT NULL CHECK (market IN ('spot', 'on-demand')),
  gpu            TEXT NOT NULL,                      -- JSON {model, count, memoryGiB}
  price_per_hour REAL NOT NULL,
  state          TEXT NOT NULL,
  provider_id    TEXT,                               -- null until the provider confirmed the launch
  created_at     TEXT NOT NULL,
  ready_at       TEXT,
  last_busy_at   TEXT NOT NULL,
  terminated_at  TEXT,
  cost_usd       REAL NOT NULL DEFAULT 0
);
CREATE INDEX nodes_state ON nodes (state);

CREATE TABLE offers (
  pool_key       TEXT PRIMARY KEY,
  cloud          TEXT NOT NULL,
  region         TEXT NOT NULL,
  zone           TEXT,
  zone_id        TEXT,
  instance_type  TEXT NOT NULL,
  market         TEXT NOT NULL,
  gpu_model      TEXT NOT NULL,
  gpu_count      INTEGER NOT NULL,
  gpu_memory_gib REAL NOT NULL,
  vcpus          REAL NOT NULL,
  memory_gib     REAL NOT NULL,
  price_per_hour REAL NOT NULL,
  observed_at    TEXT NOT NULL,
  source         TEXT NOT NULL,
  score          REAL,
  interruptions_per_hour REAL
);
CREATE INDEX offers_gpu ON offers (gpu_model, price_per_hour);

CREATE TABLE price_history (
  pool_key       TEXT NOT NULL,
  at             TEXT NOT NULL,
  price_per_hour REAL NOT NULL,
  PRIMARY KEY (pool_key, at)
);

-- One row per market source and cloud: when it last answered, for freshness.
CREATE TABLE market_sources (
  cloud      TEXT NOT NULL,
  kind       TEXT NOT NULL,
  fetched_at TEXT NOT NULL,
  offers     INTEGER NOT NULL,
  PRIMARY KEY (cloud, kind)
);

CREATE TABLE pool_blocks (
  pool_key      TEXT PRIMARY KEY,
  blocked_until TEXT NOT NULL,
  reason        TEXT NOT NULL
);

CREATE TABLE tokens (
  id          TEXT PRIMARY KEY,
  team        TEXT NOT NULL,
  name        TEXT,
  role        TEXT NOT NULL CHECK (role IN ('team', 'admin')),
  hash        TEXT NOT NULL UNIQUE,                 -- sha256 of the token; the token itself is never stored
  created_at  TEXT NOT NULL,
  revoked_at  TEXT
);

CREATE TABLE idempotency_keys (
  team       TEXT NOT NULL,
  key        TEXT NOT NULL,
  body_hash  TEXT NOT NULL,
  job_id     TEXT NOT NULL REFERENCES jobs (id),
  created_at TEXT NOT NULL,
  PRIMARY KEY (team, key)
);

-- The simulated cloud's own view of its instances: what a real cloud would know, kept apart from nodes
-- (the daemon's view), so that reconciliation between the two is exercised in the simulation too.
CREATE TABLE sim_instances (
  id             TEXT PRIMARY KEY,
  client_token   TEXT NOT NULL UNIQUE,               -- the daemon's node id: a retried launch is idempotent
  cloud          TEXT NOT NULL,
  region         TEXT NOT NULL,
  zone           TEXT,
  instance_type  TEXT NOT NULL,
  market         TEXT NOT NULL,
  price_per_hour REAL NOT NULL,
  launched_at    TEXT NOT NULL,
  ready_at       TEXT NOT NULL,
  state          TEXT NOT NULL CHECK (state IN ('pending', 'running', 'terminated')),
  terminated_at  TEXT,
  interrupted_at TEXT,                                -- when the reclaim notice was given
  notice_seconds REAL                                 -- its length (sim seconds); terminated after it
);
