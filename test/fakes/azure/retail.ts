// A fake of the Azure Retail Prices API (plain HTTP on 127.0.0.1; the real one needs no credentials):
// {BillingCurrency, CustomerEntityId, CustomerEntityType, Items, NextPageLink, Count}, paged with $skip,
// honouring the `eq ... and ...` $filter the adapter sends. Each size gets the meters the real API mixes
// together: Linux and Windows, Regular, Spot and Low Priority, plus DevTest rows the filter must drop.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { defaultCatalog, type FakeCatalog, type FakeRegion, type FakeRegionSize } from './data.js';
import { Faults, sendJson } from './faults.js';

export interface RetailFakeOptions {
  catalog?: FakeCatalog;
  /** Items per page (default 100, like the real API). */
  pageSize?: number;
}

export type RetailItem = Record<string, string | number | boolean>;

export class RetailPricesFake {
  readonly faults = new Faults();
  readonly requests: string[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly items: RetailItem[];
  private readonly pageSize: number;

  private constructor(opts: RetailFakeOptions) {
    this.items = [...(opts.catalog ?? defaultCatalog()).values()].flatMap(regionItems);
    this.pageSize = opts.pageSize ?? 100;
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) =>
        sendJson(res, 500, { Error: { Code: 'FakeBug', Message: String(e) } }),
      );
    });
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  static async start(opts: RetailFakeOptions = {}): Promise<RetailPricesFake> {
    const fake = new RetailPricesFake(opts);
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  /** The API's URL, as the adapter's retailPricesUrl. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/retail/prices`;
  }

  /** All items (every region, every meter), for assertions. */
  allItems(): readonly RetailItem[] {
    return this.items;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Raw sockets, so that connections still in their TLS handshake (which closeAllConnections does not
    // know of yet) do not hold the close up until their client times out.
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests.push(req.url ?? '');
    if (await this.faults.apply(req, res)) return;
    const u = new URL(req.url ?? '/', this.url);
    if (u.pathname !== '/api/retail/prices') {
      sendJson(res, 404, { Error: { Code: 'NotFound', Message: 'no such path' } });
      return;
    }
    const clauses: [string, string][] = [];
    const filter = u.searchParams.get('$filter');
    for (const clause of filter ? filter.split(' and ') : []) {
      const m = /^(\w+) eq '([^']*)'$/.exec(clause.trim());
      if (!m) {
        sendJson(res, 400, { Error: { Code: 'BadRequest', Message: `Invalid filter clause: ${clause}` } });
        return;
      }
      clauses.push([m[1]!, m[2]!]);
    }
    // The API matches field values case-insensitively; priceType is the filter name of the item's `type`.
    const field = (k: string) => (k === 'priceType' ? 'type' : k);
    const hits = this.items.filter((it) =>
      clauses.every(([k, v]) => String(it[field(k)] ?? '').toLowerCase() === v.toLowerCase()),
    );
    const skip = Number(u.searchParams.get('$skip') ?? 0);
    const pageItems = hits.slice(skip, skip + this.pageSize);
    let next: string | null = null;
    if (skip + this.pageSize < hits.length) {
      const n = new URL(u.toString());
      n.searchParams.set('$skip', String(skip + this.pageSize));
      next = n.toString();
    }
    sendJson(res, 200, {
      BillingCurrency: 'USD',
      CustomerEntityId: 'Default',
      CustomerEntityType: 'Retail',
      Items: pageItems,
      NextPageLink: next,
      Count: pageItems.length,
    });
  }
}

function meterName(sku: string): string {
  return sku.replace(/^Standard_/, '').replace(/_/g, ' ');
}

const round = (n: number) => Math.round(n * 1e6) / 1e6;

function regionItems(region: FakeRegion): RetailItem[] {
  return region.sizes.flatMap((s) => sizeItems(region, s));
}

function sizeItems(region: FakeRegion, s: FakeRegionSize): RetailItem[] {
  const sku = s.size.name;
  const meter = meterName(sku);
  const linux = `Virtual Machines ${s.size.series} Series`;
  const windows = `${linux} Windows`;
  // Windows adds a licence per vCPU; Low Priority is cheaper than Spot, so taking it by mistake shows.
  const winExtra = 0.046 * s.size.vcpus;
  const base = (productName: string, skuName: string, price: number, type = 'Consumption'): RetailItem => ({
    currencyCode: 'USD',
    tierMinimumUnits: 0,
    retailPrice: round(price),
    unitPrice: round(price),
    armRegionName: region.name,
    location: region.displayName,
    effectiveStartDate: '2025-11-01T00:00:00Z',
    meterId: `${region.name}-${sku}-${skuName}-${productName}-${type}`
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-'),
    meterName: skuName,
    productId: `DZH318Z0${s.size.series.toUpperCase()}`,
    skuId: `DZH318Z0${s.size.series.toUpperCase()}/00${skuName.length}`,
    productName,
    skuName,
    serviceName: 'Virtual Machines',
    serviceId: 'DZH313Z7MMC8',
    serviceFamily: 'Compute',
    unitOfMeasure: '1 Hour',
    type,
    isPrimaryMeterRegion: true,
    armSkuName: sku,
  });
  const items: RetailItem[] = [
    base(linux, meter, s.onDemand),
    base(windows, meter, s.onDemand + winExtra),
    base(linux, `${meter} Low Priority`, (s.spot ?? s.onDemand * 0.2) * 0.8),
    base(windows, `${meter} Low Priority`, (s.spot ?? s.onDemand * 0.2) * 0.8 + winExtra),
    base(linux, meter, s.onDemand * 0.6, 'DevTestConsumption'),
  ];
  if (s.spot !== null) {
    items.push(base(linux, `${meter} Spot`, s.spot), base(windows, `${meter} Spot`, s.spot + winExtra));
  }
  return items;
}
