// The agent's HTTP client for the agent ⇄ daemon protocol (docs/agent-protocol.md). The agent pulls: every call
// goes from the node to the daemon, so a node behind NAT needs no inbound port.
//
// - Bodies and answers are the shared TypeBox schemas (src/api/schemas/agent.ts); an answer that does not match
//   is an error (a proxy's HTML page, a daemon of another version), not something to guess at.
// - Network errors, timeouts, 429 and 5xx are retried with exponential backoff and full jitter (core/backoff.ts):
//   the daemon restarts, and a node must not lose a checkpoint report to one dropped connection. Other 4xx are
//   final and say what the daemon said (a spent bootstrap token, a job no longer on this node).
// - The token travels only in the Authorization header. No message, error or log line made here contains it.
import { type TSchema, Type } from 'typebox';
import {
  type CheckpointBody,
  Command,
  type HeartbeatBody,
  HeartbeatReply,
  type LogsBody,
  type NoticeBody,
  type RegisterBody,
  RegisterReply,
} from '../api/schemas/agent.js';
import { type BackoffPolicy, backoffMs } from '../core/backoff.js';
import { formatIssues, schemaIssues } from '../core/validate.js';

/** The notice's answer (the protocol's table: `{commands}`); the schemas file has no name for it. */
const NoticeReply = Type.Object({ commands: Type.Array(Command) });

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
export const DEFAULT_RETRIES = 4;
export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 250, maxMs: 5_000 };

/** The daemon answered, and said no (or answered something unreadable). */
export class AgentHttpError extends Error {
  constructor(
    readonly call: string,
    readonly status: number,
    /** The API's error code (`unauthorized`, `not_found`, ...), when the body had one. */
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'AgentHttpError';
  }

  /** 429 and 5xx: the daemon may answer better in a moment. */
  get retriable(): boolean {
    return this.status === 429 || this.status >= 500;
  }
}

/** Nobody answered: refused, reset, DNS, or no answer within the timeout. */
export class AgentUnreachableError extends Error {
  constructor(
    readonly call: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${call}: daemon unreachable (${reason})`, options);
    this.name = 'AgentUnreachableError';
  }

  get retriable(): boolean {
    return true;
  }
}

export function isRetriable(e: unknown): boolean {
  return (e instanceof AgentHttpError || e instanceof AgentUnreachableError) && e.retriable;
}

export interface AgentClientOptions {
  /** The daemon's base URL (GPUSCHED_URL); `/v1/agent/...` is appended. */
  readonly baseUrl: string;
  /** The bootstrap token until `register` swaps it for the session token, or a saved session token. */
  readonly token: string;
  readonly fetch?: typeof fetch;
  /** Per attempt, connect to last byte (default 10 s). */
  readonly timeoutMs?: number;
  /** Retries after the first attempt for retriable failures (default 4). */
  readonly retries?: number;
  readonly backoff?: BackoffPolicy;
  /** Waits between retries; tests pass one that does not wait. Must resolve early when `signal` aborts. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random?: () => number;
}

export interface CallOptions {
  /** Overrides the client's retries for this call (0: one attempt). */
  readonly retries?: number;
  readonly timeoutMs?: number;
  /** Stops waiting (and retrying) at once. */
  readonly signal?: AbortSignal;
}

export class AgentClient {
  readonly baseUrl: string;
  private token: string;
  private readonly fetchFn: typeof fetch;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoff: BackoffPolicy;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly random: () => number;

  constructor(opts: AgentClientOptions) {
    const url = new URL(opts.baseUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new Error(`daemon URL must be http:// or https://, got ${opts.baseUrl}`);
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    if (opts.token === '') throw new Error('the agent token is empty');
    this.token = opts.token;
    this.fetchFn = opts.fetch ?? ((input, init) => fetch(input, init));
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.retries = opts.retries ?? DEFAULT_RETRIES;
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
    this.sleep = opts.sleep ?? abortableSleep;
    this.random = opts.random ?? Math.random;
  }

  /** The token sent now: the session token once `register` has run. Secret: never log it. */
  get currentToken(): string {
    return this.token;
  }

  /** Sends `token` from now on (a session token read back after an agent restart). */
  useToken(token: string): void {
    if (token === '') throw new Error('the agent token is empty');
    this.token = token;
  }

  /** Exchanges the bootstrap token for the session token, which every later call then carries. */
  async register(body: RegisterBody, opts: CallOptions = {}): Promise<RegisterReply> {
    const reply = await this.call<RegisterReply>('register', body, RegisterReply, opts);
    this.useToken(reply.token);
    return reply;
  }

  heartbeat(body: HeartbeatBody, opts: CallOptions = {}): Promise<HeartbeatReply> {
    return this.call<HeartbeatReply>('heartbeat', body, HeartbeatReply, opts);
  }

  notice(body: NoticeBody, opts: CallOptions = {}): Promise<{ commands: Command[] }> {
    return this.call<{ commands: Command[] }>('notice', body, NoticeReply, opts);
  }

  async checkpoint(body: CheckpointBody, opts: CallOptions = {}): Promise<void> {
    await this.call('checkpoint', body, undefined, opts);
  }

  async logs(body: LogsBody, opts: CallOptions = {}): Promise<void> {
    await this.call('logs', body, undefined, opts);
  }

  private invalid(name: string, status: number, issues: ReturnType<typeof schemaIssues>): AgentHttpError {
    return new AgentHttpError(
      name,
      status,
      undefined,
      `${name}: the daemon's answer is not what the protocol says:\n${formatIssues(issues)}`,
    );
  }

  private async call<T>(
    name: string,
    body: unknown,
    schema: TSchema | undefined,
    opts: CallOptions,
  ): Promise<T> {
    const retries = Math.max(0, opts.retries ?? this.retries);
    for (let attempt = 0; ; attempt++) {
      try {
        const value = await this.once(name, body, opts);
        if (schema) {
          const issues = schemaIssues(schema, value);
          if (issues.length > 0) throw this.invalid(name, 200, issues);
        }
        return value as T;
      } catch (e) {
        if (!isRetriable(e) || attempt >= retries || opts.signal?.aborted) throw e;
        await this.sleep(backoffMs(attempt + 1, this.backoff, this.random()), opts.signal);
        if (opts.signal?.aborted) throw e;
      }
    }
  }

  /** One attempt: the parsed JSON answer of a 2xx, else AgentHttpError / AgentUnreachableError. */
  private async once(name: string, body: unknown, opts: CallOptions): Promise<unknown> {
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
    const call = `POST /v1/agent/${name}`;
    let res: Response;
    let text: string;
    try {
      res = await this.fetchFn(`${this.baseUrl}/v1/agent/${name}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${this.token}`,
          'content-type': 'application/json',
          accept: 'application/json',
        },
        body: JSON.stringify(body),
        signal,
        redirect: 'error',
      });
      text = await res.text();
    } catch (e) {
      const reason = timeout.aborted ? `no answer within ${timeoutMs} ms` : describeFetchError(e);
      throw new AgentUnreachableError(call, reason, { cause: e });
    }
    let value: unknown;
    try {
      value = text === '' ? {} : JSON.parse(text);
    } catch {
      value = undefined;
    }
    if (res.status >= 200 && res.status < 300) {
      if (value === undefined)
        throw new AgentHttpError(call, res.status, undefined, `${call}: HTTP ${res.status}, not JSON`);
      return value;
    }
    const err = value as { error?: unknown; message?: unknown; issues?: unknown } | undefined;
    const code = typeof err?.error === 'string' ? err.error : undefined;
    const said =
      typeof err?.message === 'string' ? err.message : text.slice(0, 200).replace(/\s+/g, ' ').trim();
    const issues = Array.isArray(err?.issues)
      ? (err.issues as Array<{ path?: unknown; message?: unknown }>)
          .slice(0, 10)
          .map((i) => `\n  ${String(i.path ?? '')}: ${String(i.message ?? '')}`)
          .join('')
      : '';
    throw new AgentHttpError(
      call,
      res.status,
      code,
      `${call}: HTTP ${res.status}${code ? ` ${code}` : ''}${said ? `: ${said}` : ''}${issues}`,
    );
  }
}

/** Undici says "fetch failed" and keeps the reason (ECONNREFUSED, ...) in `cause`. */
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

/** Resolves after `ms`, or at once when `signal` aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
