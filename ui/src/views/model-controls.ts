// The control bar of the Models page: hardware ("This machine" or a spec, `models-gpus`),
// context (`models-context`, empty = automatic), requests at once, GitLab version, Duo
// feature, and Apply (`models-apply`). It only collects input and shows one error next to
// the field it names (`models-error`); the page decides what Apply does.

import { h } from '../dom';
import type { CatalogView, RecommendParams } from '../types';
import { tokens } from './model-bits';

/** The fields an error can point at; anything else is shown beside Apply. */
type Field = 'gpus' | 'context' | 'concurrency' | 'gitlab' | 'feature' | 'general';

export interface ModelControls {
  el: HTMLElement;
  /** Fills the version and feature lists from the catalog and selects its defaults. */
  setCatalog(catalog: CatalogView): void;
  /** The parameters as entered, or null after showing why they cannot be sent. */
  read(): RecommendParams | null;
  /** Shows a (server's) error next to the field it names. */
  showError(message: string, field: string | null): void;
  clearError(): void;
  setBusy(busy: boolean): void;
  setContext(context: number): void;
  /** Switches to a spec and fills it in. */
  setHardware(spec: string): void;
  /** Prefills the spec (the saved planned hardware) without selecting it. */
  suggestSpec(spec: string): void;
}

/** Versions sorted newest first: "18.10" after "18.9". */
function byVersionDesc(a: string, b: string): number {
  const [am = 0, an = 0] = a.split('.').map(Number);
  const [bm = 0, bn = 0] = b.split('.').map(Number);
  return bm - am || bn - an;
}

/** Every GitLab version at which a rating, a listing or a deprecation changes. */
function gitlabVersions(catalog: CatalogView): string[] {
  const versions = new Set<string>([catalog.default_gitlab]);
  for (const model of catalog.models) {
    for (const range of model.gitlab) {
      versions.add(range.from);
      if (range.until) versions.add(range.until);
    }
    if (model.deprecation) {
      versions.add(model.deprecation.since);
      if (model.deprecation.removed_in) versions.add(model.deprecation.removed_in);
    }
  }
  return [...versions].sort(byVersionDesc);
}

function field(label: string, forId: string, control: HTMLElement, extraClass = ''): HTMLElement {
  return h(
    'div',
    { class: `ctl ${extraClass}`.trim(), 'data-field': forId },
    h('label', { for: forId, class: 'ctl-label' }, label),
    control,
  );
}

export function modelControls(onApply: () => void): ModelControls {
  let maxContext = 1 << 20;

  const thisMachine = h('input', { type: 'radio', name: 'hw', id: 'models-hw-machine', value: 'machine', checked: true, 'data-testid': 'models-this-machine' });
  const planned = h('input', { type: 'radio', name: 'hw', id: 'models-hw-spec', value: 'spec', 'data-testid': 'models-plan' });
  const gpus = h('input', {
    id: 'models-gpus',
    type: 'text',
    placeholder: '2xL40S',
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-label': 'Hardware to plan for',
    'data-testid': 'models-gpus',
  });
  const context = h('input', {
    id: 'models-context',
    type: 'number',
    min: 16,
    step: 1,
    placeholder: 'automatic',
    inputmode: 'numeric',
    'data-testid': 'models-context',
  });
  const concurrency = h('input', {
    id: 'models-concurrency',
    type: 'number',
    min: 1,
    max: 4096,
    step: 1,
    placeholder: '1',
    inputmode: 'numeric',
    'data-testid': 'models-concurrency',
  });
  const gitlab = h('select', { id: 'models-gitlab', 'data-testid': 'models-gitlab' });
  const feature = h('select', { id: 'models-feature', 'data-testid': 'models-feature' }, h('option', { value: '' }, 'All features'));
  const apply = h('button', { type: 'submit', class: 'primary', 'data-testid': 'models-apply' }, 'Apply');

  const hardware = h(
    'div',
    { class: 'ctl ctl-hw', 'data-field': 'gpus', role: 'radiogroup', 'aria-label': 'Hardware' },
    h('span', { class: 'ctl-label' }, 'Hardware'),
    h(
      'div',
      { class: 'hw-choice' },
      h('label', { class: 'radio' }, thisMachine, 'This machine'),
      h('label', { class: 'radio' }, planned, 'Plan for'),
      gpus,
    ),
  );
  const applyCell = h('div', { class: 'ctl ctl-apply', 'data-field': 'general' }, apply);
  const fields: Record<Field, HTMLElement> = {
    gpus: hardware,
    context: field('Context (tokens)', 'models-context', context),
    concurrency: field('Requests at once', 'models-concurrency', concurrency),
    gitlab: field('GitLab', 'models-gitlab', gitlab),
    feature: field('Duo feature', 'models-feature', feature, 'ctl-feature'),
    general: applyCell,
  };
  const inputs: Partial<Record<Field, HTMLInputElement | HTMLSelectElement>> = { gpus, context, concurrency, gitlab, feature };
  let error: HTMLElement | null = null;

  const clearError = (): void => {
    error?.remove();
    error = null;
    for (const input of Object.values(inputs)) input.removeAttribute('aria-invalid');
  };

  const showError = (message: string, name: string | null): void => {
    clearError();
    const key: Field = name !== null && name in fields ? (name as Field) : 'general';
    const input = inputs[key];
    error = h('p', { class: 'field-error', role: 'alert', id: 'models-error', 'data-testid': 'models-error', 'data-field': key }, message);
    fields[key].append(error);
    if (input) {
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', 'models-error');
      input.focus();
    }
  };

  /** A whole number from a number input: undefined when empty, null when not a number. */
  const whole = (input: HTMLInputElement): number | undefined | null => {
    if (input.validity.badInput) return null;
    const text = input.value.trim();
    if (text === '') return undefined;
    const n = Number(text);
    return Number.isInteger(n) ? n : null;
  };

  const form = h(
    'form',
    { class: 'card model-controls', novalidate: true, 'aria-label': 'Model fit settings', 'data-testid': 'models-controls' },
    fields.gpus,
    fields.context,
    fields.concurrency,
    fields.gitlab,
    fields.feature,
    fields.general,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    onApply();
  });
  for (const type of ['focus', 'input']) {
    gpus.addEventListener(type, () => {
      planned.checked = true;
    });
  }
  for (const input of Object.values(inputs)) {
    input.addEventListener('input', () => {
      if (error && input.getAttribute('aria-invalid') === 'true') clearError();
    });
  }
  thisMachine.addEventListener('change', clearError);

  return {
    el: form,
    setCatalog(catalog) {
      maxContext = Math.max(16, ...catalog.models.map((m) => m.arch?.context ?? 0));
      context.max = String(maxContext);
      gitlab.replaceChildren(
        ...gitlabVersions(catalog).map((v) =>
          h('option', { value: v, selected: v === catalog.default_gitlab }, v === catalog.default_gitlab ? `${v} (default)` : v),
        ),
      );
      gitlab.value = catalog.default_gitlab;
      const groups = new Map<string, HTMLOptGroupElement>();
      for (const f of catalog.features) {
        let group = groups.get(f.group);
        if (!group) {
          group = h('optgroup', { label: f.group });
          groups.set(f.group, group);
        }
        group.append(h('option', { value: f.key }, f.title));
      }
      feature.replaceChildren(h('option', { value: '' }, 'All features'), ...groups.values());
    },
    read() {
      clearError();
      const params: RecommendParams = {};
      if (planned.checked) {
        const spec = gpus.value.trim();
        if (!spec) {
          showError('Enter a hardware description, for example 2xL40S, or choose “This machine”.', 'gpus');
          return null;
        }
        params.gpus = spec;
      }
      const ctx = whole(context);
      if (ctx === null) {
        showError('Enter the context as a whole number of tokens, or leave it empty for automatic.', 'context');
        return null;
      }
      if (ctx !== undefined) {
        // The server shortens a context longer than a model's own to that model's; one longer
        // than every model's is a typing error, caught here.
        if (ctx < 16 || ctx > maxContext) {
          showError(`The context must be between 16 and ${tokens(maxContext)} tokens (the longest native context in the catalog).`, 'context');
          return null;
        }
        params.context = ctx;
      }
      const conc = whole(concurrency);
      if (conc === null) {
        showError('Enter the number of requests as a whole number, or leave it empty for 1.', 'concurrency');
        return null;
      }
      if (conc !== undefined) params.concurrency = conc;
      if (gitlab.value) params.gitlab = gitlab.value;
      if (feature.value) params.feature = feature.value;
      return params;
    },
    showError,
    clearError,
    setBusy(busy) {
      apply.disabled = busy;
      apply.textContent = busy ? 'Applying…' : 'Apply';
    },
    setContext(value) {
      context.value = String(value);
    },
    setHardware(spec) {
      gpus.value = spec;
      planned.checked = true;
    },
    suggestSpec(spec) {
      if (!gpus.value) gpus.value = spec;
    },
  };
}
