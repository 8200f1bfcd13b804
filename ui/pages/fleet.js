// The fleet: nodes by cloud, region and market, what they cost per hour, and how busy their GPUs are (agent
// telemetry; the in-process simulation sends none).
import { api } from '../lib/api.js';
import { clear, debounce, h, stateBadge, table, tile, usd, utilizationBar } from '../lib/dom.js';

export async function render(root) {
  const body = h('div');
  root.append(h('h1', {}, 'Fleet'), body);
  const load = async () => draw(body, await api('/v1/fleet'));
  await load();
  const refresh = debounce(() => load().catch(() => {}), 250);
  return {
    onEvent(e) {
      if (e.type.startsWith('node.') || e.type === 'job.placement') refresh();
    },
    dispose() {
      refresh.cancel();
    },
  };
}

function mean(values) {
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

function draw(body, fleet) {
  const nodes = fleet.items;
  const running = nodes.filter((n) => ['provisioning', 'ready', 'draining'].includes(n.state));
  const gpus = running.reduce((s, n) => s + n.gpu.count, 0);
  const perHour = running.reduce((s, n) => s + n.pricePerHour, 0);
  const util = mean(running.map((n) => n.utilizationPercent).filter((u) => u !== null));
  const spot = running.filter((n) => n.market === 'spot').length;
  clear(body).append(
    h(
      'div',
      { class: 'tiles' },
      tile('Nodes', String(running.length), 'fleet-nodes', running.length),
      tile('GPUs', String(gpus), 'fleet-gpus', gpus),
      tile('Spot nodes', String(spot), 'fleet-spot', spot),
      tile('Cost per hour', usd(perHour), 'fleet-cost-per-hour', perHour),
      tile('GPU utilisation', util === null ? '—' : `${Math.round(util)}%`, 'fleet-utilization', util ?? ''),
    ),
    h('h2', {}, 'By cloud, region and market'),
    h(
      'div',
      { class: 'panel' },
      table(
        [
          'Cloud',
          'Region',
          'Market',
          { label: 'Nodes', num: true },
          { label: 'GPUs', num: true },
          { label: 'Per hour', num: true },
          'Utilisation',
        ],
        fleet.groups.map((g) =>
          h(
            'tr',
            { 'data-testid': `fleet-group-${g.cloud}-${g.region}-${g.market}` },
            h('td', {}, g.cloud),
            h('td', {}, g.region),
            h('td', {}, g.market),
            h('td', { class: 'num', dataset: { nodes: g.nodes } }, String(g.nodes)),
            h('td', { class: 'num' }, String(g.gpus)),
            h('td', { class: 'num' }, usd(g.pricePerHour)),
            h('td', {}, utilizationBar(g.utilizationPercent)),
          ),
        ),
        { empty: 'no nodes: the fleet grows when jobs are placed', testid: 'fleet-groups' },
      ),
    ),
    h('h2', {}, 'Nodes'),
    h(
      'div',
      { class: 'panel' },
      table(
        [
          'Node',
          'State',
          'Where',
          'Instance',
          'GPUs',
          { label: 'Per hour', num: true },
          { label: 'Cost so far', num: true },
          'Jobs',
          'Utilisation',
        ],
        nodes.map((n) =>
          h(
            'tr',
            { 'data-testid': `node-row-${n.id}` },
            h('td', {}, n.id),
            h('td', {}, stateBadge(n.state)),
            h('td', {}, `${n.cloud} ${n.region}${n.zone ? ` ${n.zone}` : ''} · ${n.market}`),
            h('td', {}, n.instanceType),
            h('td', {}, `${n.gpu.count}× ${n.gpu.model}`),
            h('td', { class: 'num' }, usd(n.pricePerHour)),
            h('td', { class: 'num', dataset: { usd: n.costUsd } }, usd(n.costUsd)),
            h(
              'td',
              {},
              n.jobIds.map((id, i) => [
                i > 0 ? ', ' : '',
                h('a', { href: `#/jobs/${encodeURIComponent(id)}` }, id),
              ]),
            ),
            h('td', {}, utilizationBar(n.utilizationPercent)),
          ),
        ),
        { empty: 'no nodes', testid: 'nodes-table' },
      ),
    ),
  );
}
