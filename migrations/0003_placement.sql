-- Placement state. Slots: which part of which node each unit of a job holds (whole GPUs, a MIG instance,
-- an MPS share), now that several jobs may share a node. A row lives while its job is on the node: the job
-- repository deletes a job's rows when the job leaves its nodes (finished, requeued, cancelled). The agent is
-- told its slots.
CREATE TABLE slots (
  job_id      TEXT NOT NULL REFERENCES jobs (id),
  unit        INTEGER NOT NULL,                      -- gang member or replica index
  node_id     TEXT NOT NULL REFERENCES nodes (id),
  team        TEXT NOT NULL,                         -- MPS GPUs are shared within one team only
  slot        TEXT NOT NULL,                         -- JSON SlotAssignment (core/placement/slices-base.ts)
  assigned_at TEXT NOT NULL,
  PRIMARY KEY (job_id, unit)
);
CREATE INDEX slots_node ON slots (node_id);

-- Progress of a job, for placing it again after a move: the share of its work (0..1) saved by its last
-- checkpoint, and whether its deadline's safety net has fired (then it stays on on-demand until done).
ALTER TABLE jobs ADD COLUMN progress REAL NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN safety_net INTEGER NOT NULL DEFAULT 0;
