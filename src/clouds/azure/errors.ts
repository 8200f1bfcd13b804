// Azure's failures, classified once at the edge into the few CloudError kinds the services act on.
// The SDKs throw two shapes: a RestError (`code` from the ARM error body, `statusCode`) for synchronous
// answers, and a plain Error whose message carries the code for a long-running operation that ended
// `Failed` (core-lro: "The long-running operation has failed. ZonalAllocationFailed. <message>"), which is
// how most allocation failures arrive. Both are read here; the original is always kept as `cause`.
import { CloudError, type CloudErrorKind } from '../errors.js';

const CAPACITY_CODES = new Set([
  'SkuNotAvailable',
  'ZonalAllocationFailed',
  'AllocationFailed',
  'OverconstrainedAllocationRequest',
  'OverconstrainedZonalAllocationRequest',
]);

const AUTH_CODES = new Set([
  'AuthorizationFailed',
  'InvalidAuthenticationToken',
  'InvalidAuthenticationTokenTenant',
  'AuthenticationFailed',
  'ExpiredAuthenticationToken',
  'LinkedAuthorizationFailed',
  // @azure/identity's error names: no credential could be found or it was refused.
  'CredentialUnavailableError',
  'AuthenticationError',
]);

const NOT_FOUND_CODES = new Set(['ResourceNotFound', 'NotFound', 'ResourceGroupNotFound']);

// Node and core-rest-pipeline codes for a request that never got an answer.
const NETWORK_CODES = new Set([
  'REQUEST_SEND_ERROR',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

const LRO_FAILED = /long-running operation has failed\. ([A-Za-z]+)\./;

/** What an Azure error says, read from whichever shape it came in. */
export interface AzureErrorFacts {
  code: string | undefined;
  statusCode: number | undefined;
  message: string;
}

export function azureErrorFacts(e: unknown): AzureErrorFacts {
  if (!(e instanceof Error)) return { code: undefined, statusCode: undefined, message: String(e) };
  const rec = e as Error & { code?: unknown; statusCode?: unknown; cause?: unknown };
  let code = typeof rec.code === 'string' ? rec.code : undefined;
  if (code === undefined) code = LRO_FAILED.exec(e.message)?.[1];
  if (code === undefined && (e.name === 'AbortError' || e.name === 'TimeoutError')) code = e.name;
  if (code === undefined && AUTH_CODES.has(e.name)) code = e.name;
  // fetch wraps the socket error: TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }).
  if (code === undefined && rec.cause instanceof Error) {
    const inner = (rec.cause as Error & { code?: unknown }).code;
    if (typeof inner === 'string') code = inner;
  }
  const statusCode = typeof rec.statusCode === 'number' ? rec.statusCode : undefined;
  return { code, statusCode, message: e.message };
}

/** The CloudError kind for an Azure code and HTTP status; codes win over statuses (a 409 may be capacity). */
export function azureErrorKind(facts: AzureErrorFacts): CloudErrorKind {
  const { code, statusCode, message } = facts;
  if (code !== undefined) {
    if (CAPACITY_CODES.has(code)) return 'InsufficientCapacity';
    if (code === 'QuotaExceeded' || /QuotaExceeded$/.test(code)) return 'QuotaExceeded';
    // OperationNotAllowed is also used for "VM is being deleted" and the like; only quota text means quota.
    if (code === 'OperationNotAllowed' && /quota/i.test(message)) return 'QuotaExceeded';
    if (code === 'TooManyRequests' || /Throttl/.test(code)) return 'Throttled';
    if (AUTH_CODES.has(code)) return 'AuthFailed';
    if (NOT_FOUND_CODES.has(code)) return 'NotFound';
  }
  if (statusCode === 429) return 'Throttled';
  if (statusCode === 401 || statusCode === 403) return 'AuthFailed';
  if (statusCode === 404) return 'NotFound';
  return 'Transient';
}

/** Wraps anything an Azure call threw into a CloudError; a CloudError passes through unchanged. */
export function classifyAzureError(e: unknown, context: string): CloudError {
  if (e instanceof CloudError) return e;
  const facts = azureErrorFacts(e);
  const kind = azureErrorKind(facts);
  const parts = [facts.code, facts.statusCode === undefined ? undefined : `HTTP ${facts.statusCode}`].filter(
    (p): p is string => p !== undefined,
  );
  const tag = parts.length > 0 ? ` [${parts.join(', ')}]` : '';
  const network = facts.code !== undefined && NETWORK_CODES.has(facts.code) ? ' (network)' : '';
  // The SDK's own words for an answer it could not read: PARSE_ERROR for a body that is not JSON, and a
  // TypeError from its deserializers for JSON of the wrong shape ("result.map is not a function").
  const malformed =
    facts.code === 'PARSE_ERROR'
      ? ': malformed answer (not JSON)'
      : e instanceof TypeError && e.cause === undefined
        ? ': malformed answer (unexpected shape)'
        : '';
  return new CloudError(
    kind,
    `azure: ${context} failed${tag}${network}${malformed}: ${facts.message}`,
    'azure',
    {
      cause: e,
    },
  );
}

/** A malformed answer: a clear error naming what was wrong, retried later like any transient fault. */
export function malformedAnswer(what: string, detail: string): CloudError {
  return new CloudError('Transient', `azure: malformed ${what}: ${detail}`, 'azure');
}
