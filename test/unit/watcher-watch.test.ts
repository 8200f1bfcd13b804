// The watch loop, driven by a scripted watcher, a fake clock and a sleep that returns at once (no timers,
// no sockets): what it reports, how often, and that nothing a watcher or a handler does stops it.
import { describe, expect, it } from 'vitest';
import type { Notice, NoticeWatcher } from '../../src/agent/watchers/notice.js';
import { type WatchErrorInfo, watch } from '../../src/agent/watchers/watch.js';

/** One poll's outcome: a notice, none, or a failure; `ms` is how long the poll takes on the fake clock. */
type Step = { notice?: Notice | null; error?: Error; ms?: number; abortDuring?: boolean };

interface Run {
  notices: Notice[];
  errors: Array<{ message: string } & WatchErrorInfo>;
  recovered: number[];
  sleeps: number[];
  polls: number;
}

/** Runs `watch` over the script; the loop is stopped when the script is used up. */
async function run(
  steps: Step[],
  opts: {
    onNotice?: (n: Notice) => void | Promise<void>;
    errorRepeatEvery?: number;
    onErrorThrows?: boolean;
  } = {},
): Promise<Run> {
  const stop = new AbortController();
  let clock = 0;
  const r: Run = { notices: [], errors: [], recovered: [], sleeps: [], polls: 0 };
  const watcher: NoticeWatcher = {
    cloud: 'aws',
    async poll() {
      const step = steps[r.polls++];
      if (!step) {
        stop.abort();
        return null;
      }
      clock += step.ms ?? 5;
      if (step.abortDuring) {
        stop.abort();
        throw new Error('aborted mid-request');
      }
      if (step.error) throw step.error;
      return step.notice ?? null;
    },
  };
  await watch(watcher, {
    signal: stop.signal,
    onNotice: (n) => {
      r.notices.push(n);
      return opts.onNotice?.(n);
    },
    onError: (e, info) => {
      r.errors.push({ message: e.message, ...info });
      if (opts.onErrorThrows) throw new Error('the logger is broken too');
    },
    onRecovered: (n) => r.recovered.push(n),
    ...(opts.errorRepeatEvery ? { errorRepeatEvery: opts.errorRepeatEvery } : {}),
    clock: () => clock,
    sleep: async (ms) => {
      r.sleeps.push(ms);
      clock += ms;
    },
  });
  // Let rejected handler promises report.
  for (let i = 0; i < 5; i++) await Promise.resolve();
  return r;
}

const preempt: Notice = {
  cloud: 'aws',
  kind: 'preempt',
  deadline: new Date('2026-01-01T00:02:00Z'),
  raw: '{"action":"terminate","time":"2026-01-01T00:02:00Z"}',
};
const rebalance: Notice = { cloud: 'aws', kind: 'rebalance', deadline: null, raw: '{"noticeTime":"..."}' };
const fail = (message: string): Step => ({ error: new Error(message) });

describe('watch: reporting notices', () => {
  it('reports a notice once however many polls keep showing it', async () => {
    const r = await run([{ notice: null }, { notice: preempt }, { notice: preempt }, { notice: preempt }]);
    expect(r.notices).toEqual([preempt]);
  });

  it('reports the early warning and then the reclaim, in that order', async () => {
    const r = await run([{ notice: rebalance }, { notice: rebalance }, { notice: preempt }]);
    expect(r.notices.map((n) => n.kind)).toEqual(['rebalance', 'preempt']);
  });

  it('reports a second reclaim with a new deadline (a stopped instance started again)', async () => {
    const later = { ...preempt, deadline: new Date('2026-01-02T00:02:00Z') };
    const r = await run([{ notice: preempt }, { notice: null }, { notice: later }]);
    expect(r.notices).toEqual([preempt, later]);
  });

  it('does not wait for a slow handler before polling again', async () => {
    let release: () => void = () => {};
    const checkpointing = new Promise<void>((resolve) => {
      release = resolve;
    });
    const r = await run([{ notice: rebalance }, { notice: preempt }], { onNotice: () => checkpointing });
    expect(r.notices.map((n) => n.kind)).toEqual(['rebalance', 'preempt']);
    release();
  });

  it.each([
    [
      'throws',
      () => {
        throw new Error('handler bug');
      },
    ],
    [
      'rejects',
      async () => {
        throw new Error('handler bug');
      },
    ],
  ])('keeps watching when the handler %s, and says so', async (_how, handler) => {
    const r = await run([{ notice: rebalance }, { notice: preempt }], { onNotice: handler });
    expect(r.notices).toHaveLength(2);
    expect(r.errors).toEqual([
      { message: 'handler bug', source: 'handler', consecutiveFailures: 0 },
      { message: 'handler bug', source: 'handler', consecutiveFailures: 0 },
    ]);
  });
});

describe('watch: a failing endpoint', () => {
  it('keeps polling through failures and still reports the notice that follows them', async () => {
    const r = await run([fail('refused'), fail('refused'), { notice: preempt }]);
    expect(r.polls).toBe(4);
    expect(r.notices).toEqual([preempt]);
    expect(r.recovered).toEqual([2]);
  });

  it('reports a streak on its first failure, on each new message, and every Nth failure', async () => {
    const r = await run(
      [
        fail('timed out'), // 1: first of the streak
        fail('timed out'), // 2
        fail('timed out'), // 3: every 3rd
        fail('HTTP 500'), // 4: new message
        fail('HTTP 500'), // 5
        fail('HTTP 500'), // 6: every 3rd
        { notice: null }, // recovered after 6
        fail('timed out'), // 1 of a new streak
      ],
      { errorRepeatEvery: 3 },
    );
    expect(r.errors.map((e) => [e.message, e.consecutiveFailures])).toEqual([
      ['timed out', 1],
      ['timed out', 3],
      ['HTTP 500', 4],
      ['HTTP 500', 6],
      ['timed out', 1],
    ]);
    expect(r.errors.every((e) => e.source === 'endpoint')).toBe(true);
    // The poll that ends the script succeeds, which ends the second streak too.
    expect(r.recovered).toEqual([6, 1]);
  });

  it('survives a logger that throws', async () => {
    const r = await run([fail('refused'), { notice: preempt }], { onErrorThrows: true });
    expect(r.notices).toEqual([preempt]);
  });

  it('ends quietly when stopped in the middle of a poll', async () => {
    const r = await run([{ notice: null }, { abortDuring: true }]);
    expect(r.errors).toEqual([]);
    expect(r.polls).toBe(2);
  });
});

describe('watch: pacing', () => {
  it('starts a poll every interval, counting the time the poll took', async () => {
    const r = await run([{ ms: 5 }, { ms: 300 }, { ms: 1_500 }, { ms: 1_000 }]);
    // 1000 - 5, 1000 - 300, overdue, exactly on time; the last sleep follows the poll that ends the script.
    expect(r.sleeps.slice(0, 4)).toEqual([995, 700, 0, 0]);
  });
});
