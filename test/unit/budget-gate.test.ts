// What budgets say of an admitted job at placement (the scheduler's budget port), and how a cloud's bill is
// shared among policies for the drift.
import { describe, expect, it } from 'vitest';
import { type GatePolicy, placementVerdict } from '../../src/core/budget-gate.js';
import { attributeBill, utcDayStart } from '../../src/services/budget-reconcile.js';

const window = { end: new Date('2026-03-09T00:00:00Z'), timezone: 'UTC' };

function policy(over: Partial<GatePolicy> = {}): GatePolicy {
  return {
    name: 'research-daily',
    action: 'block-new',
    limitUsd: 100,
    window,
    spentUsd: 20,
    committedUsd: 30,
    runningUsdPerHour: 0,
    ...over,
  };
}

describe('placing an admitted job', () => {
  it('lets it go while its budgets have money and rate to spare', () => {
    expect(placementVerdict([policy()], { usdPerHour: 5 })).toBeNull();
    expect(placementVerdict([], { usdPerHour: 5 })).toBeNull();
  });

  it('holds it under block-new and suspend once the money spent has reached the limit, until the period ends', () => {
    for (const action of ['block-new', 'suspend'] as const) {
      expect(placementVerdict([policy({ action, spentUsd: 100 })], { usdPerHour: 5 })).toEqual({
        kind: 'hold',
        reason:
          'budget research-daily is used up: $100.00 spent of $100.00; new jobs wait until the period ends 2026-03-09 00:00 UTC',
      });
    }
  });

  it('lets an admitted job go under a hard limit that is fully committed but not yet spent: its money is counted', () => {
    expect(placementVerdict([policy({ spentUsd: 40, committedUsd: 60 })], { usdPerHour: 5 })).toBeNull();
  });

  it('never holds under a soft (alert) budget, even far past the limit', () => {
    expect(placementVerdict([policy({ action: 'alert', spentUsd: 500 })], { usdPerHour: 5 })).toBeNull();
  });

  it('narrows it to spot under spot-only once spent + committed pass the limit', () => {
    const over = policy({ action: 'spot-only', spentUsd: 80, committedUsd: 30 });
    expect(placementVerdict([over], { usdPerHour: 5 })).toEqual({
      kind: 'spot-only',
      reason:
        'budget research-daily is at its limit of $100.00: spot capacity only until the period ends 2026-03-09 00:00 UTC',
    });
    expect(placementVerdict([policy({ action: 'spot-only' })], { usdPerHour: 5 })).toBeNull();
  });

  it('holds a job that insists on on-demand under a spot-only policy past its limit', () => {
    const over = policy({ action: 'spot-only', spentUsd: 80, committedUsd: 30 });
    expect(placementVerdict([over], { usdPerHour: 5, market: 'on-demand' })?.kind).toBe('hold');
  });

  it('holds it while the scope’s running jobs and it together would pass the burn-rate cap, whatever the action', () => {
    const capped = policy({ action: 'alert', burnRateUsdPerHour: 50, runningUsdPerHour: 46 });
    expect(placementVerdict([capped], { usdPerHour: 5 })).toEqual({
      kind: 'hold',
      reason:
        'budget research-daily caps spending at $50.00/h; running jobs cost $46.00/h and this one adds $5.00/h; it waits until running jobs finish',
    });
    expect(placementVerdict([capped], { usdPerHour: 4 })).toBeNull();
    // Without a price per hour the cap cannot be judged; the job is not held on a guess.
    expect(placementVerdict([capped], { usdPerHour: null })).toBeNull();
  });

  it('says so when the job alone costs more per hour than the cap', () => {
    const capped = policy({ burnRateUsdPerHour: 3 });
    expect(placementVerdict([capped], { usdPerHour: 5 })?.reason).toMatch(/this job alone costs \$5\.00\/h/);
  });

  it('takes the first hold among several policies, and spot-only when any says so and none holds', () => {
    const spot = policy({ name: 'org', action: 'spot-only', spentUsd: 90, committedUsd: 20 });
    const used = policy({ name: 'team', spentUsd: 100 });
    expect(placementVerdict([spot, used], { usdPerHour: 1 })).toMatchObject({ kind: 'hold' });
    expect(placementVerdict([spot, policy()], { usdPerHour: 1 })).toMatchObject({ kind: 'spot-only' });
  });
});

describe('sharing a cloud bill among policies', () => {
  it('gives a scope each node’s bill in the proportion of that node’s ledger spend it has', () => {
    const ledger = [
      { nodeId: 'n1', usd: 6, inScope: true },
      { nodeId: 'n1', usd: 2, inScope: false },
      { nodeId: 'n2', usd: 5, inScope: true },
      { nodeId: 'n3', usd: 4, inScope: false },
    ];
    // n1 billed 10: the scope spent 6 of its 8 ledger dollars → 7.5; n2 billed 5.5, all the scope's.
    expect(attributeBill({ n1: 10, n2: 5.5, n3: 4 }, ledger)).toEqual({ ledgerUsd: 11, billedUsd: 13 });
  });

  it('attributes nothing of a node no job spent on (idle capacity is nobody’s budget)', () => {
    expect(attributeBill({ idle: 40 }, [])).toEqual({ ledgerUsd: 0, billedUsd: 0 });
  });

  it('compares whole UTC days, as cloud usage is reported', () => {
    expect(utcDayStart(Date.parse('2026-03-08T17:45:00Z'))).toBe(Date.parse('2026-03-08T00:00:00Z'));
  });
});
