// What capacity cost: a node's price for its billable time, as the provider that owns it counts time.
import type { CapacityProvider } from '../clouds/ports.js';
import type { Job, NodeRecord } from '../core/model.js';
import { gpuShare } from '../core/placement/slices.js';
import type { SlotRecord } from '../store/slots.js';
import type { Store } from '../store/store.js';

export type Providers = ReadonlyMap<string, CapacityProvider>;

export function providerOf(
  providers: Providers,
  node: Pick<NodeRecord, 'id' | 'provider'>,
): CapacityProvider {
  const p = providers.get(node.provider);
  if (!p) throw new Error(`node ${node.id} belongs to provider "${node.provider}", which is not configured`);
  return p;
}

/** The node's own cost from launch until it ended (or until now). */
export function nodeCost(providers: Providers, node: NodeRecord, now: Date): number {
  const end = node.terminatedAt ? new Date(node.terminatedAt) : now;
  return node.pricePerHour * providerOf(providers, node).billableHours(new Date(node.createdAt), end);
}

/**
 * Cost of the job's current run so far: its share of every node it holds, from its start until now. A job
 * holding slots pays for the part of the node's GPUs they make up (MIG and MPS shares included); one placed
 * before slots were recorded pays for the whole node.
 */
export function runCost(
  providers: Providers,
  job: Job,
  nodes: readonly NodeRecord[],
  now: Date,
  slots: readonly SlotRecord[] = [],
): number {
  if (!job.startedAt) return 0;
  const from = new Date(job.startedAt);
  return nodes.reduce((sum, n) => {
    const mine = slots.filter((s) => s.nodeId === n.id);
    const share =
      mine.length === 0 ? 1 : Math.min(1, mine.reduce((x, s) => x + gpuShare(s.slot), 0) / n.gpu.count);
    return sum + share * n.pricePerHour * providerOf(providers, n).billableHours(from, now);
  }, 0);
}

/** runCost for a job as the store has it. */
export function jobRunCost(store: Store, providers: Providers, job: Job, now: Date): number {
  const nodes = job.nodeIds.map((id) => store.nodes.get(id)).filter((n) => n !== null);
  return runCost(providers, job, nodes, now, store.slots.forJob(job.id));
}
