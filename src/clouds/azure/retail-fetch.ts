// The Azure Retail Prices API has no SDK: plain fetch, paging by NextPageLink, no credentials. This module
// owns the wire: the query, paging, retries (429 honours Retry-After; 5xx and network errors back off)
// and the checks that turn an odd answer into a clear error instead of a short price list.
import { CloudError } from '../errors.js';
import { classifyAzureError, malformedAnswer } from './errors.js';
import type { RetryPolicy } from './options.js';

export interface RetailFetchOptions {
  /** The API's URL, e.g. https://prices.azure.com/api/retail/prices. */
  url: string;
  retry: RetryPolicy;
  /** Per request. */
  timeoutMs: number;
  /** A guard against a NextPageLink loop; the real API needs ~60 pages for one region's VM meters. */
  maxPages?: number;
}

class HttpStatusError extends Error {
  constructor(
    readonly statusCode: number,
    readonly retryAfterMs: number | null,
    body: string,
  ) {
    super(`HTTP ${statusCode}${body ? `: ${body.slice(0, 200)}` : ''}`);
    this.name = 'HttpStatusError';
  }
}

export function retailFilter(region: string): string {
  return `serviceName eq 'Virtual Machines' and armRegionName eq '${region}' and priceType eq 'Consumption'`;
}

export function firstPageUrl(base: string, region: string): string {
  const u = new URL(base);
  u.searchParams.set('currencyCode', "'USD'");
  u.searchParams.set('$filter', retailFilter(region));
  return u.toString();
}

/** Retry-After in ms: delta-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (value === null || value.trim() === '') return null;
  const secs = Number(value);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function getOnce(url: string, timeoutMs: number): Promise<unknown> {
  const res = await fetch(url, {
    headers: { accept: 'application/json' },
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  if (!res.ok) throw new HttpStatusError(res.status, parseRetryAfter(res.headers.get('retry-after')), text);
  try {
    return JSON.parse(text);
  } catch {
    throw malformedAnswer(
      'Retail Prices answer',
      `invalid JSON (HTTP ${res.status}, ${text.length} bytes): ${text.slice(0, 80)}`,
    );
  }
}

function retryable(e: unknown): boolean {
  if (e instanceof CloudError) return false; // malformed: asking again right away will not help
  if (e instanceof HttpStatusError) return e.statusCode === 429 || e.statusCode >= 500;
  return true; // network errors and timeouts
}

/** One page, retried per the policy; throws a classified CloudError when the retries are spent. */
async function getPage(url: string, opts: RetailFetchOptions): Promise<unknown> {
  const { retry } = opts;
  for (let attempt = 0; ; attempt++) {
    try {
      return await getOnce(url, opts.timeoutMs);
    } catch (e) {
      if (!retryable(e) || attempt >= retry.maxRetries) throw classifyAzureError(e, 'Retail Prices request');
      const backoff = Math.min(retry.maxRetryDelayMs, retry.retryDelayMs * 2 ** attempt);
      const hinted = e instanceof HttpStatusError ? e.retryAfterMs : null;
      // A server that asks for a longer pause than we are willing to block a poll for gets a Throttled error;
      // the market poller backs off and comes back.
      if (hinted !== null && hinted > retry.maxRetryAfterMs)
        throw classifyAzureError(e, 'Retail Prices request');
      await sleep(hinted ?? backoff);
    }
  }
}

/** Every item of one region's query, all pages. Never returns a partial list: any failing page throws. */
export async function fetchRetailItems(region: string, opts: RetailFetchOptions): Promise<unknown[]> {
  const items: unknown[] = [];
  const seen = new Set<string>();
  let url: string | null = firstPageUrl(opts.url, region);
  const maxPages = opts.maxPages ?? 1000;
  while (url !== null) {
    if (seen.has(url)) throw malformedAnswer('Retail Prices answer', `NextPageLink repeats ${url}`);
    if (seen.size >= maxPages)
      throw malformedAnswer('Retail Prices answer', `more than ${maxPages} pages for ${region}`);
    seen.add(url);
    const body = await getPage(url, opts);
    if (typeof body !== 'object' || body === null || !Array.isArray((body as { Items?: unknown }).Items)) {
      throw malformedAnswer('Retail Prices answer', `no Items array for ${region} (page ${seen.size})`);
    }
    const page = body as { Items: unknown[]; NextPageLink?: unknown };
    for (const item of page.Items) items.push(item);
    const next = page.NextPageLink;
    if (next !== undefined && next !== null && typeof next !== 'string') {
      throw malformedAnswer('Retail Prices answer', `NextPageLink is ${typeof next}`);
    }
    url = next ? next : null;
  }
  return items;
}
