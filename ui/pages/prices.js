// Price history per GPU model across clouds: the cheapest price per GPU-hour on each cloud and market over the
// last week, from GET /v1/offers/history.
import { api } from '../lib/api.js';
import { joinSteps, lineChart } from '../lib/chart.js';
import { clear, h, usd } from '../lib/dom.js';

export async function render(root, { params }) {
  const wanted = params[0];
  const first = await api(`/v1/offers/history?gpu=${encodeURIComponent(wanted ?? 'A100')}`);
  const gpu = wanted ?? (first.models.includes('A100') ? 'A100' : (first.models[0] ?? 'A100'));
  const answer = gpu === first.gpu ? first : await api(`/v1/offers/history?gpu=${encodeURIComponent(gpu)}`);

  const select = h(
    'select',
    { 'data-testid': 'price-gpu', 'aria-label': 'GPU model' },
    answer.models.map((m) => h('option', { value: m, selected: m === gpu }, m)),
  );
  select.addEventListener('change', () => {
    location.hash = `#/prices?gpu=${encodeURIComponent(select.value)}`;
  });
  const box = h('div', { class: 'chart', 'data-testid': 'price-chart' });
  const summary = h('div');
  root.append(
    h('h1', {}, 'Prices'),
    h(
      'p',
      {},
      'GPU model ',
      select,
      h('span', { class: 'muted' }, ` · ${answer.unit}, cheapest offer per cloud and market`),
    ),
    h('div', { class: 'panel' }, box),
    summary,
  );

  const series = answer.series.filter((s) => s.points.length > 0);
  if (series.length === 0) {
    box.append(h('div', { class: 'empty' }, `no price history for ${gpu}`));
    return {};
  }
  const until = Date.parse(answer.to) / 1000;
  const data = joinSteps(
    series.map((s) => s.points.map((p) => ({ x: Date.parse(p.at) / 1000, y: p.pricePerGpuHour }))),
    until,
  );
  const chart = lineChart(
    box,
    data,
    series.map((s) => ({ label: `${s.cloud} ${s.market}`, stepped: true })),
    { yLabel: 'USD per GPU-hour' },
  );
  clear(summary).append(
    h(
      'div',
      { class: 'tiles' },
      series.map((s) =>
        h(
          'div',
          { class: 'tile', 'data-testid': `price-now-${s.cloud}-${s.market}` },
          h('div', { class: 'label' }, `${s.cloud} ${s.market} now`),
          h('div', { class: 'value' }, `${usd(s.points.at(-1).pricePerGpuHour)}/GPU-h`),
        ),
      ),
    ),
  );
  return {
    dispose() {
      chart.destroy();
    },
  };
}
