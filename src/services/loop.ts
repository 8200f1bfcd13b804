// A supervised loop: runs a tick on a node-cron schedule or on demand, never two at once, and survives
// a failing tick (logged and counted; the next tick runs as usual). Stopping waits for the tick in flight.
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';

export class Loop {
  private task: ScheduledTask | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  failures = 0;
  runs = 0;

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
    this.task = cron.schedule(pattern(this.pattern), () => this.run(), { name: this.name, noOverlap: true });
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
          this.runs++;
        } catch (err) {
          this.failures++;
          this.log.error({ loop: this.name, err }, 'tick failed');
        }
        this.log.trace({ loop: this.name, ms: Date.now() - started }, 'tick');
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.task?.stop();
    await this.task?.destroy();
    await this.running;
  }
}

/** Seconds (1..59) as a six-field cron pattern; anything else is taken as a cron pattern already. */
export function everySeconds(seconds: number): string {
  return `*/${seconds} * * * * *`;
}

function pattern(p: string): string {
  return p;
}
