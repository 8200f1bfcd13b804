// Launching and terminating nodes, in the Kueue manner: reserve in the store first (the node row and the
// job's move to `scheduled` in one transaction), then call the cloud, then commit (provider id, job to
// `provisioning`) or roll back (nodes closed, job back in the queue, pool blocked). A crash between the
// steps leaves a node row without a provider id, which the reconciler resolves by asking the cloud
// (the node id is the launch's idempotency token), so nothing is launched twice or leaked.
import type { Logger } from 'pino';
import { isCloudError } from '../clouds/errors.js';
import type { CapacityProvider } from '../clouds/ports.js';
import type { NodeRecord, Offer } from '../core/model.js';
import { poolKey } from '../core/model.js';
import type { JobPlacement, NewNode, UnitPlacement } from '../core/schedule.js';
import { type IdSource, randomIds } from '../ids.js';
import type { Store } from '../store/store.js';
import { nodeCost, type Providers, providerOf } from './billing.js';

export interface ProvisionerOptions {
  launchFailureBlockSeconds: number;
  /**
   * The script that installs and starts the node's agent (user-data, startup-script, customData), with a
   * bootstrap token issued for that node; undefined where no agent runs (the in-process simulation).
   */
  bootstrapFor?: (node: NodeRecord) => string | undefined;
  /** Where node ids come from (src/ids.ts); random unless a replay seeds them. */
  ids?: IdSource;
}

export class Provisioner {
  /** Node ids with a launch call in flight in this process (the reconciler leaves them alone). */
  readonly inFlight = new Set<string>();
  /** Cloud calls started and not yet finished (a GPU VM can take minutes to be created). */
  private readonly calls = new Set<Promise<void>>();
  private readonly leaks = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly providers: Providers,
    /** Which provider launches offers of each cloud ('sim' in the embedded default). */
    private readonly providerFor: (offer: Offer) => CapacityProvider,
    private readonly opts: ProvisionerOptions,
    private readonly log: Logger,
  ) {}

  /**
   * Starts a cloud call without waiting for it: the control loop must not stall for the minutes some
   * clouds take to create or delete a VM. The reserve step of a launch runs synchronously inside
   * `start`, so the next tick already sees the job scheduled and the node provisioning.
   */
  start(call: () => Promise<void>): void {
    const p: Promise<void> = call()
      .catch((err: unknown) => this.log.error({ err: (err as Error).message }, 'cloud call failed'))
      .finally(() => this.calls.delete(p));
    this.calls.add(p);
  }

  /** Waits for every cloud call in flight (shutdown, tests). */
  async settled(): Promise<void> {
    while (this.calls.size > 0) await Promise.allSettled([...this.calls]);
  }

  /**
   * Places jobs on free slots of running nodes: the reservation is all there is to it (the nodes are paid for
   * and booted, or booting), so it is one transaction and no cloud call.
   */
  assign(p: JobPlacement, now: Date): void {
    this.store.tx(() => this.reserve(p, (u) => (u.where.kind === 'node' ? u.where.nodeId : ''), now));
    this.store.jobs.transition(p.jobId, 'provisioning', 'free slots on running nodes', now);
  }

  /**
   * Launches new nodes for the jobs that go onto them, all or nothing: a gang needs all its members, and the
   * jobs sharing a new node need that node.
   */
  async launch(
    group: { nodes: NewNode[]; jobs: JobPlacement[] },
    now: Date,
    /** Spare nodes, launched ahead of the jobs that will need them (a reclaim notice): kept idle until then. */
    spareUntil?: Date,
  ): Promise<void> {
    const at = now.toISOString();
    const fresh = new Map(
      group.nodes.map((n) => [
        n.launchId,
        {
          offer: n.offer,
          record: newNode(
            `node-${(this.opts.ids ?? randomIds)().slice(0, 8)}`,
            n.offer,
            this.providerFor(n.offer),
            at,
          ),
        },
      ]),
    );
    const nodeIdOf = (u: UnitPlacement) =>
      u.where.kind === 'node' ? u.where.nodeId : (fresh.get(u.where.launchId)?.record.id ?? '');
    this.store.tx(() => {
      for (const { record } of fresh.values())
        this.store.nodes.insert(spareUntil ? { ...record, lastBusyAt: spareUntil.toISOString() } : record);
      for (const p of group.jobs) this.reserve(p, nodeIdOf, now);
    });
    const launches = [...fresh.values()];
    const ids = launches.map((l) => l.record.id);
    const jobIds = group.jobs.map((p) => p.jobId);
    for (const id of ids) this.inFlight.add(id);
    try {
      const launched = await Promise.allSettled(
        launches.map(({ offer, record }) =>
          this.providerFor(offer).launch({
            nodeId: record.id,
            offer,
            tags: { 'gpusched-node': record.id, 'gpusched-job': jobIds[0] ?? '' },
            ...this.bootstrap(record),
          }),
        ),
      );
      const failure = launched.findIndex((r) => r.status === 'rejected');
      if (failure >= 0) {
        await this.rollback(group.jobs, launches, launched, failure, now);
        return;
      }
      this.store.tx(() => {
        launched.forEach((r, i) => {
          if (r.status === 'fulfilled') this.store.nodes.update(ids[i]!, { providerId: r.value.providerId });
        });
        // A job may have been cancelled while the cloud answered; its node is then released below.
        for (const id of jobIds) {
          if (this.store.jobs.get(id)?.state === 'scheduled')
            this.store.jobs.transition(id, 'provisioning', 'capacity launched', now);
        }
      });
      this.log.info({ jobIds, nodeIds: ids, pools: launches.map((l) => poolKey(l.offer)) }, 'launched');
      const held = new Set(this.store.slots.forJobs(jobIds).map((s) => s.nodeId));
      for (const id of ids) {
        if (held.has(id) || spareUntil) continue;
        this.inFlight.delete(id);
        await this.terminate(id, 'no job wants it any more', now);
      }
    } finally {
      for (const id of ids) this.inFlight.delete(id);
    }
  }

  /** The launch's bootstrap script, issued after the node row exists (the token refers to it). */
  private bootstrap(node: NodeRecord): { bootstrap?: string } {
    const script = this.opts.bootstrapFor?.(node);
    return script === undefined ? {} : { bootstrap: script };
  }

  /** The reserve step: the job scheduled onto its nodes and each unit's slot recorded, in the caller's transaction. */
  private reserve(p: JobPlacement, nodeIdOf: (u: UnitPlacement) => string, now: Date): void {
    const job = this.store.jobs.get(p.jobId);
    if (!job) throw new Error(`job ${p.jobId} not found`);
    const nodeIds = [...new Set(p.units.map(nodeIdOf))];
    const first = this.store.nodes.get(nodeIds[0] ?? '');
    const where = first
      ? `${first.cloud}/${first.region}/${first.zone ?? '-'} ${first.instanceType} ${first.market} $${first.pricePerHour}/h`
      : 'its nodes';
    this.store.jobs.transition(p.jobId, 'scheduled', `placed on ${where}`, now, {
      nodeIds,
      expectedCostUsd: p.expectedCostUsd,
      ...(p.safetyNet ? { safetyNet: true } : {}),
    });
    for (const u of p.units) {
      const nodeId = nodeIdOf(u);
      this.store.slots.put({
        jobId: job.id,
        unit: u.unit,
        nodeId,
        team: job.team,
        slot: u.slot,
        assignedAt: now.toISOString(),
      });
      this.store.nodes.update(nodeId, { lastBusyAt: now.toISOString() });
    }
  }

  private async rollback(
    jobs: JobPlacement[],
    launches: { offer: Offer; record: NodeRecord }[],
    launched: PromiseSettledResult<{ providerId: string }>[],
    failed: number,
    now: Date,
  ): Promise<void> {
    const error = (launched[failed] as PromiseRejectedResult).reason as unknown;
    const kind = isCloudError(error) ? error.kind : 'Transient';
    const message = error instanceof Error ? error.message : String(error);
    // All or nothing: instances that did start are given back.
    await Promise.all(
      launched.map((r, i) =>
        r.status === 'fulfilled'
          ? this.providerFor(launches[i]!.offer)
              .terminate(r.value.providerId)
              .catch(() => undefined)
          : undefined,
      ),
    );
    const until = new Date(now.getTime() + this.opts.launchFailureBlockSeconds * 1000).toISOString();
    const pools = [
      ...new Set(launches.filter((_, i) => launched[i]!.status === 'rejected').map((l) => poolKey(l.offer))),
    ];
    this.store.tx(() => {
      for (const { record } of launches)
        this.store.nodes.transition(record.id, 'terminated', { terminatedAt: now.toISOString() });
      for (const pool of pools) this.store.offers.blockPool(pool, until, `launch failed: ${kind}`);
      for (const p of jobs) {
        if (this.store.jobs.get(p.jobId)?.state !== 'scheduled') continue;
        this.store.jobs.transition(p.jobId, 'queued', `launch failed (${kind}): ${message}`, now, {
          nodeIds: [],
          expectedCostUsd: null,
        });
      }
    });
    this.log.warn(
      { jobIds: jobs.map((p) => p.jobId), pools, kind, err: message },
      'launch failed; rolled back',
    );
  }

  /**
   * Gives a node back to its cloud and closes it with its cost. Safe to call again after a crash; a
   * second call while the first is in flight does nothing.
   */
  async terminate(nodeId: string, reason: string, now: Date): Promise<void> {
    const node = this.store.nodes.get(nodeId);
    if (!node || node.state === 'terminated' || this.inFlight.has(nodeId)) return;
    if (node.state !== 'terminating') this.store.nodes.transition(nodeId, 'terminating');
    this.inFlight.add(nodeId);
    try {
      if (node.providerId) await providerOf(this.providers, node).terminate(node.providerId);
    } finally {
      this.inFlight.delete(nodeId);
    }
    const terminatedAt = now.toISOString();
    const costUsd = nodeCost(this.providers, { ...node, terminatedAt }, now);
    this.store.tx(() => {
      this.store.nodes.transition(nodeId, 'terminated', { terminatedAt, costUsd });
      this.store.agents.revokeNode(nodeId, now);
    });
    this.log.info({ nodeId, reason, costUsd }, 'node terminated');
  }

  /** Terminates an instance no node wants (a leak), once at a time per instance. */
  terminateInstance(provider: CapacityProvider, providerId: string): void {
    const key = `${provider.name}/${providerId}`;
    if (this.leaks.has(key)) return;
    this.leaks.add(key);
    this.start(() => provider.terminate(providerId).finally(() => this.leaks.delete(key)));
  }
}

function newNode(id: string, offer: Offer, provider: CapacityProvider, at: string): NodeRecord {
  return {
    id,
    cloud: offer.cloud,
    provider: provider.name,
    region: offer.region,
    zone: offer.zone,
    instanceType: offer.instanceType,
    market: offer.market,
    gpu: offer.gpu,
    pricePerHour: offer.pricePerHour,
    state: 'provisioning',
    providerId: null,
    createdAt: at,
    readyAt: null,
    lastBusyAt: at,
    terminatedAt: null,
    interruptedAt: null,
    costUsd: 0,
  };
}
