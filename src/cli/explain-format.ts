// `gpusched explain ID`: where the job would run now and why, as a person reads it.
import { money, table } from './format.js';

export interface ExplainWhere {
  cloud: string;
  region: string;
  zone: string | null;
  instanceType: string;
  market: string;
  pricePerHour: number;
}

export interface ExplainBody {
  jobId: string;
  state: string;
  reason: string | null;
  placement: (ExplainWhere & { nodeIds: string[] }) | null;
  expectedCostUsd: number | null;
  best: { where: ExplainWhere; costUsd: number; breakdown: Record<string, number> } | null;
  alternatives: { where: ExplainWhere; costUsd: number }[];
  rejected: { reason: string; text: string; count: number; examples: string[] }[];
  /** What the budget policies make of the job (absent from daemons without budgets). */
  budget?: {
    verdict: string;
    policies: {
      name: string;
      action: string;
      state: string;
      limitUsd: number;
      spentUsd: number;
      committedUsd: number;
      remainingUsd: number;
    }[];
  } | null;
}

const where = (w: ExplainWhere) =>
  `${w.cloud} ${w.region} ${w.zone ?? '-'} ${w.instanceType} ${w.market} ${money(w.pricePerHour)}/h`;

export function explanationText(e: ExplainBody): string {
  const lines: string[] = [`job ${e.jobId}: ${e.state}${e.reason ? ` (${e.reason})` : ''}`];
  if (e.placement) lines.push(`placed on   ${where(e.placement)}, expected ${money(e.expectedCostUsd)}`);
  if (e.best) {
    const parts = Object.entries(e.best.breakdown)
      .map(([k, v]) => `${k} ${k.endsWith('Usd') ? money(v) : v}`)
      .join(', ');
    lines.push(`best now    ${where(e.best.where)}: ${money(e.best.costUsd)} (${parts})`);
  } else {
    lines.push('best now    nothing fits');
  }
  for (const p of e.budget?.policies ?? []) {
    lines.push(
      `budget      ${p.name} (${p.action}, ${p.state}): ${money(p.spentUsd)} spent, ${money(p.committedUsd)} committed of ${money(p.limitUsd)}, ${money(p.remainingUsd)} left`,
    );
  }
  if (e.alternatives.length) {
    lines.push('', 'alternatives');
    lines.push(
      table(
        ['CLOUD', 'REGION', 'ZONE', 'INSTANCE', 'MARKET', 'PRICE/H', 'EXPECTED'],
        e.alternatives.map((a) => [
          a.where.cloud,
          a.where.region,
          a.where.zone ?? '-',
          a.where.instanceType,
          a.where.market,
          money(a.where.pricePerHour),
          money(a.costUsd),
        ]),
        ['left', 'left', 'left', 'left', 'left', 'right', 'right'],
      ),
    );
  }
  if (e.rejected.length) {
    lines.push('', 'rejected pools');
    lines.push(
      table(
        ['REASON', 'POOLS', 'WHY', 'FOR EXAMPLE'],
        e.rejected.map((r) => [r.reason, String(r.count), r.text, r.examples.slice(0, 2).join(', ')]),
        ['left', 'right'],
      ),
    );
  }
  return lines.join('\n');
}
