// Starts both Azure fakes and gives adapter options pointing at them (tiny retry delays, fast LRO
// polling), for tests and for the multi-cloud benchmark:
//   const az = await startAzureFakes({ scale: { regions: 30, sizesPerRegion: 50 } });
//   const cloud = await createAzureCloud(az.options());  ...  await az.close();
import type { AzureCloudOptions } from '../../../src/clouds/azure/options.js';
import { ArmFake, type ArmFakeOptions } from './arm.js';
import { defaultCatalog, type FakeCatalog, scaledCatalog } from './data.js';
import { RetailPricesFake } from './retail.js';

export { ArmFake } from './arm.js';
export type { CapacityFault, FakeVm } from './arm-vms.js';
export { defaultCatalog, SIZES, scaledCatalog } from './data.js';
export { RetailPricesFake } from './retail.js';

export interface AzureFakesOptions {
  catalog?: FakeCatalog;
  /** N synthetic regions x M GPU sizes (overrides catalog). */
  scale?: { regions: number; sizesPerRegion: number };
  /** ARM list page size (default 10). */
  armPageSize?: number;
  /** Retail Prices page size (default 100). */
  retailPageSize?: number;
  extraSkus?: ArmFakeOptions['extraSkus'];
  now?: () => Date;
}

export interface AzureFakes {
  arm: ArmFake;
  retail: RetailPricesFake;
  catalog: FakeCatalog;
  /** Adapter options for these fakes; override anything. */
  options(over?: Partial<AzureCloudOptions>): AzureCloudOptions;
  close(): Promise<void>;
}

export const fakeCredential = {
  getToken: async () => ({ token: 'fake-token', expiresOnTimestamp: Date.now() + 3_600_000 }),
};

export async function startAzureFakes(o: AzureFakesOptions = {}): Promise<AzureFakes> {
  const catalog = o.scale
    ? scaledCatalog(o.scale.regions, o.scale.sizesPerRegion)
    : (o.catalog ?? defaultCatalog());
  const arm = await ArmFake.start({
    catalog,
    ...(o.armPageSize !== undefined ? { pageSize: o.armPageSize } : {}),
    ...(o.extraSkus ? { extraSkus: o.extraSkus } : {}),
    ...(o.now ? { now: o.now } : {}),
  });
  const retail = await RetailPricesFake.start({
    catalog,
    ...(o.retailPageSize !== undefined ? { pageSize: o.retailPageSize } : {}),
  });
  return {
    arm,
    retail,
    catalog,
    options: (over = {}) => ({
      subscriptionId: arm.subscriptionId,
      resourceGroup: 'gpusched-test',
      regions: [...catalog.keys()],
      endpoint: arm.url,
      retailPricesUrl: retail.url,
      credential: fakeCredential,
      tlsCa: arm.ca,
      launch: {
        imageReference: {
          publisher: 'Canonical',
          offer: 'ubuntu-24_04-lts',
          sku: 'server',
          version: 'latest',
        },
        subnetId: `/subscriptions/${arm.subscriptionId}/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/nodes`,
        // A fixed key keeps tests from generating a throwaway RSA key per adapter (unit-tested on its own).
        sshPublicKey:
          'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGdwdXNjaGVkLXRlc3Qta2V5LW5vdC1hLXJlYWwtb25l gpusched-test',
      },
      clusterTag: 'test-cluster',
      retry: { maxRetries: 2, retryDelayMs: 1, maxRetryDelayMs: 5, maxRetryAfterMs: 2_000 },
      requestTimeoutMs: 5_000,
      lroPollIntervalMs: 1,
      ...over,
    }),
    close: async () => {
      await Promise.all([arm.close(), retail.close()]);
    },
  };
}
