// A wire-level fake of AWS on loopback, for the real SDK: EC2 Query (form-encoded POST, XML answers)
// and the Price List API (JSON 1.1), on one port. The region of a call comes from its SigV4 credential
// scope, as the endpoint is shared by every region (GPUSCHED_AWS_ENDPOINT works the same way).
//
//   const fake = await startAwsFake({ pageSizes: { spotPriceHistory: 7 } });
//   new EC2Client({ endpoint: fake.endpoint, region: 'us-west-2', credentials, maxAttempts: 2 });
//   fake.faults.throttle(2, { action: 'DescribeSpotPriceHistory' });
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InstanceStore } from './ec2-instances.js';
import {
  describeAvailabilityZones,
  describeInstanceTypeOfferings,
  describeInstanceTypes,
  describeSpotPriceHistory,
  type MarketCtx,
  type PageSizes,
  type SpotRecord,
} from './ec2-market.js';
import { type FakeApi, type FaultEffect, Faults } from './faults.js';
import { FakePricing, PricingFault } from './pricing.js';
import { Ec2Fault, ec2ErrorBody, QueryParams } from './wire.js';
import { World, type WorldOptions } from './world.js';

export type { FakeInstance } from './ec2-instances.js';
export type { PageSizes } from './ec2-market.js';
export { World } from './world.js';

export interface AwsFakeOptions extends WorldOptions {
  /** Largest page per action (EC2's own limits by default); small values force pagination. */
  pageSizes?: Partial<PageSizes>;
  /** The fake's clock: launch times, spot history times. */
  now?: () => Date;
}

export interface FakeCall {
  api: FakeApi;
  action: string;
  region: string;
  params: Record<string, string>;
}

export interface AwsFake {
  /** EC2 endpoint for every region. */
  endpoint: string;
  /** Pricing endpoint (the same server). */
  pricingEndpoint: string;
  world: World;
  faults: Faults;
  pricing: FakePricing;
  instances: InstanceStore;
  /** Every request received, in order. */
  calls: FakeCall[];
  callCount(action: string, region?: string): number;
  /** A new spot price record (in force from `at`, default now). */
  setSpotPrice(region: string, zone: string, instanceType: string, price: number, at?: Date): void;
  /** EC2 reclaims a spot instance (id `i-...` or a providerId `region/i-...`). */
  interruptSpot(id: string): void;
  close(): Promise<void>;
}

const EC2_PAGE_LIMITS: PageSizes = {
  spotPriceHistory: 1000,
  instanceTypes: 100,
  instanceTypeOfferings: 1000,
  instances: 1000,
};

/** The region in `Authorization: AWS4-HMAC-SHA256 Credential=AKID/20261128/us-west-2/ec2/aws4_request, ...`. */
function regionOf(req: IncomingMessage): string {
  const m = /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(req.headers.authorization ?? '');
  return m?.[1] ?? 'us-east-1';
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

function sendError(res: ServerResponse, api: FakeApi, code: string, message: string, status: number): void {
  if (api === 'ec2') {
    const c = code === 'THROTTLE' ? 'RequestLimitExceeded' : code;
    send(
      res,
      c === 'RequestLimitExceeded' ? 503 : status,
      'text/xml;charset=UTF-8',
      ec2ErrorBody(c, message),
    );
    return;
  }
  // JSON 1.1 errors: the code in __type and x-amzn-ErrorType.
  const c =
    code === 'THROTTLE'
      ? 'ThrottlingException'
      : code === 'Unavailable' || code === 'InternalError'
        ? 'InternalErrorException'
        : code;
  const s = c === 'ThrottlingException' ? 400 : status;
  send(res, s, 'application/x-amz-json-1.1', JSON.stringify({ __type: c, message }), {
    'x-amzn-errortype': c,
  });
}

export async function startAwsFake(opts: AwsFakeOptions = {}): Promise<AwsFake> {
  const world = new World(opts);
  const now = opts.now ?? (() => new Date());
  const pageSizes = { ...EC2_PAGE_LIMITS, ...opts.pageSizes };
  const faults = new Faults();
  const pricing = new FakePricing(world);
  const instances = new InstanceStore(world, faults);
  const calls: FakeCall[] = [];
  const addedSpot: SpotRecord[] = [];

  function ec2(action: string, params: QueryParams, regionName: string): string {
    const region = world.region(regionName);
    if (!region)
      throw new Ec2Fault('AuthFailure', `region ${regionName} is not enabled for this account`, 401);
    const ctx: MarketCtx = { world, region, params, now: now(), pageSizes, addedSpot };
    switch (action) {
      case 'DescribeAvailabilityZones':
        return describeAvailabilityZones(ctx);
      case 'DescribeInstanceTypes':
        return describeInstanceTypes(ctx);
      case 'DescribeInstanceTypeOfferings':
        return describeInstanceTypeOfferings(ctx);
      case 'DescribeSpotPriceHistory':
        return describeSpotPriceHistory(ctx);
      case 'RunInstances':
        return instances.run(region, params, now());
      case 'TerminateInstances':
        return instances.terminate(region, params, now());
      case 'DescribeInstances':
        return instances.describe(region, params, pageSizes.instances);
      default:
        throw new Ec2Fault('InvalidAction', `The action ${action} is not valid for this web service.`);
    }
  }

  /** Applies an injected fault; true when it answered (or will never answer) the request. */
  async function applyFault(
    res: ServerResponse,
    api: FakeApi,
    effect: FaultEffect | undefined,
  ): Promise<boolean> {
    if (!effect) return false;
    switch (effect.kind) {
      case 'slow':
        await new Promise((r) => setTimeout(r, effect.ms));
        return false;
      case 'hang':
        return true;
      case 'raw':
        send(res, effect.status, effect.contentType, effect.body);
        return true;
      case 'error':
        sendError(res, api, effect.code, effect.message, effect.status);
        return true;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const region = regionOf(req);
    const target = req.headers['x-amz-target'];
    if (typeof target === 'string') {
      const action = target.replace(/^AWSPriceListService\./, '');
      calls.push({ api: 'pricing', action, region, params: { body } });
      if (await applyFault(res, 'pricing', faults.take('pricing', action, region))) return;
      try {
        if (action !== 'GetProducts')
          throw new PricingFault('UnknownOperationException', `unknown ${target}`);
        send(res, 200, 'application/x-amz-json-1.1', pricing.getProducts(body));
      } catch (e) {
        const f = e instanceof PricingFault ? e : new PricingFault('InternalErrorException', String(e), 500);
        sendError(res, 'pricing', f.code, f.message, f.status);
      }
      return;
    }
    const params = new QueryParams(body);
    const action = params.get('Action') ?? '';
    calls.push({ api: 'ec2', action, region, params: params.entries() });
    if (await applyFault(res, 'ec2', faults.take('ec2', action, region))) return;
    try {
      send(res, 200, 'text/xml;charset=UTF-8', ec2(action, params, region));
    } catch (e) {
      const f = e instanceof Ec2Fault ? e : new Ec2Fault('InternalError', String(e), 500);
      sendError(res, 'ec2', f.code, f.message, f.status);
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain', String(e));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    endpoint: url,
    pricingEndpoint: url,
    world,
    faults,
    pricing,
    instances,
    calls,
    callCount: (action, region) =>
      calls.filter((c) => c.action === action && (region === undefined || c.region === region)).length,
    setSpotPrice: (region, zone, instanceType, price, at = now()) => {
      addedSpot.push({ zone, instanceType, product: 'Linux/UNIX', price, at });
      if (!world.region(region)?.zones.some((z) => z.name === zone))
        throw new Error(`no zone ${zone} in ${region}`);
    },
    interruptSpot: (id) => {
      instances.interruptSpot(id.replace(/^.*\//, ''), now());
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
