// The spend ledger: what running jobs cost, written as spend rows from the last accrual point to now (every
// few seconds, by the budget tick) and closed when a run ends, in the transaction that bills it. The run's
// bill is the sum of its rows, so the ledger and the jobs' costs never disagree. Each piece is priced at the
// node's price in force (a spot price that changes mid-run is counted from the moment it was observed), shared
// by the job's part of the node, in the provider's billable time, and cut at price changes, UTC midnights and
// the period boundaries of the policies in force.
import type { Period } from '../core/budget.js';
import {
  accrue,
  nodeShare,
  periodBoundaries,
  type RunNode,
  type SpendPiece,
  usdPerHour,
} from '../core/ledger.js';
import { type Job, poolKey } from '../core/model.js';
import type { Store } from '../store/store.js';
import { type Providers, providerOf } from './billing.js';

/** States in which a job's run is billed (it has a start and holds its nodes). */
export const RUN_STATES = ['running', 'checkpointing'] as const;

/** Always cut at UTC midnight: cloud billing (Azure usage details) is by UTC day. */
const UTC_DAY = { period: 'daily', timezone: 'UTC' } as const;

export interface PeriodSpec {
  readonly period: Period;
  readonly timezone: string;
}

export class SpendLedger {
  constructor(
    private readonly store: Store,
    private readonly providers: Providers,
    /** The periods of the policies in force: rows are cut at their boundaries. */
    private readonly periods: () => readonly PeriodSpec[] = () => [],
  ) {}

  /** Writes every running job's spend up to `now`. */
  accrue(now: Date): void {
    this.store.tx(() => {
      for (const job of this.store.jobs.inStates(RUN_STATES)) this.writeUpTo(job, now.getTime());
    });
  }

  /**
   * Closes the job's run at `now`: its spend is written up to that instant (rows past it, from an accrual
   * after the run really ended, are cut back) and the run's whole cost is returned, to be billed in the same
   * transaction. 0 for a job that has not started.
   */
  closeRun(job: Job, now: Date): number {
    if (!job.startedAt) return 0;
    const runStart = job.startedAt;
    return this.store.tx(() => {
      this.store.budgets.trimRun(job.id, runStart, now.getTime());
      this.writeUpTo(job, now.getTime());
      return this.store.budgets.runTotal(job.id, runStart);
    });
  }

  /** The spend of a running job since its last accrual, not yet written (what "spent" adds to the rows). */
  tail(job: Job, now: Date): SpendPiece[] {
    if (!job.startedAt) return [];
    const from = this.accruedTo(job);
    return this.pieces(job, this.runNodes(job), from, now.getTime());
  }

  /** What the job costs per hour of provider time on its nodes now (0 when it holds none). */
  usdPerHour(job: Job, now: Date): number {
    return usdPerHour(this.runNodes(job), now.getTime());
  }

  /** Billable hours of the job's first node between two instants (provider time: scaled in the simulation). */
  billableHours(job: Job, from: Date, to: Date): number | null {
    const node = job.nodeIds.length > 0 ? this.store.nodes.get(job.nodeIds[0]!) : null;
    return node ? providerOf(this.providers, node).billableHours(from, to) : null;
  }

  /** The job's nodes with its share of each and their pools' prices. */
  runNodes(job: Job): RunNode[] {
    const slots = this.store.slots.forJob(job.id);
    return job.nodeIds.flatMap((id) => {
      const node = this.store.nodes.get(id);
      if (!node) return [];
      return [
        {
          nodeId: node.id,
          share: nodeShare(node.gpu.count, slots, node.id),
          launchPrice: node.pricePerHour,
          launchedAt: Date.parse(node.createdAt),
          prices: this.store.offers
            .priceHistory(poolKey(node))
            .map((p) => ({ at: Date.parse(p.at), pricePerHour: p.pricePerHour })),
        },
      ];
    });
  }

  private accruedTo(job: Job): number {
    const start = Date.parse(job.startedAt!);
    return Math.max(start, this.store.budgets.accruedTo(job.id, job.startedAt!) ?? start);
  }

  private writeUpTo(job: Job, to: number): void {
    if (!job.startedAt) return;
    const nodes = this.runNodes(job);
    const cloudOf = new Map(job.nodeIds.map((id) => [id, this.store.nodes.get(id)?.cloud ?? 'unknown']));
    for (const p of this.pieces(job, nodes, this.accruedTo(job), to))
      this.store.budgets.append(job.id, job.startedAt, cloudOf.get(p.nodeId) ?? 'unknown', p);
  }

  private pieces(job: Job, nodes: readonly RunNode[], from: number, to: number): SpendPiece[] {
    if (to <= from) return [];
    const byId = new Map(job.nodeIds.map((id) => [id, this.store.nodes.get(id)]));
    // From `from - 1`: a piece starting on a boundary is marked so, and is not merged into the row before it.
    const boundaries = periodBoundaries(from - 1, to, [UTC_DAY, ...this.periods()]);
    return accrue(nodes, from, to, boundaries, (nodeId, a, b) => {
      const node = byId.get(nodeId);
      return node ? providerOf(this.providers, node).billableHours(new Date(a), new Date(b)) : 0;
    });
  }
}
