-- Budget alerts (issue 6): one row per alert raised. The UNIQUE key makes each alert once per policy, period,
-- kind and threshold, across daemon restarts too: the budget service inserts the row first (insert-if-new) and
-- sends only when the row is new. The same rows are the history GET /v1/alerts lists, newest first by id.
-- Times are ISO-8601 UTC strings, as everywhere in this schema.
CREATE TABLE alerts (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,   -- order and cursor of the history
  kind         TEXT NOT NULL CHECK (kind IN ('threshold', 'forecast', 'limit', 'policy-invalid')),
  policy       TEXT NOT NULL,                       -- the policy's name; for policy-invalid, the policy folder
  period_key   TEXT NOT NULL,                       -- 2026-03, 2026-W10, 2026-03-08; policy-invalid: content hash
  threshold    REAL NOT NULL DEFAULT 0,             -- % of the limit; 100 for limit; 0 for the others
  team         TEXT,                                -- the scope's team, who may read it; NULL: admins only
  slack        TEXT,                                -- the webhook reference (never a URL); NULL: the default
  summary      TEXT NOT NULL,                       -- one line: the Slack fallback text
  payload      TEXT NOT NULL,                       -- the alert as JSON, what the message is built from
  created_at   TEXT NOT NULL,
  -- pending: not sent yet, or to be tried again; delivered: Slack took it; logged: no webhook configured, so
  -- the log only; failed: refused or out of retries; skipped: passed over by a higher threshold crossed at once.
  status       TEXT NOT NULL DEFAULT 'pending'
               CHECK (status IN ('pending', 'delivered', 'logged', 'failed', 'skipped')),
  attempts     INTEGER NOT NULL DEFAULT 0,          -- HTTP requests made, over all tries
  last_error   TEXT,                                -- redacted: never the webhook URL
  delivered_at TEXT,
  UNIQUE (policy, period_key, kind, threshold)
);
CREATE INDEX alerts_team ON alerts (team, id);
CREATE INDEX alerts_pending ON alerts (status, id) WHERE status = 'pending';
