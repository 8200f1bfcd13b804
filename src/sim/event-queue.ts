// The replay's event queue: a binary min-heap ordered by time, then by the kind's rank (at one instant the
// market changes before the jobs that react to it), then by insertion order, so that two runs pop the same
// events in the same order.

export interface QueuedEvent {
  /** Virtual time, ms since the epoch. */
  at: number;
  /** Order among events of the same instant: lower first. */
  rank: number;
}

interface Entry<T> {
  event: T;
  seq: number;
}

export class EventQueue<T extends QueuedEvent> {
  private readonly heap: Entry<T>[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(event: T): void {
    if (!Number.isFinite(event.at)) throw new Error(`event time must be finite, got ${event.at}`);
    this.heap.push({ event, seq: this.seq++ });
    this.up(this.heap.length - 1);
  }

  peek(): T | undefined {
    return this.heap[0]?.event;
  }

  pop(): T | undefined {
    const top = this.heap[0];
    if (!top) return undefined;
    const last = this.heap.pop()!;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.down(0);
    }
    return top.event;
  }

  private before(a: Entry<T>, b: Entry<T>): boolean {
    if (a.event.at !== b.event.at) return a.event.at < b.event.at;
    if (a.event.rank !== b.event.rank) return a.event.rank < b.event.rank;
    return a.seq < b.seq;
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.before(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.before(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
