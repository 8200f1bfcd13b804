// The packer's working state: what the index builds (cost classes, groups, candidate nodes) and what the
// greedy and improvement passes change (nodes and the units on them). Plain data, shared by the pack-* modules.
import type { PackRequest } from './pack-types.js';
import type { ZoneHeap } from './pack-zones.js';
import { Reason } from './reasons.js';
import type { NodeGpus, SlotAssignment } from './slices.js';

/** Reason codes the packer adds to those of the caller's refuse() (listed with all others in reasons.ts). */
export const PackReason = { UNPRICED: Reason.UNPRICED } as const;

/** `cloud:region:zone`; regional offers (zone null) form their own zone `cloud:region:*`. */
export function zoneKey(p: { cloud: string; region: string; zone: string | null }): string {
  return `${p.cloud}:${p.region}:${p.zone ?? '*'}`;
}

export interface OfferCost {
  readonly offerIdx: number;
  readonly zone: string;
  /** cost(request, offer) for one unit. */
  readonly cost: number;
  /** How many units of the group one empty node of this offer holds. */
  readonly m: number;
}

export interface Hosted<R extends PackRequest> {
  readonly req: ReqState<R>;
  readonly unit: number;
  slot: SlotAssignment;
  /** On an existing node: cost(request, node). On a new node: cost(request, offer). */
  readonly cost: number;
}

export interface NodeState<R extends PackRequest> {
  readonly idx: number;
  /** Id of an existing node; null for a node opened in this cycle. */
  readonly existingId: string | null;
  /** Changes only in the improvement pass, for a new node that holds no member of a larger request. */
  zone: string;
  /** Offer of a node opened in this cycle; -1 for an existing node. */
  offerIdx: number;
  inv: NodeGpus;
  /** A node opened in this cycle costs the most any of its units would cost alone on it. */
  cost: number;
  units: Hosted<R>[];
  alive: boolean;
}

export interface ReqState<R extends PackRequest> {
  readonly request: R;
  readonly group: Group<R>;
}

export interface Candidate<R extends PackRequest> {
  readonly node: NodeState<R>;
  /** cost(request, node) for one unit. */
  readonly cost: number;
}

/** What requests of one caller group share: the answers of cost() and refuse(), asked once. */
export interface CostClass<R extends PackRequest> {
  /** Feasible offers by their index in the input (undefined: refused, unpriced or too small). */
  readonly offers: readonly (OfferCost | undefined)[];
  /** Feasible offers per zone, cheapest first. */
  readonly byZone: Map<string, OfferCost[]>;
  /** Per zone, the cheapest offer for each distinct units-per-node. */
  readonly zoneClasses: Map<string, OfferCost[]>;
  /** Zones by what a unit costs at least on a new node there, per lookahead (see zoneOrder()). */
  readonly zoneOrders: Map<number, readonly (readonly [string, number])[]>;
  /** Zones by what a gang costs at least there, per lookahead and gang size (see gangOrder()). */
  readonly gangOrders: Map<string, readonly (readonly [string, number])[]>;
  /** The most units any feasible offer holds: lookaheads beyond it change nothing. */
  readonly maxM: number;
  /** The cheapest offer for each distinct units-per-node, over all zones. */
  readonly classes: OfferCost[];
  /** Running nodes of an accepted GPU, allowed and priced, cheapest first (whether a unit fits is per team). */
  readonly existing: Candidate<R>[];
  readonly existingByZone: Map<string, Candidate<R>[]>;
  /** How many offers and nodes each reason ruled out. */
  readonly reasons: Record<string, number>;
  /** One group per team. */
  readonly groups: Group<R>[];
}

/** Requests of one cost class and one team: units of a group are interchangeable. */
export interface Group<R extends PackRequest> {
  readonly rep: R;
  readonly cls: CostClass<R>;
  /**
   * The class's running nodes, cheapest first, and the same per zone: the group's own copies, which drop the
   * nodes found too full for its units as it goes (whether a unit fits is checked when it is placed).
   */
  readonly existing: Candidate<R>[];
  readonly existingByZone: Map<string, Candidate<R>[]>;
  /** Nodes opened in this cycle for the cost class; and the same per zone. */
  readonly opened: NodeState<R>[];
  readonly openedByZone: Map<string, NodeState<R>[]>;
  /** Nodes found too full for one unit of the group: capacity only shrinks within a cycle. */
  readonly dead: Set<NodeState<R>>;
  remaining: number;
  /** Per gang size, zones by a lower bound on the gang's cost there, kept up to date lazily (pack-gang.ts). */
  readonly gangHeaps: Map<number, ZoneHeap>;
}

export interface Index<R extends PackRequest> {
  readonly groups: Group<R>[];
  readonly reqs: ReqState<R>[];
  readonly nodes: NodeState<R>[];
}
