// Actual spend per node from Azure Cost Management usage details (arm-consumption), for the budget ledger:
// what Azure billed, as opposed to what gpusched accrued from list prices. Usage records are daily and
// arrive hours (up to a day or two) late, so this reconciles past days; it is not a live meter.
import type { ConsumptionManagementClient } from '@azure/arm-consumption';
import { CloudError } from '../errors.js';
import { classifyAzureError } from './errors.js';
import { CLUSTER_TAG, NODE_TAG } from './vm.js';

/** The slice of the consumption client this module uses (so tests could stub it; ours use the real one). */
export type UsageDetailsLister = Pick<ConsumptionManagementClient['usageDetails'], 'list'>;

export interface SpendQuery {
  subscriptionId: string;
  /** Start of the period (inclusive), end (exclusive); usage is daily, so both are taken as UTC days. */
  from: Date;
  to: Date;
  /** Only rows of VMs tagged gpusched-cluster=<clusterTag> (filtered by Azure). */
  clusterTag: string;
}

export interface SpendByNode {
  currency: string;
  /** Cost per gpusched-node tag value. */
  byNode: Record<string, number>;
  /** Sum of byNode. */
  total: number;
  /** Rows read, and rows of the cluster that carried no node tag (e.g. resources created outside gpusched). */
  rows: number;
  untaggedRows: number;
}

interface UsageRow {
  kind?: string;
  date?: Date;
  tags?: Record<string, string>;
  // legacy
  cost?: number;
  billingCurrency?: string;
  // modern
  costInUSD?: number;
  costInBillingCurrency?: number;
  billingCurrencyCode?: string;
}

const day = (d: Date): string => d.toISOString().slice(0, 10);

/** Cost and currency of one row: modern rows in USD when given, legacy rows in their billing currency. */
function costOf(row: UsageRow): { amount: number; currency: string } | null {
  if (typeof row.costInUSD === 'number') return { amount: row.costInUSD, currency: 'USD' };
  if (typeof row.costInBillingCurrency === 'number') {
    return { amount: row.costInBillingCurrency, currency: row.billingCurrencyCode ?? 'USD' };
  }
  if (typeof row.cost === 'number') return { amount: row.cost, currency: row.billingCurrency ?? 'USD' };
  return null;
}

/**
 * Sums usage-detail cost by our gpusched-node tag over [from, to). Reads every page; any failure throws a
 * CloudError (no partial sums). Rows in more than one currency are refused rather than added up.
 */
export async function spendByNode(usage: UsageDetailsLister, q: SpendQuery): Promise<SpendByNode> {
  if (q.to.getTime() <= q.from.getTime()) throw new Error('azure: spend period must end after it starts');
  // The scope must not start with '/': the SDK would then build '//subscriptions/...'.
  const scope = `subscriptions/${q.subscriptionId}`;
  const last = new Date(q.to.getTime() - 1);
  const filter =
    `properties/usageStart ge '${day(q.from)}' and properties/usageEnd le '${day(last)}'` +
    ` and tags eq '${CLUSTER_TAG}:${q.clusterTag}'`;
  const out: SpendByNode = { currency: 'USD', byNode: {}, total: 0, rows: 0, untaggedRows: 0 };
  const currencies = new Set<string>();
  try {
    for await (const item of usage.list(scope, { filter })) {
      const row = item as UsageRow;
      out.rows++;
      // The server filters by day; this keeps the period exact when a server is lax about it.
      if (row.date && (day(row.date) < day(q.from) || day(row.date) > day(last))) continue;
      const node = row.tags?.[NODE_TAG];
      if (!node) {
        out.untaggedRows++;
        continue;
      }
      const cost = costOf(row);
      if (!cost)
        throw new CloudError(
          'Transient',
          `azure: malformed usage detail: no cost on a row of ${node}`,
          'azure',
        );
      currencies.add(cost.currency);
      out.byNode[node] = (out.byNode[node] ?? 0) + cost.amount;
      out.total += cost.amount;
    }
  } catch (e) {
    throw classifyAzureError(e, 'reading usage details');
  }
  if (currencies.size > 1) {
    throw new Error(
      `azure: usage details mix currencies (${[...currencies].join(', ')}); refusing to add them up`,
    );
  }
  out.currency = [...currencies][0] ?? 'USD';
  return out;
}
