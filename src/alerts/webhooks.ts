// Finding a Slack webhook URL by reference. A policy says `slack: research`; the URL, a secret, lives outside
// the policy folder:
//   1. the environment variable GPUSCHED_SLACK_WEBHOOK_RESEARCH (the name upper-cased, `-` read as `_`);
//   2. the secret file <dataDir>/secrets/slack-research (first line, trimmed; mode 0600 expected);
//   3. the default webhook: GPUSCHED_SLACK_WEBHOOK, then <dataDir>/secrets/slack.
// With none of them, alerts go to the log (and the alert history) only. The secret file suits Docker and
// Kubernetes secrets mounted as files, and keeps the URL out of `ps e` and crash dumps of the environment.
// Nothing here ever puts a URL into a message: errors name the variable or the file that held it.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const DEFAULT_WEBHOOK_ENV = 'GPUSCHED_SLACK_WEBHOOK';
/** Secret files: `<dataDir>/secrets/slack-<name>`, and `<dataDir>/secrets/slack` for the default. */
export const SECRETS_SUBDIR = 'secrets';

export interface ResolvedWebhook {
  readonly url: string;
  /** The reference it answers for (`research`), or `default`. */
  readonly name: string;
  /** Where the URL came from, safe to print: `env GPUSCHED_SLACK_WEBHOOK_RESEARCH`, `file var/secrets/slack`. */
  readonly source: string;
  /** True when the policy named a webhook that is not configured and the default stood in. */
  readonly fallback: boolean;
  /** A secret file others can read, for instance. */
  readonly warning?: string;
}

export interface WebhookSources {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** `<dataDir>/secrets`; without it, only the environment is read. */
  readonly secretsDir?: string;
}

/** A configured value that is not a webhook URL; the message names where it is, never what it is. */
export class WebhookConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookConfigError';
  }
}

/** `research` → GPUSCHED_SLACK_WEBHOOK_RESEARCH; `ml-infra` → GPUSCHED_SLACK_WEBHOOK_ML_INFRA. */
export function webhookEnvName(ref?: string): string {
  if (ref === undefined) return DEFAULT_WEBHOOK_ENV;
  return `${DEFAULT_WEBHOOK_ENV}_${ref.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** `<secretsDir>/slack-research`, or `<secretsDir>/slack` for the default. */
export function webhookSecretFile(secretsDir: string, ref?: string): string {
  return join(secretsDir, ref === undefined ? 'slack' : `slack-${ref}`);
}

/** The secrets folder of a data directory. */
export function secretsDirOf(dataDir: string): string {
  return join(dataDir, SECRETS_SUBDIR);
}

/**
 * The webhook for `ref` (a policy's `alerts.slack`), falling back to the default; undefined when none is
 * configured. Throws WebhookConfigError when a configured value is not an http(s) URL.
 */
export function resolveWebhook(
  ref: string | undefined,
  sources: WebhookSources,
): ResolvedWebhook | undefined {
  if (ref !== undefined) {
    const own = lookUp(ref, sources);
    if (own !== undefined) return { ...own, name: ref, fallback: false };
  }
  const fallback = lookUp(undefined, sources);
  if (fallback === undefined) return undefined;
  return { ...fallback, name: 'default', fallback: ref !== undefined };
}

/** The places looked at for `ref`, in order, for messages such as "set GPUSCHED_SLACK_WEBHOOK_X or …". */
export function webhookPlaces(ref: string | undefined, secretsDir?: string): string[] {
  const refs = ref === undefined ? [undefined] : [ref, undefined];
  return refs.flatMap((r) => [
    webhookEnvName(r),
    ...(secretsDir === undefined ? [] : [webhookSecretFile(secretsDir, r)]),
  ]);
}

function lookUp(
  ref: string | undefined,
  sources: WebhookSources,
): { url: string; source: string; warning?: string } | undefined {
  const variable = webhookEnvName(ref);
  const fromEnv = sources.env[variable]?.trim();
  if (fromEnv) return { url: checked(fromEnv, `the variable ${variable}`), source: `env ${variable}` };
  if (sources.secretsDir === undefined) return undefined;
  const file = webhookSecretFile(sources.secretsDir, ref);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new WebhookConfigError(
      `cannot read the webhook secret file ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
  const url = text.split(/\r?\n/)[0]?.trim() ?? '';
  if (url === '') return undefined;
  const resolved = { url: checked(url, `the secret file ${file}`), source: `file ${file}` };
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    return {
      ...resolved,
      warning: `the webhook secret file ${file} can be read by others (mode ${mode.toString(8).padStart(4, '0')}); chmod 600 it`,
    };
  }
  return resolved;
}

function checked(url: string, where: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new WebhookConfigError(
      `${where} does not hold a URL (expected https://hooks.slack.com/services/…)`,
    );
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new WebhookConfigError(`${where} does not hold an http(s) URL`);
  }
  return url;
}

/**
 * `text` with the webhook URL, its path and its query, its last path segment (Slack's secret token) and any
 * segment of 16 characters or more replaced by placeholders. For every string that might reach a log or an error message.
 */
export function redact(text: string, url: string): string {
  const secrets = new Set<string>([url, encodeURIComponent(url)]);
  try {
    const parsed = new URL(url);
    if (parsed.pathname.length > 1) secrets.add(parsed.pathname);
    const segments = parsed.pathname.split('/');
    // Slack's token is the last segment; long segments elsewhere may be secrets of other relays.
    segments.forEach((segment, i) => {
      if (segment.length >= 16 || (i === segments.length - 1 && segment.length >= 8)) secrets.add(segment);
    });
    if (parsed.search.length > 1) secrets.add(parsed.search);
  } catch {
    // Not a URL: the whole string is all there is to hide.
  }
  let out = text;
  // Longest first, so the whole URL is replaced before its parts.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret !== '') out = out.split(secret).join(secret === url ? '[webhook URL]' : '[redacted]');
  }
  return out;
}
