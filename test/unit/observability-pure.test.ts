// The pure parts of observability: telemetry arithmetic, the SSE parser and `watch` lines, price series,
// dashboard sessions and cookies.
import { describe, expect, it } from 'vitest';
import { cookieValue, SESSION_COOKIE, Sessions, sessionCookie } from '../../src/api/sessions.js';
import { eventLine } from '../../src/cli/commands/watch.js';
import { SseParser } from '../../src/cli/sse.js';
import { cheapestSeries, type PoolPrice } from '../../src/core/price-series.js';
import {
  jobGpus,
  jobUtilization,
  type NodeTelemetry,
  nodeUtilization,
  parseTelemetry,
} from '../../src/services/telemetry.js';
import type { SlotRecord } from '../../src/store/slots.js';
import { T0 } from '../helpers/builders.js';

const AT = T0.toISOString();
const later = (s: number) => new Date(T0.getTime() + s * 1000);

describe('telemetry', () => {
  const tel: NodeTelemetry = {
    at: AT,
    gpus: [
      { index: 0, utilizationPct: 10, memoryUsedMiB: 1, memoryTotalMiB: 2 },
      { index: 1, utilizationPct: 30, memoryUsedMiB: null, memoryTotalMiB: null },
      { index: 2, utilizationPct: null, memoryUsedMiB: null, memoryTotalMiB: null },
      { index: 3, utilizationPct: 90, memoryUsedMiB: null, memoryTotalMiB: null },
    ],
  };

  it('reads what an agent sent, skipping what is not a GPU with an index', () => {
    expect(
      parseTelemetry({
        at: AT,
        telemetry: {
          at: 'agent clock',
          gpus: [{ index: 0, utilizationPct: 55 }, { name: 'no index' }, null],
        },
      }),
    ).toEqual({
      at: AT,
      gpus: [{ index: 0, utilizationPct: 55, memoryUsedMiB: null, memoryTotalMiB: null }],
    });
  });

  it.each([null, { at: AT, telemetry: null }, { at: AT, telemetry: { gpus: 'x' } }])(
    'nothing usable: %j',
    (seen) => {
      expect(parseTelemetry(seen)).toBeNull();
    },
  );

  it('a node’s utilisation is the mean of its GPUs that report one', () => {
    expect(nodeUtilization(tel, later(10))).toBeCloseTo(130 / 3);
  });

  it('old figures are no utilisation (the agent went quiet)', () => {
    expect(nodeUtilization(tel, later(301))).toBeNull();
  });

  it('a job’s GPUs are its slots’ GPUs; without slots, its whole node', () => {
    const slots: SlotRecord[] = [
      {
        jobId: 'j',
        unit: 0,
        nodeId: 'n1',
        team: 't',
        slot: { kind: 'whole', gpuIndices: [3, 1] },
        assignedAt: AT,
      },
    ];
    const nodes = [
      { id: 'n1', gpu: { model: 'A100', count: 4, memoryGiB: 40 } },
      { id: 'n2', gpu: { model: 'A100', count: 2, memoryGiB: 40 } },
    ];
    const gpus = jobGpus({ id: 'j', nodeIds: ['n1', 'n2'] }, slots, nodes);
    expect(Object.fromEntries(gpus)).toEqual({ n1: [1, 3], n2: [0, 1] });
    expect(jobUtilization(new Map([['n1', [1, 3]]]), () => tel, later(1))).toBe(60);
    expect(jobUtilization(gpus, (id) => (id === 'n1' ? tel : null), later(1))).toBe(60);
    expect(jobUtilization(gpus, () => null, later(1))).toBeNull();
  });
});

describe('the SSE parser', () => {
  it('splits frames at blank lines, keeps the last id, skips comments, whatever the chunking', () => {
    const text =
      'retry: 3000\n\n: heartbeat\n\nid: 1.0\nevent: hello\ndata: {"a":1}\n\nevent: job.transition\r\nid: 2.0\r\ndata: {"b":\r\ndata: 2}\r\n\r\n';
    for (const size of [1, 3, 7, text.length]) {
      const p = new SseParser();
      const out = [];
      for (let i = 0; i < text.length; i += size) out.push(...p.push(text.slice(i, i + size)));
      expect(out).toEqual([
        { event: 'hello', data: '{"a":1}', id: '1.0' },
        { event: 'job.transition', data: '{"b":\n2}', id: '2.0' },
      ]);
      expect(p.retryMs).toBe(3000);
      expect(p.lastEventId).toBe('2.0');
    }
  });

  it('a frame without an event name is a "message"; a frame without data is nothing', () => {
    const p = new SseParser();
    expect(p.push('event: x\n\ndata: hi\n\n')).toEqual([{ event: 'message', data: 'hi', id: null }]);
  });
});

describe('watch lines', () => {
  it.each([
    [
      {
        type: 'job.transition',
        at: AT,
        jobId: 'job-1',
        name: 'train',
        team: 'research',
        from: 'queued',
        to: 'scheduled',
        reason: 'placed on x',
      },
      `${AT}  job-1 train (research): queued → scheduled  placed on x`,
    ],
    [
      {
        type: 'job.transition',
        at: AT,
        jobId: 'job-1',
        name: 'train',
        team: 'research',
        from: null,
        to: 'queued',
        reason: 'submitted',
      },
      `${AT}  job-1 train (research): new → queued  submitted`,
    ],
    [
      {
        type: 'job.placement',
        at: AT,
        jobId: 'job-1',
        name: 'train',
        team: 'research',
        cloud: 'aws',
        region: 'us-east-1',
        zone: 'us-east-1a',
        instanceType: 'g5.xlarge',
        market: 'spot',
        pricePerHour: 0.5,
        expectedCostUsd: 1.25,
      },
      `${AT}  job-1 train (research) placed on aws/us-east-1/us-east-1a g5.xlarge spot at $0.50/h, expected $1.25`,
    ],
    [
      {
        type: 'node.notice',
        at: AT,
        nodeId: 'node-1',
        cloud: 'gcp',
        region: 'us-central1',
        instanceType: 'a2',
        jobIds: ['job-1'],
      },
      `${AT}  reclaim notice: node node-1 (gcp/us-central1 a2); jobs job-1`,
    ],
    [
      { type: 'alert', at: AT, kind: 'gpu-idle', team: 'research', summary: 'GPUs idle' },
      `${AT}  alert gpu-idle (research): GPUs idle`,
    ],
  ])('%#', (event, line) => {
    expect(eventLine(event)).toBe(line);
  });
});

describe('price series', () => {
  const p = (pool: string, cloud: string, at: string, price: number, gpuCount = 1): PoolPrice => ({
    pool,
    cloud,
    market: 'spot',
    gpuCount,
    at,
    pricePerHour: price,
  });
  const FROM = '2026-11-21T12:00:00.000Z';

  it('the cheapest pool per GPU-hour on each cloud, a point whenever that minimum changes', () => {
    const series = cheapestSeries(
      [p('aws/a', 'aws', '2026-11-01T00:00:00Z', 8, 8), p('aws/b', 'aws', '2026-11-02T00:00:00Z', 3)],
      [
        p('aws/b', 'aws', '2026-11-22T00:00:00Z', 0.5),
        p('aws/a', 'aws', '2026-11-23T00:00:00Z', 16, 8),
        p('aws/b', 'aws', '2026-11-24T00:00:00Z', 5),
        p('gcp/c', 'gcp', '2026-11-24T00:00:00Z', 2),
      ],
      FROM,
    );
    expect(series).toEqual([
      {
        cloud: 'aws',
        market: 'spot',
        points: [
          { at: FROM, pricePerGpuHour: 1 },
          { at: '2026-11-22T00:00:00Z', pricePerGpuHour: 0.5 },
          { at: '2026-11-24T00:00:00Z', pricePerGpuHour: 2 },
        ],
      },
      { cloud: 'gcp', market: 'spot', points: [{ at: '2026-11-24T00:00:00Z', pricePerGpuHour: 2 }] },
    ]);
  });
});

describe('dashboard sessions', () => {
  it('a session gives back its token until it expires or is closed', () => {
    const s = new Sessions(60_000);
    const { id, expiresAt } = s.open('tok', T0);
    expect(expiresAt).toEqual(later(60));
    expect(s.token(id, later(59))).toBe('tok');
    expect(s.token(id, later(60))).toBeNull();
    const again = s.open('tok', T0).id;
    s.close(again);
    expect(s.token(again, T0)).toBeNull();
    expect(s.token('forged', T0)).toBeNull();
  });

  it('keeps at most `max` sessions, dropping the oldest', () => {
    const s = new Sessions(60_000, 2);
    const a = s.open('a', T0).id;
    const b = s.open('b', T0).id;
    const c = s.open('c', T0).id;
    expect([s.token(a, T0), s.token(b, T0), s.token(c, T0)]).toEqual([null, 'b', 'c']);
  });

  it('ids are long and random', () => {
    const s = new Sessions(1000);
    const ids = new Set(Array.from({ length: 50 }, () => s.open('t', T0).id));
    expect(ids.size).toBe(50);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('the cookie is HttpOnly, SameSite=Strict, for the whole site; Secure over https', () => {
    expect(sessionCookie('abc', 3600, false)).toBe(
      `${SESSION_COOKIE}=abc; Path=/; Max-Age=3600; HttpOnly; SameSite=Strict`,
    );
    expect(sessionCookie('', 0, true)).toBe(
      `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict; Secure`,
    );
  });

  it.each([
    ['a=1; gpusched_session=xyz; b=2', 'xyz'],
    ['gpusched_session=x%3Dy', 'x=y'],
    ['other=1', null],
    [undefined, null],
  ])('reads the session cookie from %j', (header, value) => {
    expect(cookieValue({ headers: header === undefined ? {} : { cookie: header } }, SESSION_COOKIE)).toBe(
      value,
    );
  });
});
