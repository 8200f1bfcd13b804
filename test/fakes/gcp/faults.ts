// Fault injection for the fake GCP: rules matched against "METHOD /path", each good for N requests.

export type FaultKind =
  | { kind: 'status'; status: number; body: unknown }
  | { kind: 'malformed' }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'reset' };

interface Rule {
  match: (line: string) => boolean;
  remaining: number;
  fault: FaultKind;
}

export type Match = string | RegExp | undefined;

function matcher(m: Match): (line: string) => boolean {
  if (m === undefined) return () => true;
  if (typeof m === 'string') return (line) => line.includes(m);
  return (line) => m.test(line);
}

export function googleError(status: number, reason: string, message: string, rpcStatus?: string): unknown {
  return {
    error: {
      code: status,
      message,
      errors: [
        { message, domain: status === 429 || reason.includes('ate') ? 'usageLimits' : 'global', reason },
      ],
      ...(rpcStatus ? { status: rpcStatus } : {}),
    },
  };
}

export class Faults {
  private rules: Rule[] = [];

  add(fault: FaultKind, times = 1, match?: Match): void {
    this.rules.push({ match: matcher(match), remaining: times, fault });
  }

  /** The next N matching requests get 429 RESOURCE_EXHAUSTED rateLimitExceeded. */
  throttle(times = 1, match?: Match): void {
    this.add(
      {
        kind: 'status',
        status: 429,
        body: googleError(429, 'rateLimitExceeded', 'Rate Limit Exceeded', 'RESOURCE_EXHAUSTED'),
      },
      times,
      match,
    );
  }

  serverError(times = 1, match?: Match, status = 503): void {
    this.add(
      { kind: 'status', status, body: googleError(status, 'backendError', 'Backend Error', 'UNAVAILABLE') },
      times,
      match,
    );
  }

  status(status: number, reason: string, message: string, times = 1, match?: Match): void {
    this.add({ kind: 'status', status, body: googleError(status, reason, message) }, times, match);
  }

  /** 200 with a body cut in the middle of the JSON. */
  malformed(times = 1, match?: Match): void {
    this.add({ kind: 'malformed' }, times, match);
  }

  slow(delayMs: number, times = 1, match?: Match): void {
    this.add({ kind: 'slow', delayMs }, times, match);
  }

  /** The connection is dropped without an answer. */
  reset(times = 1, match?: Match): void {
    this.add({ kind: 'reset' }, times, match);
  }

  clear(): void {
    this.rules = [];
  }

  /** The fault for this request, consuming one use of its rule. */
  take(line: string): FaultKind | null {
    const rule = this.rules.find((r) => r.remaining > 0 && r.match(line));
    if (!rule) return null;
    rule.remaining--;
    this.rules = this.rules.filter((r) => r.remaining > 0);
    return rule.fault;
  }
}
