// The setup wizard (`data-testid="setup-page"`): from a fresh machine to a GitLab endpoint
// that answers. Welcome → system check → Duo features → model → engine → weights → launch →
// gateway → GitLab → done. Where it stands comes from the server (`setup_status`: the engine
// installed? the weights complete? the engine ready? features routed and a key?), so the
// wizard closed mid-way resumes at the first missing result; a step already behind can be
// opened again from the rail. Each step is a view in `views/setup-*.ts`.

import '../setup.css';
import { h, replaceChildren } from '../dom';
import { pageScope, type Page } from '../page';
import { STEP_TITLE, overall, stepToShow } from '../setup-flow';
import type { Store } from '../store';
import { setUiState, uiState } from '../ui-state';
import { api } from '../transport';
import type { SetupChoices, SetupStatus, StepId } from '../types';
import { progressBar } from '../widgets';
import { messageOf } from '../views/job-bits';
import { checkStep, featuresStep, welcomeStep } from '../views/setup-steps-start';
import { modelStep } from '../views/setup-step-model';
import { engineStep, launchStep, weightsStep } from '../views/setup-steps-run';
import { doneStep, gatewayStep, gitlabStep } from '../views/setup-steps-finish';
import type { StepView, WizardContext } from '../views/setup-bits';

const BUILDERS: Record<StepId, (ctx: WizardContext) => StepView> = {
  welcome: welcomeStep,
  check: checkStep,
  features: featuresStep,
  model: modelStep,
  engine: engineStep,
  weights: weightsStep,
  launch: launchStep,
  gateway: gatewayStep,
  gitlab: gitlabStep,
  done: doneStep,
};

export function setupPage(store: Store): Page {
  const scope = pageScope();
  let status: SetupStatus | null = null;
  let picked: StepId | null = null;
  let shown: { id: StepId; view: StepView } | null = null;
  const views = new Map<StepId, StepView>();
  const rail = h('ol', { class: 'setup-rail', 'data-testid': 'setup-rail' });
  const bar = progressBar('Setup', 'setup-progress');
  const barText = h('span', { class: 'hint', 'data-testid': 'setup-progress-text' }, 'Reading where the setup stands…');
  const panel = h('section', { class: 'card setup-panel', 'data-testid': 'setup-panel', 'aria-live': 'polite' });
  const failure = h('p', { class: 'banner banner-error', role: 'alert', hidden: true, 'data-testid': 'setup-error' });
  const session: WizardContext['session'] = { secret: null, keyName: null, gitlabAddress: null };

  const ctx: WizardContext = {
    store,
    session,
    status: () => {
      if (!status) throw new Error('the setup status is not read yet');
      return status;
    },
    async save(choices: SetupChoices) {
      status = await api.setupUpdate(choices);
      picked = null;
      setUiState('setupStep', '');
      render();
    },
    refresh,
    open(step: StepId | null) {
      picked = step;
      setUiState('setupStep', step ?? '');
      render();
    },
  };

  async function refresh(): Promise<void> {
    try {
      status = await api.setupStatus();
      failure.hidden = true;
      render();
    } catch (error) {
      failure.textContent = `Where the setup stands could not be read: ${messageOf(error, 'the request failed')}`;
      failure.hidden = false;
    }
  }

  function railItem(id: StepId, state: string, summary: string, current: boolean): HTMLElement {
    const reachable = status !== null && stepToShow(status.progress, id) === id;
    const button = h(
      'button',
      { type: 'button', class: 'setup-rail-button', 'data-testid': `setup-step-${id}`, 'data-state': state, disabled: !reachable, 'aria-current': current ? 'step' : null },
      h('span', { class: 'setup-rail-mark', 'aria-hidden': 'true' }, state === 'done' ? '✓' : state === 'skipped' ? '–' : ''),
      h('span', { class: 'setup-rail-text' }, h('span', { class: 'setup-rail-title' }, STEP_TITLE[id]), h('span', { class: 'setup-rail-summary' }, summary)),
    );
    button.addEventListener('click', () => {
      ctx.open(id);
    });
    return h('li', undefined, button);
  }

  function render(): void {
    if (!status) return;
    const progress = status.progress;
    const id = stepToShow(progress, picked);
    replaceChildren(rail, ...progress.steps.map((s) => railItem(s.id, s.state, s.summary, s.id === id)));
    const whole = overall(progress);
    bar.set(whole.percent, `${whole.finished} of ${whole.total} steps`);
    barText.textContent = progress.current === 'done' && status.choices.finished_at_ms !== null && status.choices.finished_at_ms !== undefined ? 'Set up.' : `${whole.finished} of ${whole.total} steps done`;
    if (shown?.id !== id) {
      shown?.view.leave?.();
      let view = views.get(id);
      if (!view) {
        view = BUILDERS[id](ctx);
        views.set(id, view);
      }
      shown = { id, view };
      panel.dataset.step = id;
      replaceChildren(panel, view.el);
      view.enter(status);
    } else {
      shown.view.update?.(status);
    }
  }

  const el = h(
    'main',
    { class: 'layout setup-page', 'data-testid': 'setup-page' },
    h('div', { class: 'section-head' }, h('h2', undefined, 'Set up Duo Workstation'), barText),
    bar.el,
    failure,
    h('div', { class: 'setup-body' }, h('nav', { class: 'setup-nav', 'aria-label': 'Setup steps' }, rail), panel),
  );
  return {
    el,
    show() {
      // The step the person last opened, when it is still one behind (the wizard's pointer).
      const remembered = uiState('setupStep', '', (v) => typeof v === 'string' && v in STEP_TITLE);
      picked = remembered === '' ? null : (remembered as StepId);
      void refresh();
      // Engines and jobs change the steps' results: read again when they do.
      let last = '';
      scope.follow(store, 'engines', (engines) => {
        const key = JSON.stringify((engines ?? []).map((e) => [e.name, e.state]));
        if (key !== last && last !== '') void refresh();
        last = key;
      });
    },
    hide() {
      scope.close();
      shown?.view.leave?.();
      shown = null;
    },
    dispose() {
      this.hide();
      el.remove();
    },
  };
}
