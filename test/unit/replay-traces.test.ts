// Spot traces: the published format, the bundled run-length form, and what the market reads off them.
import { describe, expect, it } from 'vitest';
import {
  availableShare,
  decodeRuns,
  encodeRuns,
  outages,
  parseBundledTrace,
  parseCantBeLateTrace,
  periods,
  toBundled,
} from '../../src/sim/traces.js';

const published = JSON.stringify({ metadata: { gap_seconds: 60 }, data: [0, 1, 1, 0, 0, 1, 1, 1, 0, 1] });

describe('parsing a Can’t Be Late trace', () => {
  it('reads the gap, the ticks and, where present, the price per tick', () => {
    const t = parseCantBeLateTrace(
      JSON.stringify({ metadata: { gap_seconds: 32 }, data: [1, 0], prices: [0.918, 0.918] }),
    );
    expect(t).toEqual({ gapSeconds: 32, data: [1, 0], prices: [0.918, 0.918] });
  });

  it.each([
    ['not JSON', '{', /not JSON/],
    ['no gap', JSON.stringify({ metadata: {}, data: [1] }), /gap_seconds/],
    ['a negative tick', JSON.stringify({ metadata: { gap_seconds: 1 }, data: [1, -1] }), /data\[1\]/],
    ['a fractional tick', JSON.stringify({ metadata: { gap_seconds: 1 }, data: [0.5] }), /data\[0\]/],
    [
      'prices of another length',
      JSON.stringify({ metadata: { gap_seconds: 1 }, data: [1, 1], prices: [1] }),
      /prices has 1 ticks/,
    ],
  ])('refuses %s, saying where', (_, text, message) => {
    expect(() => parseCantBeLateTrace(text, 't.json')).toThrow(message);
  });
});

describe('the bundled form', () => {
  it('run-length encodes losslessly', () => {
    const values = [0, 0, 1, 1, 1, 4, 0];
    expect(encodeRuns(values)).toEqual([
      [0, 2],
      [1, 3],
      [4, 1],
      [0, 1],
    ]);
    expect(decodeRuns(encodeRuns(values))).toEqual(values);
  });

  it('round-trips a published trace with its pool', () => {
    const t = parseCantBeLateTrace(published);
    const bundled = toBundled(t, {
      origin: 'skypilot-org/spot-traces@x:availability/1-node/a.json',
      kind: 'availability',
      cloud: 'aws',
      region: 'us-east-1',
      zone: 'us-east-1a',
      instanceType: 'p3.2xlarge',
      nodes: 1,
      start: '2023-02-15T00:00:00Z',
    });
    const back = parseBundledTrace(JSON.stringify(bundled));
    expect(back.data).toEqual(t.data);
    expect(back.gapSeconds).toBe(60);
    expect(back.zone).toBe('us-east-1a');
    expect(back.prices).toBeUndefined();
  });

  it('refuses runs that are not [value, ticks ≥ 1]', () => {
    const doc = {
      format: 'gpusched-spot-trace/1',
      origin: 'o',
      kind: 'availability',
      cloud: 'aws',
      region: 'r',
      zone: 'z',
      instanceType: 'i',
      nodes: 1,
      start: '2023-01-01T00:00:00Z',
      gapSeconds: 60,
      runs: [[1, 0]],
    };
    expect(() => parseBundledTrace(JSON.stringify(doc), 'x.json')).toThrow(/x.json: runs\[0\]/);
  });
});

describe('reading a trace as a market', () => {
  const t = parseCantBeLateTrace(published);

  it('turns the ticks without an instance into merged outages, in seconds from the start', () => {
    expect(outages(t)).toEqual([
      { from: 0, to: 60 },
      { from: 180, to: 300 },
      { from: 480, to: 540 },
    ]);
  });

  it('counts a multi-node trace as out when it holds fewer than the instances needed', () => {
    const multi = { gapSeconds: 10, data: [4, 3, 4, 0] };
    expect(outages(multi, 4)).toEqual([
      { from: 10, to: 20 },
      { from: 30, to: 40 },
    ]);
  });

  it('measures complete up and down periods only (the edges are cut by the trace)', () => {
    // runs: 0×1 (edge), 1×2, 0×2, 1×3, 0×1, 1×1 (edge)
    expect(periods(t)).toEqual({ up: [120, 180], down: [120, 60] });
    expect(availableShare(t)).toBeCloseTo(0.6, 10);
  });
});
