// Fault injection for the fake AWS. A rule matches requests (by API, action, region) and applies to
// the next `times` of them; rules are tried in the order they were added.

export type FakeApi = 'ec2' | 'pricing';

export interface FaultTarget {
  api?: FakeApi;
  /** EC2 Action or Pricing operation ('GetProducts'). */
  action?: string;
  region?: string;
}

export type FaultEffect =
  | { kind: 'error'; code: string; message: string; status: number }
  | { kind: 'raw'; status: number; body: string; contentType: string }
  | { kind: 'slow'; ms: number }
  | { kind: 'hang' };

interface Rule {
  target: FaultTarget;
  remaining: number;
  effect: FaultEffect;
}

export interface CapacityFault {
  region?: string;
  zone?: string;
  instanceType?: string;
  market?: 'spot' | 'on-demand';
  code: string;
  status: number;
}

/** HTTP statuses EC2 uses for these codes (capacity errors are server errors, hence retried by the SDK). */
export const EC2_ERROR_STATUS: Readonly<Record<string, number>> = {
  InsufficientInstanceCapacity: 500,
  InsufficientCapacity: 500,
  InsufficientHostCapacity: 500,
  InternalError: 500,
  Unavailable: 503,
  RequestLimitExceeded: 503,
};

export class Faults {
  private rules: Rule[] = [];
  private capacityRules: CapacityFault[] = [];

  /** The next `times` matching calls are throttled (EC2 RequestLimitExceeded / Pricing ThrottlingException). */
  throttle(times: number, target: FaultTarget = {}): this {
    return this.add(target, times, {
      kind: 'error',
      code: 'THROTTLE',
      message: 'Request limit exceeded.',
      status: 503,
    });
  }

  /** The next `times` matching calls fail with a 5xx (Infinity: a region that is down). */
  serverError(times: number, target: FaultTarget = {}, status = 503): this {
    const code = status === 503 ? 'Unavailable' : 'InternalError';
    return this.add(target, times, { kind: 'error', code, message: 'The service is unavailable.', status });
  }

  /** The next `times` matching calls fail with this AWS error code. */
  error(code: string, times: number, target: FaultTarget = {}, status = EC2_ERROR_STATUS[code] ?? 400): this {
    return this.add(target, times, { kind: 'error', code, message: `${code} (injected)`, status });
  }

  /** The next `times` matching calls are answered `ms` late. */
  slow(ms: number, times: number, target: FaultTarget = {}): this {
    return this.add(target, times, { kind: 'slow', ms });
  }

  /** The next `times` matching calls never get an answer (until the server closes). */
  hang(times: number, target: FaultTarget = {}): this {
    return this.add(target, times, { kind: 'hang' });
  }

  /** The next `times` matching calls get this body verbatim: fixtures, or malformed XML. */
  raw(
    body: string,
    times: number,
    target: FaultTarget = {},
    status = 200,
    contentType = 'text/xml;charset=UTF-8',
  ): this {
    return this.add(target, times, { kind: 'raw', status, body, contentType });
  }

  /** RunInstances in the matching pools fails until cleared (default InsufficientInstanceCapacity, HTTP 500). */
  capacity(pool: Omit<CapacityFault, 'code' | 'status'>, code = 'InsufficientInstanceCapacity'): this {
    this.capacityRules.push({ ...pool, code, status: EC2_ERROR_STATUS[code] ?? 400 });
    return this;
  }

  clear(): void {
    this.rules = [];
    this.capacityRules = [];
  }

  /** The effect for this call, consuming one use of the rule. */
  take(api: FakeApi, action: string, region: string): FaultEffect | undefined {
    const rule = this.rules.find(
      (r) =>
        r.remaining > 0 &&
        (r.target.api === undefined || r.target.api === api) &&
        (r.target.action === undefined || r.target.action === action) &&
        (r.target.region === undefined || r.target.region === region),
    );
    if (!rule) return undefined;
    rule.remaining--;
    return rule.effect;
  }

  capacityFor(
    region: string,
    zone: string,
    instanceType: string,
    market: 'spot' | 'on-demand',
  ): CapacityFault | undefined {
    return this.capacityRules.find(
      (c) =>
        (c.region === undefined || c.region === region) &&
        (c.zone === undefined || c.zone === zone) &&
        (c.instanceType === undefined || c.instanceType === instanceType) &&
        (c.market === undefined || c.market === market),
    );
  }

  private add(target: FaultTarget, times: number, effect: FaultEffect): this {
    this.rules.push({ target, remaining: times, effect });
    return this;
  }
}
