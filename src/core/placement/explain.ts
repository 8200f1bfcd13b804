// Why a job is (or would be) where it is: the best capacity for it now with its cost, the next best
// alternatives, and every pool it cannot use, grouped by reason with a few examples. Pure; it uses the
// same filters and the same cost function as the scheduler, so it explains what the scheduler does.
import type { Job, Offer } from '../model.js';
import { poolKey } from '../model.js';
import type { CostFn } from './cost-fn.js';
import { firstRefusal } from './filters/index.js';
import { REASON_TEXT, type ReasonCode } from './reasons.js';

export interface Where {
  cloud: string;
  region: string;
  zone: string | null;
  instanceType: string;
  market: string;
  pricePerHour: number;
}

export interface Candidate {
  where: Where;
  /** The expected cost of the whole job there, and how it is made up. */
  costUsd: number;
  breakdown: Record<string, number>;
}

export interface RejectedGroup {
  reason: ReasonCode;
  text: string;
  count: number;
  /** A few pools refused for this reason (pool keys), to make the reason concrete. */
  examples: string[];
}

export interface Explanation {
  best: Candidate | null;
  alternatives: Candidate[];
  rejected: RejectedGroup[];
}

export function explain(
  job: Job,
  offers: readonly Offer[],
  count: number,
  now: Date,
  cost: CostFn,
  limit = 5,
): Explanation {
  const feasible: Candidate[] = [];
  const groups = new Map<ReasonCode, RejectedGroup>();
  for (const o of offers) {
    const filtered = firstRefusal(job.spec, o, now);
    const priced = filtered ? null : cost(job, o, count, now);
    const refusal = filtered ?? priced?.refusal;
    if (refusal || !priced) {
      const reason = refusal as ReasonCode;
      const g = groups.get(reason) ?? { reason, text: REASON_TEXT[reason], count: 0, examples: [] };
      g.count++;
      if (g.examples.length < 3) g.examples.push(poolKey(o));
      groups.set(reason, g);
      continue;
    }
    const where: Where = {
      cloud: o.cloud,
      region: o.region,
      zone: o.zone,
      instanceType: o.instanceType,
      market: o.market,
      pricePerHour: o.pricePerHour,
    };
    feasible.push({ where, costUsd: priced.totalUsd, breakdown: priced.parts });
  }
  feasible.sort((a, b) => a.costUsd - b.costUsd || key(a).localeCompare(key(b)));
  return {
    best: feasible[0] ?? null,
    alternatives: feasible.slice(1, 1 + limit),
    rejected: [...groups.values()].sort((a, b) => b.count - a.count),
  };
}

function key(c: Candidate): string {
  const w = c.where;
  return `${w.cloud}/${w.region}/${w.zone ?? '-'}/${w.instanceType}/${w.market}`;
}
