// What every cloud's notice watcher gives the agent, and the one HTTP helper they share.
//
// A notice is the cloud saying "this machine goes away (or may go away) soon". The agent acts on it at
// once and locally (the job's checkpoint signal), and reports it to the daemon in parallel; see
// docs/agent.md. Each watcher polls its cloud's link-local metadata server; `watch` (watch.ts) drives one.
import type { CloudName } from '../../core/model.js';

/**
 * - `preempt`: the machine will be reclaimed at `deadline` (AWS spot instance-action, GCP preempted,
 *   Azure Preempt/Terminate). Checkpoint now.
 * - `rebalance`: AWS's early warning that the spot pool's risk went up; no deadline. Move if cheap.
 * - `maintenance`: a host event that will stop the machine (GCP TERMINATE_ON_HOST_MAINTENANCE, Azure
 *   Reboot/Redeploy, AWS scheduled events); usually minutes to days ahead.
 */
export type NoticeKind = 'preempt' | 'rebalance' | 'maintenance';

export interface Notice {
  cloud: CloudName;
  kind: NoticeKind;
  /**
   * When the machine goes (or the event may start). AWS and Azure state it; GCP states none for a
   * preemption, so its watcher sets first-seen + the documented window (30 s). Null when there is no time
   * to give: a rebalance recommendation, GCP host maintenance, an Azure event already started (acknowledged,
   * or past its NotBefore): treat null on a preempt as "now".
   */
  deadline: Date | null;
  /** The metadata server's body as received, for the daemon's event log. */
  raw: string;
  /** The cloud's id for the event, when it has one (Azure EventId: what `acknowledge` takes; AWS EventId). */
  eventId?: string;
}

/** One cloud's metadata endpoint, asked once per `poll`. */
export interface NoticeWatcher {
  readonly cloud: CloudName;
  /**
   * One round of requests to the metadata server: the most pressing notice in force now (preempt before
   * rebalance before maintenance), or null when there is none. Repeats the same notice on every poll for
   * as long as the cloud shows it; `watch` reports it once. Throws MetadataError when the endpoint fails,
   * times out or answers something malformed. `signal` aborts the requests in flight.
   */
  poll(signal?: AbortSignal): Promise<Notice | null>;
}

/** Where each cloud's metadata server lives on a real machine (the agent's --metadata-endpoint default). */
export const DEFAULT_METADATA_ENDPOINTS: Readonly<Record<CloudName, string>> = {
  aws: 'http://169.254.169.254',
  gcp: 'http://metadata.google.internal',
  azure: 'http://169.254.169.254',
};

/**
 * Per-request timeout. The metadata server is on the machine's own hypervisor and answers in
 * milliseconds; a request that takes seconds will not be answered, and the next poll should be sent.
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 2_000;

/** The metadata endpoint failed, timed out, or answered something this watcher cannot read. */
export class MetadataError extends Error {
  constructor(
    message: string,
    readonly cloud: CloudName,
    /** The HTTP status when there was an answer. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MetadataError';
  }
}

/**
 * The key under which `watch` remembers that a notice was reported. An event id names the event whatever
 * its body does later (Azure's NotBefore goes blank once the event starts); without one, the deadline
 * tells a new notice from the same one seen again.
 */
export function noticeKey(n: Notice): string {
  if (n.eventId !== undefined) return `${n.cloud}|${n.kind}|id:${n.eventId}`;
  return `${n.cloud}|${n.kind}|at:${n.deadline === null ? '-' : n.deadline.getTime()}`;
}

/** `http://127.0.0.1:8080/` or a bare `127.0.0.1:8080` (as GCE_METADATA_HOST is written) → a base URL. */
export function metadataBase(endpoint: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint) ? endpoint : `http://${endpoint}`;
  const url = new URL(withScheme);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`metadata endpoint must be http(s): ${endpoint}`);
  }
  return withScheme.replace(/\/+$/, '');
}

export interface MetadataAnswer {
  status: number;
  headers: Headers;
  body: string;
}

export interface MetadataRequest {
  cloud: CloudName;
  method: 'GET' | 'PUT' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * One request with a hard timeout covering connect, headers and body. Every failure to get an answer
 * becomes a MetadataError saying which request and why (timeout, refused, reset); HTTP error statuses
 * are answers, returned for the caller to judge.
 */
export async function metadataRequest(req: MetadataRequest): Promise<MetadataAnswer> {
  const timeout = AbortSignal.timeout(req.timeoutMs);
  const signal = req.signal ? AbortSignal.any([timeout, req.signal]) : timeout;
  const what = `${req.method} ${req.url}`;
  try {
    const res = await fetch(req.url, {
      method: req.method,
      headers: req.headers,
      ...(req.body !== undefined ? { body: req.body } : {}),
      signal,
      redirect: 'error',
    });
    return { status: res.status, headers: res.headers, body: await res.text() };
  } catch (err) {
    if (timeout.aborted) {
      throw new MetadataError(`${what}: no answer within ${req.timeoutMs} ms`, req.cloud, undefined, {
        cause: err,
      });
    }
    throw new MetadataError(`${what}: ${describeFetchError(err)}`, req.cloud, undefined, { cause: err });
  }
}

/** Undici says "fetch failed" and hides the reason (ECONNREFUSED, ENOTFOUND, ...) in `cause`. */
function describeFetchError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err.name === 'AbortError') return 'aborted';
  const cause = err.cause as { code?: unknown; message?: unknown } | undefined;
  if (cause && typeof cause === 'object') {
    if (typeof cause.code === 'string') return `${err.message} (${cause.code})`;
    if (typeof cause.message === 'string') return `${err.message} (${cause.message})`;
  }
  return err.message;
}

/** The error for an answer that is neither the notice nor "no notice". */
export function unexpectedAnswer(cloud: CloudName, what: string, answer: MetadataAnswer): MetadataError {
  const body = answer.body.length > 200 ? `${answer.body.slice(0, 200)}…` : answer.body;
  return new MetadataError(`${what}: HTTP ${answer.status} ${JSON.stringify(body)}`, cloud, answer.status);
}
