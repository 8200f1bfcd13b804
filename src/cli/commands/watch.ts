// `gpusched watch`: follows GET /v1/events and prints each event as a line (or, with --json, one JSON object per
// line). When the stream drops (a daemon restart) it reconnects with Last-Event-ID, so the job transitions and
// alerts missed meanwhile still come, in order. --count N stops after N events (scripts, tests).
import { type Command, InvalidArgumentError } from 'commander';
import { ApiError, buildQuery, UnreachableError } from '../client.js';
import { money } from '../format.js';
import { eprintln, println } from '../io.js';
import { readEvents, SseParser } from '../sse.js';
import { type Ctx, positiveInt } from './shared.js';

export const WATCH_TYPES = [
  'job.transition',
  'job.placement',
  'node.transition',
  'node.notice',
  'alert',
] as const;

interface WatchOptions {
  job?: string;
  type?: string[];
  team?: string;
  since?: string;
  count?: number;
  json?: boolean;
}

/** Milliseconds to wait before reconnecting; the server's `retry:` wins when it sent one. */
const RECONNECT_MS = 3000;
/** How long to wait for the daemon to answer the request (not the stream, which may be quiet for long). */
const CONNECT_TIMEOUT_MS = 30_000;

function eventType(value: string, previous: readonly string[] = []): string[] {
  const types = value.split(',').map((t) => t.trim());
  for (const t of types) {
    if (!(WATCH_TYPES as readonly string[]).includes(t))
      throw new InvalidArgumentError(`expected one of ${WATCH_TYPES.join(', ')}.`);
  }
  return [...previous, ...types];
}

type Ev = Record<string, unknown> & { type?: string; at?: string };

const s = (v: unknown) => (v === null || v === undefined ? '-' : String(v));

/** One event as a line of text. */
export function eventLine(e: Ev): string {
  const at = s(e.at);
  switch (e.type) {
    case 'job.transition':
      return `${at}  ${s(e.jobId)} ${s(e.name)} (${s(e.team)}): ${e.from ? s(e.from) : 'new'} → ${s(e.to)}  ${s(e.reason)}`;
    case 'job.placement':
      return `${at}  ${s(e.jobId)} ${s(e.name)} (${s(e.team)}) placed on ${s(e.cloud)}/${s(e.region)}/${s(e.zone)} ${s(e.instanceType)} ${s(e.market)} at ${money(e.pricePerHour as number)}/h, expected ${money(e.expectedCostUsd as number | null)}`;
    case 'node.transition':
      return `${at}  node ${s(e.nodeId)} (${s(e.cloud)}/${s(e.region)} ${s(e.instanceType)} ${s(e.market)}): ${e.from ? s(e.from) : 'new'} → ${s(e.to)}`;
    case 'node.notice': {
      const jobs = Array.isArray(e.jobIds) && e.jobIds.length > 0 ? e.jobIds.join(', ') : 'none';
      return `${at}  reclaim notice: node ${s(e.nodeId)} (${s(e.cloud)}/${s(e.region)} ${s(e.instanceType)}); jobs ${jobs}`;
    }
    case 'alert':
      return `${at}  alert ${s(e.kind)}${e.team ? ` (${s(e.team)})` : ''}: ${s(e.summary)}`;
    default:
      return `${at}  ${s(e.type)}`;
  }
}

async function watch(ctx: Ctx, opts: WatchOptions): Promise<void> {
  const { io } = ctx;
  const conn = ctx.connection();
  const query = buildQuery({ types: opts.type?.join(','), job: opts.job, team: opts.team });
  let lastId: string | null = opts.since ?? null;
  let seen = 0;
  let connectedOnce = false;
  for (;;) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), CONNECT_TIMEOUT_MS);
    let res: Response;
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (conn.token) headers.authorization = `Bearer ${conn.token}`;
      if (lastId) headers['last-event-id'] = lastId;
      res = await io.fetch(`${conn.url}/v1/events${query}`, { headers, signal: controller.signal });
    } catch (err) {
      clearTimeout(timer);
      if (!connectedOnce) throw new UnreachableError(conn.url, (err as Error).message || 'network error');
      eprintln(io, `gpusched: the daemon at ${conn.url} is not answering; trying again`);
      await sleep(RECONNECT_MS);
      continue;
    }
    clearTimeout(timer);
    if (!res.ok) {
      const body = (await res.json().catch(() => null)) as { error?: string; message?: string } | null;
      throw new ApiError(res.status, body?.error ?? 'http', body?.message ?? `HTTP ${res.status}`);
    }
    connectedOnce = true;
    const parser = new SseParser();
    try {
      for await (const m of readEvents(res.body!, parser)) {
        if (m.id !== null) lastId = m.id;
        if (m.event === 'hello') continue;
        if (m.event === 'gap') {
          if (opts.json) println(io, JSON.stringify({ type: 'gap', ...JSON.parse(m.data) }));
          else eprintln(io, 'gpusched: more events were missed than the daemon replays; some are not shown');
          continue;
        }
        const event = JSON.parse(m.data) as Ev;
        println(io, opts.json ? JSON.stringify(event) : eventLine(event));
        seen++;
        if (opts.count !== undefined && seen >= opts.count) {
          controller.abort();
          return;
        }
      }
    } catch (err) {
      if (controller.signal.aborted) return;
      eprintln(io, `gpusched: the event stream broke (${(err as Error).message}); reconnecting`);
    }
    if (!opts.json)
      eprintln(io, `gpusched: the event stream ended; reconnecting after ${lastId ?? 'the start'}`);
    await sleep(parser.retryMs ?? RECONNECT_MS);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function registerWatchCommand(program: Command, ctx: Ctx): void {
  program
    .command('watch')
    .description('follow what happens: job transitions, placements, nodes, notices, alerts (your team’s)')
    .option('--job <id>', 'only events about this job')
    .option(
      '--type <types>',
      `only these event types, comma-separated (${WATCH_TYPES.join(', ')})`,
      eventType,
    )
    .option('--team <team>', 'admin only: one team')
    .option('--since <event-id>', 'first replay what came after this event id (from an earlier --json line)')
    .option('--count <n>', 'stop after this many events', positiveInt)
    .option('--json', 'print each event as one JSON object per line')
    .action((opts: WatchOptions) => watch(ctx, opts));
}
