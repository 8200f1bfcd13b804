import { RestError } from '@azure/core-rest-pipeline';
import { describe, expect, it } from 'vitest';
import { classifyAzureError } from '../../src/clouds/azure/errors.js';
import { CloudError, type CloudErrorKind } from '../../src/clouds/errors.js';

// The shapes the Azure SDKs really throw: RestError (synchronous answers, `code` from the ARM error body)
// and a plain Error from core-lro when a long-running operation ends Failed.
const rest = (statusCode: number | undefined, code?: string, message = 'm'): Error =>
  new RestError(message, { ...(statusCode !== undefined ? { statusCode } : {}), ...(code ? { code } : {}) });
const lroFailed = (code: string, message: string): Error =>
  new Error(`The long-running operation has failed. ${code}. ${message}`);
const named = (name: string, message = 'm'): Error => Object.assign(new Error(message), { name });

const quotaText =
  'Operation could not be completed as it results in exceeding approved standardNCASv3_T4Family Cores quota.';

const cases: [string, unknown, CloudErrorKind][] = [
  ['SkuNotAvailable (409)', rest(409, 'SkuNotAvailable'), 'InsufficientCapacity'],
  ['ZonalAllocationFailed (409)', rest(409, 'ZonalAllocationFailed'), 'InsufficientCapacity'],
  ['AllocationFailed', rest(200, 'AllocationFailed'), 'InsufficientCapacity'],
  ['OverconstrainedAllocationRequest', rest(409, 'OverconstrainedAllocationRequest'), 'InsufficientCapacity'],
  [
    'OverconstrainedZonalAllocationRequest',
    rest(409, 'OverconstrainedZonalAllocationRequest'),
    'InsufficientCapacity',
  ],
  [
    'an operation that ended ZonalAllocationFailed',
    lroFailed('ZonalAllocationFailed', 'no room'),
    'InsufficientCapacity',
  ],
  [
    'an operation that ended AllocationFailed',
    lroFailed('AllocationFailed', 'no room'),
    'InsufficientCapacity',
  ],
  ['OperationNotAllowed about quota', rest(409, 'OperationNotAllowed', quotaText), 'QuotaExceeded'],
  [
    'an operation that ended OperationNotAllowed about quota',
    lroFailed('OperationNotAllowed', quotaText),
    'QuotaExceeded',
  ],
  ['QuotaExceeded', rest(409, 'QuotaExceeded'), 'QuotaExceeded'],
  [
    'OperationNotAllowed about something else',
    rest(409, 'OperationNotAllowed', 'VM is being deleted'),
    'Transient',
  ],
  ['429 without a code', rest(429), 'Throttled'],
  ['TooManyRequests', rest(429, 'TooManyRequests'), 'Throttled'],
  ['SubscriptionRequestsThrottled', rest(429, 'SubscriptionRequestsThrottled'), 'Throttled'],
  ['401 without a code', rest(401), 'AuthFailed'],
  ['403 without a code', rest(403), 'AuthFailed'],
  ['AuthorizationFailed', rest(403, 'AuthorizationFailed'), 'AuthFailed'],
  ['InvalidAuthenticationToken', rest(401, 'InvalidAuthenticationToken'), 'AuthFailed'],
  ['no credential available (identity)', named('CredentialUnavailableError'), 'AuthFailed'],
  ['404 without a code', rest(404), 'NotFound'],
  ['ResourceNotFound', rest(404, 'ResourceNotFound'), 'NotFound'],
  ['NotFound', rest(404, 'NotFound'), 'NotFound'],
  ['500', rest(500, 'InternalServerError'), 'Transient'],
  ['503', rest(503, 'ServiceUnavailable'), 'Transient'],
  ['a request that was never sent', rest(undefined, 'REQUEST_SEND_ERROR'), 'Transient'],
  [
    'a refused connection (fetch)',
    new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) }),
    'Transient',
  ],
  ['a timeout', named('TimeoutError', 'The operation was aborted due to timeout'), 'Transient'],
  ['an unknown code', rest(400, 'InvalidParameter'), 'Transient'],
  ['something that is not an Error', 'boom', 'Transient'],
];

describe('classifying Azure errors', () => {
  it.each(cases)('%s → the right kind', (_name, error, kind) => {
    const e = classifyAzureError(error, 'doing it');
    expect(e).toBeInstanceOf(CloudError);
    expect(e.kind).toBe(kind);
    expect(e.cloud).toBe('azure');
    expect(e.cause).toBe(error);
  });

  it('says what was being done, with the code and status', () => {
    const e = classifyAzureError(rest(409, 'SkuNotAvailable', 'not here'), 'launching X');
    expect(e.message).toBe('azure: launching X failed [SkuNotAvailable, HTTP 409]: not here');
  });

  it('marks network failures as such', () => {
    const e = classifyAzureError(rest(undefined, 'ECONNREFUSED', 'connect ECONNREFUSED'), 'listing');
    expect(e.message).toMatch(/\(network\)/);
  });

  it('passes a CloudError through unchanged', () => {
    const original = new CloudError('Throttled', 'x', 'azure');
    expect(classifyAzureError(original, 'y')).toBe(original);
  });
});
