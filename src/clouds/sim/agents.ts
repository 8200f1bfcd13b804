// In-process mode plays the node agents: for every node on the simulated cloud it reports what a real
// agent would (the node booted, the job started, the job finished after its estimated runtime in sim
// time, a reclaim notice arrived) through the very same report functions the agent API will call.

import type { Job, NodeRecord } from '../../core/model.js';
import { lastSaveAt } from '../../core/progress.js';
import type { Reports } from '../../services/reports.js';
import type { Store } from '../../store/store.js';
import type { SimProvider } from './provider.js';

export class SimAgents {
  constructor(
    private readonly store: Store,
    private readonly provider: SimProvider,
    private readonly reports: Reports,
    private readonly timeScale: number,
    /** How long the job runs on this node's GPU (its estimate is on the slowest GPU it accepts). */
    private readonly runtimeHours: (job: Job, node: NodeRecord) => number,
  ) {}

  async tick(now: Date): Promise<void> {
    const instances = new Map((await this.provider.list()).map((i) => [i.nodeId, i]));
    for (const node of this.store.nodes.list(['provisioning', 'ready', 'draining'])) {
      if (node.provider !== this.provider.name) continue;
      const inst = instances.get(node.id);
      if (!inst || inst.state === 'terminated') continue; // the reconciler handles vanished instances
      if (inst.interruptedAt && node.state !== 'draining') {
        this.reports.notice(node.id, 'spot reclaim notice', now);
        continue;
      }
      if (node.state === 'provisioning' && inst.state === 'running' && node.providerId) {
        this.reports.nodeReady(node.id, now);
      }
    }
    this.runJobs(now);
  }

  /**
   * Starts jobs whose nodes are all ready, checkpoints jobs told to (at once: a simulated job saves instantly),
   * and finishes batch jobs whose sim runtime has passed.
   */
  private runJobs(now: Date): void {
    for (const job of this.store.jobs.inStates(['provisioning', 'running', 'checkpointing'])) {
      const nodes = job.nodeIds.map((id) => this.store.nodes.get(id));
      if (nodes.some((n) => !n || n.provider !== this.provider.name)) continue;
      if (job.state === 'provisioning') {
        if (nodes.every((n) => n?.state === 'ready')) this.reports.jobStarted(job.id, now);
        continue;
      }
      if (job.state === 'checkpointing') {
        const step = (job.checkpoint?.step ?? 0) + 1;
        this.reports.checkpointed(job.id, { path: `step-${step}`, step, at: now.toISOString() }, now);
        continue;
      }
      const node = nodes[0];
      if ((job.spec.kind ?? 'batch') === 'inference' || !job.spec.runtime || !job.startedAt || !node)
        continue;
      // What is left of its runtime after what its last checkpoint saved (a moved job resumes from there).
      const hours = this.runtimeHours(job, node) * (1 - job.progress);
      // The process ends exactly when its sim runtime is up, not at the tick that notices it: the run is
      // billed to that instant, as an agent reporting the exit time would.
      const endsAt = lastSaveAt(job)!.getTime() + (hours * 3_600_000) / this.timeScale;
      if (endsAt <= now.getTime()) this.reports.jobExited(job.id, 0, new Date(endsAt));
    }
  }
}
