-- Two reads the control loop makes at every tick, kept from growing with the history (docs/architecture.md):
-- each team's spend on jobs open or finished within the fair-share window, and the spot nodes terminated since
-- the learned availability last looked. Without these indexes both scan every job and node ever recorded; the
-- first also holds what the sum reads, so that it never visits the table.
CREATE INDEX jobs_finished_at ON jobs (finished_at, team, cost_usd);
CREATE INDEX nodes_spot_terminated_at ON nodes (terminated_at) WHERE state = 'terminated' AND market = 'spot';
