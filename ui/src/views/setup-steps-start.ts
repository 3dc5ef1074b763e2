// The wizard's first steps, which change nothing on the machine: Welcome (what will happen,
// the download size and free disk before anything is fetched, and the path: recommended
// model, weights already here, planning only), the read-only System check, and the Duo
// features wanted.

import { h, replaceChildren } from '../dom';
import { gib } from '../format';
import { defaultFeatures } from '../setup-flow';
import { api } from '../transport';
import type { Feature, ModelAdvice, SetupPath, SetupStatus } from '../types';
import { busy, checkRow, primary, stepError, stepFrame, type StepView, type WizardContext } from './setup-bits';

const PATHS: { path: SetupPath; title: string; text: string }[] = [
  { path: 'recommended', title: 'Download the recommended model', text: 'The model that fits this machine best, downloaded from Hugging Face and served here.' },
  { path: 'own_weights', title: 'I already have the weights', text: 'Serve a model folder or a GGUF file that is already on this machine: nothing is downloaded.' },
  { path: 'plan_only', title: 'Only plan', text: 'Choose the features and a model and see how it would run; nothing is installed or started.' },
];

/** The model the wizard recommends: the first that fits on the GPUs, else the first with a GGUF file that fits in memory. */
export function recommendedModel(models: readonly ModelAdvice[]): { advice: ModelAdvice; gguf: boolean } | null {
  const gpu = models.find((m) => m.fits && m.listed);
  if (gpu) return { advice: gpu, gguf: false };
  const cpu = models.find((m) => m.gguf.some((g) => g.fits_in_memory !== false));
  return cpu ? { advice: cpu, gguf: true } : null;
}

export function welcomeStep(ctx: WizardContext): StepView {
  const error = stepError();
  const facts = h('dl', { class: 'setup-facts', 'data-testid': 'setup-welcome-facts' }, h('dt', undefined, 'This machine'), h('dd', undefined, 'Reading…'));
  const radios = PATHS.map((p) => h('input', { type: 'radio', name: 'setup-path', value: p.path, 'data-testid': `setup-path-${p.path}` }));
  const choices = h(
    'div',
    { class: 'setup-choices', role: 'radiogroup', 'aria-label': 'How to set up' },
    ...PATHS.map((p, i) => h('label', { class: 'setup-choice' }, radios[i] ?? null, h('span', undefined, h('strong', undefined, p.title), h('span', { class: 'hint' }, p.text)))),
  );
  const next = primary('Continue', 'setup-welcome-next');
  next.addEventListener('click', () => {
    const path = radios.find((r) => r.checked)?.value as SetupPath | undefined;
    if (!path) {
      error.show(new Error('Choose how to set up.'), '');
      return;
    }
    void busy(next, 'Saving…', error, 'The choice could not be saved.', () => ctx.save({ ...ctx.status().choices, path }));
  });
  const steps = h(
    'ol',
    { class: 'setup-plan' },
    h('li', undefined, 'Check this machine (nothing is changed).'),
    h('li', undefined, 'Choose the Duo features and a model that fits.'),
    h('li', undefined, 'Install the engine and download the weights, with the size shown before anything is fetched.'),
    h('li', undefined, 'Start the model, route the features through the gateway and make a key for GitLab.'),
    h('li', undefined, 'Configure GitLab, then send a test request.'),
  );
  const el = stepFrame('welcome', 'Welcome', 'Duo Workstation turns this machine into the model backend of GitLab Duo Self-Hosted. This is what will happen:', [steps, facts, choices, error.el], [next]);
  let read = false;
  async function readFacts(): Promise<void> {
    read = true;
    try {
      const [hardware, rec] = await Promise.all([api.hardware(), api.recommend({})]);
      const best = recommendedModel(rec.models);
      const size = best ? (best.gguf ? (best.advice.gguf[0]?.bytes ?? 0) : best.advice.weight_bytes) : 0;
      const free = hardware.system.models_dir_free_bytes;
      replaceChildren(
        facts,
        h('dt', undefined, 'GPUs'),
        h('dd', undefined, hardware.gpus.length === 0 ? 'none: models run on the CPU with llama.cpp' : hardware.gpus.map((g) => `${g.name} (${gib(g.memory_total_bytes)})`).join(', ')),
        h('dt', undefined, 'Recommended model'),
        h('dd', { 'data-testid': 'setup-recommended' }, best ? `${best.advice.name}${best.gguf ? ' (GGUF, on the CPU)' : ''}` : 'none fits this machine'),
        h('dt', undefined, 'Download'),
        h('dd', { 'data-testid': 'setup-download-size' }, best ? gib(size) : '—'),
        h('dt', undefined, 'Free disk for models'),
        h('dd', { 'data-testid': 'setup-free-disk', 'data-short': String(free !== null && size > free) }, free === null ? 'unknown' : `${gib(free)} free in ${hardware.system.models_dir}${size > free ? ' — not enough for the download' : ''}`),
      );
    } catch (reason) {
      read = false;
      error.show(reason, 'The machine could not be read.');
    }
  }
  return {
    el,
    enter(status) {
      for (const r of radios) r.checked = r.value === (status.choices.path ?? 'recommended');
      if (!read) void readFacts();
    },
  };
}

export function checkStep(ctx: WizardContext): StepView {
  const error = stepError();
  const list = h('ol', { class: 'doctor-list', 'data-testid': 'setup-check-list' });
  const summary = h('p', { class: 'hint', 'data-testid': 'setup-check-summary' }, 'Not checked yet.');
  const again = h('button', { type: 'button', class: 'secondary', 'data-testid': 'setup-check-run' }, 'Check again');
  const next = primary('Continue', 'setup-check-next');
  next.disabled = true;
  async function run(): Promise<void> {
    summary.textContent = 'Checking: the driver, CUDA, each GPU, the disk, memory, the package index and the model hub…';
    await busy(again, 'Checking…', error, 'The check could not run.', async () => {
      const check = await api.setupCheck();
      replaceChildren(list, ...check.lines.map(checkRow));
      const failed = check.lines.filter((l) => l.status === 'fail').length;
      const warned = check.lines.filter((l) => l.status === 'warn').length;
      summary.textContent = failed > 0 ? `${failed} problem${failed === 1 ? '' : 's'} to fix before an engine can start; ${warned} warning${warned === 1 ? '' : 's'}.` : `Nothing blocks the setup; ${warned} warning${warned === 1 ? '' : 's'}.`;
      summary.dataset.failed = String(failed > 0);
      next.disabled = false;
    });
  }
  again.addEventListener('click', () => void run());
  next.addEventListener('click', () => void ctx.refresh());
  const el = stepFrame('check', 'System check', 'A read-only look at what the setup needs. Nothing is installed or changed.', [summary, list, error.el], [again, next]);
  return {
    el,
    enter(status: SetupStatus) {
      if (list.childElementCount === 0) void run();
      else next.disabled = status.choices.checked_at_ms === null;
    },
  };
}

export function featuresStep(ctx: WizardContext): StepView {
  const error = stepError();
  const list = h('div', { class: 'setup-features', 'data-testid': 'setup-feature-list' }, h('p', { class: 'hint' }, 'Reading the features…'));
  const showBeta = h('input', { type: 'checkbox', 'data-testid': 'setup-features-beta' });
  const next = primary('Continue', 'setup-features-next');
  let features: Feature[] = [];
  const boxes = new Map<string, HTMLInputElement>();
  function draw(ticked: readonly string[]): void {
    boxes.clear();
    const groups = new Map<string, Feature[]>();
    for (const f of features) {
      if (f.state !== 'ga' && !showBeta.checked && !ticked.includes(f.key)) continue;
      groups.set(f.group, [...(groups.get(f.group) ?? []), f]);
    }
    replaceChildren(
      list,
      ...[...groups].map(([group, members]) =>
        h(
          'fieldset',
          { class: 'setup-feature-group' },
          h('legend', undefined, group),
          ...members.map((f) => {
            const box = h('input', { type: 'checkbox', value: f.key, 'data-testid': 'setup-feature', 'data-feature': f.key });
            box.checked = ticked.includes(f.key);
            boxes.set(f.key, box);
            return h('label', { class: 'setup-feature' }, box, h('span', undefined, f.title), f.state === 'ga' ? null : h('span', { class: 'chip chip-beta' }, f.state));
          }),
        ),
      ),
    );
  }
  const ticked = (): string[] => [...boxes].filter(([, b]) => b.checked).map(([k]) => k);
  showBeta.addEventListener('change', () => {
    draw(ticked());
  });
  next.addEventListener('click', () => {
    const chosen = ticked();
    if (chosen.length === 0) {
      error.show(new Error('Tick at least one feature.'), '');
      return;
    }
    void busy(next, 'Saving…', error, 'The features could not be saved.', () => ctx.save({ ...ctx.status().choices, features: chosen }));
  });
  const beta = h('label', { class: 'beta-toggle' }, showBeta, h('span', undefined, 'Show beta and experimental features (GitLab lists them only after its testing agreement is accepted)'));
  const el = stepFrame('features', 'Duo features', 'Which GitLab Duo features should this machine serve? The model step then shows how well each model is rated for them.', [beta, list, error.el], [next]);
  return {
    el,
    enter(status) {
      void api.catalog().then(
        (catalog) => {
          features = catalog.features;
          draw(status.choices.features.length > 0 ? status.choices.features : defaultFeatures(features));
        },
        (reason: unknown) => {
          error.show(reason, 'The features could not be read.');
        },
      );
    },
  };
}
