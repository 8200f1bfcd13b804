// Budget enforcement at the two doors a job goes through. At submission, `admit` checks the job's expected cost
// against what every matching policy has left, inside the transaction that inserts the job: SQLite runs one
// writer at a time and better-sqlite3 runs the whole transaction synchronously, so no other submission can read
// the same headroom before this one's commitment is written. At placement, `verdicts` is the scheduler's budget
// port: jobs refused at admission are admitted once the money is there (a new period), and admitted jobs are
// held at a hard limit or over the burn-rate cap, or narrowed to spot by a spot-only policy.
import { combineAdmissions, decideAdmission, type RefusalCode, USD_EPSILON } from '../core/budget.js';
import { type GatePolicy, placementVerdict } from '../core/budget-gate.js';
import { type JobSpec, nodesNeeded } from '../core/jobspec.js';
import { type Job, type Offer, queuedJob } from '../core/model.js';
import type { CostFn } from '../core/placement/cost-fn.js';
import { firstRefusal } from '../core/placement/filters/index.js';
import type { BudgetVerdict } from '../core/schedule.js';
import { policiesFor } from '../policies/match.js';
import type { Policy } from '../policies/schema.js';
import type { Store } from '../store/store.js';
import type { BudgetBook, PolicyFigures } from './budget-book.js';
import { ApiError } from './jobs.js';

/** A job's expected cost and price per hour, on the cheapest capacity that could run it now. */
export interface Estimate {
  readonly usd: number;
  readonly usdPerHour: number;
}

/** Refusals no period would lift: the job is refused at submission (422) rather than held for ever. */
const NEVER: readonly RefusalCode[] = ['budget_job_exceeds_limit', 'budget_job_exceeds_burn_rate'];

/** How long the offers read for estimates are reused (the market changes every few minutes). */
const OFFERS_TTL_MS = 5_000;

export interface BudgetDeps {
  readonly store: Store;
  readonly book: BudgetBook;
  /** The policies in force. */
  readonly policies: () => readonly Policy[];
  /** The scheduler's cost function, so that estimates agree with placements. */
  readonly cost: CostFn;
  /**
   * A floor under `cost` (what the nodes' time alone costs): offers are tried from the lowest floor up, and
   * once the floor passes the best cost found none further can beat it. Absent: every offer is priced.
   */
  readonly costFloor?: (spec: JobSpec, offer: Offer, count: number) => number;
  /** The offers the scheduler would see now (annotated with interruption rates). */
  readonly offers: (now: Date) => readonly Offer[];
}

export class Budgets {
  private offerCache: { at: number; offers: readonly Offer[] } | null = null;

  constructor(private readonly deps: BudgetDeps) {}

  /**
   * The job's expected cost on the cheapest feasible offer, by the scheduler's cost function (the placement it
   * would get alone), and its price per hour there; null when nothing could run it now. Called before the
   * admission transaction: it reads only offers.
   */
  estimate(subject: { team: string; spec: JobSpec }, now: Date): Estimate | null {
    const job = queuedJob({
      id: 'estimate',
      team: subject.team,
      spec: subject.spec,
      submittedAt: now.toISOString(),
    });
    const count = nodesNeeded(subject.spec);
    const gpus = subject.spec.resources.gpu.count ?? subject.spec.resources.gpu.fraction ?? 1;
    const offers = this.offers(now);
    const floor = this.deps.costFloor;
    // In list order when there is no floor; from the lowest floor up when there is (ties go to the earlier
    // offer of the list either way, so the answer is the same).
    const order = offers.map((offer, i) => ({
      offer,
      i,
      floor: floor ? floor(subject.spec, offer, count) : 0,
    }));
    if (floor) order.sort((a, b) => a.floor - b.floor || a.i - b.i);
    let best: (Estimate & { i: number }) | null = null;
    for (const { offer, i, floor: least } of order) {
      if (best !== null && least > best.usd) break;
      if (firstRefusal(subject.spec, offer, now)) continue;
      const quote = this.deps.cost(job, offer, count, now);
      if (quote.refusal) continue;
      // The whole new node, as the packer prices a job placed alone (packing it with others only lowers it);
      // per hour, the share of the node the ledger will charge it.
      const share = Math.min(1, gpus / Math.max(1, offer.gpu.count));
      const usd = quote.totalUsd;
      if (best === null || usd < best.usd || (usd === best.usd && i < best.i))
        best = { usd, usdPerHour: offer.pricePerHour * count * share, i };
    }
    return best && { usd: best.usd, usdPerHour: best.usdPerHour };
  }

  /**
   * Admission, inside the transaction that has just inserted the queued job: records its estimate and, when a
   * policy refuses it, holds it (an event says why) and records it as not admitted, so it commits nothing until
   * the scheduler's port admits it. A job that no period could admit is refused with a 422, which rolls the
   * insertion back.
   */
  admit(job: Job, estimate: Estimate | null, now: Date): Job {
    const applying = policiesFor(this.deps.policies(), { team: job.team, labels: job.spec.labels });
    const decision = this.decide(job, applying, estimate, this.deps.book.figures(applying, now, job.id), {
      burnRate: 'alone',
    });
    this.deps.store.budgets.setJob(job.id, {
      estimateUsd: estimate?.usd ?? null,
      usdPerHour: estimate?.usdPerHour ?? null,
      admitted: decision.allow,
    });
    if (decision.allow) return job;
    if (NEVER.includes(decision.code)) throw new ApiError(422, decision.code, decision.message);
    return this.deps.store.jobs.transition(job.id, 'held', decision.message, now);
  }

  /**
   * The scheduler's budget port. Pending jobs are taken by priority, then in submission order; each one let
   * through adds its cost and price per hour to its policies' figures before the next is looked at, so two
   * jobs in one pass cannot share the same headroom.
   */
  verdicts(pending: readonly Job[], now: Date): Map<string, BudgetVerdict> {
    const out = new Map<string, BudgetVerdict>();
    const policies = this.deps.policies();
    const known = this.deps.store.budgets.jobsIn(['queued', 'held']);
    const figures = this.deps.book.figures(policies, now);
    const ordered = [...pending].sort((a, b) => b.priority - a.priority);
    for (const job of ordered) {
      const budget = known.get(job.id);
      if (!budget) continue;
      const applying = policiesFor(policies, { team: job.team, labels: job.spec.labels });
      const perHour = budget.usdPerHour;
      const cost = (budget.estimateUsd ?? job.expectedCostUsd ?? 0) * (1 - Math.min(1, job.progress));
      const mine = applying.map((p) => figures.get(p.name)).filter((f) => f !== undefined);
      if (!budget.admitted) {
        const estimate = budget.estimateUsd === null ? null : { usd: cost, usdPerHour: perHour ?? 0 };
        const decision = this.decide(job, applying, estimate, figures, { burnRate: 'running' });
        if (!decision.allow) {
          out.set(job.id, { kind: 'hold', reason: decision.message });
          continue;
        }
        // Admitted now (a new period, commitments freed): it commits its cost from here on.
        this.deps.store.budgets.setAdmitted(job.id, true);
        for (const f of mine) f.committedUsd += cost;
        if (decision.spotOnly) out.set(job.id, spotOnly(applying, figures));
      } else {
        if (this.waitsForDependencies(job)) continue;
        const verdict = placementVerdict(mine.map(gatePolicy), {
          usdPerHour: perHour,
          market: job.spec.market,
        });
        if (verdict) out.set(job.id, verdict);
        if (verdict?.kind === 'hold') continue;
      }
      // Let through: it will run soon, so it counts against the burn-rate cap for the jobs after it.
      for (const f of mine) f.runningUsdPerHour += perHour ?? 0;
    }
    return out;
  }

  /** The policies in force and their figures now (GET /v1/budgets). */
  report(now: Date): { policies: readonly Policy[]; figures: Map<string, PolicyFigures> } {
    const policies = this.deps.policies();
    return { policies, figures: this.deps.book.figures(policies, now) };
  }

  /**
   * What budgets say of one job now, for explain: the verdict (`held` by a budget, `suspended` by one, or
   * `admitted`), why, and each applying policy's numbers.
   */
  explain(job: Job, now: Date) {
    const applying = policiesFor(this.deps.policies(), { team: job.team, labels: job.spec.labels });
    const figures = this.deps.book.figures(applying, now);
    const budget = this.deps.store.budgets.forJob(job.id);
    const held = job.state === 'held' && (budget?.admitted === false || isBudgetReason(job.reason));
    const suspended = job.state === 'suspended' && budget?.suspendedBy !== null;
    return {
      verdict: held ? 'held' : suspended ? 'suspended' : 'admitted',
      reason: held || suspended ? job.reason : null,
      admitted: budget?.admitted ?? true,
      estimateUsd: budget?.estimateUsd ?? null,
      usdPerHour: budget?.usdPerHour ?? null,
      policies: applying.map((p) => {
        const f = figures.get(p.name)!;
        return {
          name: p.name,
          action: p.action,
          state: f.state,
          limitUsd: p.limitUsd,
          spentUsd: f.spentUsd,
          committedUsd: f.committedUsd,
          remainingUsd: Math.max(0, p.limitUsd - f.spentUsd - f.committedUsd),
          burnRateUsdPerHour: p.burnRateUsdPerHour ?? null,
          runningUsdPerHour: f.runningUsdPerHour,
          periodEnd: f.window.end.toISOString(),
        };
      }),
    };
  }

  /**
   * One admission decision over every applying policy (all must allow it); `burnRate` says what the cap is
   * checked against: the job alone (submission) or with the scope's running jobs (placement, resumption).
   */
  decide(
    job: Job,
    applying: readonly Policy[],
    estimate: Estimate | null,
    figures: ReadonlyMap<string, PolicyFigures>,
    opts: { burnRate: 'alone' | 'running' },
  ) {
    return combineAdmissions(
      applying.map((p) => {
        const f = figures.get(p.name)!;
        return decideAdmission({
          policy: p.name,
          limitUsd: p.limitUsd,
          action: p.action,
          accruedUsd: f.spentUsd,
          committedUsd: f.committedUsd,
          job: {
            expectedCostUsd: estimate?.usd ?? 0,
            ...(estimate ? { usdPerHour: estimate.usdPerHour } : {}),
            ...(job.spec.market ? { market: job.spec.market } : {}),
          },
          // At submission only a job the cap can never allow is refused; what runs meanwhile is the
          // placement's business (the port), since the job may start long after.
          ...(p.burnRateUsdPerHour !== undefined
            ? {
                burnRate: {
                  capUsdPerHour: p.burnRateUsdPerHour,
                  currentUsdPerHour: opts.burnRate === 'alone' ? 0 : f.runningUsdPerHour,
                },
              }
            : {}),
          window: f.window,
        });
      }),
    );
  }

  private waitsForDependencies(job: Job): boolean {
    return job.dependsOn.some((id) => this.deps.store.jobs.get(id)?.state !== 'succeeded');
  }

  private offers(now: Date): readonly Offer[] {
    const cached = this.offerCache;
    if (cached && Math.abs(now.getTime() - cached.at) < OFFERS_TTL_MS) return cached.offers;
    const offers = this.deps.offers(now);
    this.offerCache = { at: now.getTime(), offers };
    return offers;
  }
}

/** Budget holds and refusals all say `budget NAME ...` (core/budget.ts, core/budget-gate.ts). */
export function isBudgetReason(reason: string | null): boolean {
  return reason?.startsWith('budget ') ?? false;
}

function gatePolicy(f: PolicyFigures): GatePolicy {
  return {
    name: f.policy.name,
    action: f.policy.action,
    limitUsd: f.policy.limitUsd,
    burnRateUsdPerHour: f.policy.burnRateUsdPerHour,
    window: f.window,
    spentUsd: f.spentUsd,
    committedUsd: f.committedUsd,
    runningUsdPerHour: f.runningUsdPerHour,
  };
}

/** The spot-only verdict for a job admitted past a spot-only policy's limit. */
function spotOnly(applying: readonly Policy[], figures: ReadonlyMap<string, PolicyFigures>): BudgetVerdict {
  const over = applying.find((p) => {
    const f = figures.get(p.name);
    return (
      p.action === 'spot-only' && f !== undefined && f.spentUsd + f.committedUsd > p.limitUsd + USD_EPSILON
    );
  });
  return {
    kind: 'spot-only',
    reason: `budget ${over?.name ?? 'policy'} is at its limit: spot capacity only`,
  };
}
