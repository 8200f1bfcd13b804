// Jobs and the queue: counts by state, what waits and why, every job with where it runs and what it cost.
import { api } from '../lib/api.js';
import { ago, clear, debounce, h, stateBadge, table, tile, usd } from '../lib/dom.js';

const PENDING = new Set(['queued', 'held']);
const ACTIVE = new Set(['scheduled', 'provisioning', 'running', 'checkpointing', 'migrating']);

function where(job) {
  const p = job.placement;
  return p ? `${p.cloud} ${p.region} · ${p.instanceType} · ${p.market}` : '—';
}

function jobLink(job) {
  return h('a', { href: `#/jobs/${encodeURIComponent(job.id)}` }, job.id);
}

export function eventLine(e) {
  const at = new Date(e.at).toLocaleTimeString();
  switch (e.type) {
    case 'job.transition':
      return `${at}  ${e.jobId} ${e.name}: ${e.from ?? 'new'} → ${e.to} (${e.reason})`;
    case 'job.placement':
      return `${at}  ${e.jobId} placed on ${e.cloud} ${e.region} ${e.instanceType} ${e.market} at ${usd(e.pricePerHour)}/h, expected ${usd(e.expectedCostUsd)}`;
    case 'node.transition':
      return `${at}  node ${e.nodeId}: ${e.from ?? 'new'} → ${e.to}`;
    case 'node.notice':
      return `${at}  reclaim notice on ${e.nodeId} (${e.cloud} ${e.region}); jobs: ${e.jobIds.join(', ') || 'none'}`;
    case 'alert':
      return `${at}  alert ${e.kind}: ${e.summary}`;
    default:
      return `${at}  ${e.type}`;
  }
}

export async function render(root) {
  const body = h('div');
  const log = h(
    'div',
    { class: 'events', 'data-testid': 'event-log' },
    h('div', { class: 'muted' }, 'waiting for events…'),
  );
  root.append(
    h('h1', {}, 'Jobs and queue'),
    body,
    h('h2', {}, 'Live events'),
    h('div', { class: 'panel' }, log),
  );

  const load = async () => {
    const page = await api('/v1/jobs?limit=500');
    draw(body, page.items);
  };
  await load();
  const refresh = debounce(() => load().catch(() => {}), 250);
  let first = true;
  return {
    onEvent(e) {
      if (first) clear(log);
      first = false;
      log.prepend(h('div', {}, eventLine(e)));
      while (log.childElementCount > 200) log.lastChild.remove();
      if (e.type.startsWith('job.')) refresh();
    },
    dispose() {
      refresh.cancel();
    },
  };
}

function draw(body, items) {
  const now = Date.now();
  const count = (pred) => items.filter(pred).length;
  const cost = items.reduce((s, j) => s + (j.costUsd ?? 0), 0);
  const expected = items.filter((j) => ACTIVE.has(j.state)).reduce((s, j) => s + (j.expectedCostUsd ?? 0), 0);
  const pending = items.filter((j) => PENDING.has(j.state));
  clear(body).append(
    h(
      'div',
      { class: 'tiles' },
      tile('Jobs', String(items.length), 'jobs-total', items.length),
      tile('Queued or held', String(pending.length), 'jobs-pending', pending.length),
      tile(
        'Running',
        String(count((j) => j.state === 'running' || j.state === 'checkpointing')),
        'jobs-running',
      ),
      tile('Succeeded', String(count((j) => j.state === 'succeeded')), 'jobs-succeeded'),
      tile('Failed', String(count((j) => j.state === 'failed')), 'jobs-failed'),
      tile('Cost so far', usd(cost), 'jobs-cost', cost),
      tile('Expected (active)', usd(expected), 'jobs-expected', expected),
    ),
    h('h2', {}, 'Queue'),
    h(
      'div',
      { class: 'panel' },
      table(
        ['Job', 'Name', 'Team', 'State', 'Waiting since', 'Why'],
        pending.map((j) =>
          h(
            'tr',
            {},
            h('td', {}, jobLink(j)),
            h('td', {}, j.name),
            h('td', {}, j.team),
            h('td', {}, stateBadge(j.state)),
            h('td', {}, ago(j.submittedAt, now)),
            h('td', { class: 'reason' }, j.reason ?? ''),
          ),
        ),
        { empty: 'nothing is waiting', testid: 'queue-table' },
      ),
    ),
    h('h2', {}, 'All jobs'),
    h(
      'div',
      { class: 'panel' },
      table(
        [
          'Job',
          'Name',
          'Team',
          'State',
          'Where',
          { label: 'Cost so far', num: true },
          { label: 'Expected', num: true },
          'Submitted',
        ],
        items.map((j) =>
          h(
            'tr',
            { 'data-testid': `job-row-${j.id}`, dataset: { state: j.state } },
            h('td', {}, jobLink(j)),
            h('td', {}, j.name),
            h('td', {}, j.team),
            h('td', {}, stateBadge(j.state)),
            h('td', {}, where(j)),
            h('td', { class: 'num', 'data-testid': 'job-cost', dataset: { usd: j.costUsd } }, usd(j.costUsd)),
            h('td', { class: 'num' }, usd(j.expectedCostUsd)),
            h('td', {}, ago(j.submittedAt, now)),
          ),
        ),
        { empty: 'no jobs yet: gpusched submit FILE', testid: 'jobs-table' },
      ),
    ),
  );
}
