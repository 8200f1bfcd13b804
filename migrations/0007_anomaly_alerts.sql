-- Anomaly alerts (issue 8, docs/observability.md) share the alert history with budget alerts: idle GPUs of a
-- running job (gpu-idle), a job failing repeatedly (job-failing), a price jump in a pool in use (price-jump).
-- 0004 made `kind` a CHECK constraint, which SQLite cannot alter, so the table is rebuilt with the wider list
-- (https://www.sqlite.org/lang_altertable.html, "making other kinds of table schema changes"): create the new
-- table, copy every row, drop the old one, rename, and create its indexes again, all in this migration's
-- transaction. For anomalies, `policy` names what the alert is about (job:ID, jobs:TEAM/NAME, pool:KEY) and
-- `period_key` the stretch it covers (the run, the window, the node); see alerts/anomaly-alerts.ts.
-- The copy names no columns on purpose: should a later change add a column to `alerts` before this runs, the
-- copy fails loudly instead of dropping that column's data.
CREATE TABLE alerts_0007 (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  kind         TEXT NOT NULL CHECK (kind IN ('threshold', 'forecast', 'limit', 'policy-invalid',
                                             'gpu-idle', 'job-failing', 'price-jump')),
  policy       TEXT NOT NULL,
  period_key   TEXT NOT NULL,
  threshold    REAL NOT NULL DEFAULT 0,
  team         TEXT,
  slack        TEXT,
  summary      TEXT NOT NULL,
  payload      TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  status       TEXT NOT NULL DEFAULT 'pending'
               CHECK (status IN ('pending', 'delivered', 'logged', 'failed', 'skipped')),
  attempts     INTEGER NOT NULL DEFAULT 0,
  last_error   TEXT,
  delivered_at TEXT,
  UNIQUE (policy, period_key, kind, threshold)
);
INSERT INTO alerts_0007 SELECT * FROM alerts;
DROP TABLE alerts;
ALTER TABLE alerts_0007 RENAME TO alerts;
CREATE INDEX alerts_team ON alerts (team, id);
CREATE INDEX alerts_pending ON alerts (status, id) WHERE status = 'pending';
