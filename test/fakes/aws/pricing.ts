// The fake Price List API (JSON 1.1, X-Amz-Target: AWSPriceListService.GetProducts). Each instance
// type of each region has its plain Linux product and the products a careless filter would also
// return: Windows, RHEL, dedicated tenancy, SQL Server pre-installed, capacity reservations ($0 and
// full price). PriceList items are JSON strings, as the real API sends them.
import { hash, type World } from './world.js';

export class PricingFault extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

interface Product {
  attributes: Record<string, string>;
  productFamily: string;
  sku: string;
  price: number;
}

interface Variant {
  operatingSystem: string;
  tenancy: string;
  preInstalledSw: string;
  capacitystatus: string;
  operation: string;
  usage: string;
  price: (od: number) => number;
}

const PLAIN: Variant = {
  operatingSystem: 'Linux',
  tenancy: 'Shared',
  preInstalledSw: 'NA',
  capacitystatus: 'Used',
  operation: 'RunInstances',
  usage: 'BoxUsage',
  price: (od) => od,
};

const VARIANTS: Variant[] = [
  PLAIN,
  { ...PLAIN, operatingSystem: 'Windows', operation: 'RunInstances:0002', price: (od) => od * 1.5 },
  { ...PLAIN, operatingSystem: 'RHEL', operation: 'RunInstances:0010', price: (od) => od + 0.13 },
  { ...PLAIN, tenancy: 'Dedicated', usage: 'DedicatedUsage', price: (od) => od * 1.1 },
  { ...PLAIN, preInstalledSw: 'SQL Std', operation: 'RunInstances:0006', price: (od) => od + 2 },
  { ...PLAIN, capacitystatus: 'UnusedCapacityReservation', usage: 'UnusedBox', price: (od) => od },
  { ...PLAIN, capacitystatus: 'AllocatedCapacityReservation', usage: 'Reservation', price: () => 0 },
];

function products(world: World): Product[] {
  const out: Product[] = [];
  for (const r of world.regions) {
    for (const t of world.types) {
      const od = world.onDemandPrice(r.name, t.instanceType)!;
      for (const v of VARIANTS) {
        const key = `${r.name}/${t.instanceType}/${v.operatingSystem}/${v.tenancy}/${v.preInstalledSw}/${v.capacitystatus}`;
        out.push({
          productFamily: 'Compute Instance',
          sku: hash(key).toString(36).toUpperCase().padStart(16, 'X'),
          price: Math.round(v.price(od) * 1e6) / 1e6,
          attributes: {
            servicecode: 'AmazonEC2',
            servicename: 'Amazon Elastic Compute Cloud',
            location: r.location,
            locationType: 'AWS Region',
            regionCode: r.name,
            instanceType: t.instanceType,
            instanceFamily: t.gpu ? 'GPU instance' : 'General purpose',
            vcpu: String(t.vcpus),
            memory: `${t.memoryMiB / 1024} GiB`,
            ...(t.gpu
              ? { gpu: String(t.gpu.count), gpuMemory: `${(t.gpu.memoryMiB * t.gpu.count) / 1024} GiB` }
              : {}),
            operatingSystem: v.operatingSystem,
            tenancy: v.tenancy,
            preInstalledSw: v.preInstalledSw,
            capacitystatus: v.capacitystatus,
            licenseModel: 'No License required',
            operation: v.operation,
            usagetype: `${v.usage}:${t.instanceType}`,
            currentGeneration: 'Yes',
          },
        });
      }
    }
  }
  return out;
}

function priceListItem(p: Product): string {
  const term = `${p.sku}.JRTCKXETXF`;
  return JSON.stringify({
    product: { productFamily: p.productFamily, attributes: p.attributes, sku: p.sku },
    serviceCode: 'AmazonEC2',
    terms: {
      OnDemand: {
        [term]: {
          priceDimensions: {
            [`${term}.6YS6EN2CT7`]: {
              unit: 'Hrs',
              endRange: 'Inf',
              description: `$${p.price} per On Demand ${p.attributes.operatingSystem} ${p.attributes.instanceType} Instance Hour`,
              appliesTo: [],
              rateCode: `${term}.6YS6EN2CT7`,
              beginRange: '0',
              pricePerUnit: { USD: p.price.toFixed(10) },
            },
          },
          sku: p.sku,
          effectiveDate: '2026-11-01T00:00:00Z',
          offerTermCode: 'JRTCKXETXF',
          termAttributes: {},
        },
      },
    },
    version: '20261101000000',
    publicationDate: '2026-11-01T00:00:00Z',
  });
}

interface Filter {
  Type?: string;
  Field?: string;
  Value?: string;
}

function matches(p: Product, f: Filter): boolean {
  const field = f.Field ?? '';
  const actual = field === 'productFamily' ? p.productFamily : p.attributes[field];
  const value = f.Value ?? '';
  switch (f.Type) {
    case 'TERM_MATCH':
    case 'EQUALS':
      return actual === value;
    case 'CONTAINS':
      return actual?.includes(value) ?? false;
    case 'ANY_OF':
      return actual !== undefined && value.split(',').includes(actual);
    case 'NONE_OF':
      return actual === undefined || !value.split(',').includes(actual);
    default:
      throw new PricingFault('InvalidParameterException', `unknown filter type ${f.Type}`);
  }
}

export class FakePricing {
  /** When true, filters are ignored: the adapter's own checks must then pick the right products. */
  ignoreFilters = false;
  private cache: Product[] | undefined;

  constructor(private readonly world: World) {}

  getProducts(body: string): string {
    const req = JSON.parse(body) as {
      ServiceCode?: string;
      Filters?: Filter[];
      NextToken?: string;
      MaxResults?: number;
    };
    if (req.ServiceCode !== 'AmazonEC2')
      throw new PricingFault('NotFoundException', `no service ${req.ServiceCode}`);
    this.cache ??= products(this.world);
    const filters = req.Filters ?? [];
    const selected = this.ignoreFilters
      ? this.cache
      : this.cache.filter((p) => filters.every((f) => matches(p, f)));
    const size = Math.min(100, req.MaxResults ?? 100);
    const start = req.NextToken ? Number(Buffer.from(req.NextToken, 'base64url').toString('utf8')) : 0;
    if (!Number.isInteger(start) || start < 0)
      throw new PricingFault('InvalidNextTokenException', 'bad NextToken');
    const end = Math.min(selected.length, start + size);
    return JSON.stringify({
      FormatVersion: 'aws_v1',
      PriceList: selected.slice(start, end).map(priceListItem),
      ...(end < selected.length ? { NextToken: Buffer.from(String(end)).toString('base64url') } : {}),
    });
  }
}
