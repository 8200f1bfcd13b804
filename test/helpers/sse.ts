// A test's view of GET /v1/events: open the stream over a real socket, then wait for frames by name.
import { readEvents, type SseMessage } from '../../src/cli/sse.js';

export interface Stream {
  readonly status: number;
  /** Every frame so far. */
  readonly frames: SseMessage[];
  /** The next frame (after those already taken) that matches, within ms. */
  next(match?: (m: SseMessage) => boolean, ms?: number): Promise<SseMessage>;
  /** Waits until `n` frames have come that match (counting those already taken). */
  collect(n: number, match?: (m: SseMessage) => boolean, ms?: number): Promise<SseMessage[]>;
  /** Raw text, heartbeats included. */
  readonly raw: () => string;
  close(): void;
}

export async function openStream(url: string, headers: Record<string, string>): Promise<Stream> {
  const controller = new AbortController();
  const res = await fetch(url, { headers, signal: controller.signal });
  const frames: SseMessage[] = [];
  let raw = '';
  let taken = 0;
  const waiters = new Set<() => void>();
  if (res.ok && res.body) {
    const [a, b] = res.body.tee();
    void (async () => {
      try {
        for await (const m of readEvents(a)) {
          frames.push(m);
          for (const w of waiters) w();
        }
      } catch {
        // aborted
      }
    })();
    void (async () => {
      const decoder = new TextDecoder();
      const reader = b.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          raw += decoder.decode(value, { stream: true });
          for (const w of waiters) w();
        }
      } catch {
        // aborted
      }
    })();
  }
  const waitFor = (ok: () => boolean, ms: number, what: string) =>
    new Promise<void>((resolve, reject) => {
      if (ok()) return resolve();
      const check = () => {
        if (!ok()) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; frames: ${frames.map((f) => f.event).join(', ')}`));
      }, ms);
      waiters.add(check);
    });
  return {
    status: res.status,
    frames,
    raw: () => raw,
    async next(match = () => true, ms = 5000) {
      let found = -1;
      await waitFor(
        () => {
          found = frames.findIndex((m, i) => i >= taken && match(m));
          return found >= 0;
        },
        ms,
        'a frame',
      );
      taken = found + 1;
      return frames[found]!;
    },
    async collect(n, match = () => true, ms = 5000) {
      await waitFor(() => frames.filter(match).length >= n, ms, `${n} frames`);
      return frames.filter(match);
    },
    close: () => controller.abort(),
  };
}

export const data = (m: SseMessage) => JSON.parse(m.data) as Record<string, any>;
