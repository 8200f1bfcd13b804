// One job: its state and cost so far, every state change, where it was placed and why (the scheduler's own
// explanation: best placement, alternatives, rejected pools), and its loss curve from the metric points its
// agent forwards (GET /v1/jobs/:id/metrics-series).
import { api, optional } from '../lib/api.js';
import { lineChart } from '../lib/chart.js';
import { clear, debounce, h, stateBadge, table, tile, time, usd } from '../lib/dom.js';

const placeText = (w) =>
  `${w.cloud} ${w.region}${w.zone ? ` ${w.zone}` : ''} · ${w.instanceType} · ${w.market} · ${usd(w.pricePerHour)}/h`;

export async function render(root, { params }) {
  const id = params[0];
  const body = h('div');
  root.append(body);
  let chart = null;
  const load = async () => {
    const [job, explanation, metrics] = await Promise.all([
      api(`/v1/jobs/${encodeURIComponent(id)}`),
      optional(`/v1/jobs/${encodeURIComponent(id)}/explain`),
      optional(`/v1/jobs/${encodeURIComponent(id)}/metrics-series`),
    ]);
    chart?.destroy();
    chart = draw(body, job, explanation, metrics);
  };
  await load();
  const refresh = debounce(() => load().catch(() => {}), 250);
  return {
    onEvent(e) {
      if (e.jobId === id || e.jobIds?.includes(id)) refresh();
    },
    dispose() {
      refresh.cancel();
      chart?.destroy();
    },
  };
}

function draw(body, job, explanation, metrics) {
  const p = job.placement;
  clear(body).append(
    h(
      'h1',
      { 'data-testid': 'job-title' },
      `${job.name} `,
      h('span', { class: 'muted' }, job.id),
      ' ',
      stateBadge(job.state),
    ),
    h('p', { class: 'muted', 'data-testid': 'job-reason' }, job.reason ?? ''),
    h(
      'div',
      { class: 'tiles' },
      tile('Cost so far', usd(job.costUsd), 'job-cost-so-far', job.costUsd),
      tile('Expected cost', usd(job.expectedCostUsd), 'job-expected-cost', job.expectedCostUsd ?? ''),
      tile('Team', job.team, 'job-team'),
      tile('Progress saved', `${Math.round((job.progress ?? 0) * 100)}%`, 'job-progress', job.progress ?? 0),
    ),
    h('p', {}, 'Runs on: ', h('span', { 'data-testid': 'job-where' }, p ? placeText(p) : 'not placed')),
  );

  const grid = h('div', { class: 'grid2' });
  body.append(grid);
  grid.append(
    h(
      'div',
      { class: 'panel' },
      h('h2', {}, 'Events'),
      table(
        ['At', 'From', 'To', 'Why'],
        job.events.map((e) =>
          h(
            'tr',
            {},
            h('td', {}, time(e.at)),
            h('td', {}, e.from ?? '—'),
            h('td', {}, stateBadge(e.to)),
            h('td', { class: 'reason' }, e.reason),
          ),
        ),
        { testid: 'job-events' },
      ),
    ),
  );

  const curve = h('div', { class: 'chart', 'data-testid': 'loss-chart' });
  grid.append(h('div', { class: 'panel' }, h('h2', {}, 'Loss curve'), curve));
  const chart = lossCurve(curve, metrics);

  body.append(h('h2', {}, 'Placement explanation'), explain(explanation));
  return chart;
}

function lossCurve(box, metrics) {
  const names = Object.keys(metrics?.series ?? {});
  if (names.length === 0) {
    box.append(h('div', { class: 'empty', 'data-testid': 'no-metrics' }, 'no metrics yet'));
    return null;
  }
  const name = names.includes('loss') ? 'loss' : names[0];
  const points = metrics.series[name];
  const byStep = points.every((pt) => pt.step !== null);
  const xs = points.map((pt, i) => (byStep ? pt.step : Date.parse(pt.at) / 1000 || i));
  return lineChart(box, [xs, points.map((pt) => pt.value)], [{ label: name }], {
    time: !byStep,
    xLabel: byStep ? 'step' : 'time',
    yLabel: name,
  });
}

function explain(e) {
  if (!e) return h('div', { class: 'panel empty' }, 'no explanation');
  // The cost model's parts: dollars (computeUsd, egressUsd, ...) and times (runtimeHours, ...), by name.
  const part = (k, v) => {
    if (k.endsWith('Usd')) return `${k.slice(0, -3)} ${usd(v)}`;
    if (k.endsWith('Hours')) return `${k.slice(0, -5)} ${Number(v).toFixed(2)} h`;
    return `${k} ${v}`;
  };
  const breakdown = (b) =>
    Object.entries(b ?? {})
      .map(([k, v]) => part(k, v))
      .join(' · ');
  return h(
    'div',
    { class: 'panel', 'data-testid': 'job-explain' },
    e.best
      ? h(
          'p',
          {},
          h('strong', {}, 'Best now: '),
          placeText(e.best.where),
          ' — expected ',
          h(
            'strong',
            { 'data-testid': 'explain-best-cost', dataset: { usd: e.best.costUsd } },
            usd(e.best.costUsd),
          ),
          h('span', { class: 'muted' }, ` (${breakdown(e.best.breakdown)})`),
        )
      : h('p', { class: 'muted' }, 'No capacity fits this job now.'),
    h('h2', {}, 'Alternatives'),
    table(
      ['Where', { label: 'Expected cost', num: true }, 'Made of'],
      (e.alternatives ?? []).map((a) =>
        h(
          'tr',
          {},
          h('td', {}, placeText(a.where)),
          h('td', { class: 'num' }, usd(a.costUsd)),
          h('td', { class: 'muted' }, breakdown(a.breakdown)),
        ),
      ),
      { empty: 'none' },
    ),
    h('h2', {}, 'Rejected pools'),
    table(
      ['Reason', 'What it means', { label: 'Pools', num: true }, 'For example'],
      (e.rejected ?? []).map((r) =>
        h(
          'tr',
          {},
          h('td', {}, r.reason),
          h('td', { class: 'reason' }, r.text),
          h('td', { class: 'num' }, String(r.count)),
          h('td', { class: 'muted' }, (r.examples ?? []).join(', ')),
        ),
      ),
      { empty: 'none' },
    ),
  );
}
