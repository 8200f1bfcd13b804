// AWS SDK errors → the daemon's few CloudError kinds, at the edge. The SDK turns an EC2 Query
// `<Error><Code>` (or a JSON `__type`) into the exception's `name`; that code decides the kind, and the
// SDK error itself is kept as `cause` (its `name` is the AWS code, `$metadata` has the request id).
// No SDK import: the classification works on the error's shape, so unit tests stay light.
import { CloudError, type CloudErrorKind } from '../errors.js';

/** AWS error codes the services must tell apart. Anything not here is Transient. */
export const AWS_ERROR_KINDS: Readonly<Record<string, CloudErrorKind>> = {
  // No capacity in this pool now: block the pool and try another.
  InsufficientInstanceCapacity: 'InsufficientCapacity',
  InsufficientCapacity: 'InsufficientCapacity',
  InsufficientHostCapacity: 'InsufficientCapacity',
  SpotMaxPriceTooLow: 'InsufficientCapacity',
  // 'Unsupported': the type is not offered in the requested AZ (offerings changed since the last poll).
  Unsupported: 'InsufficientCapacity',
  // The account's limits: a human has to raise them.
  InstanceLimitExceeded: 'QuotaExceeded',
  MaxSpotInstanceCountExceeded: 'QuotaExceeded',
  VcpuLimitExceeded: 'QuotaExceeded',
  // Slow down (EC2 says RequestLimitExceeded; JSON services such as Pricing say ThrottlingException).
  RequestLimitExceeded: 'Throttled',
  Throttling: 'Throttled',
  ThrottlingException: 'Throttled',
  TooManyRequestsException: 'Throttled',
  // Credentials or permissions are wrong: retrying will not help.
  AuthFailure: 'AuthFailed',
  UnauthorizedOperation: 'AuthFailed',
  InvalidClientTokenId: 'AuthFailed',
  SignatureDoesNotMatch: 'AuthFailed',
  AccessDeniedException: 'AuthFailed',
  ExpiredToken: 'AuthFailed',
  // The SDK's own "no credentials anywhere in the chain".
  CredentialsProviderError: 'AuthFailed',
  // Gone already.
  'InvalidInstanceID.NotFound': 'NotFound',
};

interface SdkErrorShape {
  name?: unknown;
  Code?: unknown;
  code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

function shape(e: unknown): SdkErrorShape {
  return typeof e === 'object' && e !== null ? (e as SdkErrorShape) : {};
}

/** Names that say nothing about the failure ('Unknown' is the SDK's name for a 5xx without a code). */
const GENERIC_NAMES = new Set(['Error', 'TypeError', 'Unknown', 'UnknownError', '']);

/** The AWS error code of an SDK error ('InsufficientInstanceCapacity', ...), or a network code, or ''. */
export function awsErrorCode(e: unknown): string {
  const s = shape(e);
  if (typeof s.name === 'string' && !GENERIC_NAMES.has(s.name)) return s.name;
  if (typeof s.Code === 'string' && s.Code) return s.Code;
  if (typeof s.code === 'string' && s.code) return s.code;
  return '';
}

/** The SDK failed to parse what the endpoint answered (truncated XML, HTML from a proxy, bad dates). */
export function isDeserializationError(e: unknown): boolean {
  const m = shape(e).message;
  return typeof m === 'string' && (m.includes('Deserialization error') || m.includes('XML parse error'));
}

export function awsErrorKind(e: unknown): CloudErrorKind {
  const code = awsErrorCode(e);
  const known = AWS_ERROR_KINDS[code];
  if (known) return known;
  // 5xx, network failures, timeouts and malformed answers all may work next time.
  return 'Transient';
}

/** Where the error happened, for a message a human can act on. */
export interface AwsCallSite {
  api: string;
  region: string;
}

/** Wraps any error thrown by an SDK call; a CloudError passes through unchanged. */
export function classifyAwsError(e: unknown, at: AwsCallSite): CloudError {
  if (e instanceof CloudError) return e;
  const kind = awsErrorKind(e);
  const s = shape(e);
  const code = awsErrorCode(e);
  const status =
    typeof s.$metadata?.httpStatusCode === 'number' ? ` (HTTP ${s.$metadata.httpStatusCode})` : '';
  const text = typeof s.message === 'string' ? s.message.split('\n')[0] : String(e);
  const what = isDeserializationError(e) ? 'malformed answer: ' : '';
  return new CloudError(
    kind,
    `AWS ${at.api} in ${at.region}: ${what}${code ? `${code}: ` : ''}${text}${status}`,
    'aws',
    {
      cause: e,
    },
  );
}

/** An answer that parsed but makes no sense (missing fields, bad numbers). Transient: the next poll may be fine. */
export function malformed(at: AwsCallSite, detail: string): CloudError {
  return new CloudError('Transient', `AWS ${at.api} in ${at.region}: malformed answer: ${detail}`, 'aws');
}

/** Runs one SDK call and classifies what it throws. */
export async function awsCall<T>(at: AwsCallSite, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw classifyAwsError(e, at);
  }
}
