// Measures a running job's progress: its saved share plus what the run did since, in the job's own time
// (the provider's hours: wall-clock on real clouds, scaled on the simulated one) at its node's GPU speed.
import type { Job, NodeRecord } from '../core/model.js';
import { lastSaveAt, progressAt } from '../core/progress.js';
import type { Store } from '../store/store.js';
import { type Providers, providerOf } from './billing.js';

/** The whole job's runtime on a node's GPU (the cost model's runtimeOn). */
export type RuntimeOn = (job: Job, node: NodeRecord) => number;

export class ProgressMeter {
  constructor(
    private readonly store: Store,
    private readonly providers: Providers,
    readonly runtimeOn: RuntimeOn,
  ) {}

  /** How long the job's current run has lasted at `at`, in job time (hours); 0 when it does not run. */
  runHours(job: Job, at: Date): number {
    const node = job.nodeIds.length > 0 ? this.store.nodes.get(job.nodeIds[0]!) : null;
    if (!job.startedAt || !node) return 0;
    return providerOf(this.providers, node).billableHours(new Date(job.startedAt), at);
  }

  /** Progress at `at` of a job that runs now; its saved progress when it does not run. */
  at(job: Job, at: Date): number {
    const since = lastSaveAt(job);
    const node = job.nodeIds.length > 0 ? this.store.nodes.get(job.nodeIds[0]!) : null;
    if (!since || !node || job.state === 'queued') return job.progress;
    const hours = providerOf(this.providers, node).billableHours(since, at);
    return progressAt(job, this.runtimeOn(job, node), hours);
  }
}
