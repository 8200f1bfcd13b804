// The job's output as the agent forwards it: a stdout line `GPUSCHED_METRIC {"step":100,"loss":0.31}` is a metric
// point (loss curves; hyperparameters at step 0), every other line is a log line. Lines are collected and sent in
// batches (every N lines or T ms), and what waits to be sent is bounded: a chatty job, or a daemon that cannot be
// reached, makes the agent drop the oldest lines and count them, never grow without bound. Metric points have
// their own, separate bound, so a flood of log lines cannot push the loss curve out.
//
// `parseOutputLine` and `OutputBuffer` are pure (no clock, no timers); `OutputBatcher` adds the timer and the send.
import type { OutputLine } from './runtime/types.js';

export const METRIC_PREFIX = 'GPUSCHED_METRIC';
/** Bounds on one metric line, so one line cannot become a large record downstream. */
export const METRIC_LIMITS = { lineChars: 16 * 1024, keys: 64, keyChars: 128, stringChars: 1024 } as const;

export type MetricValue = number | string;

export interface LogItem {
  readonly kind: 'log';
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
  /** ms since the epoch, when the agent read the line. */
  readonly at: number;
  /** Set when the line began with GPUSCHED_METRIC but was not a valid metric: why it is kept as a log line. */
  readonly metricError?: string;
}

export interface MetricItem {
  readonly kind: 'metric';
  readonly at: number;
  /** The training step, when the job gave one (a whole number ≥ 0). */
  readonly step?: number;
  /** The other keys: numbers (finite) or strings. */
  readonly values: Readonly<Record<string, MetricValue>>;
}

export type OutputItem = LogItem | MetricItem;

/** One line → a metric point or a log line. Only stdout carries metrics; a bad metric line stays a log line. */
export function parseOutputLine(line: OutputLine, at: number): OutputItem {
  const log: LogItem = { kind: 'log', stream: line.stream, text: line.text, at };
  if (line.stream !== 'stdout' || !line.text.startsWith(METRIC_PREFIX)) return log;
  const rest = line.text.slice(METRIC_PREFIX.length);
  // `GPUSCHED_METRICS ...` or `GPUSCHED_METRIC_X` is some other word, not the marker.
  if (rest !== '' && !/^\s/.test(rest)) return log;
  const parsed = parseMetricBody(rest.trim(), line.text.length);
  return 'error' in parsed
    ? { ...log, metricError: parsed.error }
    : {
        kind: 'metric',
        at,
        ...(parsed.step !== undefined ? { step: parsed.step } : {}),
        values: parsed.values,
      };
}

function parseMetricBody(
  body: string,
  lineChars: number,
): { step?: number; values: Record<string, MetricValue> } | { error: string } {
  if (lineChars > METRIC_LIMITS.lineChars)
    return { error: `longer than ${METRIC_LIMITS.lineChars} characters` };
  if (body === '') return { error: 'no JSON object after GPUSCHED_METRIC' };
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (e) {
    return { error: `not JSON (${(e as Error).message})` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { error: 'expected a JSON object of numbers and strings' };
  const entries = Object.entries(value);
  if (entries.length > METRIC_LIMITS.keys) return { error: `more than ${METRIC_LIMITS.keys} keys` };
  let step: number | undefined;
  const values: Record<string, MetricValue> = {};
  for (const [key, v] of entries) {
    if (key === '' || key.length > METRIC_LIMITS.keyChars)
      return {
        error: `key ${JSON.stringify(key.slice(0, 40))}: must be 1 to ${METRIC_LIMITS.keyChars} characters`,
      };
    if (key === 'step') {
      if (!(typeof v === 'number' && Number.isSafeInteger(v) && v >= 0))
        return { error: `step: expected a whole number ≥ 0, got ${JSON.stringify(v)}` };
      step = v;
    } else if (typeof v === 'number') {
      values[key] = v;
    } else if (typeof v === 'string') {
      if (v.length > METRIC_LIMITS.stringChars)
        return { error: `${key}: strings are limited to ${METRIC_LIMITS.stringChars} characters` };
      values[key] = v;
    } else {
      return { error: `${key}: expected a number or a string, got ${v === null ? 'null' : typeof v}` };
    }
  }
  return step === undefined ? { values } : { step, values };
}

// ---------------------------------------------------------------------------------------------------------
// Buffering

export interface OutputBufferLimits {
  /** Most log lines kept while waiting to be sent; past it the oldest go (default 10,000). */
  readonly maxLogLines?: number;
  /** Most metric points kept; past it the oldest go (default 10,000). */
  readonly maxMetrics?: number;
}

/** What one send carries: the items in the order the job wrote them, and what was dropped since the last one. */
export interface OutputBatch {
  readonly items: readonly OutputItem[];
  readonly droppedLogLines: number;
  readonly droppedMetrics: number;
}

/** A first-in first-out queue with O(1) removal at the front. */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }
  push(item: T): void {
    this.items.push(item);
  }
  peek(): T | undefined {
    return this.items[this.head];
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head++];
    // Compact now and then, so the array does not keep what was taken.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
  unshiftAll(items: T[]): void {
    this.items = [...items, ...this.items.slice(this.head)];
    this.head = 0;
  }
}

interface Entry {
  readonly seq: number;
  readonly item: OutputItem;
}

/** Bounded store of output waiting to be sent. Pure: no clock, no timers. */
export class OutputBuffer {
  private readonly logs = new Fifo<Entry>();
  private readonly metrics = new Fifo<Entry>();
  private readonly maxLogLines: number;
  private readonly maxMetrics: number;
  /** Sequence numbers order logs against metrics; put-back items are numbered below `lowestSeq`. */
  private seq = 0;
  private lowestSeq = 0;
  private droppedLogLines = 0;
  private droppedMetrics = 0;

  constructor(limits: OutputBufferLimits = {}) {
    this.maxLogLines = Math.max(1, limits.maxLogLines ?? 10_000);
    this.maxMetrics = Math.max(1, limits.maxMetrics ?? 10_000);
  }

  /** Items waiting. */
  get size(): number {
    return this.logs.length + this.metrics.length;
  }

  /** Drops counted since the last batch was taken. */
  get dropped(): { logLines: number; metrics: number } {
    return { logLines: this.droppedLogLines, metrics: this.droppedMetrics };
  }

  push(item: OutputItem): void {
    const entry = { seq: this.seq++, item };
    if (item.kind === 'metric') {
      this.metrics.push(entry);
      while (this.metrics.length > this.maxMetrics) {
        this.metrics.shift();
        this.droppedMetrics++;
      }
    } else {
      this.logs.push(entry);
      while (this.logs.length > this.maxLogLines) {
        this.logs.shift();
        this.droppedLogLines++;
      }
    }
  }

  /** Takes up to `max` of the oldest items, in the order they were pushed, and the drop counts (reset). */
  take(max = Number.POSITIVE_INFINITY): OutputBatch {
    const items: OutputItem[] = [];
    while (items.length < max) {
      const log = this.logs.peek();
      const metric = this.metrics.peek();
      if (!log && !metric) break;
      const next = !metric || (log && log.seq < metric.seq) ? this.logs.shift()! : this.metrics.shift()!;
      items.push(next.item);
    }
    const batch = { items, droppedLogLines: this.droppedLogLines, droppedMetrics: this.droppedMetrics };
    this.droppedLogLines = 0;
    this.droppedMetrics = 0;
    return batch;
  }

  /**
   * Puts a batch that could not be sent back in front, with its drop counts, so the next send carries it. The
   * limits still hold: if newer output has filled the buffer meanwhile, the oldest are dropped (and counted).
   */
  putBack(batch: OutputBatch): void {
    const logs: Entry[] = [];
    const metrics: Entry[] = [];
    // Older than anything waiting: number them below every number handed out so far.
    this.lowestSeq -= batch.items.length;
    let seq = this.lowestSeq;
    for (const item of batch.items) (item.kind === 'metric' ? metrics : logs).push({ seq: seq++, item });
    this.logs.unshiftAll(logs);
    this.metrics.unshiftAll(metrics);
    this.droppedLogLines += batch.droppedLogLines;
    this.droppedMetrics += batch.droppedMetrics;
    while (this.logs.length > this.maxLogLines) {
      this.logs.shift();
      this.droppedLogLines++;
    }
    while (this.metrics.length > this.maxMetrics) {
      this.metrics.shift();
      this.droppedMetrics++;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Batching with a timer and a send

export interface OutputBatcherOptions extends OutputBufferLimits {
  /** Send once this many items wait (default 500). Also the most one send carries. */
  readonly maxBatch?: number;
  /** Send at most this long after the first item arrives (default 1,000 ms). */
  readonly flushMs?: number;
  /** Sends one batch; a rejection puts the batch back for the next try. */
  readonly send: (batch: OutputBatch) => Promise<void>;
  /** Clock for item times (default Date.now). */
  readonly now?: () => number;
}

/**
 * Parses lines, buffers them and sends batches: one send at a time, every `maxBatch` items or `flushMs` after the
 * first waiting item. A failed send is retried at the next flush.
 */
export class OutputBatcher {
  readonly buffer: OutputBuffer;
  private readonly maxBatch: number;
  private readonly flushMs: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: OutputBatcherOptions) {
    this.buffer = new OutputBuffer(options);
    this.maxBatch = Math.max(1, options.maxBatch ?? 500);
    this.flushMs = Math.max(0, options.flushMs ?? 1000);
    this.now = options.now ?? Date.now;
  }

  /** For `StartOptions.onLine`. */
  readonly onLine = (line: OutputLine): void => {
    this.push(parseOutputLine(line, this.now()));
  };

  push(item: OutputItem): void {
    this.buffer.push(item);
    // A send in progress goes on until the buffer is empty; one flush per line would pile up behind it.
    if (this.sending) return;
    if (this.buffer.size >= this.maxBatch) void this.flush();
    else this.schedule();
  }

  /** Sends what waits (in batches of `maxBatch`), after any send in progress. Never rejects. */
  async flush(): Promise<void> {
    this.unschedule();
    while (this.sending) await this.sending;
    if (!this.hasWork()) return;
    this.sending = this.sendAll().finally(() => {
      this.sending = undefined;
      // Pushed while the last send was finishing, or put back after a failure: the timer picks it up.
      if (this.hasWork()) this.schedule();
    });
    await this.sending;
  }

  /** Flushes and stops the timer; later pushes are only sent by an explicit flush. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  private async sendAll(): Promise<void> {
    while (this.hasWork()) {
      const batch = this.buffer.take(this.maxBatch);
      try {
        await this.options.send(batch);
      } catch {
        // Kept for the next flush, not retried in a tight loop against a daemon that is down.
        this.buffer.putBack(batch);
        return;
      }
    }
  }

  private hasWork(): boolean {
    const dropped = this.buffer.dropped;
    return this.buffer.size > 0 || dropped.logLines + dropped.metrics > 0;
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.flushMs);
    this.timer.unref();
  }

  private unschedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
