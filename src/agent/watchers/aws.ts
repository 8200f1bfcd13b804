// AWS: the instance metadata service, version 2 (IMDSv2; instances launched with http-tokens=required
// answer nothing else).
//
//   PUT /latest/api/token                      X-aws-ec2-metadata-token-ttl-seconds: <1..21600>  → token
//   GET /latest/meta-data/spot/instance-action X-aws-ec2-metadata-token: <token>
//       404 until AWS decides to reclaim the spot instance, then {"action":"terminate","time":"<ISO>"}, the
//       time about two minutes ahead ("stop" and "hibernate" too, for instances launched that way).
//   GET /latest/meta-data/events/recommendations/rebalance
//       404, then {"noticeTime":"<ISO>"}: the pool's interruption risk went up; no deadline.
//   GET /latest/meta-data/events/maintenance/scheduled (opt-in)
//       [] or 404, or a list of {Code, EventId, NotBefore: "1 Jan 2020 01:03:47 GMT", State, ...}.
//
// The token is fetched once and reused until shortly before it expires; a 401 (the token expired early,
// or IMDS restarted) drops it and the request is retried once with a new one.
import type { Notice } from './notice.js';
import {
  DEFAULT_METADATA_ENDPOINTS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  MetadataError,
  metadataBase,
  metadataRequest,
  type NoticeWatcher,
  unexpectedAnswer,
} from './notice.js';

export const AWS_TOKEN_PATH = '/latest/api/token';
export const AWS_INSTANCE_ACTION_PATH = '/latest/meta-data/spot/instance-action';
export const AWS_REBALANCE_PATH = '/latest/meta-data/events/recommendations/rebalance';
export const AWS_SCHEDULED_EVENTS_PATH = '/latest/meta-data/events/maintenance/scheduled';
export const AWS_TOKEN_TTL_HEADER = 'X-aws-ec2-metadata-token-ttl-seconds';
export const AWS_TOKEN_HEADER = 'X-aws-ec2-metadata-token';
/** The longest token IMDS issues (6 hours). */
export const AWS_MAX_TOKEN_TTL_SECONDS = 21_600;

export interface AwsWatcherOptions {
  /** Base URL of IMDS. Default http://169.254.169.254. */
  endpoint?: string;
  timeoutMs?: number;
  /** Lifetime asked for each token. Default 21600 s, the most IMDS allows. */
  tokenTtlSeconds?: number;
  /** A token this close to expiry is replaced before use. Default 60 s. */
  refreshBeforeSeconds?: number;
  /** Also poll scheduled maintenance events (one more request per poll). Default false. */
  scheduledMaintenance?: boolean;
  now?: () => Date;
}

export class AwsNoticeWatcher implements NoticeWatcher {
  readonly cloud = 'aws' as const;
  readonly endpoint: string;
  private readonly timeoutMs: number;
  private readonly ttlSeconds: number;
  private readonly refreshBeforeMs: number;
  private readonly maintenance: boolean;
  private readonly now: () => Date;
  private token: { value: string; expiresAt: number } | null = null;
  /** How many tokens this watcher has fetched (for tests and diagnostics). */
  tokensFetched = 0;

  constructor(opts: AwsWatcherOptions = {}) {
    this.endpoint = metadataBase(opts.endpoint ?? DEFAULT_METADATA_ENDPOINTS.aws);
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.ttlSeconds = opts.tokenTtlSeconds ?? AWS_MAX_TOKEN_TTL_SECONDS;
    if (
      !Number.isInteger(this.ttlSeconds) ||
      this.ttlSeconds < 1 ||
      this.ttlSeconds > AWS_MAX_TOKEN_TTL_SECONDS
    ) {
      throw new Error(`IMDS token TTL must be 1..${AWS_MAX_TOKEN_TTL_SECONDS} s, got ${this.ttlSeconds}`);
    }
    this.refreshBeforeMs = Math.min((opts.refreshBeforeSeconds ?? 60) * 1000, (this.ttlSeconds * 1000) / 2);
    this.maintenance = opts.scheduledMaintenance ?? false;
    this.now = opts.now ?? (() => new Date());
  }

  async poll(signal?: AbortSignal): Promise<Notice | null> {
    // Ask for the reclaim first: when it is there, nothing else matters and no time is spent on the rest.
    const action = await this.get(AWS_INSTANCE_ACTION_PATH, signal);
    const preempt = action === null ? null : parseInstanceAction(action);
    if (preempt) return preempt;
    const rebalance = await this.get(AWS_REBALANCE_PATH, signal);
    if (rebalance !== null) return parseRebalance(rebalance);
    if (!this.maintenance) return null;
    const scheduled = await this.get(AWS_SCHEDULED_EVENTS_PATH, signal);
    return scheduled === null ? null : parseScheduledEvents(scheduled);
  }

  /** The body of a 200, null for a 404 (nothing to say), MetadataError for anything else. */
  private async get(path: string, signal?: AbortSignal): Promise<string | null> {
    let answer = await this.send(path, await this.currentToken(signal), signal);
    if (answer.status === 401) {
      this.token = null;
      answer = await this.send(path, await this.currentToken(signal), signal);
    }
    if (answer.status === 200) return answer.body;
    if (answer.status === 404) return null;
    throw unexpectedAnswer('aws', `GET ${path}`, answer);
  }

  private send(path: string, token: string, signal?: AbortSignal) {
    return metadataRequest({
      cloud: 'aws',
      method: 'GET',
      url: this.endpoint + path,
      headers: { [AWS_TOKEN_HEADER]: token },
      timeoutMs: this.timeoutMs,
      ...(signal ? { signal } : {}),
    });
  }

  private async currentToken(signal?: AbortSignal): Promise<string> {
    const now = this.now().getTime();
    if (this.token && this.token.expiresAt - this.refreshBeforeMs > now) return this.token.value;
    const answer = await metadataRequest({
      cloud: 'aws',
      method: 'PUT',
      url: this.endpoint + AWS_TOKEN_PATH,
      headers: { [AWS_TOKEN_TTL_HEADER]: String(this.ttlSeconds) },
      timeoutMs: this.timeoutMs,
      ...(signal ? { signal } : {}),
    });
    if (answer.status !== 200 || answer.body.trim() === '') {
      this.token = null;
      throw unexpectedAnswer('aws', `PUT ${AWS_TOKEN_PATH}`, answer);
    }
    // IMDS echoes the TTL it granted; trust it over the one asked for when it is there.
    const granted = Number(answer.headers.get(AWS_TOKEN_TTL_HEADER));
    const ttl = Number.isFinite(granted) && granted > 0 ? granted : this.ttlSeconds;
    this.token = { value: answer.body.trim(), expiresAt: now + ttl * 1000 };
    this.tokensFetched++;
    return this.token.value;
  }
}

function parseJson(body: string, what: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw new MetadataError(`${what}: not JSON: ${JSON.stringify(body.slice(0, 200))}`, 'aws');
  }
}

function isoDate(value: unknown, what: string): Date {
  const t = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(t)) throw new MetadataError(`${what}: not a time: ${JSON.stringify(value)}`, 'aws');
  return new Date(t);
}

/** The body of spot/instance-action → a preempt notice at its `time`. */
export function parseInstanceAction(body: string): Notice {
  const what = 'spot/instance-action';
  const doc = parseJson(body, what) as { action?: unknown; time?: unknown } | null;
  if (!doc || typeof doc !== 'object' || typeof doc.action !== 'string') {
    throw new MetadataError(`${what}: no action in ${JSON.stringify(body.slice(0, 200))}`, 'aws');
  }
  // terminate, stop and hibernate all take the machine (and its GPU memory) away from the job.
  return { cloud: 'aws', kind: 'preempt', deadline: isoDate(doc.time, what), raw: body };
}

/** The body of events/recommendations/rebalance → a rebalance notice (no deadline). */
export function parseRebalance(body: string): Notice {
  const what = 'events/recommendations/rebalance';
  const doc = parseJson(body, what) as { noticeTime?: unknown } | null;
  if (!doc || typeof doc !== 'object') throw new MetadataError(`${what}: not an object`, 'aws');
  isoDate(doc.noticeTime, what);
  return { cloud: 'aws', kind: 'rebalance', deadline: null, raw: body };
}

/**
 * The body of events/maintenance/scheduled → the earliest `active` event as a maintenance notice, or
 * null. `completed` and `canceled` events stay in the list for a while and mean nothing. AWS documents
 * a list; a single object (as some emulators answer) is read as a list of one.
 */
export function parseScheduledEvents(body: string): Notice | null {
  const what = 'events/maintenance/scheduled';
  if (body.trim() === '') return null;
  const doc = parseJson(body, what);
  const events = (Array.isArray(doc) ? doc : [doc]) as Array<Record<string, unknown> | null>;
  let best: { at: Date; id: string | undefined } | null = null;
  for (const e of events) {
    if (!e || typeof e !== 'object') throw new MetadataError(`${what}: an event is not an object`, 'aws');
    if (e.State !== 'active') continue;
    const at = isoDate(e.NotBefore, what);
    if (!best || at < best.at) best = { at, id: typeof e.EventId === 'string' ? e.EventId : undefined };
  }
  if (!best) return null;
  return {
    cloud: 'aws',
    kind: 'maintenance',
    deadline: best.at,
    raw: body,
    ...(best.id !== undefined ? { eventId: best.id } : {}),
  };
}
