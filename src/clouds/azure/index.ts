// The Azure adapter's one entry point, imported dynamically by the daemon when Azure is enabled, so that
// the Azure SDKs are loaded only then. See docs/clouds/azure.md.
import type { CloudAdapter } from '../ports.js';
import { AzureCapacity } from './capacity.js';
import { createComputeClient, createConsumptionClient, loadDefaultCredential } from './clients.js';
import { AzureMarket } from './market.js';
import { type AzureCloudOptions, resolveAzureOptions } from './options.js';
import { fetchRetailItems } from './retail-fetch.js';
import { type SpendByNode, spendByNode } from './usage.js';

export type { AzureCapacity } from './capacity.js';
export type { AzureMarket, AzureMarketReport } from './market.js';
export type {
  AzureCloudOptions,
  AzureImageReference,
  AzureLaunchOptions,
  AzureTokenCredential,
  RetryPolicy,
} from './options.js';
export type { SpendByNode } from './usage.js';

export interface AzureCloudAdapter extends CloudAdapter {
  market: AzureMarket;
  capacity: AzureCapacity;
  /** Billed cost per gpusched node over [from, to) from usage details (for the budget ledger). */
  spendByNode(from: Date, to: Date): Promise<SpendByNode>;
}

export async function createAzureCloud(options: AzureCloudOptions): Promise<AzureCloudAdapter> {
  const o = resolveAzureOptions(options);
  const credential = o.credential ?? (await loadDefaultCredential());
  const compute = createComputeClient(o, credential);
  // The consumption client is built on first use: most daemons never read usage details.
  let consumption: ReturnType<typeof createConsumptionClient> | undefined;

  const market = new AzureMarket(
    {
      regions: o.regions,
      priceRefreshHours: o.priceRefreshHours,
      availabilityRefreshMinutes: o.availabilityRefreshMinutes,
      concurrency: o.concurrency,
    },
    {
      listSkus: (region) =>
        compute.resourceSkus.list({
          filter: `location eq '${region}'`,
          abortSignal: AbortSignal.timeout(o.requestTimeoutMs * 10),
        }),
      fetchPrices: (region) =>
        fetchRetailItems(region, { url: o.retailPricesUrl, retry: o.retry, timeoutMs: o.requestTimeoutMs }),
    },
  );

  const capacity = new AzureCapacity(compute.virtualMachines, {
    resourceGroup: o.resourceGroup,
    clusterTag: o.clusterTag,
    launch: o.launch,
    now: o.now,
    lroPollIntervalMs: o.lroPollIntervalMs,
  });

  return {
    market,
    capacity,
    spendByNode: async (from, to) => {
      consumption ??= createConsumptionClient(o, credential);
      return spendByNode((await consumption).usageDetails, {
        subscriptionId: o.subscriptionId,
        from,
        to,
        clusterTag: o.clusterTag,
      });
    },
  };
}
