// What capacity cost: a node's price for its billable time, as the provider that owns it counts time.
import type { CapacityProvider } from '../clouds/ports.js';
import type { Job, NodeRecord } from '../core/model.js';

export type Providers = ReadonlyMap<string, CapacityProvider>;

export function providerOf(providers: Providers, node: NodeRecord): CapacityProvider {
  const p = providers.get(node.provider);
  if (!p) throw new Error(`node ${node.id} belongs to provider "${node.provider}", which is not configured`);
  return p;
}

/** The node's own cost from launch until it ended (or until now). */
export function nodeCost(providers: Providers, node: NodeRecord, now: Date): number {
  const end = node.terminatedAt ? new Date(node.terminatedAt) : now;
  return node.pricePerHour * providerOf(providers, node).billableHours(new Date(node.createdAt), end);
}

/** Cost of the job's current run so far: every node it holds, from its start until now. */
export function runCost(providers: Providers, job: Job, nodes: readonly NodeRecord[], now: Date): number {
  if (!job.startedAt) return 0;
  const from = new Date(job.startedAt);
  return nodes.reduce(
    (sum, n) => sum + n.pricePerHour * providerOf(providers, n).billableHours(from, now),
    0,
  );
}
