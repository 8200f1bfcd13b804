// The replay's event queue: time first, then the kind's rank, then first in first out.
import { describe, expect, it } from 'vitest';
import { EventQueue } from '../../src/sim/event-queue.js';
import { rng, seedOf } from '../../src/sim/rng.js';

interface E {
  at: number;
  rank: number;
  name: string;
}

const drain = (q: EventQueue<E>) => {
  const out: string[] = [];
  for (let e = q.pop(); e; e = q.pop()) out.push(e.name);
  return out;
};

describe('event queue ordering', () => {
  it('pops in time order whatever the order of pushing', () => {
    const q = new EventQueue<E>();
    for (const [at, name] of [
      [30, 'c'],
      [10, 'a'],
      [20, 'b'],
    ] as const)
      q.push({ at, rank: 0, name });
    expect(q.size).toBe(3);
    expect(q.peek()?.name).toBe('a');
    expect(drain(q)).toEqual(['a', 'b', 'c']);
    expect(q.pop()).toBeUndefined();
  });

  it('at one instant, lower ranks first: the market changes before the jobs react', () => {
    const q = new EventQueue<E>();
    q.push({ at: 5, rank: 3, name: 'arrival' });
    q.push({ at: 5, rank: 1, name: 'reclaim' });
    q.push({ at: 5, rank: 2, name: 'deletion' });
    expect(drain(q)).toEqual(['reclaim', 'deletion', 'arrival']);
  });

  it('keeps insertion order among equal events (so two runs pop the same sequence)', () => {
    const q = new EventQueue<E>();
    for (const name of ['first', 'second', 'third', 'fourth']) q.push({ at: 1, rank: 1, name });
    expect(drain(q)).toEqual(['first', 'second', 'third', 'fourth']);
  });

  it('sorts a large random stream exactly as a stable sort would', () => {
    const r = rng(seedOf('queue'));
    const events: E[] = Array.from({ length: 2000 }, (_, i) => ({
      at: r.int(50),
      rank: r.int(4),
      name: String(i),
    }));
    const q = new EventQueue<E>();
    for (const e of events) q.push(e);
    const expected = [...events].sort((a, b) => a.at - b.at || a.rank - b.rank).map((e) => e.name);
    expect(drain(q)).toEqual(expected);
  });

  it('accepts pushes while draining (events that cause events)', () => {
    const q = new EventQueue<E>();
    q.push({ at: 1, rank: 0, name: 'a' });
    const out: string[] = [];
    for (let e = q.pop(); e; e = q.pop()) {
      out.push(e.name);
      if (e.name === 'a') q.push({ at: 1, rank: 0, name: 'b' });
    }
    expect(out).toEqual(['a', 'b']);
  });

  it('refuses an event without a finite time', () => {
    expect(() => new EventQueue<E>().push({ at: Number.NaN, rank: 0, name: 'x' })).toThrow(/finite/);
  });
});

describe('seeded randomness', () => {
  it('gives the same stream for the same seed and another for another seed', () => {
    const a = rng(seedOf(1, 'pool'));
    const b = rng(seedOf(1, 'pool'));
    const c = rng(seedOf(2, 'pool'));
    const xs = [a.next(), a.next(), a.next()];
    expect([b.next(), b.next(), b.next()]).toEqual(xs);
    expect(c.next()).not.toBe(xs[0]);
    for (const x of xs) expect(x >= 0 && x < 1).toBe(true);
  });
});
