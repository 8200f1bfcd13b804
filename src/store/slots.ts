// Slots: which part of a node each unit of a job holds. Written with the placement (in the same transaction),
// deleted when the job leaves its nodes; read back to rebuild node inventories and to tell agents their GPUs.
import type { SlotAssignment } from '../core/placement/slices.js';
import type { Db } from './db.js';

export interface SlotRecord {
  jobId: string;
  unit: number;
  nodeId: string;
  team: string;
  slot: SlotAssignment;
  assignedAt: string;
}

interface SlotRow {
  job_id: string;
  unit: number;
  node_id: string;
  team: string;
  slot: string;
  assigned_at: string;
}

const toRecord = (r: SlotRow): SlotRecord => ({
  jobId: r.job_id,
  unit: r.unit,
  nodeId: r.node_id,
  team: r.team,
  slot: JSON.parse(r.slot) as SlotAssignment,
  assignedAt: r.assigned_at,
});

export class SlotRepo {
  constructor(private readonly db: Db) {}

  /** A unit's slot; placing the unit again (after a requeue) replaces the old row. */
  put(s: SlotRecord): void {
    this.db
      .prepare(
        `INSERT INTO slots (job_id, unit, node_id, team, slot, assigned_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (job_id, unit) DO UPDATE SET node_id = excluded.node_id, team = excluded.team,
           slot = excluded.slot, assigned_at = excluded.assigned_at`,
      )
      .run(s.jobId, s.unit, s.nodeId, s.team, JSON.stringify(s.slot), s.assignedAt);
  }

  forJob(jobId: string): SlotRecord[] {
    return (
      this.db.prepare('SELECT * FROM slots WHERE job_id = ? ORDER BY unit').all(jobId) as SlotRow[]
    ).map(toRecord);
  }

  forJobs(jobIds: readonly string[]): SlotRecord[] {
    return jobIds.flatMap((id) => this.forJob(id));
  }

  forNode(nodeId: string): SlotRecord[] {
    return (
      this.db.prepare('SELECT * FROM slots WHERE node_id = ? ORDER BY job_id, unit').all(nodeId) as SlotRow[]
    ).map(toRecord);
  }

  /** Every slot, by node: one query per snapshot rather than one per node. */
  byNode(): Map<string, SlotRecord[]> {
    const out = new Map<string, SlotRecord[]>();
    for (const r of this.db
      .prepare('SELECT * FROM slots ORDER BY node_id, job_id, unit')
      .all() as SlotRow[]) {
      const rec = toRecord(r);
      const list = out.get(rec.nodeId);
      if (list) list.push(rec);
      else out.set(rec.nodeId, [rec]);
    }
    return out;
  }
}
