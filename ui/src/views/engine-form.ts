// "Start an engine" (`data-testid="engine-start-form"`): a catalog model served by vLLM
// (`engine-model`, with its checkpoint) or a GGUF file served by llama.cpp (`engine-gguf`,
// with the layers to put on a GPU), a name (`engine-name`) and a context. Start
// (`engine-start`) asks the server to run it; for a catalog model "Preview launch plan"
// (`engine-plan`) shows the exact command (`engine-plan-command`), what is prepared
// before it, and the checks a start makes first (`engine-preflight`). One error at a time
// (`engine-error`, forms.ts): next to its field, checked as typed (numbers, the model's
// context) and where the server names one, or above the form when it names none.

import { h, replaceChildren } from '../dom';
import { gib } from '../format';
import { checkWholeNumber, formErrors, readWholeNumber, type FormField } from '../forms';
import { type CatalogModel, type CatalogView, type EnginePlanParams, type EnginePlanView, type EngineStartParams, type EngineStatus } from '../types';
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

  let busy = false;

  const current = (): Source => (fromGguf.checked ? 'gguf' : 'model');
  const visible = (field: string): boolean => field === 'general' || !fields[field as Field].hidden;
  const required = (message: () => string) => ({ value }: { value: string }) => (value.trim() === '' ? message() : null);
  const contextRule = () => {
    const native = Number(context.max);
    return {
      min: 0,
      ...(native > 0 ? { max: native } : {}),
      message: native > 0 ? `Enter the context as a whole number of tokens, at most ${native} (the model’s own), or leave it empty for automatic.` : 'Enter the context as a whole number of tokens, or leave it empty for automatic.',
    };
  };
  const checked: Record<Exclude<Field, 'general'>, FormField> = {
    model: {
      ctl: fields.model,
      input: model,
      check: required(() => (catalog ? 'Choose a model from the catalog.' : 'The catalog is not loaded: serve a GGUF file instead, or reload the page.')),
    },
    variant: { ctl: fields.variant, input: variant },
    gguf: { ctl: fields.gguf, input: gguf, check: required(() => 'Enter the path of a .gguf file on the machine the server runs on.') },
    gpu_layers: {
      ctl: fields.gpu_layers,
      input: gpuLayers,
      check: ({ value, badInput }) => checkWholeNumber(value, badInput, { min: 0, message: 'Enter the number of layers as a whole number, or leave it empty to run on the CPU.' }),
    },
    name: { ctl: fields.name, input: name },
    context: { ctl: fields.context, input: context, check: ({ value, badInput }) => checkWholeNumber(value, badInput, contextRule()) },
  };
  const errors = formErrors({
    testid: 'engine-error',
    id: 'engine-error',
    fields: checked,
    general,
    bannerClass: 'banner banner-error engine-general-error',
    visible,
  });

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
    errors.clear();
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

  /** The start parameters as entered, or null after showing what is wrong next to its field. */
  function read(): EngineStartParams | null {
    if (!errors.check()) return null;
    const params: EngineStartParams = {};
    if (current() === 'model') {
      params.model = model.value;
      if (variant.value) params.variant = variant.value;
      if (overrideMemory.checked) params.override_memory_estimate = true;
    } else {
      params.gguf = gguf.value.trim();
      const layers = readWholeNumber(gpuLayers.value, gpuLayers.validity.badInput);
      if (layers !== undefined && layers !== null) params.gpu_layers = layers;
    }
    const label = name.value.trim();
    if (label) params.name = label;
    const ctx = readWholeNumber(context.value, context.validity.badInput);
    if (ctx !== undefined && ctx !== null) params.context = ctx;
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
    errors.report(reason, fallback);
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
  for (const { input } of Object.values(checked)) {
    // A plan for other settings would mislead: take it away (forms.ts answers the errors).
    const stale = (): void => {
      replaceChildren(planSlot);
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
      if (current() === 'model') errors.show(`The model catalog could not be loaded: ${message}`, null);
    },
  };
}
