// A wire-level fake of the parts of Azure Resource Manager gpusched calls, over HTTPS with a self-signed
// certificate on 127.0.0.1 (the SDK sends bearer tokens only over TLS): Microsoft.Compute/skus (paged by
// nextLink), virtual machines (PUT/GET/DELETE with Azure-AsyncOperation polling, list all, statusOnly) and
// Microsoft.Consumption/usageDetails (filtered, paged). State is inspectable and faults injectable.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { type FakeUsageRow, skuJson, usageJson } from './arm-bodies.js';
import { type Answer, FakeVmStore } from './arm-vms.js';
import { selfSignedCert } from './cert.js';
import { defaultCatalog, type FakeCatalog } from './data.js';
import { Faults, readBody, sendJson } from './faults.js';

export type { FakeUsageRow } from './arm-bodies.js';

export interface ArmFakeOptions {
  subscriptionId?: string;
  catalog?: FakeCatalog;
  /** Items per page of every list (default 10), so that paging is always exercised. */
  pageSize?: number;
  /** Raw ResourceSku objects served too (e.g. the committed fixture), for the locations they name. */
  extraSkus?: readonly Record<string, unknown>[];
  now?: () => Date;
}

const page = <T>(items: readonly T[], skip: number, size: number) => ({
  value: items.slice(skip, skip + size),
  more: skip + size < items.length,
  next: skip + size,
});

export class ArmFake {
  readonly faults = new Faults();
  readonly requests: { method: string; path: string; query: string }[] = [];
  readonly usage: FakeUsageRow[] = [];
  readonly vms: FakeVmStore;
  readonly subscriptionId: string;
  readonly ca: string;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly catalog: FakeCatalog;
  private readonly pageSize: number;
  private readonly extraSkus: readonly Record<string, unknown>[];

  private constructor(opts: ArmFakeOptions) {
    const { key, cert } = selfSignedCert();
    this.ca = cert;
    this.subscriptionId = opts.subscriptionId ?? '00000000-0000-0000-0000-000000000001';
    this.catalog = opts.catalog ?? defaultCatalog();
    this.pageSize = opts.pageSize ?? 10;
    this.extraSkus = opts.extraSkus ?? [];
    this.vms = new FakeVmStore(
      () => this.url,
      this.subscriptionId,
      this.catalog,
      opts.now ?? (() => new Date()),
    );
    this.server = createServer({ key, cert }, (req, res) => {
      this.handle(req, res).catch((e: unknown) =>
        sendJson(res, 500, { error: { code: 'FakeBug', message: String(e) } }),
      );
    });
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  static async start(opts: ArmFakeOptions = {}): Promise<ArmFake> {
    const fake = new ArmFake(opts);
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get url(): string {
    return `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  addUsage(row: FakeUsageRow): void {
    this.usage.push(row);
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Raw sockets, so that connections still in their TLS handshake (which closeAllConnections does not
    // know of yet) do not hold the close up until their client times out.
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', this.url);
    this.requests.push({ method: req.method ?? 'GET', path: u.pathname, query: u.search });
    if (!/^Bearer \S+/.test(req.headers.authorization ?? '')) {
      sendJson(res, 401, {
        error: {
          code: 'AuthenticationFailed',
          message: 'Authentication failed. The Authorization header is missing.',
        },
      });
      return;
    }
    if (await this.faults.apply(req, res)) return;
    const body = req.method === 'PUT' ? await readBody(req) : '';
    const a = this.route(req.method ?? 'GET', u, body, req.headers['if-none-match']);
    if (a.body === undefined) {
      res.writeHead(a.status, a.headers ?? {});
      res.end();
    } else sendJson(res, a.status, a.body, a.headers);
  }

  private route(method: string, u: URL, body: string, ifNoneMatch: string | string[] | undefined): Answer {
    const p = u.pathname;
    const q = u.searchParams;
    if (!q.get('api-version'))
      return {
        status: 400,
        body: { error: { code: 'MissingApiVersionParameter', message: 'api-version is required' } },
      };
    const sub = /^\/subscriptions\/([^/]+)\//.exec(p)?.[1];
    if (sub !== this.subscriptionId)
      return {
        status: 404,
        body: {
          error: { code: 'SubscriptionNotFound', message: `The subscription '${sub}' could not be found.` },
        },
      };
    const rest = p.slice(`/subscriptions/${sub}`.length);
    if (method === 'GET' && /^\/providers\/Microsoft\.Compute\/skus$/i.test(rest)) return this.skus(u);
    if (method === 'GET' && /^\/providers\/Microsoft\.Compute\/virtualMachines$/i.test(rest)) {
      return this.listVms(u);
    }
    const op = /^\/providers\/Microsoft\.Compute\/locations\/[^/]+\/operations\/([^/]+)$/i.exec(rest);
    if (method === 'GET' && op) return this.vms.pollOperation(op[1]!);
    if (method === 'GET' && /^\/providers\/Microsoft\.Consumption\/usageDetails$/i.test(rest)) {
      return this.usageDetails(u);
    }
    const m = /^\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/virtualMachines\/([^/]+)$/i.exec(
      rest,
    );
    if (m) {
      const [rg, name] = [m[1]!, m[2]!];
      if (method === 'GET') return this.vms.get(rg, name, q.get('$expand') === 'instanceView');
      if (method === 'DELETE') return this.vms.delete(rg, name);
      if (method === 'PUT') {
        let parsed: unknown;
        try {
          parsed = JSON.parse(body);
        } catch {
          return {
            status: 400,
            body: { error: { code: 'InvalidRequestContent', message: 'The request content was invalid.' } },
          };
        }
        return this.vms.put(
          rg,
          name,
          parsed as Record<string, unknown>,
          typeof ifNoneMatch === 'string' ? ifNoneMatch : undefined,
        );
      }
    }
    return { status: 404, body: { error: { code: 'NotFound', message: `fake ARM has no ${method} ${p}` } } };
  }

  private nextLink(u: URL, skip: number): string {
    const next = new URL(u.toString());
    next.searchParams.set('$skiptoken', String(skip));
    return next.toString();
  }

  private skus(u: URL): Answer {
    const filter = u.searchParams.get('$filter');
    const loc = filter ? /^location eq '([^']+)'$/.exec(filter)?.[1]?.toLowerCase() : undefined;
    if (filter && !loc)
      return {
        status: 400,
        body: { error: { code: 'InvalidFilter', message: `unsupported $filter ${filter}` } },
      };
    const all: unknown[] = [];
    for (const region of this.catalog.values()) {
      if (loc && region.name !== loc) continue;
      for (const s of region.sizes) all.push(skuJson(region.name, s));
      all.push({
        resourceType: 'disks',
        name: 'Premium_LRS',
        tier: 'Premium',
        kind: 'Disks',
        locations: [region.name],
        capabilities: [],
        restrictions: [],
      });
    }
    for (const s of this.extraSkus) {
      const locs = (s.locations as string[] | undefined) ?? [];
      if (!loc || locs.some((l) => l.toLowerCase() === loc)) all.push(s);
    }
    const pg = page(all, Number(u.searchParams.get('$skiptoken') ?? 0), this.pageSize);
    return {
      status: 200,
      body: { value: pg.value, ...(pg.more ? { nextLink: this.nextLink(u, pg.next) } : {}) },
    };
  }

  private listVms(u: URL): Answer {
    const statusOnly = u.searchParams.get('statusOnly') === 'true';
    const all = [...this.vms.vms.values()].map((vm) => this.vms.json(vm, statusOnly));
    const pg = page(all, Number(u.searchParams.get('$skiptoken') ?? 0), this.pageSize);
    return {
      status: 200,
      body: { value: pg.value, ...(pg.more ? { nextLink: this.nextLink(u, pg.next) } : {}) },
    };
  }

  private usageDetails(u: URL): Answer {
    let from = '';
    let to = '\uffff';
    const tags: [string, string][] = [];
    const filter = u.searchParams.get('$filter') ?? '';
    for (const clause of filter ? filter.split(' and ') : []) {
      const start = /^properties\/usageStart ge '(\d{4}-\d{2}-\d{2})'$/.exec(clause);
      const end = /^properties\/usageEnd le '(\d{4}-\d{2}-\d{2})'$/.exec(clause);
      const tag = /^tags eq '([^:']+):([^']*)'$/.exec(clause);
      if (start) from = start[1]!;
      else if (end) to = end[1]!;
      else if (tag) tags.push([tag[1]!, tag[2]!]);
      else {
        return {
          status: 400,
          body: { error: { code: 'BadRequest', message: `unsupported filter clause ${clause}` } },
        };
      }
    }
    const rows = this.usage
      .filter((r) => r.date >= from && r.date <= to && tags.every(([k, v]) => r.tags[k] === v))
      .map((r, i) => usageJson(this.subscriptionId, r, i));
    const pg = page(rows, Number(u.searchParams.get('$skiptoken') ?? 0), this.pageSize);
    return {
      status: 200,
      body: { value: pg.value, ...(pg.more ? { nextLink: this.nextLink(u, pg.next) } : {}) },
    };
  }
}
