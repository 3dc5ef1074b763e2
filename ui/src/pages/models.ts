// The Models page (`data-testid="models-page"`): which catalog models fit this machine or
// a planned one, how well GitLab rates them, and why. Loads the catalog once, then asks for
// recommendations with the control bar's settings on every Apply; a rejected request keeps
// the last results on screen and shows the error next to its field.

import { h, replaceChildren } from '../dom';
import type { Page } from '../page';
import { api } from '../transport';
import {
  ApiError,
  type CatalogView,
  type FitParams,
  type HardwareReport,
  type ModelAdvice,
  type RatedAs,
  type Recommendation,
  type RecommendParams,
} from '../types';
import { cloudModels, featureBest } from '../views/feature-best';
import { modelCard, type CardContext } from '../views/model-card';
import { modelControls } from '../views/model-controls';

/** "1× A100-SXM4-40GB", "2× NVIDIA L40S", or what is missing. */
function hardwareText(report: HardwareReport): string {
  if (report.source.kind === 'description') return report.source.label;
  if (report.gpus.length === 0) return report.driver.status === 'ok' ? 'no NVIDIA GPU' : 'no NVIDIA driver';
  const counts = new Map<string, number>();
  for (const gpu of report.gpus) counts.set(gpu.name, (counts.get(gpu.name) ?? 0) + 1);
  return [...counts].map(([name, n]) => `${n}× ${name}`).join(' + ');
}

function summaryText(rec: Recommendation): string {
  const total = rec.models.length;
  const own = rec.models.filter((m) => m.badge === 'fits').length;
  const quantized = rec.models.filter((m) => m.badge === 'fits_quantized').length;
  const parts = [`${own + quantized} of ${total} models fit`];
  if (quantized > 0) parts.push(`${quantized} only with a quantized checkpoint`);
  return parts.join(' · ');
}

function adviceBanner(advice: string[]): HTMLElement | null {
  if (advice.length === 0) return null;
  const [first, ...rest] = advice;
  return h(
    'div',
    { class: 'banner banner-warn', role: 'status', 'data-testid': 'models-advice' },
    h('span', { class: 'banner-icon', 'aria-hidden': 'true' }, '!'),
    h(
      'div',
      undefined,
      h('strong', undefined, first),
      rest.length > 0 ? h('ul', { class: 'advice-list' }, ...rest.map((line) => h('li', undefined, line))) : null,
    ),
  );
}

/** Loads its data the first time it is shown; it follows nothing live, so hiding it releases nothing. */
export function modelsPage(): Page {
  const controls = modelControls(() => void run());
  const meta = h('div', { class: 'models-meta', 'data-testid': 'models-meta' });
  const statusSlot = h('div', { class: 'banner-slot' });
  const results = h('div', { class: 'models-results' }, h('p', { class: 'empty' }, 'Loading the model catalog…'));
  const el = h('main', { class: 'layout models-page', 'data-testid': 'models-page' }, controls.el, meta, statusSlot, results);

  let catalog: CatalogView | null = null;
  let started = false;
  /** The parameters of the results on screen; the `fit` of a suggestion uses the same. */
  let shownParams: RecommendParams = {};
  let runs = 0;

  const catalogModel = (id: string) => catalog?.models.find((m) => m.id === id);

  function focusOf(feature: string | undefined): RatedAs | null {
    if (!feature) return null;
    return catalog?.features.find((f) => f.key === feature)?.rated_as ?? null;
  }

  function showCard(model: string): void {
    const card = results.querySelector<HTMLElement>(`[data-testid="model-card"][data-model="${CSS.escape(model)}"]`);
    if (!card) return;
    card.scrollIntoView({ behavior: 'smooth', block: 'start' });
    card.classList.remove('flash');
    requestAnimationFrame(() => {
      card.classList.add('flash'); // restarts the highlight
    });
  }

  function fitParams(advice: ModelAdvice, variant: string): FitParams {
    // `fit` rejects a context longer than the model's own; `recommend` shortens it.
    const params: FitParams = { model: advice.model, variant };
    if (shownParams.gpus != null) params.gpus = shownParams.gpus;
    if (shownParams.context != null) params.context = Math.min(shownParams.context, advice.native_context);
    if (shownParams.concurrency != null) params.concurrency = shownParams.concurrency;
    return params;
  }

  const cardContext = (rec: Recommendation, params: RecommendParams): CardContext => ({
    catalogModel,
    gitlab: rec.gitlab_version,
    focus: focusOf(params.feature ?? undefined),
    useContext(context) {
      controls.setContext(context);
      void run();
    },
    useHardware(spec) {
      controls.setHardware(spec);
      void run();
    },
    fitVariant: (advice, variant) => api.fit(fitParams(advice, variant)),
  });

  function render(rec: Recommendation, hardware: string | null, params: RecommendParams): void {
    const where = params.gpus !== undefined ? 'planned' : 'this machine';
    replaceChildren(
      meta,
      h('span', { class: 'chip meta-chip', 'data-testid': 'catalog-version' }, `Catalog ${rec.catalog_version}`),
      h('span', { class: 'chip meta-chip', 'data-testid': 'gitlab-version' }, `GitLab ${rec.gitlab_version}`),
      h('span', { class: 'meta-hw', 'data-testid': 'models-hardware' }, hardware ? `${hardware} (${where})` : where),
      h('span', { class: 'meta-summary' }, summaryText(rec)),
    );
    replaceChildren(statusSlot, adviceBanner(rec.advice));
    const ctx = cardContext(rec, params);
    const own = new Map(rec.models.map((m) => [m.model, m.variant]));
    replaceChildren(
      results,
      rec.features.length > 0 ? featureBest(rec.features, rec.gitlab_version, (id) => own.get(id), showCard) : null,
      h(
        'section',
        { class: 'models-section', 'aria-label': 'Models' },
        h('div', { class: 'section-head' }, h('h2', undefined, `Models (${rec.models.length})`), h('p', { class: 'hint' }, 'Fitting first, best rated first. Hover a bar for its figures.')),
        rec.models.length > 0
          ? h('div', { class: 'model-grid' }, ...rec.models.map((m) => modelCard(m, ctx)))
          : h('p', { class: 'empty' }, 'No self-hostable model matches these settings.'),
      ),
      cloudModels(rec.cloud),
    );
  }

  /** The hardware the results are for, in words; null when it cannot be told. */
  async function hardwareLabel(spec: string | undefined): Promise<string | null> {
    try {
      return hardwareText(spec === undefined ? await api.hardware() : await api.describeHardware(spec));
    } catch {
      return null;
    }
  }

  async function run(): Promise<void> {
    const params = controls.read();
    if (!params || !catalog) return;
    const id = (runs += 1);
    controls.setBusy(true);
    results.classList.add('busy');
    results.setAttribute('aria-busy', 'true');
    const keep = document.activeElement?.closest<HTMLElement>('[data-testid="model-card"]')?.dataset.model;
    try {
      const [rec, hardware] = await Promise.all([api.recommend(params), hardwareLabel(params.gpus ?? undefined)]);
      if (id !== runs) return;
      shownParams = params;
      render(rec, hardware, params);
      if (keep) {
        const why = results.querySelector(`[data-testid="model-card"][data-model="${CSS.escape(keep)}"] details.why`);
        if (why instanceof HTMLDetailsElement) why.open = true;
        showCard(keep);
      }
    } catch (error) {
      if (id !== runs) return;
      if (error instanceof ApiError) controls.showError(error.message, error.field);
      else controls.showError(error instanceof Error ? error.message : 'The recommendation failed.', null);
    } finally {
      if (id === runs) {
        controls.setBusy(false);
        results.classList.remove('busy');
        results.removeAttribute('aria-busy');
      }
    }
  }

  async function load(): Promise<void> {
    replaceChildren(statusSlot);
    try {
      catalog = await api.catalog();
    } catch (error) {
      const retry = h('button', { type: 'button', class: 'primary' }, 'Try again');
      retry.addEventListener('click', () => void load());
      replaceChildren(
        statusSlot,
        h(
          'div',
          { class: 'banner banner-error', role: 'alert', 'data-testid': 'models-load-error' },
          h('span', { class: 'banner-icon', 'aria-hidden': 'true' }, '!'),
          h(
            'div',
            undefined,
            h('strong', undefined, 'The model catalog could not be loaded.'),
            h('p', { class: 'remedy' }, error instanceof Error ? error.message : ''),
            retry,
          ),
        ),
      );
      replaceChildren(results);
      return;
    }
    controls.setCatalog(catalog);
    await run();
  }

  return {
    el,
    show() {
      if (started) return;
      started = true;
      api.settings().then(
        (settings) => {
          if (settings.planned_hardware) controls.suggestSpec(settings.planned_hardware);
        },
        () => undefined,
      );
      void load();
    },
    hide() {
      // nothing live to release
    },
    dispose() {
      el.remove();
    },
  };
}
