// "Start an engine" (`data-testid="engine-start-form"`): a catalog model served by vLLM
// (`engine-model`, with its checkpoint) or a GGUF file served by llama.cpp (`engine-gguf`,
// with the layers to put on a GPU), a name (`engine-name`) and a context. Start
// (`engine-start`) asks the server to run it; for a catalog model "Preview launch plan"
// (`engine-plan`) shows the exact command (`engine-plan-command`), what is prepared
// before it, and the checks a start makes first (`engine-preflight`). One error at a time (`engine-error`), next to the field the server names,
// or above the form when it names none.

import { h, replaceChildren } from '../dom';
import { gib } from '../format';
import { ApiError, type CatalogModel, type CatalogView, type EnginePlanParams, type EnginePlanView, type EngineStartParams, type EngineStatus } from '../types';
import { planView } from './engine-plan-view';
import { tokens } from './model-bits';

/** The fields an error can point at; anything else is shown above the form. */
type Field = 'model' | 'variant' | 'gguf' | 'gpu_layers' | 'name' | 'context' | 'general';
type Source = 'model' | 'gguf';

export interface EngineFormActions {
  plan(params: EnginePlanParams): Promise<EnginePlanView>;
  start(params: EngineStartParams): Promise<EngineStatus>;
  /** Called with the first status of an engine the form started. */
  started(status: EngineStatus): void;
}

export interface EngineForm {
  el: HTMLElement;
  /** Fills the model list with the catalog's self-hostable models. */
  setCatalog(catalog: CatalogView): void;
  /** The catalog could not be loaded: say so; GGUF files still work. */
  setCatalogError(message: string): void;
}

/** Models the catalog can serve with vLLM here (the cloud-only ones cannot). */
export function selfHostable(model: CatalogModel): boolean {
  return model.serving !== null && model.arch !== null && model.variants.length > 0;
}

/**
 * Fills a model select with the catalog's self-hostable models, grouped by family, after a
 * "Choose a model…" placeholder; `label` names each option.
 */
export function fillModelSelect(select: HTMLSelectElement, view: CatalogView, label: (m: CatalogModel) => string): void {
  const groups = new Map<string, HTMLOptGroupElement>();
  for (const m of view.models.filter(selfHostable)) {
    let group = groups.get(m.family);
    if (!group) {
      group = h('optgroup', { label: m.family });
      groups.set(m.family, group);
    }
    group.append(h('option', { value: m.id }, label(m)));
  }
  select.replaceChildren(h('option', { value: '' }, 'Choose a model…'), ...groups.values());
}

function ctl(label: string, forId: string, control: HTMLElement, extraClass = ''): HTMLElement {
  return h(
    'div',
    { class: `ctl ${extraClass}`.trim(), 'data-field': forId },
    h('label', { for: forId, class: 'ctl-label' }, label),
    control,
  );
}

export function engineForm(actions: EngineFormActions): EngineForm {
  let catalog: CatalogView | null = null;

  const fromModel = h('input', { type: 'radio', name: 'engine-source', value: 'model', checked: true, 'data-testid': 'engine-source-model' });
  const fromGguf = h('input', { type: 'radio', name: 'engine-source', value: 'gguf', 'data-testid': 'engine-source-gguf' });
  const source = h(
    'div',
    { class: 'ctl engine-source', role: 'radiogroup', 'aria-label': 'What to serve' },
    h('span', { class: 'ctl-label' }, 'Serve'),
    h(
      'div',
      { class: 'hw-choice' },
      h('label', { class: 'radio' }, fromModel, 'A catalog model ', h('span', { class: 'dim' }, '(vLLM, GPUs)')),
      h('label', { class: 'radio' }, fromGguf, 'A GGUF file ', h('span', { class: 'dim' }, '(llama.cpp)')),
    ),
  );

  const model = h('select', { id: 'engine-model', 'data-testid': 'engine-model' }, h('option', { value: '' }, 'Loading the catalog…'));
  const variant = h('select', { id: 'engine-variant', 'data-testid': 'engine-variant' }, h('option', { value: '' }, 'The model’s own'));
  const gguf = h('input', {
    id: 'engine-gguf',
    type: 'text',
    placeholder: '/models/model.Q4_K_M.gguf',
    autocomplete: 'off',
    spellcheck: 'false',
    'data-testid': 'engine-gguf',
  });
  const gpuLayers = h('input', {
    id: 'engine-gpu-layers',
    type: 'number',
    min: 0,
    step: 1,
    placeholder: '0 (CPU only)',
    inputmode: 'numeric',
    'data-testid': 'engine-gpu-layers',
  });
  const name = h('input', {
    id: 'engine-name',
    type: 'text',
    placeholder: 'the model id',
    autocomplete: 'off',
    spellcheck: 'false',
    maxlength: 128,
    'data-testid': 'engine-name',
  });
  const context = h('input', {
    id: 'engine-context',
    type: 'number',
    min: 16,
    step: 1,
    placeholder: 'automatic',
    inputmode: 'numeric',
    'data-testid': 'engine-context',
  });
  const overrideMemory = h('input', { type: 'checkbox', id: 'engine-override-memory', 'data-testid': 'engine-override-memory' });
  const overrideRow = h(
    'label',
    { class: 'check engine-override', for: 'engine-override-memory', title: 'The estimate may be wrong: vLLM itself still refuses a start that cannot fit.' },
    overrideMemory,
    'Start even if the memory estimate or the free memory says it will not fit',
  );
  const planButton = h('button', { type: 'button', class: 'secondary', 'data-testid': 'engine-plan' }, 'Preview launch plan');
  const startButton = h('button', { type: 'submit', class: 'primary', 'data-testid': 'engine-start' }, 'Start');

  const general = h('div', { class: 'engine-form-general', 'data-field': 'general' });
  const fields: Record<Field, HTMLElement> = {
    model: ctl('Model', 'engine-model', model, 'ctl-wide'),
    variant: ctl('Checkpoint', 'engine-variant', variant),
    gguf: ctl('GGUF file on the server', 'engine-gguf', gguf, 'ctl-wide'),
    gpu_layers: ctl('Layers on the GPU', 'engine-gpu-layers', gpuLayers),
    name: ctl('Name', 'engine-name', name),
    context: ctl('Context (tokens)', 'engine-context', context),
    general,
  };
  const inputs: Partial<Record<Field, HTMLInputElement | HTMLSelectElement>> = { model, variant, gguf, gpu_layers: gpuLayers, name, context };
  // A new choice of override makes the shown plan's checks out of date.
  overrideMemory.addEventListener('change', () => {
    replaceChildren(planSlot);
  });
  const planSlot = h('div', { class: 'plan-slot' });
  const buttons = h('div', { class: 'engine-buttons' }, startButton, planButton);

  const el = h(
    'form',
    { class: 'card engine-form', novalidate: true, 'aria-label': 'Start an engine', 'data-testid': 'engine-start-form' },
    h('div', { class: 'engine-form-head' }, h('h3', undefined, 'Start an engine'), h('p', { class: 'hint' }, 'It runs on the machine the server runs on and stops with it.')),
    general,
    source,
    h('div', { class: 'engine-form-row' }, fields.model, fields.variant, fields.gguf, fields.gpu_layers, fields.name, fields.context),
    overrideRow,
    buttons,
    planSlot,
  );

  let error: HTMLElement | null = null;
  let busy = false;

  const current = (): Source => (fromGguf.checked ? 'gguf' : 'model');
  const visible = (field: Field): boolean => field === 'general' || !fields[field].hidden;

  function clearError(): void {
    error?.remove();
    error = null;
    for (const input of Object.values(inputs)) {
      input.removeAttribute('aria-invalid');
      input.removeAttribute('aria-describedby');
    }
  }

  function showError(message: string, field: string | null): void {
    clearError();
    const key: Field = field !== null && field in fields && visible(field as Field) ? (field as Field) : 'general';
    const input = inputs[key];
    error = h(
      'p',
      { class: key === 'general' ? 'banner banner-error engine-general-error' : 'field-error', role: 'alert', id: 'engine-error', 'data-testid': 'engine-error', 'data-field': key },
      message,
    );
    fields[key].append(error);
    if (input) {
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', 'engine-error');
      input.focus();
    }
  }

  function showSource(): void {
    const gg = current() === 'gguf';
    fields.model.hidden = gg;
    fields.variant.hidden = gg;
    planButton.hidden = gg;
    overrideRow.hidden = gg;
    fields.gguf.hidden = !gg;
    fields.gpu_layers.hidden = !gg;
    name.placeholder = gg ? 'the file name' : 'the model id';
    // llama.cpp's server gets 4096 tokens unless told; vLLM as much as fits.
    context.placeholder = gg ? '4096' : 'automatic';
    replaceChildren(planSlot);
    clearError();
  }

  function fillVariants(): void {
    const chosen = catalog?.models.find((m) => m.id === model.value);
    const own = chosen?.variants[0];
    variant.replaceChildren(
      h('option', { value: '' }, own ? `The model’s own (${own.name})` : 'The model’s own'),
      ...(chosen?.variants ?? []).map((v) =>
        h('option', { value: v.name }, `${v.name} · ${v.quantization} · ${gib(v.weight_bytes)}`),
      ),
    );
    variant.disabled = (chosen?.variants.length ?? 0) < 2;
    const native = chosen?.arch?.context;
    context.max = native ? String(native) : '';
    context.title = native ? `Up to ${tokens(native)} tokens, the model’s own context` : '';
  }

  /** A whole number from a number input: undefined when empty, null when not one. */
  const whole = (input: HTMLInputElement): number | undefined | null => {
    if (input.validity.badInput) return null;
    const text = input.value.trim();
    if (text === '') return undefined;
    const n = Number(text);
    return Number.isInteger(n) && n >= 0 ? n : null;
  };

  /** The start parameters as entered, or null after showing why they cannot be sent. */
  function read(): EngineStartParams | null {
    clearError();
    const params: EngineStartParams = {};
    if (current() === 'model') {
      if (!model.value) {
        showError(catalog ? 'Choose a model from the catalog.' : 'The catalog is not loaded: serve a GGUF file instead, or reload the page.', 'model');
        return null;
      }
      params.model = model.value;
      if (variant.value) params.variant = variant.value;
      if (overrideMemory.checked) params.override_memory_estimate = true;
    } else {
      const path = gguf.value.trim();
      if (!path) {
        showError('Enter the path of a .gguf file on the machine the server runs on.', 'gguf');
        return null;
      }
      params.gguf = path;
      const layers = whole(gpuLayers);
      if (layers === null) {
        showError('Enter the number of layers as a whole number, or leave it empty to run on the CPU.', 'gpu_layers');
        return null;
      }
      if (layers !== undefined) params.gpu_layers = layers;
    }
    const label = name.value.trim();
    if (label) params.name = label;
    const ctx = whole(context);
    if (ctx === null) {
      showError('Enter the context as a whole number of tokens, or leave it empty for automatic.', 'context');
      return null;
    }
    if (ctx !== undefined) params.context = ctx;
    return params;
  }

  function setBusy(button: HTMLButtonElement | null, text = ''): void {
    busy = button !== null;
    for (const b of [planButton, startButton]) b.disabled = busy;
    planButton.textContent = button === planButton ? text : 'Preview launch plan';
    startButton.textContent = button === startButton ? text : 'Start';
    el.setAttribute('aria-busy', String(busy));
  }

  function report(reason: unknown, fallback: string): void {
    if (reason instanceof ApiError) showError(reason.message, reason.field);
    else showError(reason instanceof Error ? reason.message : fallback, null);
  }

  el.addEventListener('submit', (event) => {
    event.preventDefault();
    if (busy) return;
    const params = read();
    if (!params) return;
    setBusy(startButton, 'Starting…');
    actions
      .start(params)
      .then(
        (status) => {
          name.value = '';
          actions.started(status);
        },
        (reason: unknown) => {
          report(reason, 'The engine could not be started.');
        },
      )
      .finally(() => {
        setBusy(null);
      });
  });

  planButton.addEventListener('click', () => {
    if (busy) return;
    const params = read();
    if (!params?.model) return;
    const planParams: EnginePlanParams = { model: params.model };
    if (params.variant !== undefined) planParams.variant = params.variant;
    if (params.context !== undefined) planParams.context = params.context;
    if (params.name !== undefined) planParams.name = params.name;
    if (params.override_memory_estimate) planParams.override_memory_estimate = true;
    setBusy(planButton, 'Planning…');
    actions
      .plan(planParams)
      .then(
        (view) => {
          replaceChildren(planSlot, planView(view, catalog?.models.find((m) => m.id === view.fit?.model)));
        },
        (reason: unknown) => {
          replaceChildren(planSlot);
          report(reason, 'The launch plan could not be made.');
        },
      )
      .finally(() => {
        setBusy(null);
      });
  });

  fromModel.addEventListener('change', showSource);
  fromGguf.addEventListener('change', showSource);
  model.addEventListener('change', fillVariants);
  for (const input of Object.values(inputs)) {
    const stale = (): void => {
      // A plan for other settings would mislead: take it away; an error on this field is answered.
      replaceChildren(planSlot);
      if (error && (input.getAttribute('aria-invalid') === 'true' || error.dataset.field === 'general')) clearError();
    };
    input.addEventListener('input', stale);
    input.addEventListener('change', stale);
  }
  showSource();

  return {
    el,
    setCatalog(view) {
      catalog = view;
      fillModelSelect(model, view, (m) => (m.deprecation ? `${m.name} (deprecated)` : m.name));
      fillVariants();
    },
    setCatalogError(message) {
      model.replaceChildren(h('option', { value: '' }, 'The catalog could not be loaded'));
      if (current() === 'model') showError(`The model catalog could not be loaded: ${message}`, null);
    },
  };
}
