-- The budget ledger (issue 6): what jobs spent, interval by interval, and what budgets decided about jobs.
--
-- spend: one row per job, node and interval of its run, at the price in force then and the job's share of the
-- node. Rows are written by the ledger tick (from the last accrual point to now) and closed when the run ends,
-- in the transaction that bills the run, so the rows of a run add up to what the job was billed. A row never
-- spans a price change, a UTC midnight or a period boundary of the policies in force when it was written, so a
-- run over midnight counts in both days; a row cut by a boundary added later is pro-rated by time (price and
-- share are constant within a row, so that is exact). Times are epoch milliseconds here, not ISO strings as
-- elsewhere in this schema: the pro-rating is arithmetic on them.
CREATE TABLE spend (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id         TEXT NOT NULL REFERENCES jobs (id),
  run_start      TEXT NOT NULL,                     -- the run's started_at: the rows of one run share it
  node_id        TEXT NOT NULL REFERENCES nodes (id),
  cloud          TEXT NOT NULL,                     -- the node's cloud, for reconciliation with its billing
  from_ms        INTEGER NOT NULL,                  -- [from_ms, to_ms), wall-clock instants
  to_ms          INTEGER NOT NULL,
  price_per_hour REAL NOT NULL,                     -- the node's price in force over the interval
  share          REAL NOT NULL,                     -- the job's share of the node (its GPUs over the node's)
  hours          REAL NOT NULL,                     -- the node's billable hours in the interval (provider time)
  usd            REAL NOT NULL,                     -- price_per_hour * share * hours
  CHECK (to_ms > from_ms)
);
CREATE INDEX spend_run ON spend (job_id, run_start, node_id, to_ms);
CREATE INDEX spend_time ON spend (to_ms);

-- What budgets know of each job. The estimate is taken at submission (the scheduler's cost function on the
-- cheapest feasible offer); admitted = 0 means a budget refused the job (it is held and counts as nothing
-- committed until it is admitted); suspended_by names the policy that ordered a suspension checkpoint, so that
-- the checkpoint stops the job (`suspended`) instead of requeueing it.
ALTER TABLE jobs ADD COLUMN budget_estimate_usd REAL;
ALTER TABLE jobs ADD COLUMN budget_usd_per_hour REAL;
ALTER TABLE jobs ADD COLUMN budget_admitted INTEGER NOT NULL DEFAULT 1;
ALTER TABLE jobs ADD COLUMN suspended_by TEXT;

-- Reconciliation with a cloud's billing (Azure usage details): per policy, period and cloud, what the ledger
-- counted and what the cloud billed over the same whole UTC days. Replaced at each reconciliation.
CREATE TABLE budget_drift (
  policy      TEXT NOT NULL,
  period_key  TEXT NOT NULL,
  cloud       TEXT NOT NULL,
  from_day    TEXT NOT NULL,                        -- first UTC day compared (YYYY-MM-DD)
  to_day      TEXT NOT NULL,                        -- the day after the last one compared
  ledger_usd  REAL NOT NULL,
  billed_usd  REAL NOT NULL,
  checked_at  TEXT NOT NULL,
  PRIMARY KEY (policy, period_key, cloud)
);
