// The simulated cloud's capacity: instances are rows in the daemon's own database (so a restarted
// daemon finds them, as it would find real instances), they boot after a delay and bill in scaled
// time. Interruptions give the real clouds' notice lengths. Launch faults can be injected for tests.
import type { CloudName } from '../../core/model.js';
import { poolKey } from '../../core/model.js';
import { type IdSource, randomIds } from '../../ids.js';
import type { Db } from '../../store/db.js';
import { CloudError, type CloudErrorKind } from '../errors.js';
import type { CapacityProvider, Instance, InstanceState, LaunchRequest } from '../ports.js';

/** Notice a reclaimed spot instance gets, in seconds: AWS 2 min, GCP ~30 s, Azure ≤ 30 s. */
export const NOTICE_SECONDS: Record<CloudName, number> = { aws: 120, gcp: 30, azure: 30 };

export interface SimProviderOptions {
  /** Simulated seconds per wall second. */
  timeScale: number;
  /** Simulated seconds from launch to a ready node. */
  bootSeconds: number;
  now: () => Date;
  /** Where instance ids come from (src/ids.ts); random unless a replay seeds them. */
  ids?: IdSource;
}

/** How long a terminated instance is still listed: one launched within this long (as EC2 shows them for about an hour). */
const GONE_LISTED_MS = 3_600_000;

interface Row {
  id: string;
  client_token: string;
  cloud: CloudName;
  region: string;
  zone: string | null;
  instance_type: string;
  market: Instance['market'];
  launched_at: string;
  ready_at: string;
  state: 'pending' | 'running' | 'terminated';
  terminated_at: string | null;
  interrupted_at: string | null;
  notice_seconds: number | null;
}

export class SimProvider implements CapacityProvider {
  readonly name = 'sim';
  /** Pool-key prefixes that fail their next launches, with the error kind (fault injection). */
  private readonly faults = new Map<string, CloudErrorKind>();
  /**
   * The rows `list` may still show, by id, in launch order: read once, then written through by launch, terminate
   * and interrupt (this provider is the table's only writer). The daemon lists instances at every tick.
   */
  private listable: Map<string, Row> | null = null;

  constructor(
    private readonly db: Db,
    private readonly opts: SimProviderOptions,
  ) {}

  injectLaunchFault(poolKeyPrefix: string, kind: CloudErrorKind): void {
    this.faults.set(poolKeyPrefix, kind);
  }

  clearLaunchFault(poolKeyPrefix: string): void {
    this.faults.delete(poolKeyPrefix);
  }

  async launch(req: LaunchRequest): Promise<Instance> {
    const existing = this.db.prepare('SELECT * FROM sim_instances WHERE client_token = ?').get(req.nodeId) as
      | Row
      | undefined;
    if (existing) return this.toInstance(existing);
    const key = poolKey(req.offer);
    for (const [prefix, kind] of this.faults) {
      if (key.startsWith(prefix)) throw new CloudError(kind, `simulated ${kind} in ${key}`, req.offer.cloud);
    }
    const now = this.opts.now();
    const readyAt = new Date(now.getTime() + (this.opts.bootSeconds / this.opts.timeScale) * 1000);
    const row: Row = {
      id: `sim-${req.offer.cloud}-${(this.opts.ids ?? randomIds)().slice(0, 8)}`,
      client_token: req.nodeId,
      cloud: req.offer.cloud,
      region: req.offer.region,
      zone: req.offer.zone,
      instance_type: req.offer.instanceType,
      market: req.offer.market,
      launched_at: now.toISOString(),
      ready_at: readyAt.toISOString(),
      state: 'pending',
      terminated_at: null,
      interrupted_at: null,
      notice_seconds: null,
    };
    this.db
      .prepare(
        `INSERT INTO sim_instances (id, client_token, cloud, region, zone, instance_type, market, price_per_hour,
           launched_at, ready_at, state)
         VALUES (@id, @client_token, @cloud, @region, @zone, @instance_type, @market, @price, @launched_at,
           @ready_at, @state)`,
      )
      .run({ ...row, price: req.offer.pricePerHour });
    this.listable?.set(row.id, row);
    return this.toInstance(row);
  }

  async terminate(providerId: string): Promise<void> {
    const at = this.opts.now().toISOString();
    const { changes } = this.db
      .prepare(
        "UPDATE sim_instances SET state = 'terminated', terminated_at = ? WHERE id = ? AND state != 'terminated'",
      )
      .run(at, providerId);
    const row = this.listable?.get(providerId);
    if (changes > 0 && row)
      this.listable!.set(providerId, { ...row, state: 'terminated', terminated_at: at });
  }

  async list(): Promise<Instance[]> {
    const cutoff = new Date(this.opts.now().getTime() - GONE_LISTED_MS).toISOString();
    if (!this.listable) {
      // Rows long gone are not even read (a daemon running for weeks has thousands).
      const rows = this.db
        .prepare(
          `SELECT * FROM sim_instances WHERE launched_at >= @cutoff
             OR (state != 'terminated' AND (interrupted_at IS NULL OR interrupted_at >= @cutoff))
           ORDER BY launched_at, rowid`,
        )
        .all({ cutoff }) as Row[];
      this.listable = new Map(rows.map((r) => [r.id, r]));
    }
    const out: Instance[] = [];
    for (const [id, r] of this.listable) {
      const i = this.toInstance(r);
      if (i.state !== 'terminated' || i.launchedAt >= cutoff) out.push(i);
      // Gone, and launched before the hour that keeps it listed: never listed again (time only moves on).
      else this.listable.delete(id);
    }
    return out;
  }

  /**
   * Reclaims a spot instance as its cloud would: a notice now, termination when the notice runs out.
   * `cloud` picks whose notice length applies (default: the instance's own cloud).
   */
  interrupt(providerId: string, cloud?: CloudName): { noticeSeconds: number } {
    const row = this.db.prepare('SELECT * FROM sim_instances WHERE id = ?').get(providerId) as
      | Row
      | undefined;
    if (!row || this.toInstance(row).state === 'terminated') {
      throw new CloudError('NotFound', `no running sim instance ${providerId}`, 'sim');
    }
    const noticeSeconds = NOTICE_SECONDS[cloud ?? row.cloud];
    const at = this.opts.now().toISOString();
    const { changes } = this.db
      .prepare(
        'UPDATE sim_instances SET interrupted_at = ?, notice_seconds = ? WHERE id = ? AND interrupted_at IS NULL',
      )
      .run(at, noticeSeconds, providerId);
    const listed = this.listable?.get(providerId);
    if (changes > 0 && listed)
      this.listable!.set(providerId, { ...listed, interrupted_at: at, notice_seconds: noticeSeconds });
    return { noticeSeconds };
  }

  billableHours(from: Date, to: Date): number {
    return (Math.max(0, to.getTime() - from.getTime()) / 3_600_000) * this.opts.timeScale;
  }

  /** The instance as the cloud would describe it now: state follows from the recorded instants. */
  private toInstance(r: Row): Instance {
    return {
      providerId: r.id,
      nodeId: r.client_token,
      cloud: r.cloud,
      region: r.region,
      zone: r.zone,
      instanceType: r.instance_type,
      market: r.market,
      state: this.stateOf(r),
      launchedAt: r.launched_at,
      interruptedAt: r.interrupted_at,
    };
  }

  private stateOf(r: Row): InstanceState {
    const now = this.opts.now().getTime();
    if (r.state === 'terminated') return 'terminated';
    if (r.interrupted_at && r.notice_seconds !== null) {
      const reclaimAt = Date.parse(r.interrupted_at) + (r.notice_seconds / this.opts.timeScale) * 1000;
      if (now >= reclaimAt) return 'terminated';
    }
    return now >= Date.parse(r.ready_at) ? 'running' : 'pending';
  }
}
