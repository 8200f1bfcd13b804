// What the API shows of jobs and nodes: stored records plus what is derived now (cost so far,
// where a job runs).
import { JOB_STATES_ON_NODES } from '../core/lifecycle.js';
import type { Job, NodeRecord } from '../core/model.js';
import { freeCapacity, heldInventory } from '../core/placement/slices.js';
import { nodeCost, type Providers, runCost } from '../services/billing.js';
import type { Store } from '../store/store.js';

export function jobView(store: Store, providers: Providers, job: Job, now: Date) {
  const nodes = job.nodeIds.map((id) => store.nodes.get(id)).filter((n) => n !== null);
  const first = nodes[0];
  const running = job.state === 'running' || job.state === 'checkpointing';
  const slots = store.slots.forJob(job.id);
  return {
    id: job.id,
    name: job.name,
    team: job.team,
    kind: job.spec.kind ?? 'batch',
    state: job.state,
    reason: job.reason,
    priority: job.priority,
    labels: job.spec.labels ?? {},
    dependsOn: job.dependsOn,
    submittedAt: job.submittedAt,
    updatedAt: job.updatedAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    // Finished runs plus the one in progress, so a running job's cost moves.
    costUsd: round(job.costUsd + (running ? runCost(providers, job, nodes, now, slots) : 0)),
    expectedCostUsd: job.expectedCostUsd === null ? null : round(job.expectedCostUsd),
    /** Its last checkpoint, and the share of the work (0..1) it saved. */
    checkpoint: job.checkpoint,
    progress: job.progress,
    placement: first
      ? {
          cloud: first.cloud,
          region: first.region,
          zone: first.zone,
          instanceType: first.instanceType,
          market: first.market,
          pricePerHour: first.pricePerHour,
          nodeIds: job.nodeIds,
          // What each unit holds on its node (the agent is told the same): GPUs, a MIG instance, an MPS share.
          slots: slots.map((s) => ({ unit: s.unit, nodeId: s.nodeId, slot: s.slot })),
        }
      : null,
    spec: job.spec,
  };
}

export function nodeViews(store: Store, providers: Providers, nodes: NodeRecord[], now: Date) {
  const active = store.jobs.inStates(JOB_STATES_ON_NODES);
  const slots = store.slots.byNode();
  return nodes.map((n) => {
    const jobIds = active.filter((j) => j.nodeIds.includes(n.id)).map((j) => j.id);
    const free = freeCapacity(heldInventory(n.gpu, jobIds, slots.get(n.id) ?? []));
    return {
      id: n.id,
      cloud: n.cloud,
      provider: n.provider,
      region: n.region,
      zone: n.zone,
      instanceType: n.instanceType,
      market: n.market,
      gpu: n.gpu,
      pricePerHour: n.pricePerHour,
      state: n.state,
      providerId: n.providerId,
      createdAt: n.createdAt,
      readyAt: n.readyAt,
      terminatedAt: n.terminatedAt,
      costUsd: round(n.state === 'terminated' ? n.costUsd : nodeCost(providers, n, now)),
      jobIds,
      /** What is left for more work: whole free GPUs, compute and memory in GPUs' worth (docs/shared-gpus.md). */
      free: n.state === 'terminated' ? null : free,
    };
  });
}

/** Cents are what people compare; sub-cent noise from float sums is not. */
function round(usd: number): number {
  return Math.round(usd * 10_000) / 10_000;
}
