// Raising alerts: each is stored once (its key: policy, period, kind, threshold), then sent in the background
// through the notifier; what Slack answered is recorded. A crash between the two leaves the alert pending, and
// the next start sends it: once per threshold per period, across restarts.
import type { Logger } from 'pino';
import type { Notifier, StoredAlert } from '../alerts/notifier.js';
import type { AlertRecord } from '../store/alerts.js';
import type { Store } from '../store/store.js';

export class Alerts {
  private readonly sending = new Set<Promise<void>>();

  constructor(
    private readonly store: Store,
    private readonly notifier: Notifier,
    private readonly now: () => Date,
    private readonly log: Logger,
    /** Told of each new alert once it is stored (the event bus: GET /v1/events, the dashboard). */
    private readonly onRaised?: (record: AlertRecord) => void,
  ) {}

  /** Records the alert and sends it, unless it was raised before; true when it is new. */
  raise(alert: StoredAlert, now: Date, slack?: string): boolean {
    const { isNew, record } = this.store.alerts.insertIfNew({ alert, ...(slack ? { slack } : {}) }, now);
    if (isNew) {
      try {
        this.onRaised?.(record);
      } catch (err) {
        this.log.warn({ alertId: record.id, err: (err as Error).message }, 'alert listener failed');
      }
      this.send(record.id, alert, record.slack ?? undefined);
    }
    return isNew;
  }

  /** Sends what a crash or a retryable failure left pending. */
  resendPending(): void {
    for (const r of this.store.alerts.pending()) this.send(r.id, r.alert, r.slack ?? undefined);
  }

  /** Waits for the sends in flight (shutdown, tests). */
  async settled(): Promise<void> {
    while (this.sending.size > 0) await Promise.allSettled([...this.sending]);
  }

  private send(id: number, alert: StoredAlert, slack: string | undefined): void {
    const p: Promise<void> = this.notifier
      .send(alert, slack)
      .then((delivery) => {
        if (this.store.db.open) this.store.alerts.recordDelivery(id, delivery, this.now());
        this.log.info({ alertId: id, kind: alert.kind, status: delivery.status }, 'alert sent');
      })
      .catch((err: unknown) => this.log.error({ alertId: id, err: (err as Error).message }, 'alert not sent'))
      .finally(() => this.sending.delete(p));
    this.sending.add(p);
  }
}
