// The CLI's HTTP client for the daemon's /v1 API. It turns the two ways a call can fail into typed
// errors (the daemon said no: ApiError; nobody answered: UnreachableError) so that main can map each
// to its exit code and one readable message, and never shows a stack trace for either.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CliError, EXIT } from './errors.js';
import type { ExplainBody } from './explain-format.js';
import type {
  ApiJob,
  CreatedToken,
  ErrorBody,
  InterruptResult,
  Issue,
  JobDetail,
  JobPage,
  NodeList,
  OfferList,
} from './types.js';

export const DEFAULT_PORT = 7878;
export const DEFAULT_TIMEOUT_MS = 30_000;

export type TokenSource = '--token' | 'GPUSCHED_TOKEN' | 'admin token file' | 'none';

export interface Connection {
  /** Base URL without a trailing slash; /v1/... is appended. */
  url: string;
  token: string | undefined;
  tokenSource: TokenSource;
  /** Where a local daemon keeps its admin token; named in the 401 hint even when it was not read. */
  tokenFile: string;
}

export interface ConnectionFlags {
  url?: string | undefined;
  token?: string | undefined;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

function isLoopback(url: URL): boolean {
  return LOOPBACK.has(url.hostname) || url.hostname.startsWith('127.');
}

function readTokenFile(path: string): string | undefined {
  try {
    const text = readFileSync(path, 'utf8').trim();
    return text === '' ? undefined : text;
  } catch {
    // No file (no local daemon, or another data dir): go on without a token; a 401 will say what to do.
    return undefined;
  }
}

/**
 * Where the daemon is and which token to send: flags beat the environment, the environment beats the
 * local daemon's admin token file. That file is only used for a daemon on this machine (a loopback URL),
 * so a mistyped GPUSCHED_URL never sends the local admin token to another host.
 */
export function resolveConnection(
  flags: ConnectionFlags,
  env: Readonly<Record<string, string | undefined>>,
  readFile: (path: string) => string | undefined = readTokenFile,
): Connection {
  const from = flags.url ? '--url' : env.GPUSCHED_URL ? 'GPUSCHED_URL' : null;
  const raw = flags.url || env.GPUSCHED_URL || `http://127.0.0.1:${env.GPUSCHED_PORT || DEFAULT_PORT}`;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new CliError(
      `gpusched: ${from ?? 'GPUSCHED_PORT'} does not give a valid URL: "${raw}"`,
      EXIT.invalid,
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new CliError(
      `gpusched: ${from ?? 'the daemon URL'} must be http:// or https://, got "${raw}"`,
      EXIT.invalid,
    );
  }
  const url = raw.replace(/\/+$/, '');
  const tokenFile = resolve(join(env.GPUSCHED_DATA_DIR || 'var', 'admin.token'));
  if (flags.token) return { url, token: flags.token, tokenSource: '--token', tokenFile };
  if (env.GPUSCHED_TOKEN) return { url, token: env.GPUSCHED_TOKEN, tokenSource: 'GPUSCHED_TOKEN', tokenFile };
  const fileToken = isLoopback(parsed) ? readFile(tokenFile) : undefined;
  return fileToken
    ? { url, token: fileToken, tokenSource: 'admin token file', tokenFile }
    : { url, token: undefined, tokenSource: 'none', tokenFile };
}

/** The daemon answered, with an error. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    /** The body's machine-readable `error` (not_found, conflict, ...). */
    readonly code: string,
    message: string,
    readonly issues: readonly Issue[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Nothing answered: refused, unknown host, reset, timed out. */
export class UnreachableError extends Error {
  constructor(
    readonly url: string,
    /** ECONNREFUSED, ENOTFOUND, 'timed out after 30 s', ... */
    readonly reason: string,
  ) {
    super(`cannot reach ${url} (${reason})`);
    this.name = 'UnreachableError';
  }
}

/** fetch hides the socket error one or two `cause`s down (and inside an AggregateError for dual-stack hosts). */
function networkReason(err: unknown): string {
  const seen = new Set<unknown>();
  let fallback: string | undefined;
  const queue: unknown[] = [err];
  while (queue.length > 0) {
    const e = queue.shift();
    if (e === null || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    const rec = e as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
    if (typeof rec.code === 'string' && rec.code !== '') return rec.code;
    if (rec.name === 'TimeoutError') fallback ??= 'timed out';
    if (typeof rec.message === 'string' && rec.message !== 'fetch failed') fallback ??= rec.message;
    queue.push(rec.cause);
    if (Array.isArray(rec.errors)) queue.push(...rec.errors);
  }
  return fallback ?? 'network error';
}

function isErrorBody(v: unknown): v is ErrorBody {
  return v !== null && typeof v === 'object' && typeof (v as { message?: unknown }).message === 'string';
}

export type QueryValue = string | number | readonly string[] | undefined;

export function buildQuery(params: Readonly<Record<string, QueryValue>>): string {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) q.append(key, v);
    else q.append(key, String(value));
  }
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}

export interface JobQuery {
  state?: string | undefined;
  /** `k=v` selectors; each is sent as its own `label=` parameter. */
  labels?: readonly string[] | undefined;
  limit?: number | undefined;
  cursor?: string | undefined;
}

export interface OfferQuery {
  gpu?: string | undefined;
  cloud?: string | undefined;
  market?: string | undefined;
  region?: string | undefined;
  limit?: number | undefined;
}

export interface RequestOptions {
  query?: Readonly<Record<string, QueryValue>>;
  body?: unknown;
  headers?: Readonly<Record<string, string>>;
}

export class ApiClient {
  constructor(
    private readonly conn: { url: string; token?: string | undefined },
    private readonly fetchImpl: typeof fetch = fetch,
    private readonly timeoutMs: number = DEFAULT_TIMEOUT_MS,
  ) {}

  get url(): string {
    return this.conn.url;
  }

  async request<T>(
    method: string,
    path: string,
    opts: RequestOptions = {},
  ): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    if (this.conn.token) headers.authorization = `Bearer ${this.conn.token}`;
    let payload: string | undefined;
    if (opts.body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(opts.body);
    }
    let res: Response;
    try {
      res = await this.fetchImpl(`${this.conn.url}${path}${buildQuery(opts.query ?? {})}`, {
        method,
        headers,
        body: payload,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const reason = networkReason(err);
      throw new UnreachableError(
        this.conn.url,
        reason === 'timed out' ? `timed out after ${Math.round(this.timeoutMs / 1000)} s` : reason,
      );
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!res.ok) {
      if (isErrorBody(body)) {
        throw new ApiError(
          res.status,
          body.error ?? 'error',
          body.message,
          Array.isArray(body.issues) ? body.issues : [],
        );
      }
      // Not our daemon's error format (a proxy, another service on the port): say what came back.
      const snippet = text.trim().slice(0, 200);
      throw new ApiError(
        res.status,
        'http',
        `HTTP ${res.status} ${res.statusText}${snippet ? `: ${snippet}` : ''}`,
      );
    }
    if (body === undefined && text !== '') {
      throw new ApiError(res.status, 'bad_response', `the server at ${this.conn.url} did not answer JSON`);
    }
    return { status: res.status, body: body as T };
  }

  /** POST /v1/jobs. A 200 (instead of 201) means the idempotency key matched an earlier submission. */
  async submitJob(spec: unknown, idempotencyKey?: string): Promise<{ job: ApiJob; replayed: boolean }> {
    const headers: Record<string, string> = idempotencyKey ? { 'idempotency-key': idempotencyKey } : {};
    const { status, body } = await this.request<ApiJob>('POST', '/v1/jobs', { body: spec, headers });
    return { job: body, replayed: status === 200 };
  }

  async listJobs(q: JobQuery = {}): Promise<JobPage> {
    const query = { state: q.state, label: q.labels, limit: q.limit, cursor: q.cursor };
    return (await this.request<JobPage>('GET', '/v1/jobs', { query })).body;
  }

  /** Every page from q.cursor on; q.limit is the page size. */
  async listAllJobs(q: JobQuery = {}): Promise<ApiJob[]> {
    const items: ApiJob[] = [];
    const seen = new Set<string>();
    let cursor = q.cursor;
    for (;;) {
      const page = await this.listJobs({ ...q, cursor });
      items.push(...page.items);
      if (!page.nextCursor) return items;
      // A server that hands back a cursor twice would loop forever; stop with an error instead.
      if (seen.has(page.nextCursor)) {
        throw new ApiError(200, 'bad_response', `the daemon returned the cursor "${page.nextCursor}" twice`);
      }
      seen.add(page.nextCursor);
      cursor = page.nextCursor;
    }
  }

  async getJob(id: string): Promise<JobDetail> {
    return (await this.request<JobDetail>('GET', `/v1/jobs/${encodeURIComponent(id)}`)).body;
  }

  async explainJob(id: string): Promise<ExplainBody> {
    return (await this.request<ExplainBody>('GET', `/v1/jobs/${encodeURIComponent(id)}/explain`)).body;
  }

  async cancelJob(id: string): Promise<ApiJob> {
    return (await this.request<ApiJob>('DELETE', `/v1/jobs/${encodeURIComponent(id)}`)).body;
  }

  async listOffers(q: OfferQuery = {}): Promise<OfferList> {
    return (await this.request<OfferList>('GET', '/v1/offers', { query: { ...q } })).body;
  }

  async listNodes(q: { state?: string | undefined } = {}): Promise<NodeList> {
    return (await this.request<NodeList>('GET', '/v1/nodes', { query: { ...q } })).body;
  }

  async createToken(team: string, name?: string): Promise<CreatedToken> {
    const body = name === undefined ? { team } : { team, name };
    return (await this.request<CreatedToken>('POST', '/v1/tokens', { body })).body;
  }

  async interruptNode(nodeId: string, cloud?: string): Promise<InterruptResult> {
    const body = cloud === undefined ? {} : { cloud };
    const path = `/v1/sim/nodes/${encodeURIComponent(nodeId)}/interrupt`;
    return (await this.request<InterruptResult>('POST', path, { body })).body;
  }

  /** Local mode: the node dies without notice. */
  async loseNode(nodeId: string): Promise<{ nodeId: string; lost: boolean }> {
    const path = `/v1/sim/nodes/${encodeURIComponent(nodeId)}/lose`;
    return (await this.request<{ nodeId: string; lost: boolean }>('POST', path, { body: {} })).body;
  }
}
