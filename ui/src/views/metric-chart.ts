// One dashboard chart (`data-testid="metric-chart"`): a uPlot line chart of one metric with
// one line per GPU, a fixed time range (the chosen window, ending now), a y range that only
// grows past its floor when the data does (no rescaling on every tick), dashed lines for
// limits (memory total, power limit), and a readout of the values under the pointer. Canvas
// does not follow CSS, so colours are read from the page's variables and the chart is
// redrawn when the theme changes. `data-points` says how many points it holds.

import '../locale-guard';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { h } from '../dom';
import { clock } from '../format';
import type { ChartColumns } from '../chart-data';

/** A colour per GPU, told apart in both themes; GPU n takes `GPU_COLOURS[n % 8]`. */
export const GPU_COLOURS = ['#f5812a', '#4c9bff', '#3fbf7f', '#d45fd0', '#e9b949', '#21b8c4', '#f0605d', '#9b8cff'] as const;

export function gpuColour(index: number): string {
  return GPU_COLOURS[index % GPU_COLOURS.length] ?? '#888888';
}

export interface MetricChartOptions {
  /** The chart's title, e.g. "Utilisation". */
  title: string;
  /** The unit the values are in, for the axis and readout, e.g. "%", "GiB". */
  unit: string;
  /** Test id suffix and name, e.g. "utilisation". */
  id: string;
  /** The y range starts at 0 and reaches at least this. */
  floorMax: number;
  /** Digits after the point in the readout. */
  digits: number;
}

export interface SeriesKey {
  /** GPU index (picks the colour). */
  index: number;
  label: string;
}

export interface MetricChart {
  el: HTMLElement;
  /** Sets the GPUs drawn (rebuilds the chart when they changed). */
  setSeries(series: readonly SeriesKey[]): void;
  /**
   * Draws `columns` over the window `[endS - windowS, endS]`; `limits` are dashed lines;
   * `emptyText` is what an empty chart says.
   */
  draw(columns: ChartColumns, windowS: number, endS: number, limits: readonly number[], emptyText: string): void;
  /** Re-reads the theme's colours and redraws. */
  retheme(): void;
  destroy(): void;
}

interface Theme {
  text: string;
  dim: string;
  line: string;
}

function readTheme(el: Element): Theme {
  const style = getComputedStyle(el);
  const read = (name: string, fallback: string): string => style.getPropertyValue(name).trim() || fallback;
  return { text: read('--text', '#e6e8eb'), dim: read('--dim', '#9aa1ab'), line: read('--line', '#30353c') };
}

const HEIGHT = 190;

/** A time axis label: "14:03" for windows of many minutes, "14:03:20" for short ones. */
function timeLabel(seconds: number, windowS: number): string {
  const text = clock(seconds * 1000);
  return windowS > 60 ? text.slice(0, 5) : text;
}

export function metricChart(options: MetricChartOptions): MetricChart {
  const readout = h('span', { class: 'chart-readout', 'aria-hidden': 'true' });
  const plotSlot = h('div', { class: 'chart-plot' });
  const empty = h('p', { class: 'chart-empty' }, 'Waiting for samples…');
  const el = h(
    'figure',
    { class: 'card chart-card', 'data-testid': 'metric-chart', 'data-metric': options.id, 'data-points': 0, 'aria-label': `${options.title} per GPU` },
    h('figcaption', { class: 'chart-head' }, h('span', { class: 'chart-title' }, options.title), h('span', { class: 'chart-unit' }, options.unit), readout),
    plotSlot,
    empty,
  );
  let theme = readTheme(document.documentElement);
  let plot: uPlot | null = null;
  let keys: readonly SeriesKey[] = [];
  let range: [number, number] = [0, 1];
  let limits: readonly number[] = [];
  let last: ChartColumns = { x: [], ys: [] };

  const format = (v: number): string => v.toFixed(options.digits);

  function onCursor(u: uPlot): void {
    const i = u.cursor.idx;
    if (i === null || i === undefined) {
      readout.textContent = '';
      return;
    }
    const t = u.data[0][i];
    const parts = keys.map((key, column) => {
      const v = u.data[column + 1]?.[i];
      return `${key.label} ${v === null || v === undefined ? '—' : format(v)}`;
    });
    readout.textContent = t === undefined ? '' : `${clock(t * 1000)} · ${parts.join(' · ')}`;
  }

  function drawLimits(u: uPlot): void {
    if (limits.length === 0) return;
    const { ctx, bbox } = u;
    ctx.save();
    ctx.strokeStyle = theme.dim;
    ctx.lineWidth = devicePixelRatio;
    ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
    for (const limit of new Set(limits)) {
      const y = Math.round(u.valToPos(limit, 'y', true)) + 0.5;
      if (y < bbox.top || y > bbox.top + bbox.height) continue;
      ctx.beginPath();
      ctx.moveTo(bbox.left, y);
      ctx.lineTo(bbox.left + bbox.width, y);
      ctx.stroke();
    }
    ctx.restore();
  }

  function build(): void {
    plot?.destroy();
    const width = Math.max(200, plotSlot.clientWidth || 400);
    const axis = (): uPlot.Axis => ({
      stroke: () => theme.dim,
      grid: { stroke: () => theme.line, width: 1 },
      ticks: { stroke: () => theme.line, width: 1 },
      font: '11px system-ui, sans-serif',
    });
    const opts: uPlot.Options = {
      width,
      height: HEIGHT,
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { size: 6 } },
      scales: {
        x: { time: true, range: () => range },
        y: { range: (_u, _min, max) => [0, Math.max(options.floorMax, Number.isFinite(max) ? max * 1.08 : 0, ...limits.map((l) => l * 1.05))] },
      },
      axes: [
        { ...axis(), space: 50, values: (_u, splits) => splits.map((t) => timeLabel(t, range[1] - range[0])) },
        { ...axis(), size: 48, values: (_u, splits) => splits.map((v) => (options.floorMax >= 10 ? String(Math.round(v)) : v.toFixed(1))) },
      ],
      series: [{}, ...keys.map((key) => ({ label: key.label, stroke: gpuColour(key.index), width: 1.6, points: { show: false }, spanGaps: true }))],
      hooks: { setCursor: [onCursor], draw: [drawLimits] },
    };
    plot = new uPlot(opts, [last.x, ...last.ys] as uPlot.AlignedData, plotSlot);
  }

  const resize = new ResizeObserver(() => {
    const width = plotSlot.clientWidth;
    if (plot && width > 0 && Math.abs(width - plot.width) >= 1) plot.setSize({ width, height: HEIGHT });
  });
  resize.observe(plotSlot);

  return {
    el,
    setSeries(next) {
      const same = next.length === keys.length && next.every((k, i) => k.index === keys[i]?.index && k.label === keys[i].label);
      if (same && plot) return;
      keys = [...next];
      last = { x: [], ys: keys.map(() => []) };
      build();
    },
    draw(columns, windowS, endS, nextLimits, emptyText) {
      range = [endS - windowS, endS];
      limits = nextLimits;
      last = columns;
      el.dataset.points = String(columns.x.length);
      empty.hidden = columns.x.length > 0;
      if (empty.textContent !== emptyText) empty.textContent = emptyText;
      if (!plot) build();
      plot?.setData([columns.x, ...columns.ys] as uPlot.AlignedData, true);
    },
    retheme() {
      theme = readTheme(document.documentElement);
      plot?.redraw(false, true);
    },
    destroy() {
      resize.disconnect();
      plot?.destroy();
      plot = null;
    },
  };
}
