// The packer of one scheduling cycle: requests → free slots on running nodes, or nodes to launch from offers,
// several requests sharing a node when that is cheaper. Pure: data in, plan out. The algorithm, its cost
// semantics and its limits are in docs/shared-gpus.md; in short:
//
// 1. Index (pack-index.ts): requests of one caller `group` form a cost class: one cost() and refuse() call per
//    class and feasible offer or node, offers reached through an index by GPU; per zone, the cheapest offer for
//    each "units per node".
// 2. Greedy (pack-greedy.ts), best-fit decreasing: requests by priority, then GPUs per unit, largest first. Each
//    unit takes the cheapest of: a free slot on a running node (its cost), a node opened earlier in this cycle
//    (the marginal cost: nothing if the node already costs as much as this unit would alone), or a new node,
//    whose cost is spread over the units of the group that will still fit on it (so two 4-GPU jobs open one
//    8-GPU node when it costs less than two 4-GPU nodes). Gangs (pack-gang.ts) go to the one zone where all
//    members cost least, on distinct nodes; replicas go to distinct zones, then distinct nodes, where possible.
// 3. Improve (pack-improve.ts): nodes opened in this cycle move to a cheaper offer that holds all their units,
//    and pairs (or triples) of them in one zone merge onto one cheaper node; nodes holding only single-unit
//    requests may also move, or merge, across zones.

import type { JobSpec } from '../jobspec.js';
import { nodesNeeded } from '../jobspec.js';
import type { Job } from '../model.js';
import { Greedy } from './pack-greedy.js';
import { improve } from './pack-improve.js';
import { buildIndex } from './pack-index.js';
import { collect, demand, unplacedOf } from './pack-result.js';
import type { PackInput, PackNode, PackRequest, PackResult, PackUnplaced } from './pack-types.js';

export { PackReason, zoneKey } from './pack-state.js';
export type {
  Launch,
  PackInput,
  PackNode,
  PackRequest,
  PackResult,
  PackTarget,
  PackUnplaced,
  RequestAssignment,
  UnitAssignment,
  UnitWhere,
} from './pack-types.js';

export function pack<R extends PackRequest, N extends PackNode>(input: PackInput<R, N>): PackResult {
  const index = buildIndex(input);
  const order = index.reqs
    .map((s, i) => ({ s, i }))
    .sort(
      (a, b) =>
        (b.s.request.priority ?? 0) - (a.s.request.priority ?? 0) ||
        demand(b.s.request.gpu) - demand(a.s.request.gpu) ||
        b.s.request.units - a.s.request.units ||
        a.i - b.i,
    );
  const greedy = new Greedy(input.offers, index.nodes);
  const unplaced: PackUnplaced[] = [];
  for (const { s } of order) {
    if (!greedy.place(s)) unplaced.push(unplacedOf(s));
  }
  improve(index.nodes, input.offers, input.mergeBudget ?? 5_000);
  return { ...collect(index.nodes, index.reqs, input.offers), unplaced };
}

/**
 * A job as the packer sees it: batch jobs are gangs of `resources.nodes`, inference deployments are `replicas`.
 * `group` is left to the caller: it knows what its cost function reads (runtime, data, constraints, market).
 */
export function requestFromJob(job: Job, group?: string): PackRequest {
  const g = job.spec.resources.gpu;
  const inference = (job.spec.kind ?? 'batch') === 'inference';
  return {
    id: job.id,
    team: job.team,
    gpu:
      g.fraction !== undefined
        ? { fraction: g.fraction, memoryGiB: g.memoryGiB ?? 0 }
        : { count: g.count ?? 1 },
    ...(g.models ? { models: g.models } : {}),
    ...(g.minMemoryGiB !== undefined ? { minMemoryGiB: g.minMemoryGiB } : {}),
    units: nodesNeeded(job.spec),
    spread: inference ? 'replicas' : 'gang',
    priority: job.priority,
    ...(group !== undefined ? { group } : {}),
  };
}

/**
 * A cost group for a job spec: what the default cost model and the feasibility filters read of a job, so that
 * jobs with equal keys get equal answers. A caller whose cost() or refuse() reads more (the team's budget, a
 * deadline's progress) must add it to the key.
 */
export function costGroupOf(spec: JobSpec): string {
  return JSON.stringify([
    spec.kind ?? 'batch',
    spec.resources,
    spec.replicas ?? null,
    spec.runtime ?? null,
    spec.data ?? null,
    spec.checkpoint ?? null,
    spec.market ?? 'auto',
    spec.constraints ?? null,
  ]);
}
