// A cloud's instance metadata server, simulated: one loopback HTTP server that speaks one cloud's format
// (aws | gcp | azure) as the real one does, down to the header each insists on and the body shape of its
// interruption notice. The simulated cloud's local mode gives every node it launches its own, and
// `gpusched sim interrupt NODE` calls raiseNotice on it; tests use it to drive the agent's watchers.
//
// What is faithful (checked against the clouds' documentation and the real bodies in
// test/fixtures/metadata/):
// - AWS IMDSv2: PUT /latest/api/token with X-aws-ec2-metadata-token-ttl-seconds (1..21600, else 400)
//   issues a token; every GET needs a live one (else 401); a request carrying X-Forwarded-For is refused
//   (403). spot/instance-action is 404 until a notice, then {"action":"terminate","time":"<ISO, no ms>"}
//   two minutes ahead; events/recommendations/rebalance {"noticeTime"}; events/maintenance/scheduled a list.
// - GCP: every request needs `Metadata-Flavor: Google` (else 403) and every answer carries it;
//   instance/preempted is FALSE then TRUE; instance/maintenance-event NONE then
//   TERMINATE_ON_HOST_MAINTENANCE; values are text (Content-Type application/text) with an ETag, and
//   `?wait_for_change=true` (with `last_etag`, `timeout_sec`) holds the request until the value changes.
// - Azure: /metadata/... needs `Metadata: true` and an api-version (else 400 with IMDS's JSON error);
//   scheduledevents is {"DocumentIncarnation", "Events"}, a Preempt event has NotBefore (RFC 1123) about
//   30 s ahead and EventStatus Scheduled; a POSTed StartRequests acknowledgement turns it Started with a
//   blank NotBefore, and each change bumps DocumentIncarnation.
// What is not: nothing happens at the deadline (the caller — the simulated cloud — stops the node), and
// only the paths the agent and common clients read are served; others are 404.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NoticeKind } from '../../agent/watchers/notice.js';
import type { CloudName } from '../../core/model.js';

export type AwsInstanceAction = 'terminate' | 'stop' | 'hibernate';
export type AzureEventType = 'Preempt' | 'Terminate' | 'Reboot' | 'Redeploy' | 'Freeze';

export interface MetadataServerOptions {
  cloud: CloudName;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port (see `url`). */
  port?: number;
  /** The clock for deadlines and token expiry. */
  now?: () => Date;
  /** This instance: the AWS instance id / GCP instance id, and its name (the Azure VM name events list). */
  instance?: { id?: string; name?: string };
}

export interface RaiseNoticeOptions {
  /** Default 'preempt'. GCP and Azure have no rebalance recommendation. */
  kind?: NoticeKind;
  /**
   * Seconds from now to the deadline. Defaults: preempt AWS 120, GCP 30, Azure 30; maintenance AWS 14
   * days, GCP 3600 (GPU VMs), Azure 900 (Reboot/Redeploy are scheduled at least 15 minutes ahead).
   */
  noticeSeconds?: number;
  /** AWS preempt: the instance-action's action. Default terminate. */
  action?: AwsInstanceAction;
  /** Azure: the event type. Default Preempt for preempt, Reboot for maintenance. */
  eventType?: AzureEventType;
}

export interface RaisedNotice {
  cloud: CloudName;
  kind: NoticeKind;
  /** When the machine goes: the caller stops the node then. Null for a rebalance recommendation. */
  deadline: Date | null;
  /** The body the notice's endpoint serves now. */
  body: string;
  /** AWS scheduled event id or Azure EventId. */
  eventId?: string;
}

export interface AzureAck {
  eventId: string;
  at: Date;
  /** Whether the id named an event this server had raised. */
  known: boolean;
}

export interface RecordedRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  at: Date;
}

/** `match`: a substring of "METHOD /path?query", or a pattern for it; undefined matches every request. */
export type FaultMatch = string | RegExp | undefined;

type Fault =
  | { kind: 'slow'; ms: number }
  | { kind: 'status'; status: number; body: string }
  | { kind: 'hang' }
  | { kind: 'reset' };

/** Fault injection: each rule applies to the next `times` matching requests, first rule first. */
export class MetadataFaults {
  private rules: Array<{ match: FaultMatch; remaining: number; fault: Fault }> = [];

  /** Answers `ms` late (the answer itself is the normal one). */
  slow(ms: number, times = 1, match?: FaultMatch): this {
    return this.add({ kind: 'slow', ms }, times, match);
  }
  /** Answers `status` (default 500) with a plain-text body instead. */
  serverError(times = 1, match?: FaultMatch, status = 500): this {
    return this.add({ kind: 'status', status, body: `${status} injected fault\n` }, times, match);
  }
  /** Never answers (until the server closes). */
  hang(times = 1, match?: FaultMatch): this {
    return this.add({ kind: 'hang' }, times, match);
  }
  /** Drops the connection without an answer. */
  reset(times = 1, match?: FaultMatch): this {
    return this.add({ kind: 'reset' }, times, match);
  }
  clear(): void {
    this.rules = [];
  }

  /** @internal The fault for this request, using up one application of its rule. */
  take(line: string): Fault | undefined {
    const rule = this.rules.find((r) => r.remaining > 0 && matches(r.match, line));
    if (!rule) return undefined;
    rule.remaining--;
    return rule.fault;
  }

  private add(fault: Fault, times: number, match: FaultMatch): this {
    this.rules.push({ match, remaining: times, fault });
    return this;
  }
}

function matches(m: FaultMatch, line: string): boolean {
  if (m === undefined) return true;
  return typeof m === 'string' ? line.includes(m) : m.test(line);
}

export interface MetadataServer {
  readonly cloud: CloudName;
  /** Base URL, e.g. http://127.0.0.1:41234: the agent's --metadata-endpoint. */
  readonly url: string;
  readonly faults: MetadataFaults;
  /** Makes the endpoint show this cloud's notice, in its format. Throws for a kind the cloud lacks. */
  raiseNotice(opts?: RaiseNoticeOptions): RaisedNotice;
  /** AWS: the rebalance recommendation (raiseNotice({kind: 'rebalance'})). */
  raiseRebalance(): RaisedNotice;
  /** Withdraws every notice (as after a restart on a fresh machine). */
  clear(): void;
  /** Azure: every acknowledgement POSTed, oldest first. Empty for the other clouds. */
  acknowledged(): AzureAck[];
  /** AWS: invalidates every token issued so far, as an IMDS restart would (the next GET is 401). */
  revokeTokens(): void;
  /** The most recent requests (up to 500), oldest first. */
  requests(): RecordedRequest[];
  close(): Promise<void>;
}

const REQUEST_LOG_LIMIT = 500;
const AWS_MAX_TTL = 21_600;

const DEFAULT_NOTICE_SECONDS: Readonly<Record<CloudName, Partial<Record<NoticeKind, number>>>> = {
  aws: { preempt: 120, maintenance: 14 * 86_400 },
  gcp: { preempt: 30, maintenance: 3_600 },
  azure: { preempt: 30, maintenance: 900 },
};

// Preempt's is empty in the real document (test/fixtures/metadata/azure); the others are as the portal
// shows them.
const AZURE_DESCRIPTIONS: Readonly<Record<AzureEventType, string>> = {
  Preempt: '',
  Terminate: 'Virtual machine is being deleted as requested by authorized user.',
  Reboot: 'Host server is undergoing maintenance.',
  Redeploy: 'Host server is undergoing maintenance.',
  Freeze: 'Host server is undergoing maintenance.',
};

/** Scheduled Events api-versions IMDS accepts for this path. */
const AZURE_API_VERSIONS = [
  '2017-03-01',
  '2017-08-01',
  '2017-11-01',
  '2019-01-01',
  '2019-08-01',
  '2020-07-01',
];

// ---- per-cloud state ------------------------------------------------------------------------------

interface AwsState {
  tokens: Map<string, number>;
  action: { action: AwsInstanceAction; time: Date } | null;
  rebalance: Date | null;
  scheduled: Array<Record<string, string>>;
}

interface GcpState {
  preempted: boolean;
  maintenance: 'NONE' | 'TERMINATE_ON_HOST_MAINTENANCE';
  /** Hanging GETs (wait_for_change) waiting for a value to change. */
  waiters: Set<() => void>;
}

interface AzureState {
  incarnation: number;
  events: AzureEvent[];
  acks: AzureAck[];
}

interface AzureEvent {
  EventId: string;
  EventStatus: 'Scheduled' | 'Started';
  EventType: AzureEventType;
  ResourceType: 'VirtualMachine';
  Resources: string[];
  NotBefore: string;
  Description: string;
  EventSource: 'Platform' | 'User';
  DurationInSeconds: number;
}

export async function startMetadataServer(opts: MetadataServerOptions): Promise<MetadataServer> {
  const sim = new SimMetadataServer(opts);
  await sim.listen(opts.host ?? '127.0.0.1', opts.port ?? 0);
  return sim;
}

class SimMetadataServer implements MetadataServer {
  readonly cloud: CloudName;
  readonly faults = new MetadataFaults();
  url = '';
  private readonly server: Server;
  private readonly now: () => Date;
  private readonly instanceId: string;
  private readonly instanceName: string;
  private readonly log: RecordedRequest[] = [];
  private readonly aws: AwsState = { tokens: new Map(), action: null, rebalance: null, scheduled: [] };
  private readonly gcp: GcpState = { preempted: false, maintenance: 'NONE', waiters: new Set() };
  private readonly azure: AzureState = { incarnation: 0, events: [], acks: [] };
  private closing = false;

  constructor(opts: MetadataServerOptions) {
    if (!['aws', 'gcp', 'azure'].includes(opts.cloud))
      throw new Error(`no metadata server for '${opts.cloud}'`);
    this.cloud = opts.cloud;
    this.now = opts.now ?? (() => new Date());
    this.instanceId = opts.instance?.id ?? defaultInstanceId(opts.cloud);
    this.instanceName = opts.instance?.name ?? `gpusched-sim-${randomBytes(3).toString('hex')}`;
    this.server = createServer((req, res) => {
      this.handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
  }

  async listen(host: string, port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const addr = this.server.address() as AddressInfo;
    const h = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    this.url = `http://${h}:${addr.port}`;
  }

  raiseNotice(opts: RaiseNoticeOptions = {}): RaisedNotice {
    const kind = opts.kind ?? 'preempt';
    if (kind === 'rebalance') {
      if (this.cloud !== 'aws') throw new Error(`${this.cloud} has no rebalance recommendation (AWS only)`);
      this.aws.rebalance = this.now();
      return { cloud: 'aws', kind, deadline: null, body: this.awsRebalanceBody()! };
    }
    const seconds = opts.noticeSeconds ?? DEFAULT_NOTICE_SECONDS[this.cloud][kind] ?? 30;
    const deadline = new Date(this.now().getTime() + seconds * 1000);
    switch (this.cloud) {
      case 'aws':
        return this.raiseAws(kind, deadline, opts);
      case 'gcp':
        return this.raiseGcp(kind, deadline);
      case 'azure':
        return this.raiseAzure(kind, deadline, opts);
    }
  }

  raiseRebalance(): RaisedNotice {
    return this.raiseNotice({ kind: 'rebalance' });
  }

  clear(): void {
    this.aws.action = null;
    this.aws.rebalance = null;
    this.aws.scheduled = [];
    this.gcp.preempted = false;
    this.gcp.maintenance = 'NONE';
    this.gcpChanged();
    if (this.azure.events.length > 0) {
      this.azure.events = [];
      this.azure.incarnation++;
    }
  }

  acknowledged(): AzureAck[] {
    return this.azure.acks.map((a) => ({ ...a }));
  }

  revokeTokens(): void {
    this.aws.tokens.clear();
  }

  requests(): RecordedRequest[] {
    return [...this.log];
  }

  async close(): Promise<void> {
    this.closing = true;
    this.gcpChanged();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      // Keep-alive sockets and hung requests would hold close() open.
      this.server.closeAllConnections();
    });
  }

  // ---- raising ------------------------------------------------------------------------------------

  private raiseAws(kind: NoticeKind, deadline: Date, opts: RaiseNoticeOptions): RaisedNotice {
    if (kind === 'preempt') {
      this.aws.action = { action: opts.action ?? 'terminate', time: deadline };
      return { cloud: 'aws', kind, deadline, body: this.awsActionBody()! };
    }
    const eventId = `instance-event-${randomBytes(9).toString('hex').slice(0, 17)}`;
    this.aws.scheduled.push({
      Code: 'system-reboot',
      Description: 'scheduled reboot',
      EventId: eventId,
      NotAfter: awsEventTime(new Date(deadline.getTime() + 2 * 3_600_000)),
      NotBefore: awsEventTime(deadline),
      State: 'active',
    });
    return { cloud: 'aws', kind, deadline, body: JSON.stringify(this.aws.scheduled, null, 2), eventId };
  }

  private raiseGcp(kind: NoticeKind, deadline: Date): RaisedNotice {
    if (kind === 'preempt') this.gcp.preempted = true;
    else this.gcp.maintenance = 'TERMINATE_ON_HOST_MAINTENANCE';
    this.gcpChanged();
    return { cloud: 'gcp', kind, deadline, body: kind === 'preempt' ? 'TRUE' : this.gcp.maintenance };
  }

  private raiseAzure(kind: NoticeKind, deadline: Date, opts: RaiseNoticeOptions): RaisedNotice {
    const type = opts.eventType ?? (kind === 'preempt' ? 'Preempt' : 'Reboot');
    const event: AzureEvent = {
      EventId: randomUUID().toUpperCase(),
      EventStatus: 'Scheduled',
      EventType: type,
      ResourceType: 'VirtualMachine',
      Resources: [this.instanceName],
      NotBefore: deadline.toUTCString(),
      Description: AZURE_DESCRIPTIONS[type],
      EventSource: type === 'Terminate' ? 'User' : 'Platform',
      DurationInSeconds: type === 'Freeze' ? 5 : -1,
    };
    this.azure.events.push(event);
    this.azure.incarnation++;
    return { cloud: 'azure', kind, deadline, body: this.azureBody(), eventId: event.EventId };
  }

  // ---- serving ------------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const rawUrl = req.url ?? '/';
    this.log.push({ method, url: rawUrl, headers: { ...req.headers }, at: this.now() });
    if (this.log.length > REQUEST_LOG_LIMIT) this.log.shift();
    const body = await readBody(req);
    const fault = this.faults.take(`${method} ${rawUrl}`);
    if (fault?.kind === 'hang') return; // closeAllConnections ends it
    if (fault?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'slow') await new Promise((r) => setTimeout(r, fault.ms));
    if (fault?.kind === 'status') {
      send(res, fault.status, fault.body, { 'Content-Type': 'text/plain' });
      return;
    }
    const url = new URL(rawUrl, 'http://metadata');
    const answer =
      this.cloud === 'aws'
        ? this.serveAws(req, method, url)
        : this.cloud === 'gcp'
          ? await this.serveGcp(req, method, url)
          : this.serveAzure(req, method, url, body);
    send(res, answer.status, answer.body, answer.headers);
  }

  private serveAws(req: IncomingMessage, method: string, url: URL): Reply {
    const html = (status: number, title: string) =>
      reply(status, awsErrorPage(status, title), { 'Content-Type': 'text/html' });
    if (req.headers['x-forwarded-for'] !== undefined) return html(403, 'Forbidden');
    if (url.pathname === '/latest/api/token') {
      if (method !== 'PUT') return html(405, 'Method Not Allowed');
      const ttlHeader = header(req, 'x-aws-ec2-metadata-token-ttl-seconds');
      const ttl = ttlHeader !== undefined && /^\d+$/.test(ttlHeader) ? Number(ttlHeader) : Number.NaN;
      if (!(ttl >= 1 && ttl <= AWS_MAX_TTL)) return html(400, 'Bad Request');
      const token = randomBytes(42).toString('base64');
      this.aws.tokens.set(token, this.now().getTime() + ttl * 1000);
      return reply(200, token, {
        'Content-Type': 'text/plain',
        'X-Aws-Ec2-Metadata-Token-Ttl-Seconds': String(ttl),
      });
    }
    if (method !== 'GET' && method !== 'HEAD') return html(405, 'Method Not Allowed');
    const token = header(req, 'x-aws-ec2-metadata-token');
    const expires = token === undefined ? undefined : this.aws.tokens.get(token);
    if (expires === undefined || expires <= this.now().getTime()) return html(401, 'Unauthorized');
    const text = (value: string | null, contentType = 'text/plain') =>
      value === null ? html(404, 'Not Found') : reply(200, value, { 'Content-Type': contentType });
    switch (url.pathname) {
      case '/latest/meta-data/spot/instance-action':
        return text(this.awsActionBody(), 'application/json');
      case '/latest/meta-data/spot/termination-time':
        return text(this.aws.action ? awsIso(this.aws.action.time) : null);
      case '/latest/meta-data/events/recommendations/rebalance':
        return text(this.awsRebalanceBody(), 'application/json');
      case '/latest/meta-data/events/maintenance/scheduled':
        return text(JSON.stringify(this.aws.scheduled, null, 2), 'application/json');
      case '/latest/meta-data/instance-id':
        return text(this.instanceId);
      case '/latest/meta-data/instance-life-cycle':
        return text('spot');
      default:
        return html(404, 'Not Found');
    }
  }

  private awsActionBody(): string | null {
    const a = this.aws.action;
    return a ? JSON.stringify({ action: a.action, time: awsIso(a.time) }) : null;
  }

  private awsRebalanceBody(): string | null {
    return this.aws.rebalance ? JSON.stringify({ noticeTime: awsIso(this.aws.rebalance) }) : null;
  }

  private async serveGcp(req: IncomingMessage, method: string, url: URL): Promise<Reply> {
    const headers = { 'Metadata-Flavor': 'Google', Server: 'Metadata Server for VM' };
    const fail = (status: number, text: string) =>
      reply(status, text, { ...headers, 'Content-Type': 'text/html; charset=UTF-8' });
    if (req.headers['x-forwarded-for'] !== undefined) return fail(403, 'Forbidden\n');
    if (header(req, 'metadata-flavor') !== 'Google') {
      return fail(403, 'Missing required header: "Metadata-Flavor": "Google"\n');
    }
    if (method !== 'GET' && method !== 'HEAD') return fail(405, 'Method Not Allowed\n');
    const value = this.gcpValue(url.pathname);
    if (value === null) return fail(404, 'Not Found\n');
    if (url.searchParams.get('wait_for_change') === 'true') {
      const lastEtag = url.searchParams.get('last_etag');
      const timeoutSec = Number(url.searchParams.get('timeout_sec') ?? '');
      // An out-of-date last_etag answers at once; otherwise the request waits for a change.
      if (lastEtag === null || lastEtag === etag(value)) {
        await this.gcpWaitForChange(url.pathname, value, timeoutSec > 0 ? timeoutSec * 1000 : undefined);
      }
    }
    const now = this.gcpValue(url.pathname) ?? value;
    return reply(200, now, { ...headers, 'Content-Type': 'application/text', ETag: etag(now) });
  }

  private gcpValue(path: string): string | null {
    switch (path) {
      case '/computeMetadata/v1/instance/preempted':
        return this.gcp.preempted ? 'TRUE' : 'FALSE';
      case '/computeMetadata/v1/instance/maintenance-event':
        return this.gcp.maintenance;
      case '/computeMetadata/v1/instance/scheduling/preemptible':
        return 'TRUE';
      case '/computeMetadata/v1/instance/id':
        return this.instanceId;
      case '/computeMetadata/v1/instance/name':
        return this.instanceName;
      default:
        return null;
    }
  }

  private gcpWaitForChange(path: string, value: string, timeoutMs: number | undefined): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.gcp.waiters.delete(check);
        if (timer) clearTimeout(timer);
        resolve();
      };
      const check = () => {
        if (this.gcpValue(path) !== value || this.closing) done();
      };
      const timer = timeoutMs === undefined ? undefined : setTimeout(done, timeoutMs);
      this.gcp.waiters.add(check);
    });
  }

  private gcpChanged(): void {
    for (const check of [...this.gcp.waiters]) check();
  }

  private serveAzure(req: IncomingMessage, method: string, url: URL, body: string): Reply {
    const json = (status: number, doc: unknown) =>
      reply(status, JSON.stringify(doc), { 'Content-Type': 'application/json; charset=utf-8' });
    if (!url.pathname.startsWith('/metadata/')) return json(404, { error: 'Not found' });
    if (req.headers['x-forwarded-for'] !== undefined) {
      return json(400, { error: 'Bad request. Requests with X-Forwarded-For header are not allowed' });
    }
    if (header(req, 'metadata') !== 'true') {
      return json(400, { error: 'Bad request. Required metadata header not specified' });
    }
    const newest = [...AZURE_API_VERSIONS].reverse().slice(0, 3);
    const version = url.searchParams.get('api-version');
    if (version === null) {
      return json(400, {
        error:
          'Bad request. api-version was not specified in the request. For more information refer to aka.ms/azureimds',
        'newest-versions': newest,
      });
    }
    if (url.pathname !== '/metadata/scheduledevents') return json(404, { error: 'Not found' });
    if (!AZURE_API_VERSIONS.includes(version)) {
      return json(400, {
        error:
          'Bad request. api-version is invalid or was not specified in the request. For more information refer to aka.ms/azureimds',
        'newest-versions': newest,
      });
    }
    if (method === 'GET')
      return reply(200, this.azureBody(), { 'Content-Type': 'application/json; charset=utf-8' });
    if (method !== 'POST') return json(405, { error: 'Method not allowed' });
    let ids: string[];
    try {
      const doc = JSON.parse(body) as { StartRequests?: Array<{ EventId?: unknown }> };
      if (!Array.isArray(doc.StartRequests)) throw new Error('no StartRequests');
      ids = doc.StartRequests.map((r) => {
        if (typeof r?.EventId !== 'string') throw new Error('no EventId');
        return r.EventId;
      });
    } catch {
      return json(400, { error: 'Bad request. Invalid StartRequests body' });
    }
    let changed = false;
    for (const id of ids) {
      const event = this.azure.events.find((e) => e.EventId === id);
      this.azure.acks.push({ eventId: id, at: this.now(), known: event !== undefined });
      if (event && event.EventStatus === 'Scheduled') {
        event.EventStatus = 'Started';
        event.NotBefore = '';
        changed = true;
      }
    }
    if (changed) this.azure.incarnation++;
    return reply(200, '', {});
  }

  private azureBody(): string {
    return JSON.stringify({ DocumentIncarnation: this.azure.incarnation, Events: this.azure.events });
  }
}

// ---- helpers ----------------------------------------------------------------------------------------

function defaultInstanceId(cloud: CloudName): string {
  if (cloud === 'aws') return `i-${randomBytes(9).toString('hex').slice(0, 17)}`;
  if (cloud === 'gcp') return String(BigInt(`0x${randomBytes(7).toString('hex')}`));
  return randomUUID();
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

interface Reply {
  status: number;
  body: string;
  headers: Record<string, string>;
}

function reply(status: number, body: string, headers: Record<string, string>): Reply {
  return { status, body, headers };
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string>): void {
  if (res.destroyed) return;
  res.writeHead(status, { ...headers, 'Content-Length': String(Buffer.byteLength(body)) });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/** AWS writes instance-action and rebalance times as ISO 8601 to the second: 2020-04-24T17:11:44Z. */
function awsIso(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Scheduled events write "1 Jan 2020 01:03:47 GMT". */
function awsEventTime(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} GMT`;
}

function awsErrorPage(status: number, title: string): string {
  return [
    '<?xml version="1.0" encoding="iso-8859-1"?>',
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"',
    '\t"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">',
    '<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">',
    ' <head>',
    `  <title>${status} - ${title}</title>`,
    ' </head>',
    ' <body>',
    `  <h1>${status} - ${title}</h1>`,
    ' </body>',
    '</html>',
    '',
  ].join('\n');
}

function etag(value: string): string {
  return createHash('sha1').update(value).digest('hex').slice(0, 16);
}
