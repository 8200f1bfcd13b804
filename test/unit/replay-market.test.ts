// The replay's market: traced pools follow their trace, the rest follow the calibrated model, prices follow the
// trace, the price history or the catalog; every policy reads the same timeline.
import { describe, expect, it } from 'vitest';
import { bucketRate } from '../../src/core/interruptions.js';
import type { Offer } from '../../src/core/model.js';
import {
  buildMarket,
  type MarketInput,
  modelledOutages,
  type RenewalProfile,
  tracedOutages,
  upScaleFor,
} from '../../src/sim/market-model.js';
import { rng } from '../../src/sim/rng.js';
import { offer } from '../helpers/builders.js';

const T0 = Date.parse('2023-02-15T00:00:00Z');
const H = 3_600_000;

const v100 = (over: Partial<Offer>): Offer =>
  offer({
    cloud: 'aws',
    region: 'us-east-1',
    zone: 'us-east-1a',
    instanceType: 'p3.2xlarge',
    gpu: { model: 'V100', count: 1, memoryGiB: 16 },
    market: 'spot',
    pricePerHour: 0.9,
    ...over,
  });

const profile: RenewalProfile = { name: 'p', up: [3600, 7200], down: [600], availableShare: 0.8 };

function input(over: Partial<MarketInput> = {}): MarketInput {
  return {
    start: T0,
    end: T0 + 10 * H,
    catalog: [v100({}), v100({ market: 'on-demand', pricePerHour: 3.06 })],
    traced: [],
    profiles: [profile],
    buckets: new Map(),
    tracedBucket: 4,
    seed: 1,
    ...over,
  };
}

// Hourly ticks: up 2 h, out 1 h, up 3 h, out 4 h (the trace is 10 h long).
const trace = { gapSeconds: 3600, data: [1, 1, 0, 1, 1, 1, 0, 0, 0, 0], prices: Array(10).fill(0.918) };
const traced = {
  name: 'aws:us-east-1a:p3.2xlarge',
  cloud: 'aws' as const,
  region: 'us-east-1',
  zone: 'us-east-1a',
  instanceType: 'p3.2xlarge',
  trace,
  offsetSeconds: 0,
};
const SPOT = 'aws/us-east-1/us-east-1a/p3.2xlarge/spot';
const OD = 'aws/us-east-1/us-east-1a/p3.2xlarge/on-demand';

describe('a traced pool', () => {
  const m = buildMarket(input({ traced: [traced] }));

  it('sells when its trace has an instance and not otherwise', () => {
    expect(m.pool(SPOT).driver).toBe('trace');
    expect(m.pool(SPOT).outages).toEqual([
      { from: T0 + 2 * H, to: T0 + 3 * H },
      { from: T0 + 6 * H, to: T0 + 10 * H },
    ]);
    expect(m.available(SPOT, T0 + 2.5 * H)).toBe(false);
    expect(m.offersAt(T0 + 2.5 * H).map((o) => o.market)).toEqual(['on-demand']);
    expect(
      m
        .offersAt(T0 + H)
        .map((o) => o.market)
        .sort(),
    ).toEqual(['on-demand', 'spot']);
  });

  it('takes its price per tick from the trace, not the catalog', () => {
    expect(m.priceAt(SPOT, T0 + H)).toBe(0.918);
    expect(m.offersAt(T0).find((o) => o.market === 'spot')?.pricePerHour).toBe(0.918);
  });

  it('stamps an offer with when its price was set, not when it was asked for (as a spot price history does)', () => {
    const repriced = buildMarket(
      input({
        traced: [
          {
            ...traced,
            trace: {
              ...trace,
              data: Array(10).fill(1),
              prices: [0.9, 0.9, 0.9, 1.2, 1.2, 1.2, 1.2, 1.2, 1.2, 1.2],
            },
          },
        ],
      }),
    );
    const stamp = (t: number, market: string) =>
      repriced.offersAt(t).find((o) => o.market === market)?.observedAt;
    expect(stamp(T0 + H, 'spot')).toBe(new Date(T0).toISOString());
    expect(stamp(T0 + 3.5 * H, 'spot')).toBe(new Date(T0 + 3 * H).toISOString());
    expect(stamp(T0 + 5 * H, 'on-demand')).toBe(new Date(T0).toISOString());
  });

  it('reclaims an instance at the next outage after its launch, and sells again at the outage end', () => {
    expect(m.nextOutage(SPOT, T0 + 0.5 * H)?.from).toBe(T0 + 2 * H);
    expect(m.nextOutage(SPOT, T0 + 3.5 * H)?.from).toBe(T0 + 6 * H);
    expect(m.availableFrom(SPOT, T0 + 2.2 * H)).toBe(T0 + 3 * H);
    expect(m.availableFrom(SPOT, T0 + H)).toBe(T0 + H);
  });

  it('keeps on-demand always on sale', () => {
    expect(m.pool(OD).outages).toEqual([]);
    expect(m.available(OD, T0 + 7 * H)).toBe(true);
  });

  it('knows when anything changed', () => {
    expect(m.changes).toEqual([T0 + 2 * H, T0 + 3 * H, T0 + 6 * H]);
    expect(m.changedBetween(T0, T0 + 2 * H)).toBe(true);
    expect(m.changedBetween(T0 + 2 * H, T0 + 2.9 * H)).toBe(false);
    expect(m.nextChange(T0 + 3 * H)).toBe(T0 + 6 * H);
  });

  it('starts at the trace offset and wraps around past its end', () => {
    const spans = tracedOutages({ ...traced, offsetSeconds: 5 * 3600 }, T0, T0 + 10 * H);
    // Trace hours 5..9 (up, out×4), then from hour 0 again (up, up, out, ...).
    expect(spans).toEqual([
      { from: T0 + H, to: T0 + 5 * H },
      { from: T0 + 7 * H, to: T0 + 8 * H },
    ]);
  });
});

describe('a traced pool the catalog does not sell spot in', () => {
  it('gets a spot offer at the median spot price of its instance type in the region', () => {
    const m = buildMarket(
      input({
        catalog: [
          v100({ market: 'on-demand', zone: 'us-east-1d', pricePerHour: 3.06 }),
          v100({ zone: 'us-east-1b', pricePerHour: 0.6 }),
          v100({ zone: 'us-east-1e', pricePerHour: 0.8 }),
        ],
        traced: [{ ...traced, zone: 'us-east-1d', trace: { gapSeconds: 3600, data: [1, 0] } }],
      }),
    );
    const key = 'aws/us-east-1/us-east-1d/p3.2xlarge/spot';
    expect(m.pool(key).driver).toBe('trace');
    expect(m.priceAt(key, T0)).toBeCloseTo(0.7, 10);
  });
});

describe('modelled pools', () => {
  it('alternate up and down periods drawn from the profile, within the replay', () => {
    const spans = modelledOutages(profile, 1, T0, T0 + 100 * H, rng(7));
    expect(spans.length).toBeGreaterThan(10);
    for (const s of spans) {
      expect(s.from).toBeGreaterThanOrEqual(T0);
      expect(s.to).toBeLessThanOrEqual(T0 + 100 * H);
      expect(s.to - s.from).toBeLessThanOrEqual(600_000);
    }
  });

  it('are the same for a seed, and do not depend on which other pools exist', () => {
    const other = v100({ zone: 'us-east-1b' });
    const a = buildMarket(input());
    const b = buildMarket(input({ catalog: [...input().catalog, other] }));
    const c = buildMarket(input({ seed: 2 }));
    expect(b.pool(SPOT).outages).toEqual(a.pool(SPOT).outages);
    expect(c.pool(SPOT).outages).not.toEqual(a.pool(SPOT).outages);
    expect(a.pool(SPOT).driver).toBe('model');
  });

  it('stretch their up periods by the Spot Advisor buckets relative to the traced pools', () => {
    const buckets = new Map([
      ['us-east-1/g4dn.xlarge', 0],
      ['us-east-1/p3.2xlarge', 4],
    ]);
    expect(upScaleFor(v100({ instanceType: 'g4dn.xlarge' }), buckets, 4)).toBeCloseTo(
      bucketRate(4) / bucketRate(0),
      10,
    );
    expect(upScaleFor(v100({}), buckets, 4)).toBe(1);
    expect(upScaleFor(v100({ cloud: 'gcp' }), buckets, 4)).toBe(1);
    expect(upScaleFor(v100({ instanceType: 'p3.8xlarge' }), buckets, 4)).toBe(1);
  });
});

describe('prices', () => {
  it('moves a GCP pool by the price history’s change since the catalog’s date, on the replay’s clock', () => {
    const gcp = v100({ cloud: 'gcp', region: 'us-central1', zone: 'us-central1-a', instanceType: 'n1+V100' });
    const history = {
      series: new Map([
        [
          'V100|1|us-central1-a',
          {
            onDemand: [],
            spot: [
              { at: Date.parse('2026-04-02T00:00:00Z'), price: 1.0 },
              { at: Date.parse('2026-04-20T00:00:00Z'), price: 1.1 },
              { at: Date.parse('2026-05-11T00:00:00Z'), price: 1.2 },
            ],
          },
        ],
      ]),
      catalogAt: Date.parse('2026-05-20T00:00:00Z'),
      anchor: Date.parse('2026-04-13T00:00:00Z'),
    };
    const m = buildMarket(input({ catalog: [gcp], history, end: T0 + 30 * 24 * H }));
    const key = 'gcp/us-central1/us-central1-a/n1+V100/spot';
    // The catalog (0.9) is the history's 1.2 of 2026-05-11; at the anchor the history said 1.0.
    expect(m.priceAt(key, T0)).toBeCloseTo(0.7, 10);
    expect(m.priceAt(key, T0 + 7 * 24 * H)).toBeCloseTo(0.8, 10);
    expect(m.priceAt(key, T0 + 28 * 24 * H)).toBeCloseTo(0.9, 10);
  });

  it('prices a node for a span as the integral of its price steps', () => {
    const m = buildMarket(
      input({
        traced: [{ ...traced, trace: { gapSeconds: 3600, data: [1, 1, 1], prices: [1, 2, 4] } }],
      }),
    );
    expect(m.cost(SPOT, T0 + 0.5 * H, T0 + 2.5 * H)).toBeCloseTo(0.5 + 2 + 2, 10);
    expect(m.cost(SPOT, T0, T0)).toBe(0);
  });
});
