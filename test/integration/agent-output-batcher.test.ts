// The output batcher with real (short) timers: sends every N items or T ms, one send at a time, keeps what a
// failed send carried, and stays bounded while the daemon cannot be reached.
import { describe, expect, it } from 'vitest';
import { type OutputBatch, OutputBatcher } from '../../src/agent/output.js';

const line = (text: string) => ({ stream: 'stdout' as const, text });
const texts = (batch: OutputBatch) =>
  batch.items.map((i) => (i.kind === 'log' ? i.text : `metric ${i.step}`));

async function until(what: string, test: () => boolean, timeoutMs = 2000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('the output batcher', () => {
  it('sends as soon as a batch is full', async () => {
    const sent: OutputBatch[] = [];
    const b = new OutputBatcher({
      maxBatch: 3,
      flushMs: 60_000,
      send: async (batch) => void sent.push(batch),
    });
    for (const t of ['a', 'b', 'c']) b.onLine(line(t));
    await until('a send', () => sent.length === 1);
    expect(texts(sent[0]!)).toEqual(['a', 'b', 'c']);
    await b.close();
  });

  it('sends a partial batch once the time is up', async () => {
    const sent: OutputBatch[] = [];
    const b = new OutputBatcher({ maxBatch: 100, flushMs: 30, send: async (batch) => void sent.push(batch) });
    b.onLine(line('GPUSCHED_METRIC {"step":10,"loss":0.5}'));
    b.onLine(line('saved'));
    await until('a send', () => sent.length === 1);
    expect(texts(sent[0]!)).toEqual(['metric 10', 'saved']);
    await b.close();
  });

  it('keeps a batch the daemon did not take and sends it, first, on the next try', async () => {
    const sent: OutputBatch[] = [];
    let fail = true;
    const b = new OutputBatcher({
      maxBatch: 10,
      flushMs: 20,
      send: async (batch) => {
        if (fail) {
          fail = false;
          throw new Error('daemon unreachable');
        }
        sent.push(batch);
      },
    });
    b.onLine(line('one'));
    b.onLine(line('two'));
    await until('the retry', () => sent.length === 1);
    b.onLine(line('three'));
    await b.close();
    expect(sent.flatMap(texts)).toEqual(['one', 'two', 'three']);
  });

  it('sends one batch at a time, and drops the oldest (counted) while the daemon is slow', async () => {
    const sent: OutputBatch[] = [];
    let inFlight = 0;
    let most = 0;
    let release = () => {};
    const b = new OutputBatcher({
      maxBatch: 5,
      flushMs: 10,
      maxLogLines: 20,
      send: async (batch) => {
        inFlight++;
        most = Math.max(most, inFlight);
        // The first send hangs until released: the daemon is slow.
        if (sent.length === 0) await new Promise<void>((r) => (release = r));
        sent.push(batch);
        inFlight--;
      },
    });
    for (let i = 0; i < 1000; i++) b.onLine(line(`l${i}`));
    expect(b.buffer.size).toBe(20);
    release();
    await b.close();
    expect(most).toBe(1);
    const all = sent.flatMap(texts);
    expect(all.slice(0, 5)).toEqual(['l0', 'l1', 'l2', 'l3', 'l4']);
    expect(all.slice(5)).toEqual(Array.from({ length: 20 }, (_, i) => `l${980 + i}`));
    expect(sent.reduce((n, batch) => n + batch.droppedLogLines, 0)).toBe(975);
  });
});
