// A wire-level fake of the two GCP APIs gpusched calls, on loopback (port 0), for the real SDKs:
//   cloudbilling v1  GET  /v1/services/{service}/skus                       (pageToken, pageSize)
//   compute v1       GET  /compute/v1/projects/{p}/aggregated/{acceleratorTypes|machineTypes|instances|operations}
//                    POST /compute/v1/projects/{p}/zones/{z}/instances       (requestId)
//                    GET|DELETE .../zones/{z}/instances/{name}
//                    GET  .../zones/{z}/operations/{op}   POST .../zones/{z}/operations/{op}/wait
// Point the SDKs at it with `fake.sdkOptions()` and a fake-token client (auth.ts). Faults: `fake.faults`
// (429, 5xx, malformed JSON, slow, reset), `fake.exhaustZone()`, `fake.unreachable`. Fixture bodies can
// replace the generated ones (`skuPages`, `acceleratorTypesBody`).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { makeCatalog, type Sku } from './catalog.js';
import { type CapacityFault, ComputeState, HttpError } from './compute.js';
import { Faults, googleError } from './faults.js';
import { aggregatedPage, FilterError, type Item, parseFilter, type Scoped } from './lists.js';
import { makeWorld, type ScaleOptions, type World } from './world.js';

export interface GcpFakeOptions {
  project?: string;
  scale?: ScaleOptions;
  /** SKUs per billing page at most (the client asks for 5000). */
  skuPageSize?: number;
  /** Items per aggregatedList page at most (the client asks for 500). */
  computePageSize?: number;
  /** Unrelated SKUs added to the catalog for volume (default 200). */
  fillerSkus?: number;
  /** ms from insert to RUNNING (default 0). */
  bootMs?: number;
  /** ms an operation stays RUNNING (default 0). */
  operationMs?: number;
  /** API key the billing catalog accepts besides bearer tokens. */
  apiKey?: string;
  now?: () => Date;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
}

export interface GcpFake {
  url: string;
  port: number;
  project: string;
  world: World;
  compute: ComputeState;
  faults: Faults;
  requests: RecordedRequest[];
  /** Scopes ('zones/x') that aggregated lists report as UNREACHABLE. */
  unreachable: Set<string>;
  /** Billing pages to serve instead of the generated catalog (e.g. a fixture page and its follow-up). */
  skuPages: Array<Record<string, unknown>> | null;
  /** acceleratorTypes.aggregatedList body to serve as is (a fixture). */
  acceleratorTypesBody: Record<string, unknown> | null;
  catalog: Sku[];
  sdkOptions(): { apiEndpoint: string; port: number; protocol: 'http'; fallback: true };
  exhaustZone(zone: string, fault?: Partial<CapacityFault>): void;
  restoreZone(zone: string): void;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const AGG_KEYS: Record<string, string> = {
  acceleratorTypes: 'acceleratorTypes',
  machineTypes: 'machineTypes',
  instances: 'instances',
  operations: 'operations',
};

export async function startGcpFake(options: GcpFakeOptions = {}): Promise<GcpFake> {
  const project = options.project ?? 'gpusched-test';
  const now = options.now ?? (() => new Date());
  const world = makeWorld(options.scale);
  const zones = (): string[] => [...world.accelerators.keys()];
  const compute = new ComputeState({
    project,
    zones,
    now,
    bootMs: options.bootMs ?? 0,
    operationMs: options.operationMs ?? 0,
  });
  const faults = new Faults();
  const requests: RecordedRequest[] = [];
  const catalog = makeCatalog(world, options.fillerSkus ?? 200);
  const zoneLink = (z: string): string =>
    `https://www.googleapis.com/compute/v1/projects/${project}/zones/${z}`;
  const staticScopes = (kind: 'acceleratorTypes' | 'machineTypes'): Scoped[] =>
    zones().map((z) => ({
      scope: `zones/${z}`,
      items: (kind === 'acceleratorTypes'
        ? (world.accelerators.get(z) ?? [])
        : (world.machineTypes.get(z) ?? [])
      ).map(
        (x, i): Item => ({
          kind: `compute#${kind === 'acceleratorTypes' ? 'acceleratorType' : 'machineType'}`,
          id: String(10000 + i),
          description: x.name,
          zone: zoneLink(z),
          selfLink: `${zoneLink(z)}/${kind}/${x.name}`,
          ...x,
        }),
      ),
    }));

  function billing(q: URLSearchParams): unknown {
    const token = q.get('pageToken');
    if (fake.skuPages) {
      const pages = fake.skuPages;
      const i = token ? pages.findIndex((_, k) => k > 0 && pages[k - 1]?.nextPageToken === token) : 0;
      if (i < 0) throw new HttpError(400, 'badRequest', `Invalid page token: ${token}`);
      return pages[i];
    }
    const size = Math.min(Number(q.get('pageSize') ?? 5000) || 5000, options.skuPageSize ?? 5000);
    const start = token ? Number(Buffer.from(token, 'base64url').toString()) : 0;
    const end = start + size;
    const next = end < catalog.length ? Buffer.from(String(end)).toString('base64url') : undefined;
    return { skus: catalog.slice(start, end), ...(next ? { nextPageToken: next } : {}) };
  }

  async function route(req: IncomingMessage, path: string, q: URLSearchParams): Promise<unknown> {
    const billingPath = /^\/v1\/services\/([^/]+)\/skus$/.exec(path);
    if (billingPath && req.method === 'GET') return billing(q);
    const m = /^\/compute\/v1\/projects\/([^/]+)\/(.*)$/.exec(path);
    if (!m?.[1] || m[2] === undefined) throw new HttpError(404, 'notFound', `No route ${req.method} ${path}`);
    if (m[1] !== project)
      throw new HttpError(404, 'notFound', `The resource 'projects/${m[1]}' was not found`);
    const rest = m[2];
    const agg = /^aggregated\/(\w+)$/.exec(rest);
    if (agg?.[1] && req.method === 'GET') {
      const kind = agg[1];
      const key = AGG_KEYS[kind];
      if (!key) throw new HttpError(404, 'notFound', `No route ${path}`);
      if (kind === 'acceleratorTypes' && fake.acceleratorTypesBody) return fake.acceleratorTypesBody;
      const scopes =
        kind === 'instances'
          ? compute.instanceScopes()
          : kind === 'operations'
            ? compute.operationScopes()
            : staticScopes(kind as 'acceleratorTypes' | 'machineTypes');
      const size = Math.min(Number(q.get('maxResults') ?? 500) || 500, options.computePageSize ?? 500);
      return aggregatedPage(
        scopes,
        key,
        parseFilter(q.get('filter')),
        size,
        q.get('pageToken'),
        fake.unreachable,
      );
    }
    const zonal = /^zones\/([^/]+)\/(instances|operations)(?:\/([^/]+))?(\/wait)?$/.exec(rest);
    if (!zonal?.[1]) throw new HttpError(404, 'notFound', `No route ${req.method} ${path}`);
    const [, zone, what, name, wait] = zonal;
    if (what === 'instances' && !name && req.method === 'POST') {
      return compute.insert(zone, JSON.parse(await readBody(req)) as Item, q.get('requestId'));
    }
    if (what === 'instances' && name && req.method === 'GET') return compute.get(zone, name);
    if (what === 'instances' && name && req.method === 'DELETE') return compute.delete(zone, name);
    if (what === 'operations' && name && wait && req.method === 'POST') {
      // wait blocks until DONE, at most 2 s here (GCE: ~2 min).
      const left = compute.settle(zone, name);
      if (left > 0) await new Promise((r) => setTimeout(r, Math.min(left, 2000)));
      return compute.getOperation(zone, name);
    }
    if (what === 'operations' && name && req.method === 'GET') return compute.getOperation(zone, name);
    throw new HttpError(404, 'notFound', `No route ${req.method} ${path}`);
  }

  function authorised(req: IncomingMessage, path: string): boolean {
    if (/^Bearer \S+/.test(req.headers.authorization ?? '')) return true;
    const key = req.headers['x-goog-api-key'];
    return path.startsWith('/v1/') && options.apiKey !== undefined && key === options.apiKey;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', 'http://fake');
    requests.push({
      method: req.method ?? '',
      path: u.pathname,
      query: u.searchParams,
      headers: req.headers,
    });
    const fault = faults.take(`${req.method} ${u.pathname}`);
    if (fault?.kind === 'reset') return void req.socket.destroy();
    if (fault?.kind === 'slow') await new Promise((r) => setTimeout(r, fault.delayMs));
    if (fault?.kind === 'status') return send(res, fault.status, fault.body);
    if (!authorised(req, u.pathname)) {
      const msg = 'Request is missing required authentication credential.';
      return send(res, 401, googleError(401, 'required', msg, 'UNAUTHENTICATED'));
    }
    try {
      const body = await route(req, u.pathname, u.searchParams);
      if (fault?.kind === 'malformed') {
        const text = JSON.stringify(body);
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(text.slice(0, Math.max(1, Math.floor(text.length / 2))));
      }
      send(res, 200, body);
    } catch (err) {
      if (err instanceof HttpError)
        return send(res, err.status, googleError(err.status, err.reason, err.message));
      if (err instanceof FilterError) return send(res, 400, googleError(400, 'invalid', err.message));
      send(res, 500, googleError(500, 'backendError', String(err)));
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => send(res, 500, googleError(500, 'backendError', String(err))));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const fake: GcpFake = {
    url: `http://127.0.0.1:${port}`,
    port,
    project,
    world,
    compute,
    faults,
    requests,
    unreachable: new Set(),
    skuPages: null,
    acceleratorTypesBody: null,
    catalog,
    sdkOptions: () => ({ apiEndpoint: '127.0.0.1', port, protocol: 'http', fallback: true }),
    exhaustZone: (zone, fault = {}) =>
      compute.capacityFaults.set(zone, { code: fault.code ?? 'ZONE_RESOURCE_POOL_EXHAUSTED', ...fault }),
    restoreZone: (zone) => compute.capacityFaults.delete(zone),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return fake;
}
