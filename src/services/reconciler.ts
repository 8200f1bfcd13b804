// Makes the store and the clouds agree, at start-up (after a crash) and then periodically:
// - a node whose launch was never confirmed is adopted if the cloud has it, else closed and its job requeued;
// - a node whose instance is gone is lost: its jobs go back to the queue;
// - a node left `terminating` is terminated again;
// - an instance the store does not want (no node, or a closed one) is terminated, so nothing leaks.
import type { Logger } from 'pino';
import type { Instance } from '../clouds/ports.js';
import type { Store } from '../store/store.js';
import type { Providers } from './billing.js';
import type { Provisioner } from './provisioner.js';
import type { Reports } from './reports.js';

export class Reconciler {
  constructor(
    private readonly store: Store,
    private readonly providers: Providers,
    private readonly provisioner: Provisioner,
    private readonly reports: Reports,
    private readonly log: Logger,
  ) {}

  async tick(now: Date): Promise<void> {
    for (const provider of this.providers.values()) {
      let instances: Instance[];
      try {
        instances = await provider.list();
      } catch (err) {
        // Without the cloud's answer we must not conclude anything is gone.
        this.log.warn({ provider: provider.name, err: (err as Error).message }, 'cannot list instances');
        continue;
      }
      const byNode = new Map(instances.map((i) => [i.nodeId, i]));
      const nodes = this.store.nodes.list(['provisioning', 'ready', 'draining', 'terminating', 'lost']);
      for (const node of nodes) {
        if (node.provider !== provider.name || this.provisioner.inFlight.has(node.id)) continue;
        const inst = byNode.get(node.id);
        const alive = inst !== undefined && inst.state !== 'terminated';
        if (node.state === 'terminating') {
          this.provisioner.start(() => this.provisioner.terminate(node.id, 'retrying termination', now));
        } else if (!node.providerId) {
          if (alive) this.adopt(node.id, inst.providerId, now);
          else this.reports.nodeLost(node.id, 'launch not confirmed by the cloud', now);
        } else if (!alive) {
          this.reports.nodeLost(
            node.id,
            inst?.interruptedAt ? 'reclaimed by the cloud' : 'instance vanished',
            now,
          );
        }
      }
      for (const inst of instances) {
        if (inst.state === 'terminated') continue;
        const node = this.store.nodes.get(inst.nodeId);
        if (!node || node.state === 'terminated') {
          this.log.warn(
            { providerId: inst.providerId, nodeId: inst.nodeId },
            'terminating unwanted instance',
          );
          this.provisioner.terminateInstance(provider, inst.providerId);
        }
      }
    }
  }

  /** The launch went through before a crash: record it and let the job go on. */
  private adopt(nodeId: string, providerId: string, now: Date): void {
    this.store.tx(() => {
      this.store.nodes.update(nodeId, { providerId });
      for (const job of this.reports.jobsOn(nodeId)) {
        const nodes = job.nodeIds.map((id) => this.store.nodes.get(id));
        if (job.state === 'scheduled' && nodes.every((n) => n?.providerId)) {
          this.store.jobs.transition(job.id, 'provisioning', 'launch confirmed after restart', now);
        }
      }
    });
    this.log.info({ nodeId, providerId }, 'adopted instance launched before a restart');
  }
}
