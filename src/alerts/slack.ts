// The Slack notifier: Block Kit messages through incoming webhooks (@slack/webhook), retried on 429 and 5xx.
//
// How @slack/webhook 8 behaves, and why it is wrapped: it posts with `fetch` (ours may be passed in), does not
// retry by default (`retryConfig: { retries: 0 }`), and when it is told to retry it retries 5xx and network
// errors only, through p-retry, blind to Retry-After. A 429 (and any 4xx) fails at once as an
// IncomingWebhookHTTPError carrying the status and body, but not the headers. So retries are ours: the library
// runs with no retries of its own, the fetch we hand it notes each answer's Retry-After header, and this loop
// waits for what Slack asked (429) or backs off exponentially with jitter (5xx, no answer).
//
// The webhook URL is a secret (it alone lets anyone post to the channel): it never goes into a log line or a
// Delivery. Errors are reduced to a status, Slack's short error body, or a network reason, all redacted.
import {
  type FetchFunction,
  IncomingWebhook,
  IncomingWebhookHTTPError,
  IncomingWebhookRequestError,
} from '@slack/webhook';
import { type BackoffPolicy, backoffMs } from '../core/backoff.js';
import { anomalyLogFields } from './anomaly-alerts.js';
import { slackMessage } from './blocks.js';
import type { Alert, AlertLogger, Delivery, Notifier } from './notifier.js';
import { type ResolvedWebhook, redact, WebhookConfigError, webhookPlaces } from './webhooks.js';

export interface SlackNotifierOptions {
  /** The webhook for a reference (or the default for undefined); usually `(ref) => resolveWebhook(ref, sources)`. */
  readonly resolve: (ref: string | undefined) => ResolvedWebhook | undefined;
  readonly logger?: AlertLogger;
  /** The HTTP transport (global fetch by default). */
  readonly fetch?: typeof fetch;
  /** Requests per alert, the first included (default 5). */
  readonly maxAttempts?: number;
  /** Backoff after a 5xx or no answer (default 1 s doubling, at most 30 s, full jitter). */
  readonly backoff?: BackoffPolicy;
  /** A Retry-After longer than this gives up for now, as a retryable failure (default 60 s). */
  readonly maxRetryAfterMs?: number;
  /** Per-request timeout (default 10 s). */
  readonly timeoutMs?: number;
  /** For the wait between attempts; tests pass one that records and returns at once. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly now?: () => Date;
  /** For the log message when nothing is configured (default: environment variables only). */
  readonly secretsDir?: string;
}

const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1000, maxMs: 30_000 };

type Attempt =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly error: string;
      /** How long to wait before the next attempt; undefined: do not try again now. */
      readonly waitMs: number | undefined;
      readonly retryable: boolean;
    };

export class SlackNotifier implements Notifier {
  private readonly warned = new Set<string>();

  constructor(private readonly options: SlackNotifierOptions) {}

  async send(alert: Alert, slack?: string): Promise<Delivery> {
    const message = slackMessage(alert);
    const fields = logFields(alert);
    let webhook: ResolvedWebhook | undefined;
    try {
      webhook = this.options.resolve(slack);
    } catch (error) {
      const reason =
        error instanceof WebhookConfigError ? error.message : 'the webhook configuration is unreadable';
      this.options.logger?.warn({ ...fields, error: reason }, `alert not sent to Slack: ${message.text}`);
      return { status: 'failed', attempts: 0, destination: 'log', error: reason, retryable: false };
    }
    if (webhook === undefined) {
      const places = webhookPlaces(slack, this.options.secretsDir).join(', ');
      this.options.logger?.warn(
        { ...fields, slack: slack ?? null },
        `alert (no Slack webhook configured; set one of ${places}): ${message.text}`,
      );
      return { status: 'logged', attempts: 0, destination: 'log' };
    }
    if (webhook.warning !== undefined && !this.warned.has(webhook.warning)) {
      this.warned.add(webhook.warning);
      this.options.logger?.warn({ webhook: webhook.name }, webhook.warning);
    }

    const destination = `slack ${webhook.name} (${webhook.source})`;
    const maxAttempts = Math.max(1, this.options.maxAttempts ?? 5);
    let last: Extract<Attempt, { ok: false }> | undefined;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const result = await this.post(webhook.url, message, attempt);
      if (result.ok) {
        this.options.logger?.info(
          { ...fields, destination, attempts: attempt },
          `alert sent: ${message.text}`,
        );
        return { status: 'delivered', attempts: attempt, destination };
      }
      last = result;
      if (result.waitMs === undefined || attempt === maxAttempts) {
        this.options.logger?.warn(
          { ...fields, destination, attempts: attempt, error: result.error },
          `alert not delivered to Slack: ${message.text}`,
        );
        return {
          status: 'failed',
          attempts: attempt,
          destination,
          error: result.error,
          retryable: result.retryable,
        };
      }
      await (this.options.sleep ?? sleep)(result.waitMs);
    }
    // Not reached: the loop returns on its last attempt.
    return {
      status: 'failed',
      attempts: maxAttempts,
      destination,
      error: last?.error ?? 'not sent',
      retryable: true,
    };
  }

  /** One request through @slack/webhook, with its own retries off; classifies the outcome. */
  private async post(
    url: string,
    message: ReturnType<typeof slackMessage>,
    attempt: number,
  ): Promise<Attempt> {
    let retryAfter: string | null = null;
    const base = this.options.fetch ?? globalThis.fetch;
    const noting: FetchFunction = async (target, init) => {
      const response = await base(target, init as RequestInit);
      retryAfter = response.headers.get('retry-after');
      return response;
    };
    const client = new IncomingWebhook(url, {
      fetch: noting,
      timeout: this.options.timeoutMs ?? 10_000,
      retryConfig: { retries: 0 },
    });
    const backoff = () =>
      Math.max(
        1,
        backoffMs(attempt, this.options.backoff ?? DEFAULT_BACKOFF, (this.options.random ?? Math.random)()),
      );
    try {
      await client.send({ text: message.text, blocks: [...message.blocks] });
      return { ok: true };
    } catch (error) {
      if (error instanceof IncomingWebhookHTTPError) {
        // Redacted before it is cut short, so that a cut cannot leave part of the URL unrecognised.
        const body = redact(String(error.body ?? ''), url)
          .slice(0, 200)
          .trim();
        const said = body === '' ? '' : ` ${body}`;
        if (error.statusCode === 429) {
          const waitMs = retryAfterMs(retryAfter, (this.options.now ?? (() => new Date()))());
          const limit = this.options.maxRetryAfterMs ?? 60_000;
          const asked = waitMs === undefined ? 'no Retry-After' : `Retry-After ${Math.ceil(waitMs / 1000)} s`;
          const waited = waitMs === undefined ? backoff() : waitMs;
          return {
            ok: false,
            error: `Slack answered 429 (rate limited, ${asked})${said}`,
            waitMs: waited > limit ? undefined : waited,
            retryable: true,
          };
        }
        if (error.statusCode >= 500) {
          return {
            ok: false,
            error: `Slack answered ${error.statusCode}${said}`,
            waitMs: backoff(),
            retryable: true,
          };
        }
        // 400 invalid_blocks, 403 invalid_token, 404 no_service, 410 channel_is_archived: retrying cannot help.
        return {
          ok: false,
          error: `Slack answered ${error.statusCode}${said}`,
          waitMs: undefined,
          retryable: false,
        };
      }
      if (error instanceof IncomingWebhookRequestError) {
        return {
          ok: false,
          error: `Slack could not be reached: ${redact(networkReason(error), url)}`,
          waitMs: backoff(),
          retryable: true,
        };
      }
      const text = error instanceof Error ? error.message : String(error);
      return { ok: false, error: redact(text, url), waitMs: undefined, retryable: false };
    }
  }
}

/** `Retry-After: 30` or an HTTP date, in ms from now; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now: Date): number | undefined {
  if (header === null) return undefined;
  const text = header.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now.getTime());
}

// fetch's "fetch failed" hides the reason in `cause` (ECONNREFUSED, a timeout); say that instead.
function networkReason(error: IncomingWebhookRequestError): string {
  const original = error.original as Error & { cause?: { code?: string; message?: string } };
  if (original.name === 'TimeoutError' || original.name === 'AbortError') return 'timed out';
  return original.cause?.code ?? original.cause?.message ?? original.message;
}

function logFields(alert: Alert): Record<string, unknown> {
  switch (alert.kind) {
    case 'policy-invalid':
      return { alert: alert.kind, dir: alert.dir };
    case 'test':
      return { alert: alert.kind };
    case 'gpu-idle':
    case 'job-failing':
    case 'price-jump':
      return anomalyLogFields(alert);
    default:
      return { alert: alert.kind, policy: alert.policy, period: alert.periodKey };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
