// A supervised loop: runs a tick on a node-cron schedule or on demand, never two at once, and survives
// a failing tick (logged; the next tick runs as usual). Stopping waits for the tick in flight.
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';

export class Loop {
  private task: ScheduledTask | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private retry: NodeJS.Timeout | null = null;

  constructor(
    readonly name: string,
    private readonly pattern: string,
    private readonly tick: (now: Date) => Promise<void>,
    private readonly now: () => Date,
    private readonly log: Logger,
  ) {
    if (!cron.validate(pattern)) throw new Error(`loop ${name}: invalid cron pattern "${pattern}"`);
  }

  start(): void {
    this.task = cron.schedule(this.pattern, () => this.run(), { name: this.name, noOverlap: true });
  }

  /** Runs a tick now; if one is running, one more follows it (so a kick is never lost). */
  run(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        const started = Date.now();
        try {
          await this.tick(this.now());
        } catch (err) {
          this.log.error({ loop: this.name, err }, 'tick failed');
        }
        this.log.trace({ loop: this.name, ms: Date.now() - started }, 'tick');
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Runs a tick once after a delay (a retry sooner than the schedule); a later call replaces it. */
  runAfter(ms: number): void {
    if (this.stopped) return;
    if (this.retry) clearTimeout(this.retry);
    this.retry = setTimeout(() => {
      this.retry = null;
      void this.run();
    }, ms);
    this.retry.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    await this.task?.stop();
    await this.task?.destroy();
    await this.running;
  }
}

/** Seconds (1..59) as a six-field node-cron pattern. */
export function everySeconds(seconds: number): string {
  return `*/${seconds} * * * * *`;
}
