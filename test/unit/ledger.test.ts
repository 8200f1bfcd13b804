// The ledger's math: a job's share of a node, the price in force over time, period boundaries, and the pieces a
// run's spend is cut into.
import { describe, expect, it } from 'vitest';
import {
  accrue,
  nodeShare,
  overlapShare,
  periodBoundaries,
  priceSegments,
  type RunNode,
  usdPerHour,
} from '../../src/core/ledger.js';

const H = 3_600_000;
const at = (iso: string) => Date.parse(iso);
/** Real clouds bill wall-clock time. */
const wallHours = (_node: string, from: number, to: number) => (to - from) / H;

function node(over: Partial<RunNode> = {}): RunNode {
  return {
    nodeId: 'n1',
    share: 1,
    launchPrice: 10,
    launchedAt: at('2026-03-07T20:00:00Z'),
    prices: [],
    ...over,
  };
}

describe("a job's share of a node", () => {
  const whole = (nodeId: string, gpuIndices: number[]) => ({
    nodeId,
    slot: { kind: 'whole' as const, gpuIndices },
  });

  it('is the whole node when the job holds no slot recorded there (placed before slots were kept)', () => {
    expect(nodeShare(8, [], 'n1')).toBe(1);
    expect(nodeShare(8, [whole('n2', [0, 1])], 'n1')).toBe(1);
  });

  it('is its GPUs over the node’s: four of eight GPUs pay half the node', () => {
    expect(nodeShare(8, [whole('n1', [0, 1, 2, 3])], 'n1')).toBe(0.5);
  });

  it('counts a MIG slice by its compute slices of seven, and an MPS share by its fraction', () => {
    const mig = {
      nodeId: 'n1',
      slot: {
        kind: 'mig' as const,
        gpuIndices: [0] as [number],
        profile: '3g.40gb',
        profileId: 9,
        start: 0,
        size: 4,
        memoryGiB: 40,
      },
    };
    expect(nodeShare(1, [mig], 'n1')).toBeCloseTo(3 / 7, 12);
    const mps = {
      nodeId: 'n1',
      slot: { kind: 'shared' as const, gpuIndices: [0] as [number], fraction: 0.25, memoryGiB: 10 },
    };
    expect(nodeShare(4, [mps], 'n1')).toBe(0.0625);
  });

  it('is never more than the whole node', () => {
    expect(nodeShare(2, [whole('n1', [0, 1, 2])], 'n1')).toBe(1);
  });
});

describe('the price in force', () => {
  it('is the launch price while no price has been observed since the launch', () => {
    expect(priceSegments(node(), at('2026-03-07T21:00:00Z'), at('2026-03-07T22:00:00Z'))).toEqual([
      { from: at('2026-03-07T21:00:00Z'), to: at('2026-03-07T22:00:00Z'), pricePerHour: 10 },
    ]);
  });

  it('ignores prices observed before the launch: the node was bought at its launch price', () => {
    const n = node({ prices: [{ at: at('2026-03-07T19:00:00Z'), pricePerHour: 99 }] });
    expect(priceSegments(n, at('2026-03-07T21:00:00Z'), at('2026-03-07T22:00:00Z'))[0]?.pricePerHour).toBe(
      10,
    );
  });

  it('changes at the instant a new spot price is observed, mid-interval', () => {
    const n = node({ prices: [{ at: at('2026-03-07T21:30:00Z'), pricePerHour: 14 }] });
    expect(priceSegments(n, at('2026-03-07T21:00:00Z'), at('2026-03-07T22:00:00Z'))).toEqual([
      { from: at('2026-03-07T21:00:00Z'), to: at('2026-03-07T21:30:00Z'), pricePerHour: 10 },
      { from: at('2026-03-07T21:30:00Z'), to: at('2026-03-07T22:00:00Z'), pricePerHour: 14 },
    ]);
  });

  it('is the latest price observed at or before the interval when it starts, whatever order they come in', () => {
    const n = node({
      prices: [
        { at: at('2026-03-07T21:10:00Z'), pricePerHour: 12 },
        { at: at('2026-03-07T20:30:00Z'), pricePerHour: 11 },
      ],
    });
    expect(priceSegments(n, at('2026-03-07T21:10:00Z'), at('2026-03-07T21:20:00Z'))).toEqual([
      { from: at('2026-03-07T21:10:00Z'), to: at('2026-03-07T21:20:00Z'), pricePerHour: 12 },
    ]);
  });

  it('is not cut where an observation repeats the same price', () => {
    const n = node({ prices: [{ at: at('2026-03-07T21:30:00Z'), pricePerHour: 10 }] });
    expect(priceSegments(n, at('2026-03-07T21:00:00Z'), at('2026-03-07T22:00:00Z'))).toHaveLength(1);
  });

  it('gives the run’s price per hour now: price in force × share, over its nodes', () => {
    const a = node({ share: 0.5, prices: [{ at: at('2026-03-07T21:30:00Z'), pricePerHour: 14 }] });
    const b = node({ nodeId: 'n2', launchPrice: 4 });
    expect(usdPerHour([a, b], at('2026-03-07T21:00:00Z'))).toBe(5 + 4);
    expect(usdPerHour([a, b], at('2026-03-07T21:45:00Z'))).toBe(7 + 4);
  });
});

describe('period boundaries', () => {
  it('are every period start strictly inside the interval, in each policy’s time zone, without repeats', () => {
    const from = at('2026-03-07T20:00:00Z');
    const to = at('2026-03-09T02:00:00Z');
    expect(
      periodBoundaries(from, to, [
        { period: 'daily', timezone: 'UTC' },
        { period: 'daily', timezone: 'UTC' },
        { period: 'daily', timezone: 'Europe/Berlin' },
      ]),
    ).toEqual([
      at('2026-03-07T23:00:00Z'),
      at('2026-03-08T00:00:00Z'),
      at('2026-03-08T23:00:00Z'),
      at('2026-03-09T00:00:00Z'),
    ]);
  });

  it('follow daylight saving time: New York’s midnight moves from 05:00 to 04:00 UTC on 8 March 2026', () => {
    expect(
      periodBoundaries(at('2026-03-08T00:00:00Z'), at('2026-03-10T00:00:00Z'), [
        { period: 'daily', timezone: 'America/New_York' },
      ]),
    ).toEqual([at('2026-03-08T05:00:00Z'), at('2026-03-09T04:00:00Z')]);
  });

  it('include a month’s first midnight and exclude the interval’s own ends', () => {
    const first = at('2026-04-01T00:00:00Z');
    expect(periodBoundaries(first - H, first + H, [{ period: 'monthly', timezone: 'UTC' }])).toEqual([first]);
    expect(periodBoundaries(first, first + H, [{ period: 'monthly', timezone: 'UTC' }])).toEqual([]);
  });
});

describe('accruing a run', () => {
  const midnight = at('2026-03-08T00:00:00Z');

  it('cuts a run over midnight into one piece per day, so each day counts its part', () => {
    const pieces = accrue([node()], midnight - 2 * H, midnight + 1 * H, [midnight], wallHours);
    expect(pieces.map((p) => [p.from, p.to, p.usd, p.opensPeriod])).toEqual([
      [midnight - 2 * H, midnight, 20, false],
      [midnight, midnight + H, 10, true],
    ]);
  });

  it('prices each part of the interval at the price then in force, times the job’s share of the node', () => {
    const n = node({ share: 0.5, prices: [{ at: midnight - 30 * 60_000, pricePerHour: 16 }] });
    const pieces = accrue([n], midnight - H, midnight, [], wallHours);
    expect(pieces.map((p) => [p.pricePerHour, p.hours, p.usd])).toEqual([
      [10, 0.5, 2.5],
      [16, 0.5, 4],
    ]);
  });

  it('charges every node of a gang, each by its own price and share', () => {
    const pieces = accrue(
      [node(), node({ nodeId: 'n2', launchPrice: 3, share: 0.25 })],
      midnight - H,
      midnight,
      [],
      wallHours,
    );
    expect(pieces.reduce((s, p) => s + p.usd, 0)).toBe(10 + 0.75);
  });

  it('counts the provider’s billable time: the simulated cloud at 360× bills an hour per ten wall seconds', () => {
    const scaled = (_n: string, a: number, b: number) => ((b - a) / H) * 360;
    const [piece] = accrue([node()], midnight, midnight + 10_000, [], scaled);
    expect(piece?.hours).toBeCloseTo(1, 12);
    expect(piece?.usd).toBeCloseTo(10, 12);
  });

  it('is nothing over an empty interval', () => {
    expect(accrue([node()], midnight, midnight, [], wallHours)).toEqual([]);
  });

  it('marks a piece that starts exactly on a boundary, so it is never merged into the day before', () => {
    const [piece] = accrue([node()], midnight, midnight + H, [midnight], wallHours);
    expect(piece?.opensPeriod).toBe(true);
  });
});

describe('a row in a window', () => {
  it('counts by the share of its time inside the window', () => {
    expect(overlapShare(0, 10, 0, 10)).toBe(1);
    expect(overlapShare(0, 10, 5, 20)).toBe(0.5);
    expect(overlapShare(0, 10, 10, 20)).toBe(0);
    expect(overlapShare(5, 5, 0, 10)).toBe(0);
  });
});
