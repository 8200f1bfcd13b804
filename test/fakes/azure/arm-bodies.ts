// JSON bodies of the ARM fake, in the shapes the real API answers: a Microsoft.Compute/skus entry and a
// Microsoft.Consumption/usageDetails row (legacy or modern kind).
import type { FakeRegionSize } from './data.js';

export interface FakeUsageRow {
  date: string;
  cost: number;
  currency?: string;
  tags: Record<string, string>;
  kind?: 'legacy' | 'modern';
}

export function skuJson(region: string, s: FakeRegionSize): unknown {
  const z = s.size;
  const capabilities = [
    { name: 'vCPUs', value: String(z.vcpus) },
    { name: 'MemoryGB', value: String(z.memoryGB) },
    ...(z.gpus !== undefined ? [{ name: 'GPUs', value: z.gpus }] : []),
    { name: 'LowPriorityCapable', value: z.lowPriorityCapable === false ? 'False' : 'True' },
    { name: 'HyperVGenerations', value: 'V1,V2' },
    { name: 'PremiumIO', value: 'True' },
  ];
  return {
    resourceType: 'virtualMachines',
    name: z.name,
    tier: 'Standard',
    size: z.name.replace(/^Standard_/, ''),
    family: z.family,
    locations: [region],
    locationInfo: [{ location: region, zones: s.zones, zoneDetails: [] }],
    capabilities,
    restrictions: (s.restrictions ?? []).map((r) => ({
      type: r.type,
      values: [region],
      restrictionInfo: { locations: [region], ...(r.zones ? { zones: r.zones } : {}) },
      reasonCode: r.reasonCode,
    })),
  };
}

export function usageJson(sub: string, r: FakeUsageRow, i: number): unknown {
  const id = `/subscriptions/${sub}/providers/Microsoft.Consumption/usageDetails/fake-${i}`;
  const modern = r.kind === 'modern';
  return {
    id,
    name: `fake-${i}`,
    type: 'Microsoft.Consumption/usageDetails',
    kind: modern ? 'modern' : 'legacy',
    tags: r.tags,
    properties: modern
      ? {
          date: `${r.date}T00:00:00.0000000Z`,
          costInUSD: r.cost,
          costInBillingCurrency: r.cost,
          billingCurrencyCode: r.currency ?? 'USD',
          meterCategory: 'Virtual Machines',
        }
      : {
          date: `${r.date}T00:00:00.0000000Z`,
          cost: r.cost,
          billingCurrency: r.currency ?? 'USD',
          consumedService: 'Microsoft.Compute',
          quantity: 24,
        },
  };
}
