// Human output: borderless, kubectl-style tables (cli-table3 without colours, so the text is the same on
// a terminal, in a pipe and in a test), money as $1,234.56, times relative in lists and ISO in details.
// Every function is pure (the clock comes in as `now`), which keeps them testable as plain strings.
import Table from 'cli-table3';
import type { ApiError, Connection } from './client.js';
import type {
  ApiJob,
  ApiNode,
  CreatedToken,
  InterruptResult,
  JobDetail,
  Offer,
  OfferSource,
} from './types.js';

const NONE = '-';

const BLANK_CHARS = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '',
} as const;

type Align = 'left' | 'right';

export function table(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly Align[] = [],
): string {
  const t = new Table({
    head: [...head],
    chars: BLANK_CHARS,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 2 },
    colAligns: head.map((_, i) => align[i] ?? 'left'),
  });
  for (const row of rows) t.push([...row]);
  // cli-table3 pads the last column too; trailing blanks only get in the way of diffs and tests.
  return t
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}

/** Two columns of `label  value`, for one object's details. */
export function details(pairs: readonly (readonly [string, string])[]): string {
  const width = Math.max(0, ...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${k.padEnd(width)}  ${v}`.trimEnd()).join('\n');
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

export function money(usd: number | null | undefined): string {
  if (usd === null || usd === undefined || !Number.isFinite(usd)) return NONE;
  const abs = Math.abs(usd).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  return usd < 0 && abs !== '0.00' ? `-$${abs}` : `$${abs}`;
}

/** `3m ago`, `in 2h`, `just now`; `-` for a missing time. */
export function relative(iso: string | null | undefined, now: Date): string {
  if (!iso) return NONE;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const diff = Math.round((t - now.getTime()) / 1000);
  const abs = Math.abs(diff);
  if (abs < 5) return 'just now';
  const units: [number, string][] = [
    [86_400, 'd'],
    [3_600, 'h'],
    [60, 'm'],
    [1, 's'],
  ];
  const [size, unit] = units.find(([s]) => abs >= s) ?? [1, 's'];
  const n = Math.floor(abs / size);
  return diff < 0 ? `${n}${unit} ago` : `in ${n}${unit}`;
}

/** ISO plus the relative form: `2026-01-02T03:04:05.000Z (3h ago)`. */
export function when(iso: string | null | undefined, now: Date): string {
  return iso ? `${iso} (${relative(iso, now)})` : NONE;
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

function labels(l: Readonly<Record<string, string>> | undefined): string {
  const entries = Object.entries(l ?? {});
  return entries.length === 0 ? NONE : entries.map(([k, v]) => `${k}=${v}`).join(',');
}

/** What a job asks for: `8x A100|H100`, `2 nodes x 8x H100`, `0.25 GPU (10 GiB)`. */
export function jobGpus(job: Pick<ApiJob, 'spec'>): string {
  const res = job.spec?.resources;
  const gpu = res?.gpu;
  if (!gpu) return NONE;
  const models = gpu.models?.join('|') ?? 'any';
  const perNode =
    gpu.fraction !== undefined
      ? `${gpu.fraction} ${gpu.models ? models : 'GPU'}${gpu.memoryGiB !== undefined ? ` (${gpu.memoryGiB} GiB)` : ''}`
      : `${gpu.count ?? 1}x ${models}`;
  const nodes = res.nodes ?? 1;
  const replicas = job.spec.replicas ?? 1;
  if (nodes > 1) return `${nodes} nodes x ${perNode}`;
  if (replicas > 1) return `${replicas} replicas x ${perNode}`;
  return perNode;
}

export function placement(p: ApiJob['placement']): string {
  if (!p) return NONE;
  return `${p.cloud} ${p.zone ?? p.region} ${p.instanceType} ${p.market}`;
}

export function jobsTable(jobs: readonly ApiJob[], now: Date): string {
  const rows = jobs.map((j) => [
    j.id,
    j.name,
    j.team,
    j.state,
    jobGpus(j),
    placement(j.placement),
    money(j.costUsd),
    relative(j.submittedAt, now),
    j.reason ? truncate(j.reason, 48) : '',
  ]);
  return table(['ID', 'NAME', 'TEAM', 'STATE', 'GPUS', 'PLACEMENT', 'COST', 'SUBMITTED', 'REASON'], rows, [
    'left',
    'left',
    'left',
    'left',
    'left',
    'left',
    'right',
  ]);
}

export function jobDetail(job: JobDetail, now: Date): string {
  const spec = job.spec;
  const p = job.placement;
  const cost = `${money(job.costUsd)} so far${job.expectedCostUsd !== null ? `, ${money(job.expectedCostUsd)} expected` : ''}`;
  const pairs: [string, string][] = [
    ['ID', job.id],
    ['Name', job.name],
    ['Team', job.team],
    ['Kind', job.kind],
    ['State', job.state],
    ['Reason', job.reason ?? NONE],
    ['Priority', String(job.priority)],
    ['Labels', labels(job.labels)],
    ['Depends on', job.dependsOn.length > 0 ? job.dependsOn.join(', ') : NONE],
    ['GPUs', jobGpus(job)],
    ['Image', spec?.image ?? NONE],
    ['Command', spec?.command ? spec.command.join(' ') : NONE],
    ['Market', spec?.market ?? 'auto'],
    ['Deadline', when(spec?.deadline, now)],
    ['Submitted', when(job.submittedAt, now)],
    ['Started', when(job.startedAt, now)],
    ['Finished', when(job.finishedAt, now)],
    ['Cost', cost],
    [
      'Placement',
      p ? `${placement(p)} at ${money(p.pricePerHour)}/h on ${p.nodeIds.join(', ') || NONE}` : NONE,
    ],
  ];
  const events = job.events ?? [];
  const eventRows = events.map((e) => [e.at, e.from ?? NONE, e.to, e.reason]);
  const eventsText =
    events.length === 0 ? 'Events: none' : `Events:\n${table(['AT', 'FROM', 'TO', 'REASON'], eventRows)}`;
  return `${details(pairs)}\n\n${eventsText}`;
}

/** Cheapest first: the order a person choosing capacity reads in (the daemon sorts too; this is a guarantee). */
export function sortOffers(offers: readonly Offer[]): Offer[] {
  return [...offers].sort((a, b) => a.pricePerHour - b.pricePerHour);
}

function availability(a: Offer['availability'] | undefined, now: Date): string {
  if (!a) return NONE;
  if (a.blockedUntil && Date.parse(a.blockedUntil) > now.getTime()) {
    return `blocked for ${relative(a.blockedUntil, now).replace(/^in /, '')}`;
  }
  return a.score === null ? NONE : a.score.toFixed(2);
}

export function offersTable(offers: readonly Offer[], now: Date): string {
  const rows = sortOffers(offers).map((o) => [
    o.cloud,
    o.region,
    o.zone ?? NONE,
    o.instanceType,
    `${o.gpu.count}x ${o.gpu.model} ${o.gpu.memoryGiB}GiB`,
    String(o.vcpus),
    `${o.memoryGiB}GiB`,
    o.market,
    money(o.pricePerHour),
    money(o.gpu.count > 0 ? o.pricePerHour / o.gpu.count : null),
    availability(o.availability, now),
    o.availability?.interruptionsPerHour == null ? NONE : o.availability.interruptionsPerHour.toFixed(3),
    relative(o.observedAt, now),
  ]);
  return table(
    [
      'CLOUD',
      'REGION',
      'ZONE',
      'INSTANCE',
      'GPUS',
      'VCPUS',
      'MEMORY',
      'MARKET',
      'PRICE/H',
      'PER GPU/H',
      'AVAIL',
      'INTR/H',
      'OBSERVED',
    ],
    rows,
    ['left', 'left', 'left', 'left', 'left', 'right', 'right', 'left', 'right', 'right', 'left', 'right'],
  );
}

/** One line saying how fresh each price source is, so a reader knows how far to trust the table. */
export function sourcesLine(sources: readonly OfferSource[], now: Date): string {
  if (sources.length === 0) return 'sources: none';
  const parts = sources.map(
    (s) =>
      `${s.cloud} ${s.kind} ${s.fetchedAt ? relative(s.fetchedAt, now) : 'never fetched'}${
        s.stale ? ` (STALE${s.lastError ? `: ${s.lastError}` : ''})` : ''
      }`,
  );
  return `sources: ${parts.join(', ')}`;
}

export function nodesTable(nodes: readonly ApiNode[], now: Date): string {
  const rows = nodes.map((n) => [
    n.id,
    n.cloud,
    n.region,
    n.zone ?? NONE,
    n.instanceType,
    `${n.gpu.count}x ${n.gpu.model}`,
    n.market,
    money(n.pricePerHour),
    n.state,
    relative(n.createdAt, now),
    money(n.costUsd),
    n.jobIds.length === 0 ? NONE : n.jobIds.join(','),
  ]);
  return table(
    [
      'ID',
      'CLOUD',
      'REGION',
      'ZONE',
      'INSTANCE',
      'GPUS',
      'MARKET',
      'PRICE/H',
      'STATE',
      'CREATED',
      'COST',
      'JOBS',
    ],
    rows,
    ['left', 'left', 'left', 'left', 'left', 'left', 'left', 'right', 'left', 'left', 'right'],
  );
}

export function submitted(job: ApiJob, replayed: boolean): string {
  const reason = job.reason ? ` (${job.reason})` : '';
  const verb = replayed ? 'already submitted (same idempotency key):' : 'submitted';
  return `${verb} job ${job.id} ${job.name}: ${job.state}${reason}`;
}

export function tokenCreated(t: CreatedToken): string[] {
  return [
    `created token ${t.id} for team ${t.team}${t.name ? ` (${t.name})` : ''}`,
    'store it now: the daemon keeps only its hash and cannot show it again.',
    'use it with: export GPUSCHED_TOKEN=<token>',
  ];
}

export function interrupted(r: InterruptResult): string {
  return `sent a ${r.node.cloud} interruption notice to node ${r.node.id} (${r.node.instanceType} in ${r.node.zone ?? r.node.region}): reclaimed in ${r.noticeSeconds} s`;
}

/** The one line for a daemon that does not answer; the wording is documented in docs/cli.md. */
export function unreachableMessage(url: string, reason: string): string {
  return `gpusched: cannot reach the daemon at ${url} (${reason}) — is it running? start it with "npm start" or set GPUSCHED_URL`;
}

/** A 4xx/5xx as lines for stderr: the server's message, its issues, and for 401 how to fix the token. */
export function apiErrorLines(err: ApiError, conn: Pick<Connection, 'tokenSource' | 'tokenFile'>): string[] {
  if (err.status === 401) {
    const sent =
      conn.tokenSource === 'none' ? 'no token was sent' : `the token from ${conn.tokenSource} was refused`;
    return [
      `gpusched: the daemon says the token is missing or wrong (${sent}: ${err.message})`,
      `  set GPUSCHED_TOKEN or pass --token; a local daemon's admin token is in ${conn.tokenFile}`,
      '  (an admin creates team tokens with "gpusched token create --team T")',
    ];
  }
  const lines = [`gpusched: ${err.message}`];
  for (const i of err.issues) lines.push(`  ${i.path === '' ? '(root)' : i.path}: ${i.message}`);
  if (err.status === 403)
    lines.push('  this needs a token with more rights (admin-only commands: token create, sim ...)');
  return lines;
}
