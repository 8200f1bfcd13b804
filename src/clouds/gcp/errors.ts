// Classifies what the GCP SDKs throw into the daemon's few CloudError kinds, keeping the original as
// `cause`. Three shapes reach us:
// - HTTP errors from the REST transport (GaxiosError): `status` is the HTTP status and `message` is the
//   response body, usually `{"error":{"code","message","status","errors":[{reason}],"details":[...]}}`;
// - errors inside a finished zone operation (an insert that ran out of capacity fails there, not at
//   the HTTP call): `{errors:[{code:'ZONE_RESOURCE_POOL_EXHAUSTED', message}]}`, wrapped in
//   GcpOperationError by the capacity provider;
// - everything else: network failures (ECONNREFUSED...), gax errors with gRPC codes, undecodable
//   bodies (SyntaxError, "fromProto3JSON..."), missing credentials.
import { CloudError, type CloudErrorKind } from '../errors.js';

/** A zone operation that finished with errors (operation.error.errors). */
export class GcpOperationError extends Error {
  constructor(
    readonly operation: string,
    readonly errors: ReadonlyArray<{ code: string; message: string }>,
  ) {
    super(errors.map((e) => `${e.code}: ${e.message}`).join('; ') || 'operation failed');
    this.name = 'GcpOperationError';
  }
}

/** An answer that the SDK decoded but that does not have the shape the API documents. */
export class GcpMalformedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GcpMalformedError';
  }
}

// Capacity: GCE says "stockout" in several spellings: operation codes, ErrorInfo reasons, messages.
const CAPACITY_CODES = new Set([
  'ZONE_RESOURCE_POOL_EXHAUSTED',
  'ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS',
  'RESOURCE_POOL_EXHAUSTED',
  'RESOURCE_AVAILABILITY',
  'STOCKOUT',
  'RESOURCENOTAVAILABLE',
]);
const CAPACITY_TEXT =
  /does not have enough resources available|state:\s*STOCKOUT|currently unavailable in the/i;
// Request-rate limits: slowing down helps, so Throttled, even when Google calls them "quota" (403
// rateLimitExceeded, 429 RESOURCE_EXHAUSTED "Quota exceeded for quota metric 'Queries'...").
const RATE_CODES = new Set(['RATELIMITEXCEEDED', 'USERRATELIMITEXCEEDED', 'RATE_LIMIT_EXCEEDED']);
// Resource quotas (GPUs, CPUs per region): waiting a few seconds does not help; a human must act.
const QUOTA_CODES = new Set(['QUOTA_EXCEEDED', 'QUOTAEXCEEDED']);
const QUOTA_TEXT = /Quota '[^']+' exceeded/i;
const AUTH_CODES = new Set([
  'FORBIDDEN',
  'INSUFFICIENTPERMISSIONS',
  'ACCESSNOTCONFIGURED',
  'SERVICE_DISABLED',
  'IAM_PERMISSION_DENIED',
  'ACCESS_TOKEN_SCOPE_INSUFFICIENT',
  'API_KEY_INVALID',
  'AUTHERROR',
]);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
]);
const CREDENTIALS_TEXT = /default credentials|could not refresh access token|invalid_grant|unauthenticated/i;

// gRPC status codes, which gax uses when it raises an error itself.
const GRPC: Record<number, CloudErrorKind> = {
  4: 'Transient', // DEADLINE_EXCEEDED
  5: 'NotFound',
  7: 'AuthFailed', // PERMISSION_DENIED
  8: 'Throttled', // RESOURCE_EXHAUSTED
  14: 'Transient', // UNAVAILABLE
  16: 'AuthFailed', // UNAUTHENTICATED
};

interface Facts {
  status: number | null;
  grpc: number | null;
  /** Upper-cased reasons and codes from every place GCP puts them. */
  codes: Set<string>;
  text: string;
}

function record(v: unknown): Record<string, unknown> | null {
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : null;
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

/** The `{error: {...}}` body of an HTTP error, which GaxiosError carries as its message. */
function parseBody(message: string): Record<string, unknown> | null {
  const trimmed = message.trim();
  if (!trimmed.startsWith('{')) return null;
  try {
    return record(record(JSON.parse(trimmed))?.error);
  } catch {
    return null;
  }
}

function collectFacts(err: unknown): Facts {
  const e = record(err) ?? {};
  const message = err instanceof Error ? err.message : String(err);
  const codes = new Set<string>();
  const add = (v: unknown): void => {
    const s = str(v);
    if (s) codes.add(s.toUpperCase());
  };
  let status = typeof e.status === 'number' ? e.status : null;
  let grpc: number | null = null;
  if (typeof e.code === 'number') {
    if (e.code >= 100) status ??= e.code;
    else grpc = e.code;
  } else add(e.code);
  add(e.reason);
  let text = message;
  if (err instanceof GcpOperationError) for (const x of err.errors) add(x.code);
  const body = parseBody(message);
  if (body) {
    if (typeof body.code === 'number') status ??= body.code;
    add(body.status);
    text = str(body.message) ?? message;
    for (const x of Array.isArray(body.errors) ? body.errors : []) add(record(x)?.reason);
    for (const d of Array.isArray(body.details) ? body.details : []) add(record(d)?.reason);
  }
  // Network errors carry their errno on a nested `error` (undici) or `cause`.
  add(record(e.error)?.code);
  add(record(e.cause)?.code);
  return { status, grpc, codes, text };
}

function has(facts: Facts, set: ReadonlySet<string>): boolean {
  for (const c of facts.codes) if (set.has(c)) return true;
  return false;
}

function kindOf(err: unknown, f: Facts): CloudErrorKind {
  if (has(f, CAPACITY_CODES) || CAPACITY_TEXT.test(f.text)) return 'InsufficientCapacity';
  if (has(f, RATE_CODES) || f.status === 429) return 'Throttled';
  if (has(f, QUOTA_CODES) || QUOTA_TEXT.test(f.text)) return 'QuotaExceeded';
  if (f.status === 401 || f.status === 403 || has(f, AUTH_CODES)) return 'AuthFailed';
  if (f.status === 404 || f.codes.has('NOTFOUND') || f.codes.has('RESOURCE_NOT_FOUND')) return 'NotFound';
  if (f.status !== null) return 'Transient'; // 5xx, and 4xx that a later try may not repeat
  if (f.codes.has('RESOURCE_EXHAUSTED')) return 'Throttled';
  if (f.grpc !== null && GRPC[f.grpc]) return GRPC[f.grpc] as CloudErrorKind;
  if (has(f, NETWORK_CODES)) return 'Transient';
  if (err instanceof Error && err.name !== 'GcpMalformedError' && CREDENTIALS_TEXT.test(err.message)) {
    return 'AuthFailed';
  }
  return 'Transient';
}

/** The HTTP status of a failed REST call, or null when the failure was not an HTTP answer. */
export function httpStatusOf(err: unknown): number | null {
  if (err instanceof CloudError) return httpStatusOf(err.cause);
  return collectFacts(err).status;
}

/** Did the SDK fail to decode the answer (not JSON, or JSON of the wrong shape)? */
export function isMalformedAnswer(err: unknown): boolean {
  if (err instanceof GcpMalformedError || err instanceof SyntaxError) return true;
  return err instanceof Error && /fromProto3JSON|Unexpected token|in JSON at position/.test(err.message);
}

/**
 * The CloudError for anything a GCP call threw. `api` names the call (e.g. 'compute instances.insert')
 * so that logs say which API failed. CloudErrors pass through unchanged.
 */
export function classifyGcpError(err: unknown, api: string): CloudError {
  if (err instanceof CloudError) return err;
  if (isMalformedAnswer(err)) {
    const detail = err instanceof Error ? err.message : String(err);
    return new CloudError('Transient', `GCP ${api}: malformed answer: ${detail}`, 'gcp', { cause: err });
  }
  const facts = collectFacts(err);
  const kind = kindOf(err, facts);
  const tags = [facts.status === null ? null : `HTTP ${facts.status}`, ...facts.codes].filter(Boolean);
  const text = facts.text.length > 500 ? `${facts.text.slice(0, 500)}…` : facts.text;
  const suffix = tags.length > 0 ? ` (${tags.join(', ')})` : '';
  return new CloudError(kind, `GCP ${api}: ${text}${suffix}`, 'gcp', { cause: err });
}
