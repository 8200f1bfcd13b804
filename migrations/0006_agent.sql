-- The agent protocol (docs/agent-protocol.md): node tokens, what agents report of their nodes, the notices
-- they relay, and the jobs' log lines and metric points.

-- A bootstrap token is issued with each launch and spent by the agent's registration, which issues the
-- node's session token. Both are stored hashed and scoped to one node.
CREATE TABLE node_tokens (
  hash        TEXT PRIMARY KEY,                      -- sha256 of the token
  node_id     TEXT NOT NULL REFERENCES nodes (id),
  kind        TEXT NOT NULL CHECK (kind IN ('bootstrap', 'session')),
  created_at  TEXT NOT NULL,
  expires_at  TEXT,                                  -- bootstrap tokens expire; session tokens end with the node
  used_at     TEXT                                   -- a bootstrap token is spent by one registration
);
CREATE INDEX node_tokens_node ON node_tokens (node_id);

ALTER TABLE nodes ADD COLUMN agent_version TEXT;
ALTER TABLE nodes ADD COLUMN last_seen_at TEXT;      -- last heartbeat; null until the agent registers
ALTER TABLE nodes ADD COLUMN telemetry TEXT;         -- JSON: the last heartbeat's GPU and host figures

-- Notices as the agents relayed them, with when they were seen: the record of every interruption.
CREATE TABLE node_notices (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  node_id     TEXT NOT NULL REFERENCES nodes (id),
  cloud       TEXT NOT NULL,
  kind        TEXT NOT NULL,
  deadline    TEXT,
  received_at TEXT NOT NULL,
  raw         TEXT
);
CREATE INDEX node_notices_node ON node_notices (node_id);

CREATE TABLE job_logs (
  seq     INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id  TEXT NOT NULL REFERENCES jobs (id),
  at      TEXT NOT NULL,
  stream  TEXT NOT NULL CHECK (stream IN ('stdout', 'stderr')),
  text    TEXT NOT NULL
);
CREATE INDEX job_logs_job ON job_logs (job_id, seq);

CREATE TABLE job_metrics (
  seq     INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id  TEXT NOT NULL REFERENCES jobs (id),
  at      TEXT NOT NULL,
  step    REAL,
  "values" TEXT NOT NULL                             -- JSON object of numbers and strings
);
CREATE INDEX job_metrics_job ON job_metrics (job_id, seq);
