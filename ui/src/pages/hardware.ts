// The hardware overview page: loads the hardware report, builds the GPU cards and the
// system panel, and swaps the GPU cards for a planned machine and back ("Plan for other
// hardware"). While on screen it follows the store's latest sample and sample history, so
// the sparklines show the history the store kept while the page was away. Beside them, the
// cluster's nodes when this machine is a head or a node (read each time the page is shown).

import { h, replaceChildren } from '../dom';
import { pageScope, type Page } from '../page';
import type { Store } from '../store';
import { api } from '../transport';
import type { HardwareReport, Sample } from '../types';
import { banners } from '../views/banners';
import { clusterPanel } from '../views/cluster-nodes';
import { gpuCard, type GpuCard } from '../views/gpu-card';
import type { Header } from '../views/header';
import { planForm } from '../views/plan-form';
import { systemPanel, type SystemPanel } from '../views/system-panel';

interface View {
  report: HardwareReport;
  banners: HTMLElement;
  cards: GpuCard[];
  grid: HTMLElement;
  system: SystemPanel;
}

/**
 * `loadReport` reads this machine's hardware report (shared with the header's driver line).
 */
export function hardwarePage(store: Store, top: Header, loadReport: () => Promise<HardwareReport>): Page {
  const bannerSlot = h('div', { class: 'banner-slot' });
  const gpuSlot = h('div', { class: 'gpu-slot' });
  const systemSlot = h('div', { class: 'system-slot' });
  const gpuHeading = h('h2', undefined, 'GPUs');

  let machine: View | null = null;
  let shown: View | null = null;
  let started = false;
  const scope = pageScope();
  const cluster = clusterPanel(() => void loadCluster());

  async function loadCluster(): Promise<void> {
    try {
      cluster.set(await api.clusterNodes(), Date.now());
    } catch {
      // An older server without the cluster commands: the panel stays hidden.
    }
  }

  function buildView(report: HardwareReport, planned: boolean): View {
    const kind = planned ? 'planned' : report.source.kind === 'description' ? 'described' : 'detected';
    const cards = report.gpus.map((gpu) => gpuCard(gpu, kind));
    const grid = h('div', { class: 'gpu-grid' }, ...cards.map((c) => c.el));
    return { report, banners: banners(report, planned), cards, grid, system: systemPanel(report.system) };
  }

  function show(view: View): void {
    shown = view;
    const n = view.report.gpus.length;
    gpuHeading.textContent = view === machine ? `GPUs (${n})` : `Planned GPUs (${n})`;
    replaceChildren(bannerSlot, view.banners);
    replaceChildren(
      gpuSlot,
      view.cards.length > 0
        ? view.grid
        : h('p', { class: 'empty' }, 'No GPU to show. Use “Plan for other hardware” to see a machine you do not have yet.'),
    );
    replaceChildren(systemSlot, view.system.el);
    top.setDriver(view.report.driver);
    const sample = store.get('sample');
    if (sample) view.system.update(sample.system);
  }

  const plan = planForm({
    async plan(spec) {
      const report = await api.describeHardware(spec);
      show(buildView(report, true));
      plan.setPlanned(report.source.kind === 'description' ? report.source.label : spec);
    },
    reset() {
      if (machine) show(machine);
      plan.setPlanned(null);
    },
  });

  function showLoadError(error: unknown): void {
    const message = error instanceof Error ? error.message : 'The hardware report could not be loaded.';
    const retry = h('button', { type: 'button', class: 'primary' }, 'Try again');
    retry.addEventListener('click', () => void start());
    replaceChildren(
      bannerSlot,
      h(
        'div',
        { class: 'banner banner-error', role: 'alert', 'data-testid': 'load-error' },
        h('span', { class: 'banner-icon', 'aria-hidden': 'true' }, '!'),
        h('div', undefined, h('strong', undefined, 'The hardware report could not be loaded.'), h('p', { class: 'remedy' }, message), retry),
      ),
    );
  }

  async function start(): Promise<void> {
    try {
      const report = await loadReport();
      machine = buildView(report, false);
      show(machine);
      const sample = store.get('sample');
      if (sample) applySample(sample);
      drawHistory();
    } catch (error) {
      showLoadError(error);
    }
  }

  function applySample(sample: Sample): void {
    if (machine) {
      for (const [i, card] of machine.cards.entries()) {
        const index = machine.report.gpus[i]?.index;
        card.update(sample.gpus.find((g) => g.index === index));
      }
      machine.system.update(sample.system);
    }
    if (shown && shown !== machine) shown.system.update(sample.system);
  }

  function drawHistory(): void {
    if (!machine) return;
    for (const [i, card] of machine.cards.entries()) {
      const index = machine.report.gpus[i]?.index;
      if (index === undefined) continue;
      card.setHistory(store.history(index).map((p) => p.gpu.utilization_gpu_percent));
    }
  }

  api.settings().then(
    (settings) => {
      if (settings.planned_hardware) plan.setSpec(settings.planned_hardware);
    },
    () => undefined,
  );

  const el = h(
    'main',
    { class: 'layout', 'data-testid': 'hardware-page' },
    bannerSlot,
    h(
      'div',
      { class: 'columns' },
      h('section', { class: 'gpus', 'aria-label': 'GPUs' }, h('div', { class: 'section-head' }, gpuHeading, plan.el), gpuSlot),
      h('aside', { class: 'side' }, systemSlot, h('div', { class: 'cluster-slot' }, cluster.el)),
    ),
  );

  return {
    el,
    show() {
      if (!started) {
        started = true;
        void start();
      }
      void loadCluster();
      scope.follow(store, 'sample', (sample) => {
        if (sample) applySample(sample);
      });
      scope.follow(store, 'history', drawHistory);
    },
    hide() {
      scope.close();
    },
    dispose() {
      scope.close();
      el.remove();
    },
  };
}
