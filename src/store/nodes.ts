// Nodes: the daemon's view of the instances it launched. State moves go through the node lifecycle.
// Nodes not terminated are kept in memory as well, deep-frozen, as open jobs are (store/jobs.ts says why and how).
import { nodeTransition } from '../core/lifecycle.js';
import type { GpuShape, NodeRecord, NodeState } from '../core/model.js';
import { deepFreeze } from '../core/validate.js';
import type { Db } from './db.js';
import { Outbox } from './outbox.js';

interface NodeRow {
  id: string;
  cloud: NodeRecord['cloud'];
  provider: string;
  region: string;
  zone: string | null;
  instance_type: string;
  market: NodeRecord['market'];
  gpu: string;
  price_per_hour: number;
  state: NodeState;
  provider_id: string | null;
  created_at: string;
  ready_at: string | null;
  last_busy_at: string;
  terminated_at: string | null;
  interrupted_at: string | null;
  cost_usd: number;
}

function toNode(r: NodeRow): NodeRecord {
  return {
    id: r.id,
    cloud: r.cloud,
    provider: r.provider,
    region: r.region,
    zone: r.zone,
    instanceType: r.instance_type,
    market: r.market,
    gpu: JSON.parse(r.gpu) as GpuShape,
    pricePerHour: r.price_per_hour,
    state: r.state,
    providerId: r.provider_id,
    createdAt: r.created_at,
    readyAt: r.ready_at,
    lastBusyAt: r.last_busy_at,
    terminatedAt: r.terminated_at,
    interruptedAt: r.interrupted_at,
    costUsd: r.cost_usd,
  };
}

export interface NodePatch {
  providerId?: string;
  readyAt?: string;
  lastBusyAt?: string;
  terminatedAt?: string;
  interruptedAt?: string;
  costUsd?: number;
}

const COLUMNS: Record<keyof NodePatch, string> = {
  providerId: 'provider_id',
  readyAt: 'ready_at',
  lastBusyAt: 'last_busy_at',
  terminatedAt: 'terminated_at',
  interruptedAt: 'interrupted_at',
  costUsd: 'cost_usd',
};

export class NodeRepo {
  /** Nodes not terminated, by id, in creation order; null until read, and after a rollback. */
  private live: Map<string, NodeRecord> | null = null;
  private lastCreatedAt = '';
  /** Counts the writes that may add a terminated node to what `spotHistory` reads (see `terminations`). */
  private terminationWrites = 0;

  constructor(
    private readonly db: Db,
    /** Hears each state change after it commits (the event bus); the store shares one with JobRepo. */
    readonly outbox: Outbox = new Outbox(db),
  ) {
    outbox.onRollback(() => {
      this.live = null;
      this.terminationWrites++;
    });
  }

  /**
   * Changes whenever a write may have terminated a node or changed a terminated one (and at every rollback): while
   * it stays the same, the terminated nodes are as they were.
   */
  get terminations(): number {
    return this.terminationWrites;
  }

  private liveNodes(): Map<string, NodeRecord> {
    if (!this.live) {
      const rows = this.db
        .prepare("SELECT * FROM nodes WHERE state <> 'terminated' ORDER BY created_at, rowid")
        .all() as NodeRow[];
      this.live = new Map(rows.map((r) => [r.id, deepFreeze(toNode(r)) as NodeRecord]));
      this.lastCreatedAt = rows.at(-1)?.created_at ?? '';
    }
    return this.live;
  }

  /** After a write to the row: the in-memory copy follows it. */
  private refresh(id: string): void {
    if (!this.live) return;
    const r = this.db.prepare('SELECT * FROM nodes WHERE id = ?').get(id) as NodeRow | undefined;
    if (!r || r.state === 'terminated') this.live.delete(id);
    else if (this.live.has(id) || r.created_at >= this.lastCreatedAt) {
      this.live.set(id, deepFreeze(toNode(r)) as NodeRecord);
      if (r.created_at > this.lastCreatedAt) this.lastCreatedAt = r.created_at;
    }
    // A new node created before the newest one: loaded again, in the order list() promises.
    else this.live = null;
  }

  insert(n: NodeRecord): void {
    this.db
      .prepare(
        `INSERT INTO nodes (id, cloud, provider, region, zone, instance_type, market, gpu, price_per_hour, state,
           provider_id, created_at, ready_at, last_busy_at, terminated_at, interrupted_at, cost_usd)
         VALUES (@id, @cloud, @provider, @region, @zone, @instanceType, @market, @gpu, @pricePerHour, @state,
           @providerId, @createdAt, @readyAt, @lastBusyAt, @terminatedAt, @interruptedAt, @costUsd)`,
      )
      .run({ ...n, gpu: JSON.stringify(n.gpu) });
    if (n.state === 'terminated') this.terminationWrites++;
    this.refresh(n.id);
    this.outbox.push({ kind: 'node', from: null, to: n.state, node: this.get(n.id)! });
    this.outbox.settle();
  }

  /** The node (deep-frozen unless terminated). */
  get(id: string): NodeRecord | null {
    const cached = this.liveNodes().get(id);
    if (cached) return cached;
    const r = this.db.prepare('SELECT * FROM nodes WHERE id = ?').get(id) as NodeRow | undefined;
    return r ? toNode(r) : null;
  }

  /** Nodes in these states (all without), in creation order. */
  list(states?: readonly NodeState[]): NodeRecord[] {
    if (states && !states.includes('terminated')) {
      const out: NodeRecord[] = [];
      for (const n of this.liveNodes().values()) if (states.includes(n.state)) out.push(n);
      return out;
    }
    const rows = states
      ? (this.db
          .prepare(
            `SELECT * FROM nodes WHERE state IN (${states.map(() => '?').join(',')}) ORDER BY created_at, rowid`,
          )
          .all(...states) as NodeRow[])
      : (this.db.prepare('SELECT * FROM nodes ORDER BY created_at, rowid').all() as NodeRow[]);
    return rows.map(toNode);
  }

  /** Moves a node along its lifecycle, checked against the state it is in now. */
  transition(id: string, to: NodeState, patch: NodePatch = {}): NodeRecord {
    return this.outbox.run(() => {
      const node = this.get(id);
      if (!node) throw new Error(`node ${id} not found`);
      nodeTransition(node, to);
      this.update(id, patch, to);
      const updated = this.get(id)!;
      this.outbox.push({ kind: 'node', from: node.state, to, node: updated });
      return updated;
    });
  }

  update(id: string, patch: NodePatch, state?: NodeState): void {
    const sets: string[] = [];
    const params: Record<string, unknown> = { id };
    if (state) {
      sets.push('state = @state');
      params.state = state;
    }
    for (const [k, v] of Object.entries(patch) as [keyof NodePatch, unknown][]) {
      if (v === undefined) continue;
      sets.push(`${COLUMNS[k]} = @${k}`);
      params[k] = v;
    }
    if (sets.length === 0) return;
    this.db.prepare(`UPDATE nodes SET ${sets.join(', ')} WHERE id = @id`).run(params);
    const cached = this.live?.get(id);
    if (state === 'terminated' || !cached) this.terminationWrites++;
    if (!cached) {
      this.refresh(id);
      return;
    }
    // The copy follows the row without reading it back: the fields set, as set (all plain columns).
    const next: NodeRecord = { ...cached, ...(state ? { state } : {}) };
    for (const [k, v] of Object.entries(patch) as [keyof NodePatch, NodeRecord[keyof NodePatch]][])
      if (v !== undefined) (next as unknown as Record<string, unknown>)[k] = v;
    if (next.state === 'terminated') this.live!.delete(id);
    else this.live!.set(id, Object.freeze(next));
  }

  /**
   * Spot nodes that have been ready, as the availability model needs them: those still up, and those
   * terminated at or after `terminatedSince` (all of them without it).
   */
  spotHistory(
    terminatedSince: string | null = null,
    /** False: the nodes up alone (a caller that knows no node was terminated since it last read them). */
    withTerminated = true,
  ): SpotNodeHistory[] {
    const since = terminatedSince ?? '';
    // The nodes up come from memory; only the terminated ones are read (through their index: every move to
    // terminated stamps terminated_at), and only the columns needed.
    const gone = !withTerminated
      ? []
      : (this.db
          .prepare(
            `SELECT id, provider, cloud, region, zone, instance_type, market, ready_at, terminated_at, interrupted_at
         FROM nodes INDEXED BY nodes_spot_terminated_at
         WHERE state = 'terminated' AND market = 'spot' AND terminated_at >= @since AND ready_at IS NOT NULL`,
          )
          .all({ since }) as NodeRow[]);
    const out: SpotNodeHistory[] = gone.map((r) => ({
      id: r.id,
      provider: r.provider,
      cloud: r.cloud,
      region: r.region,
      zone: r.zone,
      instanceType: r.instance_type,
      market: r.market,
      readyAt: r.ready_at!,
      terminatedAt: r.terminated_at,
      interruptedAt: r.interrupted_at,
    }));
    for (const n of this.liveNodes().values())
      if (n.market === 'spot' && n.readyAt !== null && (n.terminatedAt === null || n.terminatedAt >= since))
        out.push({ ...n, readyAt: n.readyAt });
    return out;
  }
}

export type SpotNodeHistory = Pick<
  NodeRecord,
  | 'id'
  | 'provider'
  | 'cloud'
  | 'region'
  | 'zone'
  | 'instanceType'
  | 'market'
  | 'terminatedAt'
  | 'interruptedAt'
> & { readyAt: string };
