// The few kinds of failure the services act on differently. Each adapter classifies its SDK's errors
// into these at the edge and keeps the cloud's own error as `cause`.
export type CloudErrorKind =
  | 'InsufficientCapacity' // no capacity in this pool now: block the pool, try another
  | 'QuotaExceeded' // the account's limit: block the pool longer, tell a human
  | 'Throttled' // slow down and retry
  | 'NotFound' // the thing is gone
  | 'AuthFailed' // credentials are wrong: retrying will not help
  | 'Transient'; // anything else that may work next time

export class CloudError extends Error {
  constructor(
    readonly kind: CloudErrorKind,
    message: string,
    readonly cloud: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CloudError';
  }
}

export function isCloudError(e: unknown, kind?: CloudErrorKind): e is CloudError {
  return e instanceof CloudError && (kind === undefined || e.kind === kind);
}
