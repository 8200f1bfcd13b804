// What the GCP SDKs throw → the daemon's CloudError kinds. The HTTP cases use the shape the REST
// transport really throws (a GaxiosError: `status` = HTTP status, `message` = the response body).
import { describe, expect, it } from 'vitest';
import { CloudError, type CloudErrorKind } from '../../src/clouds/errors.js';
import {
  classifyGcpError,
  GcpMalformedError,
  GcpOperationError,
  httpStatusOf,
} from '../../src/clouds/gcp/errors.js';

function http(status: number, body: unknown): Error {
  const err = new Error(typeof body === 'string' ? body : JSON.stringify(body));
  Object.assign(err, { name: 'GaxiosError', status, code: status });
  return err;
}

function google(status: number, reason: string, message: string, rpc?: string, details?: unknown[]): Error {
  return http(status, {
    error: { code: status, message, errors: [{ reason, domain: 'global', message }], status: rpc, details },
  });
}

function network(code: string): Error {
  const err = new Error(`request to http://127.0.0.1:1/x failed, reason: connect ${code}`);
  Object.assign(err, { name: 'GaxiosError', code, error: { code, type: 'system' } });
  return err;
}

const op = (code: string, message = 'm') => new GcpOperationError('operation-1', [{ code, message }]);

const cases: Array<[string, unknown, CloudErrorKind]> = [
  [
    'an insert operation that ran out of zone capacity',
    op('ZONE_RESOURCE_POOL_EXHAUSTED'),
    'InsufficientCapacity',
  ],
  ['the same with details', op('ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS'), 'InsufficientCapacity'],
  [
    'a stockout answered at the insert itself (HTTP 503)',
    google(
      503,
      'ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS',
      "The zone 'projects/p/zones/z' does not have enough resources available to fulfill the request.  '(resource type:compute)'.",
    ),
    'InsufficientCapacity',
  ],
  [
    'an ErrorInfo reason resource_availability',
    google(503, 'unknown', 'unavailable', 'UNAVAILABLE', [
      { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'resource_availability' },
    ]),
    'InsufficientCapacity',
  ],
  [
    'a STOCKOUT state in the message',
    op('UNKNOWN', 'NULL:0 (state:STOCKOUT, sub-state:x)'),
    'InsufficientCapacity',
  ],
  [
    'an operation over quota',
    op('QUOTA_EXCEEDED', "Quota 'NVIDIA_T4_GPUS' exceeded.  Limit: 0.0 in region us-central1."),
    'QuotaExceeded',
  ],
  [
    'HTTP 403 quotaExceeded',
    google(403, 'quotaExceeded', "Quota 'CPUS' exceeded.  Limit: 24.0 in region us-east1."),
    'QuotaExceeded',
  ],
  [
    'HTTP 429 rateLimitExceeded',
    google(429, 'rateLimitExceeded', 'Rate Limit Exceeded', 'RESOURCE_EXHAUSTED'),
    'Throttled',
  ],
  [
    'HTTP 429 for a per-minute request quota (Google calls it quota, it is a rate)',
    google(
      429,
      'RATE_LIMIT_EXCEEDED',
      "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute'",
      'RESOURCE_EXHAUSTED',
    ),
    'Throttled',
  ],
  [
    'HTTP 403 rateLimitExceeded (API request rate)',
    google(403, 'rateLimitExceeded', 'Rate Limit Exceeded'),
    'Throttled',
  ],
  [
    'HTTP 403 userRateLimitExceeded',
    google(403, 'userRateLimitExceeded', 'User Rate Limit Exceeded'),
    'Throttled',
  ],
  ['HTTP 401', google(401, 'authError', 'Invalid Credentials', 'UNAUTHENTICATED'), 'AuthFailed'],
  [
    'HTTP 403 permission denied',
    google(403, 'forbidden', "Required 'compute.instances.create' permission"),
    'AuthFailed',
  ],
  [
    'HTTP 403 API not enabled',
    google(403, 'accessNotConfigured', 'Compute Engine API has not been used'),
    'AuthFailed',
  ],
  ['no application default credentials', new Error('Could not load the default credentials.'), 'AuthFailed'],
  [
    'HTTP 404',
    google(404, 'notFound', "The resource 'projects/p/zones/z/instances/i' was not found"),
    'NotFound',
  ],
  ['HTTP 500', google(500, 'backendError', 'Internal Error'), 'Transient'],
  ['HTTP 503 with an HTML body', http(503, '<html>Service Unavailable</html>'), 'Transient'],
  [
    'HTTP 400 invalid field',
    google(400, 'invalid', "Invalid value for field 'resource.machineType'"),
    'Transient',
  ],
  ['connection refused', network('ECONNREFUSED'), 'Transient'],
  ['connection reset', network('ECONNRESET'), 'Transient'],
  [
    'gax DEADLINE_EXCEEDED (gRPC code 4)',
    Object.assign(new Error('Total timeout exceeded'), { code: 4 }),
    'Transient',
  ],
  ['gax RESOURCE_EXHAUSTED (gRPC code 8)', Object.assign(new Error('exhausted'), { code: 8 }), 'Throttled'],
  ['gax UNAUTHENTICATED (gRPC code 16)', Object.assign(new Error('no'), { code: 16 }), 'AuthFailed'],
  [
    'JSON cut in the middle',
    new SyntaxError('Expected double-quoted property name in JSON at position 26'),
    'Transient',
  ],
  [
    'JSON of the wrong shape',
    new Error('fromProto3JSONToInternalRepresentation: expected an array for field x'),
    'Transient',
  ],
  ['anything else', new Error('surprise'), 'Transient'],
];

describe('classifyGcpError', () => {
  it.each(cases)('%s', (_name, err, kind) => {
    const e = classifyGcpError(err, 'compute instances.insert');
    expect(e).toBeInstanceOf(CloudError);
    expect(e.kind).toBe(kind);
    expect(e.cloud).toBe('gcp');
    expect(e.cause).toBe(err);
    expect(e.message).toMatch(/^GCP compute instances\.insert: /);
  });

  it('says "malformed answer" for bodies the SDK could not decode, and names the API', () => {
    const e = classifyGcpError(
      new SyntaxError('Unexpected end of JSON input'),
      'cloudbilling services.skus.list',
    );
    expect(e.message).toBe(
      'GCP cloudbilling services.skus.list: malformed answer: Unexpected end of JSON input',
    );
    expect(classifyGcpError(new GcpMalformedError('scope x answered UNREACHABLE'), 'a').message).toContain(
      'malformed',
    );
  });

  it("puts Google's message, HTTP status and reason in the text rather than the raw body", () => {
    const e = classifyGcpError(
      google(403, 'quotaExceeded', "Quota 'CPUS' exceeded."),
      'compute instances.insert',
    );
    expect(e.message).toBe("GCP compute instances.insert: Quota 'CPUS' exceeded. (HTTP 403, QUOTAEXCEEDED)");
  });

  it('passes CloudErrors through and finds the HTTP status under them', () => {
    const inner = google(409, 'alreadyExists', 'exists');
    const ce = classifyGcpError(inner, 'x');
    expect(classifyGcpError(ce, 'y')).toBe(ce);
    expect(httpStatusOf(ce)).toBe(409);
    expect(httpStatusOf(network('ECONNRESET'))).toBeNull();
  });
});
