// The agent's heartbeat loop: one beat every interval, and one at once when asked (a job started or exited, a
// notice). Beats never overlap; asks that come during a beat make one more right after it, so a burst of changes
// costs one beat, not one each. A daemon that is down fails every beat: that is logged on the first failure and
// then about once a minute, and the loop goes on.
import type { Logger } from 'pino';

export interface HeartbeatLoopOptions {
  /** One heartbeat; `urgent` (a notice): send at once, without collecting fresh telemetry. */
  readonly beat: (urgent: boolean) => Promise<void>;
  /** The interval now (the daemon may change it in any answer). */
  readonly intervalMs: () => number;
  readonly log: Logger;
  /** Stops the loop after the beat in progress. */
  readonly signal: AbortSignal;
  /** Told of every failed beat (after logging). */
  readonly onError?: (error: unknown) => void;
}

export class HeartbeatLoop {
  private kicked = false;
  private urgent = false;
  private wake: (() => void) | undefined;

  constructor(private readonly o: HeartbeatLoopOptions) {
    o.signal.addEventListener('abort', () => this.wake?.(), { once: true });
  }

  /** A beat now (after the one in progress, if any). */
  kick(urgent = false): void {
    this.kicked = true;
    this.urgent ||= urgent;
    this.wake?.();
  }

  async run(): Promise<void> {
    let failing = 0;
    while (!this.o.signal.aborted) {
      const urgent = this.urgent;
      this.kicked = false;
      this.urgent = false;
      try {
        await this.o.beat(urgent);
        if (failing > 0) this.o.log.info({ failures: failing }, 'heartbeats answered again');
        failing = 0;
      } catch (e) {
        failing++;
        const every = Math.max(1, Math.round(60_000 / Math.max(1, this.o.intervalMs())));
        if (failing === 1 || failing % every === 0)
          this.o.log.warn({ err: (e as Error).message, failures: failing }, 'heartbeat failed');
        this.o.onError?.(e);
      }
      if (this.o.signal.aborted || this.kicked) continue;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.wake = undefined;
          resolve();
        };
        const timer = setTimeout(done, this.o.intervalMs());
        this.wake = done;
      });
    }
  }
}
