// The Dashboard page (`data-testid="dashboard-page"`): one chart per GPU metric with a line
// per GPU over the chosen window (1, 5, 15 or 60 minutes; the store holds the hour the
// server kept, so a chart opened late starts full), the GPUs' current values beside them,
// and below them each engine's serving figures, the gateway's traffic per alias, the
// processes on each GPU and the logs. While on screen it follows the store's history and
// redraws at most once per frame, and asks `dashboard` (and the logs) every few seconds;
// while the document is hidden it does neither and catches up when it comes back. Charts
// are redrawn when the theme changes.

import '../dashboard.css';
import { chartColumns, type MetricReader, type WindowMinutes } from '../chart-data';
import { h, replaceChildren } from '../dom';
import { pageScope, type Page } from '../page';
import type { Store } from '../store';
import { api } from '../transport';
import type { GpuInfo, HardwareReport } from '../types';
import { enginesSection, gatewaySection, processesSection } from '../views/dash-serving';
import { gpuNowTable, type GpuNowTable } from '../views/gpu-now-table';
import { logViewer } from '../views/log-viewer';
import { metricChart, type MetricChart, type MetricChartOptions } from '../views/metric-chart';
import { windowPicker } from '../views/window-picker';

const GIB = 1024 ** 3;
/** Points per chart at most: about one per pixel of a wide chart. */
const MAX_POINTS = 600;
/** Engines' figures and gateway traffic are read this often while the page is on screen. */
const SERVING_EVERY_MS = 2000;
/** Followed logs are read this often. */
const LOGS_EVERY_MS = 3000;

interface MetricSpec extends MetricChartOptions {
  read: MetricReader;
  /** Dashed lines: what the metric is measured against. */
  limits?: (gpus: readonly GpuInfo[]) => number[];
}

const METRICS: readonly MetricSpec[] = [
  { id: 'utilisation', title: 'Utilisation', unit: '%', floorMax: 100, digits: 0, read: (g) => g.utilization_gpu_percent },
  {
    id: 'memory',
    title: 'Memory used',
    unit: 'GiB, of total',
    floorMax: 1,
    digits: 1,
    read: (g) => (g.memory_used_bytes === null ? null : g.memory_used_bytes / GIB),
    limits: (gpus) => gpus.map((g) => g.memory_total_bytes / GIB),
  },
  { id: 'temperature', title: 'Temperature', unit: '°C', floorMax: 100, digits: 0, read: (g) => g.temperature_c },
  {
    id: 'power',
    title: 'Power draw',
    unit: 'W, of limit',
    floorMax: 100,
    digits: 0,
    read: (g) => g.power_draw_watts,
    limits: (gpus) => gpus.flatMap((g) => (g.power_limit_watts === null ? [] : [g.power_limit_watts])),
  },
  { id: 'sm-clock', title: 'SM clock', unit: 'MHz', floorMax: 1000, digits: 0, read: (g) => g.clock_sm_mhz },
  { id: 'memory-clock', title: 'Memory clock', unit: 'MHz', floorMax: 1000, digits: 0, read: (g) => g.clock_memory_mhz },
];

interface GpuView {
  gpus: GpuInfo[];
  /** What a chart without values says once samples arrive. */
  absent: string;
  now: GpuNowTable;
  charts: { spec: MetricSpec; chart: MetricChart }[];
}

export function dashboardPage(store: Store, loadReport: () => Promise<HardwareReport>): Page {
  const scope = pageScope();
  const picker = windowPicker(() => {
    schedule();
    readServing();
  });
  const engines = enginesSection();
  const gateway = gatewaySection();
  const processes = processesSection();
  const logs = logViewer();
  let reading = false;

  const visible = (): boolean => document.visibilityState !== 'hidden';

  function readServing(): void {
    if (reading || !visible()) return;
    reading = true;
    api
      .dashboard(picker.value())
      .then(
        (view) => {
          for (const part of [engines, gateway, processes]) part.show(view);
        },
        (error: unknown) => {
          const message = error instanceof Error ? error.message : 'the server did not answer';
          for (const part of [engines, gateway, processes]) part.failed(message);
        },
      )
      .finally(() => {
        reading = false;
      });
  }
  const gpuSlot = h('div', { class: 'dash-gpus', 'data-testid': 'dash-gpus' }, loadingState());
  const note = h('p', { class: 'hint', 'data-testid': 'dash-note' });
  let view: GpuView | null = null;
  let started = false;
  let frame: number | null = null;

  function loadingState(): HTMLElement {
    return h('div', { class: 'dash-loading', 'data-testid': 'dash-loading', 'aria-busy': 'true' }, h('p', { class: 'empty' }, 'Reading the GPUs…'));
  }

  function errorState(error: unknown): HTMLElement {
    const message = error instanceof Error ? error.message : 'The server did not answer.';
    const retry = h('button', { type: 'button', class: 'primary' }, 'Try again');
    retry.addEventListener('click', () => void start());
    return h(
      'div',
      { class: 'banner banner-error', role: 'alert', 'data-testid': 'dash-error' },
      h('span', { class: 'banner-icon', 'aria-hidden': 'true' }, '!'),
      h('div', undefined, h('strong', undefined, 'The GPUs could not be read.'), h('p', { class: 'remedy' }, message), retry),
    );
  }

  function build(report: HardwareReport): void {
    view?.charts.forEach((c) => {
      c.chart.destroy();
    });
    const gpus = report.gpus;
    if (gpus.length === 0) {
      view = null;
      replaceChildren(
        gpuSlot,
        h('p', { class: 'empty', 'data-testid': 'dash-no-gpu' }, 'No NVIDIA GPU to chart on this machine. The engines, gateway and logs below still work.'),
      );
      return;
    }
    const described = report.source.kind === 'description';
    const absent = described ? 'not in the hardware description' : 'not reported by this card';
    const charts = METRICS.map((spec) => ({ spec, chart: metricChart(spec) }));
    const keys = gpus.map((g) => ({ index: g.index, label: `GPU ${g.index}` }));
    view = {
      gpus,
      absent: described ? 'The hardware description gives no value for this.' : 'These GPUs do not report this.',
      now: gpuNowTable(gpus, absent),
      charts,
    };
    replaceChildren(gpuSlot, view.now.el, h('div', { class: 'chart-grid' }, ...charts.map((c) => c.chart.el)));
    for (const { chart } of charts) chart.setSeries(keys);
    note.textContent =
      report.source.kind === 'description' ? `Described hardware (${report.source.label}): any values shown are the description’s, not measured.` : '';
    schedule();
  }

  async function start(): Promise<void> {
    replaceChildren(gpuSlot, loadingState());
    try {
      build(await loadReport());
    } catch (error) {
      replaceChildren(gpuSlot, errorState(error));
    }
  }

  function render(): void {
    frame = null;
    if (!view || document.visibilityState === 'hidden') return;
    const histories = view.gpus.map((g) => store.history(g.index));
    const nowMs = store.get('sample')?.timestamp_ms ?? Date.now();
    const minutes: WindowMinutes = picker.value();
    const windowMs = minutes * 60_000;
    const emptyText = store.get('sample') === null ? 'Waiting for samples…' : view.absent;
    for (const { spec, chart } of view.charts) {
      const columns = chartColumns(histories, spec.read, windowMs, nowMs, MAX_POINTS);
      chart.draw(columns, windowMs / 1000, nowMs / 1000, spec.limits?.(view.gpus) ?? [], emptyText);
    }
    view.now.update(histories.map((points) => points[points.length - 1]?.gpu));
  }

  function schedule(): void {
    if (frame !== null || document.visibilityState === 'hidden') return;
    frame = requestAnimationFrame(render);
  }

  const el = h(
    'main',
    { class: 'layout dashboard', 'data-testid': 'dashboard-page' },
    h(
      'section',
      { class: 'dash-section', 'aria-labelledby': 'dash-gpus-title' },
      h('div', { class: 'section-head' }, h('h2', { id: 'dash-gpus-title' }, 'GPUs'), picker.el),
      note,
      gpuSlot,
    ),
    h('div', { class: 'dash-pair' }, engines.el, gateway.el),
    processes.el,
    logs.el,
  );

  return {
    el,
    show() {
      if (!started) {
        started = true;
        void start();
      }
      scope.follow(store, 'history', schedule);
      scope.listen(document, 'visibilitychange', () => {
        schedule();
        if (visible()) {
          readServing();
          if (logs.following()) logs.refresh();
        }
      });
      readServing();
      logs.refresh();
      scope.every(SERVING_EVERY_MS, readServing);
      scope.every(LOGS_EVERY_MS, () => {
        if (visible() && logs.following()) logs.refresh();
      });
      const retheme = (): void => {
        view?.charts.forEach((c) => {
          c.chart.retheme();
        });
      };
      scope.listen(matchMedia('(prefers-color-scheme: dark)'), 'change', retheme);
      scope.listen(window, 'duows-theme', retheme);
      scope.add(() => {
        if (frame !== null) cancelAnimationFrame(frame);
        frame = null;
      });
      schedule();
    },
    hide() {
      scope.close();
    },
    dispose() {
      scope.close();
      view?.charts.forEach((c) => {
        c.chart.destroy();
      });
      el.remove();
    },
  };
}
