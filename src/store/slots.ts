// Slots: which part of a node each unit of a job holds. Written with the placement (in the same transaction),
// deleted when the job leaves its nodes; read back to rebuild node inventories and to tell agents their GPUs.
import type { SlotAssignment } from '../core/placement/slices.js';
import { deepFreeze } from '../core/validate.js';
import type { Db } from './db.js';
import type { Outbox } from './outbox.js';

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

const rowOf = (s: SlotRecord): SlotRow => ({
  job_id: s.jobId,
  unit: s.unit,
  node_id: s.nodeId,
  team: s.team,
  slot: JSON.stringify(s.slot),
  assigned_at: s.assignedAt,
});

const toRecord = (r: SlotRow): SlotRecord => ({
  jobId: r.job_id,
  unit: r.unit,
  nodeId: r.node_id,
  team: r.team,
  slot: JSON.parse(r.slot) as SlotAssignment,
  assignedAt: r.assigned_at,
});

export class SlotRepo {
  /**
   * Every slot by node, as the scheduler reads them at every tick: read once, then written through by `put`
   * and `removeJob` (the table's only writers), and dropped on a rollback. Frozen: shared with every reader.
   */
  private nodes: Map<string, readonly SlotRecord[]> | null = null;

  constructor(
    private readonly db: Db,
    outbox?: Outbox,
  ) {
    outbox?.onRollback(() => {
      this.nodes = null;
    });
  }

  /** A unit's slot; placing the unit again (after a requeue) replaces the old row. */
  put(s: SlotRecord): void {
    this.db
      .prepare(
        `INSERT INTO slots (job_id, unit, node_id, team, slot, assigned_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (job_id, unit) DO UPDATE SET node_id = excluded.node_id, team = excluded.team,
           slot = excluded.slot, assigned_at = excluded.assigned_at`,
      )
      .run(s.jobId, s.unit, s.nodeId, s.team, JSON.stringify(s.slot), s.assignedAt);
    if (!this.nodes) return;
    const record = deepFreeze(toRecord({ ...rowOf(s) })) as SlotRecord;
    this.drop((r) => r.jobId === s.jobId && r.unit === s.unit);
    const list = [...(this.nodes.get(s.nodeId) ?? []), record].sort((a, b) =>
      a.jobId < b.jobId ? -1 : a.jobId > b.jobId ? 1 : a.unit - b.unit,
    );
    this.nodes.set(s.nodeId, Object.freeze(list));
  }

  /** A job left its nodes: its slots go with it. */
  removeJob(jobId: string): void {
    this.db.prepare('DELETE FROM slots WHERE job_id = ?').run(jobId);
    this.drop((r) => r.jobId === jobId);
  }

  private drop(match: (r: SlotRecord) => boolean): void {
    if (!this.nodes) return;
    for (const [nodeId, list] of this.nodes) {
      if (!list.some(match)) continue;
      const kept = list.filter((r) => !match(r));
      if (kept.length > 0) this.nodes.set(nodeId, Object.freeze(kept));
      else this.nodes.delete(nodeId);
    }
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

  /** Every slot, by node, in job and unit order (shared and frozen: copy to change). */
  byNode(): ReadonlyMap<string, readonly SlotRecord[]> {
    if (!this.nodes) {
      const out = new Map<string, SlotRecord[]>();
      for (const r of this.db
        .prepare('SELECT * FROM slots ORDER BY node_id, job_id, unit')
        .all() as SlotRow[]) {
        const rec = deepFreeze(toRecord(r)) as SlotRecord;
        const list = out.get(rec.nodeId);
        if (list) list.push(rec);
        else out.set(rec.nodeId, [rec]);
      }
      this.nodes = new Map([...out].map(([id, list]) => [id, Object.freeze(list)]));
    }
    return this.nodes;
  }
}
