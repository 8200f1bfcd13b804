// Spend against budget, per policy: limit, spent, committed, forecast, and a burn-down chart over the period
// (spent so far, then the forecast to the period's end, against the limit). From GET /v1/budgets.
import { optional } from '../lib/api.js';
import { lineChart } from '../lib/chart.js';
import { clear, debounce, h, stateBadge, tile, usd } from '../lib/dom.js';

export async function render(root) {
  const body = h('div');
  root.append(h('h1', {}, 'Budgets'), body);
  let charts = [];
  const load = async () => {
    for (const c of charts) c.destroy();
    charts = draw(body, await optional('/v1/budgets'));
  };
  await load();
  const refresh = debounce(() => load().catch(() => {}), 1000);
  return {
    onEvent(e) {
      if (
        e.type === 'alert' ||
        (e.type === 'job.transition' && ['succeeded', 'failed', 'cancelled'].includes(e.to))
      )
        refresh();
    },
    dispose() {
      refresh.cancel();
      for (const c of charts) c.destroy();
    },
  };
}

function draw(body, answer) {
  clear(body);
  const items = answer?.items ?? [];
  if (items.length === 0) {
    body.append(
      h(
        'div',
        { class: 'panel empty', 'data-testid': 'no-budgets' },
        answer === null
          ? 'no budgets: this daemon has no budget API'
          : 'no budgets: no policy in policies/ applies to you (see policies/README.md)',
      ),
    );
    return [];
  }
  const spent = items.reduce((s, b) => s + (b.spentUsd ?? 0), 0);
  const limit = items.reduce((s, b) => s + (b.limitUsd ?? 0), 0);
  body.append(
    h(
      'div',
      { class: 'tiles' },
      tile('Policies', String(items.length), 'budgets-count', items.length),
      tile('Spent', usd(spent), 'budgets-spent', spent),
      tile('Limits', usd(limit), 'budgets-limit', limit),
    ),
  );
  const grid = h('div', { class: 'grid2' });
  body.append(grid);
  const charts = [];
  for (const b of items) {
    const box = h('div', { class: 'chart' });
    grid.append(
      h(
        'div',
        { class: 'panel', 'data-testid': `budget-${b.name}` },
        h('h2', {}, b.name, ' ', b.state ? stateBadge(b.state) : ''),
        h(
          'p',
          { class: 'muted' },
          `${b.scopeText ?? ''} · ${b.period ?? ''} ${b.periodKey ?? ''} · at the limit: ${b.action ?? ''}`,
        ),
        h(
          'div',
          { class: 'tiles' },
          tile('Limit', usd(b.limitUsd), undefined, b.limitUsd),
          tile('Spent', usd(b.spentUsd), undefined, b.spentUsd),
          tile('Committed', usd(b.committedUsd), undefined, b.committedUsd),
          tile('Forecast', usd(b.forecastUsd), undefined, b.forecastUsd),
        ),
        box,
      ),
    );
    const chart = burnDown(box, b);
    if (chart) charts.push(chart);
  }
  return charts;
}

function burnDown(box, b) {
  if (!b.periodStart || !b.periodEnd) return null;
  const start = Date.parse(b.periodStart) / 1000;
  const end = Date.parse(b.periodEnd) / 1000;
  const now = Math.min(end, Math.max(start, Date.now() / 1000));
  const committed = (b.spentUsd ?? 0) + (b.committedUsd ?? 0);
  return lineChart(
    box,
    [
      [start, now, end],
      [0, b.spentUsd, null],
      [null, b.spentUsd, b.forecastUsd],
      [null, committed, committed],
      [b.limitUsd, b.limitUsd, b.limitUsd],
    ],
    [
      { label: 'spent' },
      { label: 'forecast', dash: [6, 4] },
      { label: 'spent + committed', dash: [2, 3] },
      { label: 'limit', stroke: '#b42318' },
    ],
    { yLabel: 'USD' },
  );
}
