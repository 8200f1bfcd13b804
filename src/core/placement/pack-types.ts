// The packer's public shapes: what the scheduler hands it and what it gets back. See pack.ts.
import type { CloudName, Offer } from '../model.js';
import type { NodeGpus, SlotAssignment, SlotRequest } from './slices.js';

export interface PackRequest {
  /** The job (or deployment) id; allocations on nodes carry it. */
  readonly id: string;
  readonly team: string;
  /** What one unit needs: whole GPUs, or a fraction and memory of one GPU. */
  readonly gpu: SlotRequest;
  /** Accepted GPU models (core/gpus.ts rules); none = any. */
  readonly models?: readonly string[];
  readonly minMemoryGiB?: number;
  /** Units: gang nodes (batch) or replicas (inference). */
  readonly units: number;
  /** gang: all units in one zone on distinct nodes, or none. replicas: distinct zones, then nodes, where possible. */
  readonly spread: 'gang' | 'replicas';
  /** Higher first; only matters where running nodes' free slots are scarce (offers are not used up). */
  readonly priority?: number;
  /**
   * Requests with the same group must get the same answers from cost() and refuse() for every target, whatever
   * their id and team: the packer asks once per group (and GPU request). Without it every request is asked on its
   * own, which is correct but slow for large queues; costGroupOf(spec) is a start.
   */
  readonly group?: string;
}

export interface PackNode {
  readonly id: string;
  readonly cloud: CloudName;
  readonly region: string;
  readonly zone: string | null;
  /** Its GPUs and what holds them now. */
  readonly inventory: NodeGpus;
}

export type PackTarget<N extends PackNode = PackNode> =
  | { readonly kind: 'offer'; readonly offer: Offer }
  | { readonly kind: 'node'; readonly node: N };

export interface PackInput<R extends PackRequest = PackRequest, N extends PackNode = PackNode> {
  readonly requests: readonly R[];
  /** Running nodes that may take more work (the caller leaves out draining ones). */
  readonly nodes: readonly N[];
  readonly offers: readonly Offer[];
  /**
   * Expected cost of ONE unit of the request. On an offer: as if the unit had a node of that offer to itself
   * (price × hours + data movement + interruption overhead). On a running node: the marginal cost of one unit in
   * its free slot. Not finite = not placeable there (reason UNPRICED).
   */
  readonly cost: (request: R, target: PackTarget<N>) => number;
  /**
   * A reason code when the target is not allowed (region, market, price cap, blocked pool ...); else null. The
   * packer calls cost() for a target right after refuse() allowed it, so a caller may keep what they share.
   */
  readonly refuse?: (request: R, target: PackTarget<N>) => string | null;
  /**
   * A floor under cost(request, offer) for every offer refuse() allows, when the request has a new node of it to
   * itself. A cycle of one request of one unit, which only the cheapest offer can win, prices offers from the
   * lowest floor up and stops once the floor passes the cheapest cost found. Absent: every offer is priced.
   */
  readonly floor?: (request: R, offer: Offer) => number;
  /** Merges of new nodes the improvement pass may try (bounds its time). Default 5000. */
  readonly mergeBudget?: number;
}

export type UnitWhere =
  | { readonly kind: 'node'; readonly nodeId: string }
  | { readonly kind: 'launch'; readonly launchId: string };

export interface UnitAssignment {
  readonly unit: number;
  readonly where: UnitWhere;
  /** zoneKey: cloud:region:zone. */
  readonly zone: string;
  readonly slot: SlotAssignment;
}

export interface RequestAssignment {
  readonly requestId: string;
  readonly units: readonly UnitAssignment[];
  /** Its part of the cycle's cost: slot costs on running nodes, a GPU-share of each new node's cost. */
  readonly cost: number;
}

export interface Launch {
  readonly launchId: string;
  readonly offer: Offer;
  readonly zone: string;
  /** The new node's GPUs with the slots the plan gives out. */
  readonly inventory: NodeGpus;
  readonly cost: number;
  readonly requestIds: readonly string[];
}

export interface PackUnplaced {
  readonly requestId: string;
  /** How many candidates (offers or nodes) each reason ruled out. */
  readonly reasons: Readonly<Record<string, number>>;
  readonly message: string;
}

export interface PackResult {
  readonly assignments: readonly RequestAssignment[];
  readonly launches: readonly Launch[];
  readonly unplaced: readonly PackUnplaced[];
  /** New inventories of the running nodes that received work. */
  readonly inventories: ReadonlyMap<string, NodeGpus>;
  /** Σ slot costs on running nodes + Σ costs of the new nodes. */
  readonly totalCost: number;
}
