// AWS errors → CloudError kinds. The inputs are shaped like the SDK's exceptions (the AWS code is the
// exception's name; $metadata carries the HTTP status); the integration tests feed real ones.
import { describe, expect, it } from 'vitest';
import {
  awsCall,
  awsErrorCode,
  classifyAwsError,
  isDeserializationError,
  malformed,
} from '../../src/clouds/aws/errors.js';
import { CloudError, type CloudErrorKind } from '../../src/clouds/errors.js';

function sdkError(name: string, status: number, message = `${name} happened`): Error {
  return Object.assign(new Error(message), {
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status, requestId: 'req-1' },
  });
}

const at = { api: 'RunInstances', region: 'us-west-2' };

const CASES: [string, Error, CloudErrorKind][] = [
  [
    'no capacity in the AZ (EC2 says so with a 500)',
    sdkError('InsufficientInstanceCapacity', 500),
    'InsufficientCapacity',
  ],
  ['no capacity (generic)', sdkError('InsufficientCapacity', 500), 'InsufficientCapacity'],
  ['spot price cap below the market', sdkError('SpotMaxPriceTooLow', 400), 'InsufficientCapacity'],
  ['type not supported in that AZ', sdkError('Unsupported', 400), 'InsufficientCapacity'],
  ['on-demand instance limit', sdkError('InstanceLimitExceeded', 400), 'QuotaExceeded'],
  ['spot instance count limit', sdkError('MaxSpotInstanceCountExceeded', 400), 'QuotaExceeded'],
  ['vCPU quota', sdkError('VcpuLimitExceeded', 400), 'QuotaExceeded'],
  ['EC2 throttling', sdkError('RequestLimitExceeded', 503), 'Throttled'],
  ['generic throttling', sdkError('Throttling', 400), 'Throttled'],
  ['Pricing API throttling', sdkError('ThrottlingException', 400), 'Throttled'],
  ['bad credentials', sdkError('AuthFailure', 401), 'AuthFailed'],
  ['missing IAM permission', sdkError('UnauthorizedOperation', 403), 'AuthFailed'],
  ['unknown access key', sdkError('InvalidClientTokenId', 403), 'AuthFailed'],
  ['wrong secret key', sdkError('SignatureDoesNotMatch', 403), 'AuthFailed'],
  ['Pricing API access denied', sdkError('AccessDeniedException', 400), 'AuthFailed'],
  ['no credentials anywhere in the chain', sdkError('CredentialsProviderError', 0), 'AuthFailed'],
  ['instance gone', sdkError('InvalidInstanceID.NotFound', 400), 'NotFound'],
  ['EC2 internal error', sdkError('InternalError', 500), 'Transient'],
  ['EC2 unavailable', sdkError('Unavailable', 503), 'Transient'],
  ['an HTML 502 from a proxy', sdkError('Unknown', 502, 'Unknown'), 'Transient'],
  [
    'connection refused',
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
    'Transient',
  ],
  [
    'socket timeout',
    Object.assign(new Error('timed out'), { name: 'TimeoutError', code: 'ETIMEDOUT' }),
    'Transient',
  ],
  ['an unknown client error', sdkError('InvalidAMIID.NotFound', 400), 'Transient'],
];

describe('classifyAwsError', () => {
  it.each(CASES)('%s → its kind', (_case, error, kind) => {
    const e = classifyAwsError(error, at);
    expect(e).toBeInstanceOf(CloudError);
    expect(e.kind).toBe(kind);
    expect(e.cloud).toBe('aws');
    expect(e.cause).toBe(error);
    expect(e.message.startsWith('AWS RunInstances in us-west-2: ')).toBe(true);
  });

  it('puts the AWS code and HTTP status in the message', () => {
    const e = classifyAwsError(
      sdkError('VcpuLimitExceeded', 400, 'You have requested more vCPU capacity'),
      at,
    );
    expect(e.message).toBe(
      'AWS RunInstances in us-west-2: VcpuLimitExceeded: You have requested more vCPU capacity (HTTP 400)',
    );
  });

  it('says "malformed answer" when the SDK could not parse the body', () => {
    const parse = new Error(
      '@aws-sdk XML parse error: missing closing tag </item>.\n  Deserialization error: to see the raw response...',
    );
    expect(isDeserializationError(parse)).toBe(true);
    const e = classifyAwsError(parse, { api: 'DescribeSpotPriceHistory', region: 'us-east-1' });
    expect(e.kind).toBe('Transient');
    expect(e.message).toBe(
      'AWS DescribeSpotPriceHistory in us-east-1: malformed answer: @aws-sdk XML parse error: missing closing tag </item>.',
    );
  });

  it('passes a CloudError through unchanged', () => {
    const inner = malformed(at, 'no instance');
    expect(classifyAwsError(inner, at)).toBe(inner);
  });

  it('finds the code in Code or code when the name is generic', () => {
    expect(awsErrorCode(Object.assign(new Error('x'), { Code: 'RequestLimitExceeded' }))).toBe(
      'RequestLimitExceeded',
    );
    expect(awsErrorCode(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe('ECONNRESET');
    expect(awsErrorCode('a string')).toBe('');
  });

  it('awsCall classifies what the call throws and returns what it returns', async () => {
    await expect(awsCall(at, async () => 42)).resolves.toBe(42);
    const err = await awsCall(at, async () => {
      throw sdkError('RequestLimitExceeded', 503);
    }).catch((e: unknown) => e);
    expect((err as CloudError).kind).toBe('Throttled');
  });
});
