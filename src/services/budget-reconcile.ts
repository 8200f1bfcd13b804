// Reconciliation of the ledger with what a cloud billed. Azure is the one cloud whose SDKs we use that reports
// usage by resource (usage details through @azure/arm-consumption); what is out of reach on AWS and GCP, and
// why, is in docs/budgets.md. Cloud usage comes by UTC day and a day or two late, so each policy is compared
// over the whole UTC days from its period's first up to yesterday: per node, the cloud's bill is shared among
// policies as the ledger shares that node's spend (so a node the scope used half of brings half its bill), and
// the drift is billed − ledger. Idle and boot time, which no job pays in the ledger, shows up as drift.
import type { Logger } from 'pino';
import { periodWindow } from '../core/budget.js';
import { scopeMatches } from '../policies/match.js';
import type { Policy } from '../policies/schema.js';
import type { Store } from '../store/store.js';

/** A cloud's bill per gpusched node (its `gpusched-node` tag) over [from, to). */
export interface BillingSource {
  readonly cloud: string;
  spendByNode(from: Date, to: Date): Promise<{ currency: string; byNode: Record<string, number> }>;
}

const DAY_MS = 86_400_000;

/** The UTC midnight at or before `ms`. */
export function utcDayStart(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/**
 * The billed part of a scope, from the ledger's view of each node: Σ over nodes of the node's bill × the
 * scope's share of the ledger's spend on it. Nodes the ledger has no spend on are nobody's (idle capacity).
 */
export function attributeBill(
  billedByNode: Readonly<Record<string, number>>,
  ledger: readonly { nodeId: string; usd: number; inScope: boolean }[],
): { ledgerUsd: number; billedUsd: number } {
  const total = new Map<string, number>();
  const scope = new Map<string, number>();
  for (const r of ledger) {
    total.set(r.nodeId, (total.get(r.nodeId) ?? 0) + r.usd);
    if (r.inScope) scope.set(r.nodeId, (scope.get(r.nodeId) ?? 0) + r.usd);
  }
  let ledgerUsd = 0;
  let billedUsd = 0;
  for (const [nodeId, usd] of scope) {
    ledgerUsd += usd;
    const all = total.get(nodeId) ?? 0;
    if (all > 0) billedUsd += (billedByNode[nodeId] ?? 0) * (usd / all);
  }
  return { ledgerUsd, billedUsd };
}

export class BudgetReconciler {
  constructor(
    private readonly store: Store,
    private readonly policies: () => readonly Policy[],
    private readonly sources: readonly BillingSource[],
    private readonly log: Logger,
  ) {}

  /** Compares every policy's ledger with each source's bill; a source that fails keeps its last drift. */
  async reconcile(now: Date): Promise<void> {
    const bills = new Map<string, Promise<{ currency: string; byNode: Record<string, number> }>>();
    for (const policy of this.policies()) {
      const window = periodWindow(now, policy.period, policy.timezone);
      const from = utcDayStart(window.start.getTime());
      const to = utcDayStart(now.getTime());
      if (to <= from) continue;
      for (const source of this.sources) {
        const key = `${source.cloud}|${from}|${to}`;
        if (!bills.has(key)) bills.set(key, source.spendByNode(new Date(from), new Date(to)));
        let bill: { currency: string; byNode: Record<string, number> };
        try {
          bill = await bills.get(key)!;
        } catch (err) {
          this.log.warn({ cloud: source.cloud, err: (err as Error).message }, 'billing not read; drift kept');
          continue;
        }
        if (bill.currency !== 'USD') {
          this.log.warn({ cloud: source.cloud, currency: bill.currency }, 'billing not in USD; no drift');
          continue;
        }
        const rows = this.store.budgets.spentByNode(source.cloud, from, to).map((r) => ({
          nodeId: r.nodeId,
          usd: r.usd,
          inScope: scopeMatches(policy.scope, { team: r.team, labels: r.labels }),
        }));
        const { ledgerUsd, billedUsd } = attributeBill(bill.byNode, rows);
        this.store.budgets.putDrift({
          policy: policy.name,
          periodKey: window.key,
          cloud: source.cloud,
          fromDay: new Date(from).toISOString().slice(0, 10),
          toDay: new Date(to).toISOString().slice(0, 10),
          ledgerUsd,
          billedUsd,
          checkedAt: now.toISOString(),
        });
      }
    }
  }
}

/** The live clouds whose adapter can read billed cost per node (today: Azure, through usage details). */
export function billingSources(live: Readonly<Record<string, object | undefined>>): BillingSource[] {
  const out: BillingSource[] = [];
  for (const [cloud, adapter] of Object.entries(live)) {
    const reader = (adapter as Partial<BillingSource> | undefined)?.spendByNode;
    if (typeof reader === 'function')
      out.push({ cloud, spendByNode: (from, to) => reader.call(adapter, from, to) });
  }
  return out;
}
