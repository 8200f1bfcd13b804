// Launching and terminating nodes, in the Kueue manner: reserve in the store first (the node row and the
// job's move to `scheduled` in one transaction), then call the cloud, then commit (provider id, job to
// `provisioning`) or roll back (nodes closed, job back in the queue, pool blocked). A crash between the
// steps leaves a node row without a provider id, which the reconciler resolves by asking the cloud
// (the node id is the launch's idempotency token), so nothing is launched twice or leaked.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { isCloudError } from '../clouds/errors.js';
import type { CapacityProvider } from '../clouds/ports.js';
import type { NodeRecord, Offer } from '../core/model.js';
import { poolKey } from '../core/model.js';
import type { Store } from '../store/store.js';
import { nodeCost, type Providers, providerOf } from './billing.js';

export interface ProvisionerOptions {
  launchFailureBlockSeconds: number;
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

  async launchForJob(
    jobId: string,
    offer: Offer,
    count: number,
    expectedCostUsd: number,
    now: Date,
  ): Promise<void> {
    const provider = this.providerFor(offer);
    const at = now.toISOString();
    const nodes: NodeRecord[] = Array.from({ length: count }, () => ({
      id: `node-${randomUUID().slice(0, 8)}`,
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
    }));
    const ids = nodes.map((n) => n.id);
    const where = `${offer.cloud}/${offer.region}/${offer.zone ?? '-'} ${offer.instanceType} ${offer.market} $${offer.pricePerHour}/h`;
    this.store.tx(() => {
      for (const n of nodes) this.store.nodes.insert(n);
      this.store.jobs.transition(jobId, 'scheduled', `placed on ${where}`, now, {
        nodeIds: ids,
        expectedCostUsd,
      });
    });
    for (const id of ids) this.inFlight.add(id);
    try {
      const launched = await Promise.allSettled(
        nodes.map((n) =>
          provider.launch({ nodeId: n.id, offer, tags: { 'gpusched-node': n.id, 'gpusched-job': jobId } }),
        ),
      );
      const failure = launched.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failure) {
        await this.rollback(jobId, nodes, launched, offer, failure.reason, now);
        return;
      }
      this.store.tx(() => {
        launched.forEach((r, i) => {
          if (r.status === 'fulfilled') this.store.nodes.update(ids[i]!, { providerId: r.value.providerId });
        });
        const job = this.store.jobs.get(jobId);
        // The job may have been cancelled while the cloud answered; then the nodes are released below.
        if (job?.state === 'scheduled')
          this.store.jobs.transition(jobId, 'provisioning', 'capacity launched', now);
      });
      this.log.info({ jobId, nodeIds: ids, pool: poolKey(offer) }, 'launched');
      if (this.store.jobs.get(jobId)?.state !== 'provisioning') {
        // Cancelled mid-launch: the node rows may be closed already, the instances are not.
        for (const r of launched) if (r.status === 'fulfilled') await provider.terminate(r.value.providerId);
        for (const id of ids) await this.terminate(id, 'job no longer wants it', now);
      }
    } finally {
      for (const id of ids) this.inFlight.delete(id);
    }
  }

  private async rollback(
    jobId: string,
    nodes: NodeRecord[],
    launched: PromiseSettledResult<{ providerId: string }>[],
    offer: Offer,
    error: unknown,
    now: Date,
  ): Promise<void> {
    const kind = isCloudError(error) ? error.kind : 'Transient';
    const message = error instanceof Error ? error.message : String(error);
    // A gang is all or nothing: instances that did start are given back.
    for (const r of launched) {
      if (r.status === 'fulfilled')
        await this.providerFor(offer)
          .terminate(r.value.providerId)
          .catch(() => undefined);
    }
    const until = new Date(now.getTime() + this.opts.launchFailureBlockSeconds * 1000).toISOString();
    this.store.tx(() => {
      for (const n of nodes)
        this.store.nodes.transition(n.id, 'terminated', { terminatedAt: now.toISOString() });
      this.store.offers.blockPool(poolKey(offer), until, `launch failed: ${kind}`);
      const job = this.store.jobs.get(jobId);
      if (job?.state === 'scheduled') {
        this.store.jobs.transition(jobId, 'queued', `launch failed (${kind}): ${message}`, now, {
          nodeIds: [],
          expectedCostUsd: null,
        });
      }
    });
    this.log.warn({ jobId, pool: poolKey(offer), kind, err: message }, 'launch failed; rolled back');
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
    this.store.nodes.transition(nodeId, 'terminated', { terminatedAt, costUsd });
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
