import { describe, expect, it } from 'vitest';
import { type LogItem, OutputBuffer, type OutputItem, parseOutputLine } from '../../src/agent/output.js';

const AT = 1_750_000_000_000;
const stdout = (text: string) => parseOutputLine({ stream: 'stdout', text }, AT);

describe('metric lines', () => {
  it.each<[string, string, Omit<Extract<OutputItem, { kind: 'metric' }>, 'kind' | 'at'>]>([
    ['a step and a loss', 'GPUSCHED_METRIC {"step":100,"loss":0.31}', { step: 100, values: { loss: 0.31 } }],
    [
      'hyperparameters at step 0, strings included',
      'GPUSCHED_METRIC {"step":0,"lr":0.0003,"optimizer":"adamw","batch":64}',
      { step: 0, values: { lr: 0.0003, optimizer: 'adamw', batch: 64 } },
    ],
    [
      'no step: a point in time only',
      'GPUSCHED_METRIC {"gpu_mem_gib":71.5}',
      { values: { gpu_mem_gib: 71.5 } },
    ],
    ['a tab after the marker, spaces at the end', 'GPUSCHED_METRIC\t{"loss":1}  ', { values: { loss: 1 } }],
  ])('%s', (_what, text, expected) => {
    expect(stdout(text)).toEqual({ kind: 'metric', at: AT, ...expected });
  });
});

describe('log lines', () => {
  it.each([
    ['an ordinary line', 'epoch 1/3: 100%|██████████| 512/512'],
    ['the marker elsewhere in the line', 'INFO GPUSCHED_METRIC {"loss":1}'],
    ['a longer word that starts like the marker', 'GPUSCHED_METRICS {"loss":1}'],
    ['an empty line', ''],
  ])('%s stays a log line', (_what, text) => {
    expect(stdout(text)).toEqual({ kind: 'log', stream: 'stdout', text, at: AT });
  });

  it('a metric line on stderr is a log line: only stdout carries metrics', () => {
    const item = parseOutputLine({ stream: 'stderr', text: 'GPUSCHED_METRIC {"loss":1}' }, AT);
    expect(item).toEqual({ kind: 'log', stream: 'stderr', text: 'GPUSCHED_METRIC {"loss":1}', at: AT });
  });
});

describe('a bad metric line is kept as a log line, with why it is not a metric', () => {
  it.each([
    ['nothing after the marker', 'GPUSCHED_METRIC', /no JSON object/],
    ['broken JSON', 'GPUSCHED_METRIC {"loss":', /not JSON/],
    ['a list', 'GPUSCHED_METRIC [1,2]', /JSON object/],
    [
      'a nested object',
      'GPUSCHED_METRIC {"loss":{"train":1}}',
      /loss: expected a number or a string, got object/,
    ],
    ['a boolean', 'GPUSCHED_METRIC {"done":true}', /done: expected a number or a string, got boolean/],
    ['null', 'GPUSCHED_METRIC {"loss":null}', /loss: .* got null/],
    ['a fractional step', 'GPUSCHED_METRIC {"step":1.5,"loss":1}', /step: expected a whole number/],
    ['a step given as a string', 'GPUSCHED_METRIC {"step":"10"}', /step: expected a whole number/],
    ['a negative step', 'GPUSCHED_METRIC {"step":-1}', /step: expected a whole number/],
    ['an empty key', 'GPUSCHED_METRIC {"":1}', /must be 1 to 128 characters/],
    [
      'too many keys',
      `GPUSCHED_METRIC {${Array.from({ length: 65 }, (_, i) => `"k${i}":1`).join(',')}}`,
      /more than 64 keys/,
    ],
    [
      'a very long string value',
      `GPUSCHED_METRIC {"note":"${'x'.repeat(1025)}"}`,
      /limited to 1024 characters/,
    ],
    ['a very long line', `GPUSCHED_METRIC {"note":"${'x'.repeat(17_000)}"}`, /longer than 16384 characters/],
  ])('%s', (_what, text, why) => {
    const item = stdout(text) as LogItem;
    expect(item.kind).toBe('log');
    expect(item.text).toBe(text);
    expect(item.metricError).toMatch(why);
  });
});

const log = (n: number): OutputItem => ({ kind: 'log', stream: 'stdout', text: `line ${n}`, at: n });
const metric = (step: number): OutputItem => ({
  kind: 'metric',
  at: step,
  step,
  values: { loss: 1 / (step + 1) },
});
const label = (item: OutputItem) => (item.kind === 'log' ? item.text : `metric ${item.step}`);

describe('the output buffer', () => {
  it('gives items back in the order the job wrote them, logs and metrics interleaved', () => {
    const b = new OutputBuffer();
    for (const item of [log(1), metric(1), log(2), metric(2), log(3)]) b.push(item);
    expect(b.take().items.map(label)).toEqual(['line 1', 'metric 1', 'line 2', 'metric 2', 'line 3']);
    expect(b.size).toBe(0);
  });

  it('takes at most the batch size, oldest first', () => {
    const b = new OutputBuffer();
    for (let i = 1; i <= 5; i++) b.push(log(i));
    expect(b.take(2).items.map(label)).toEqual(['line 1', 'line 2']);
    expect(b.take(2).items.map(label)).toEqual(['line 3', 'line 4']);
    expect(b.size).toBe(1);
  });

  it('drops the oldest log lines past its bound, and counts them once', () => {
    const b = new OutputBuffer({ maxLogLines: 3 });
    for (let i = 1; i <= 10; i++) b.push(log(i));
    const batch = b.take();
    expect(batch.items.map(label)).toEqual(['line 8', 'line 9', 'line 10']);
    expect(batch).toMatchObject({ droppedLogLines: 7, droppedMetrics: 0 });
    expect(b.take()).toMatchObject({ items: [], droppedLogLines: 0 });
  });

  it('keeps the loss curve through a flood of log lines: metrics have their own bound', () => {
    const b = new OutputBuffer({ maxLogLines: 2, maxMetrics: 100 });
    b.push(metric(1));
    for (let i = 1; i <= 1000; i++) b.push(log(i));
    b.push(metric(2));
    expect(b.take().items.map(label)).toEqual(['metric 1', 'line 999', 'line 1000', 'metric 2']);
  });

  it('drops the oldest metric points past their own bound', () => {
    const b = new OutputBuffer({ maxMetrics: 2 });
    for (let i = 1; i <= 4; i++) b.push(metric(i));
    expect(b.take()).toMatchObject({ droppedMetrics: 2, droppedLogLines: 0 });
  });

  it('puts a batch that could not be sent back in front of newer output, with its drop counts', () => {
    const b = new OutputBuffer({ maxLogLines: 3 });
    for (let i = 1; i <= 4; i++) b.push(log(i));
    const failed = b.take(2);
    b.push(log(5));
    b.putBack(failed);
    const batch = b.take();
    // The bound still holds: 2, 3 back in front of 4, 5 make four lines, so the oldest (2) goes.
    expect(batch.items.map(label)).toEqual(['line 3', 'line 4', 'line 5']);
    // line 1, dropped before the failed send (carried back with it), and line 2.
    expect(batch.droppedLogLines).toBe(2);
  });

  it('keeps the order through two failed sends in a row', () => {
    const b = new OutputBuffer();
    for (let i = 1; i <= 6; i++) b.push(i % 2 ? log(i) : metric(i));
    const first = b.take(4);
    b.putBack(first);
    const second = b.take(2);
    b.putBack(second);
    expect(b.take().items.map(label)).toEqual([
      'line 1',
      'metric 2',
      'line 3',
      'metric 4',
      'line 5',
      'metric 6',
    ]);
  });
});
