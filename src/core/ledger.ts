// Ledger math: what a job's run costs over an interval, node by node, at the price in force and the job's share
// of each node, cut into pieces that never span a price change or a period boundary. Pure: prices, shares,
// boundaries and the provider's clock (billable hours) all come in; nothing is read.
import { nextPeriod, type Period, periodWindow } from './budget.js';
import { gpuShare, type SlotAssignment } from './placement/slices.js';

/** A price observed for a node's pool (price_history), as epoch ms. */
export interface PricePoint {
  readonly at: number;
  readonly pricePerHour: number;
}

/** One node of a run as the ledger needs it. */
export interface RunNode {
  readonly nodeId: string;
  /** The job's share of the node (nodeShare). */
  readonly share: number;
  /** The price the node was launched at, and when (epoch ms). */
  readonly launchPrice: number;
  readonly launchedAt: number;
  /** Its pool's observed prices, in any order. */
  readonly prices: readonly PricePoint[];
}

/** A piece of spend: one node, an interval within one price and one period, for one job. */
export interface SpendPiece {
  readonly nodeId: string;
  readonly from: number;
  readonly to: number;
  readonly pricePerHour: number;
  readonly share: number;
  /** The node's billable hours over [from, to) (provider time: scaled on the simulated cloud). */
  readonly hours: number;
  readonly usd: number;
  /** True when `from` is a period boundary: the piece must not be merged into the one before. */
  readonly opensPeriod: boolean;
}

/**
 * The job's share of a node: the GPUs its slots hold there over the node's GPUs (MIG slices and MPS fractions
 * included), at most the whole node; the whole node when it holds no slot recorded there. The same rule as
 * billing (services/billing.ts runCost), so the ledger attributes what jobs are billed.
 */
export function nodeShare(
  gpuCount: number,
  slots: readonly { readonly nodeId: string; readonly slot: SlotAssignment }[],
  nodeId: string,
): number {
  const mine = slots.filter((s) => s.nodeId === nodeId);
  if (mine.length === 0) return 1;
  return Math.min(1, mine.reduce((sum, s) => sum + gpuShare(s.slot), 0) / Math.max(1, gpuCount));
}

/**
 * The price in force at each moment of [from, to): the launch price until the pool's first price observed
 * after the launch, then the latest price observed at or before each moment. A price seen before the launch is
 * not applied: the launch price is what the node was bought at then.
 */
export function priceSegments(
  node: Pick<RunNode, 'launchPrice' | 'launchedAt' | 'prices'>,
  from: number,
  to: number,
): { from: number; to: number; pricePerHour: number }[] {
  if (to <= from) return [];
  const changes = [...node.prices].filter((p) => p.at > node.launchedAt).sort((a, b) => a.at - b.at);
  let price = node.launchPrice;
  for (const p of changes) if (p.at <= from) price = p.pricePerHour;
  const out: { from: number; to: number; pricePerHour: number }[] = [];
  let at = from;
  for (const p of changes) {
    if (p.at <= from || p.at >= to) continue;
    if (p.pricePerHour !== price) {
      out.push({ from: at, to: p.at, pricePerHour: price });
      at = p.at;
    }
    price = p.pricePerHour;
  }
  out.push({ from: at, to, pricePerHour: price });
  return out;
}

/** The instants strictly inside (from, to) where a period of any of `periods` begins, ascending, no repeats. */
export function periodBoundaries(
  from: number,
  to: number,
  periods: readonly { readonly period: Period; readonly timezone: string }[],
): number[] {
  const out = new Set<number>();
  for (const { period, timezone } of periods) {
    let window = periodWindow(new Date(from), period, timezone);
    while (window.end.getTime() < to) {
      out.add(window.end.getTime());
      window = nextPeriod(window);
    }
  }
  return [...out].sort((a, b) => a - b);
}

/**
 * What a run spends over [from, to) on each of its nodes: split at price changes and at `boundaries`, each piece
 * priced at the price in force × the job's share × the node's billable hours over it.
 */
export function accrue(
  nodes: readonly RunNode[],
  from: number,
  to: number,
  boundaries: readonly number[],
  billableHours: (nodeId: string, from: number, to: number) => number,
): SpendPiece[] {
  if (to <= from) return [];
  const cuts = boundaries.filter((b) => b > from && b < to);
  const opens = new Set(boundaries);
  const pieces: SpendPiece[] = [];
  for (const node of nodes) {
    for (const segment of priceSegments(node, from, to)) {
      const points = [segment.from, ...cuts.filter((c) => c > segment.from && c < segment.to), segment.to];
      for (let i = 0; i + 1 < points.length; i++) {
        const a = points[i]!;
        const b = points[i + 1]!;
        const hours = billableHours(node.nodeId, a, b);
        pieces.push({
          nodeId: node.nodeId,
          from: a,
          to: b,
          pricePerHour: segment.pricePerHour,
          share: node.share,
          hours,
          usd: segment.pricePerHour * node.share * hours,
          opensPeriod: opens.has(a),
        });
      }
    }
  }
  return pieces;
}

/** The part of [from, to) inside [start, end), as a share of it (0..1): how a row counts in a window. */
export function overlapShare(from: number, to: number, start: number, end: number): number {
  if (to <= from) return 0;
  return Math.max(0, Math.min(to, end) - Math.max(from, start)) / (to - from);
}

/** What the run costs per hour of provider time now: Σ price in force × share over its nodes. */
export function usdPerHour(nodes: readonly RunNode[], at: number): number {
  return nodes.reduce((sum, n) => sum + (priceSegments(n, at, at + 1)[0]?.pricePerHour ?? 0) * n.share, 0);
}
