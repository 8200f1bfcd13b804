// Charts with uPlot (served by the daemon from node_modules): time series with a legend, sized to their box.
import uPlot from '/ui/vendor/uPlot.esm.js';

const COLORS = ['#2f6fed', '#e04f39', '#12805c', '#b54708', '#7a5af8', '#0e9384', '#c11574', '#667085'];

export function color(i) {
  return COLORS[i % COLORS.length];
}

/**
 * A line chart in `box`. data: [xs, ...ys] (xs in Unix seconds unless opts.time is false); series: [{label,
 * stroke?, dash?, stepped?}]. Returns the uPlot instance (destroy() it when the page goes).
 */
export function lineChart(box, data, series, opts = {}) {
  const width = Math.max(320, box.clientWidth || 800);
  return new uPlot(
    {
      width,
      height: opts.height ?? 260,
      scales: { x: { time: opts.time ?? true } },
      axes: [{}, { label: opts.yLabel ?? '', size: 70 }],
      series: [
        { label: opts.xLabel ?? 'time' },
        ...series.map((s, i) => ({
          label: s.label,
          stroke: s.stroke ?? color(i),
          width: 2,
          dash: s.dash,
          spanGaps: true,
          ...(s.stepped ? { paths: uPlot.paths.stepped({ align: 1 }) } : {}),
        })),
      ],
    },
    data,
    box,
  );
}

/**
 * Series of [{x, y}] points with different xs joined on one x axis, each carried forward (a step series holds
 * its value until it changes).
 */
export function joinSteps(lines, until) {
  const xs = [
    ...new Set(lines.flatMap((l) => l.map((p) => p.x)).concat(until === undefined ? [] : [until])),
  ].sort((a, b) => a - b);
  const ys = lines.map((l) => {
    let i = 0;
    let last = null;
    return xs.map((x) => {
      while (i < l.length && l[i].x <= x) {
        last = l[i].y;
        i++;
      }
      return last;
    });
  });
  return [xs, ...ys];
}
