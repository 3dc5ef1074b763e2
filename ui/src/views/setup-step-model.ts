// The wizard's Model step: the recommendations for this machine with the fit in words and how
// many of the chosen features each model is rated for; GGUF files for llama.cpp where the GPUs
// are short (or absent); when a model does not fit, the nearest fixes and "continue anyway"
// (the start then overrides the memory estimate). With "I already have the weights", the path
// of the model folder or GGUF file.

import { h, replaceChildren } from '../dom';
import { gib } from '../format';
import { ratedCount } from '../setup-flow';
import { api } from '../transport';
import type { Feature, ModelAdvice, SetupChoices, SetupEngine } from '../types';
import { busy, primary, stepError, stepFrame, type StepView, type WizardContext } from './setup-bits';

interface Option {
  id: string;
  advice: ModelAdvice;
  engine: SetupEngine;
  gguf: string | null;
  fits: boolean;
}

const FIT_WORDS = { fits: 'fits', fits_quantized: 'fits quantized', does_not_fit: 'does not fit' } as const;

function optionsOf(models: readonly ModelAdvice[], rated: (advice: ModelAdvice) => number): Option[] {
  const options: Option[] = [];
  for (const advice of models) {
    if (advice.weight_bytes > 0) options.push({ id: `${advice.model}|vllm`, advice, engine: 'vllm', gguf: null, fits: advice.fits });
    for (const file of advice.gguf) {
      options.push({ id: `${advice.model}|${file.quant}`, advice, engine: 'llama_cpp', gguf: file.quant, fits: file.fits_in_memory !== false });
    }
  }
  // What fits first, then what is rated for more of the chosen features, then the catalog's order.
  return options.sort((a, b) => Number(b.fits) - Number(a.fits) || rated(b.advice) - rated(a.advice));
}

export function modelStep(ctx: WizardContext): StepView {
  const error = stepError();
  const list = h('div', { class: 'setup-models', role: 'radiogroup', 'aria-label': 'Model', 'data-testid': 'setup-model-list' }, h('p', { class: 'hint' }, 'Fitting the catalog to this machine…'));
  const fixes = h('div', { class: 'setup-fixes', 'data-testid': 'setup-model-fixes', hidden: true });
  const anyway = h('input', { type: 'checkbox', 'data-testid': 'setup-model-anyway' });
  const anywayLabel = h('label', { class: 'setup-anyway', hidden: true }, anyway, h('span', undefined, 'Continue anyway: start it even though the estimate says it does not fit'));
  const path = h('input', { type: 'text', class: 'mono', placeholder: '/data/models/my-model  or  /data/gguf/model-Q4_K_M.gguf', 'data-testid': 'setup-weights-path', 'aria-label': 'Path of the weights' });
  const pathRow = h('label', { class: 'ctl setup-path', hidden: true }, h('span', { class: 'ctl-label' }, 'Where the weights are (a model folder for vLLM, or a .gguf file for llama.cpp)'), path);
  const showAll = h('button', { type: 'button', class: 'secondary small', 'data-testid': 'setup-model-all', hidden: true }, 'Show every model');
  const next = primary('Continue', 'setup-model-next');
  let options: Option[] = [];
  let features: Feature[] = [];
  let all = false;

  const selected = (): Option | undefined => {
    const value = list.querySelector<HTMLInputElement>('input[name="setup-model"]:checked')?.value;
    return options.find((o) => o.id === value);
  };

  function showFit(): void {
    const option = selected();
    const short = option !== undefined && !option.fits;
    anywayLabel.hidden = !short || option.engine !== 'vllm';
    const suggestions = short ? option.advice.suggestions : [];
    fixes.hidden = !short;
    replaceChildren(
      fixes,
      short ? h('p', undefined, option.engine === 'vllm' ? `${option.advice.name} needs ${gib(option.advice.required_free_bytes)} free on the GPUs; the nearest fixes:` : 'This GGUF file is larger than the memory free now.') : null,
      suggestions.length > 0 ? h('ul', { class: 'plain-list' }, ...suggestions.map((s) => h('li', { 'data-testid': 'setup-model-fix' }, s.message))) : null,
    );
  }

  function draw(choices: SetupChoices): void {
    const shown = all ? options : options.slice(0, 8);
    showAll.hidden = all || options.length <= shown.length;
    showAll.textContent = `Show every model (${options.length - shown.length} more)`;
    const want = choices.model ? `${choices.model}|${choices.gguf ?? 'vllm'}` : (options[0]?.id ?? '');
    replaceChildren(
      list,
      ...shown.map((o) => {
        const radio = h('input', { type: 'radio', name: 'setup-model', value: o.id, 'data-testid': 'setup-model-option', 'data-model': o.advice.model, 'data-engine': o.engine, 'data-gguf': o.gguf ?? '' });
        radio.checked = o.id === want;
        radio.addEventListener('change', showFit);
        const rated = ratedCount(choices.features, features, o.advice.ratings);
        const file = o.advice.gguf.find((g) => g.quant === o.gguf);
        const what = o.engine === 'vllm' ? `${gib(o.advice.weight_bytes)} of weights, served on the GPUs` : `A ${gib(file?.bytes ?? 0)} file, served on the CPU: slow, but it works to try Duo out`;
        return h(
          'label',
          { class: 'setup-choice setup-model', 'data-fits': String(o.fits) },
          radio,
          h(
            'span',
            undefined,
            h('strong', undefined, o.advice.name, h('span', { class: 'setup-model-how' }, o.engine === 'vllm' ? ` · vLLM, ${o.advice.variant.toUpperCase()}` : ` · llama.cpp, GGUF ${o.gguf ?? ''}`)),
            h('span', { class: `chip setup-fit setup-fit-${o.fits ? 'yes' : 'no'}` }, o.engine === 'vllm' ? FIT_WORDS[o.advice.badge] : o.fits ? 'fits in memory' : 'larger than free memory'),
            h('span', { class: 'hint' }, what),
            h('span', { class: rated === 0 ? 'hint setup-unrated' : 'hint', 'data-testid': 'setup-model-rated' }, rated === 0 ? `Not rated for any of your features in this GitLab version${o.advice.deprecation ? `: ${o.advice.deprecation.note}` : ''}` : `Rated for ${rated} of your ${choices.features.length} features`),
            o.engine === 'vllm' && o.advice.explanation[0] ? h('span', { class: 'hint' }, o.advice.explanation[0]) : null,
          ),
        );
      }),
    );
    showFit();
  }

  showAll.addEventListener('click', () => {
    all = true;
    draw(ctx.status().choices);
  });
  next.addEventListener('click', () => {
    const choices = ctx.status().choices;
    const own = choices.path === 'own_weights';
    const option = selected();
    if (!option) {
      error.show(new Error('Choose a model.'), '');
      return;
    }
    const weights = own ? path.value.trim() : '';
    if (own && !weights.startsWith('/')) {
      error.show(new Error('Give the full path of the weights, starting with /.'), '');
      path.focus();
      return;
    }
    if (!option.fits && option.engine === 'vllm' && !anyway.checked) {
      error.show(new Error(`${option.advice.name} does not fit: choose another model, or tick "Continue anyway".`), '');
      return;
    }
    const engine: SetupEngine = own ? (weights.endsWith('.gguf') ? 'llama_cpp' : 'vllm') : option.engine;
    void busy(next, 'Saving…', error, 'The model could not be saved.', () =>
      ctx.save({
        ...choices,
        model: option.advice.model,
        engine,
        gguf: own ? null : option.gguf,
        weights_path: own ? weights : null,
        override_memory_estimate: !option.fits && anyway.checked,
      }),
    );
  });
  const el = stepFrame('model', 'Model', 'The models GitLab supports, fitted to this machine (the memory each needs is worked out the way vLLM sizes it).', [pathRow, list, showAll, fixes, anywayLabel, error.el], [next]);
  return {
    el,
    enter(status) {
      pathRow.hidden = status.choices.path !== 'own_weights';
      path.value = status.choices.weights_path ?? '';
      anyway.checked = status.choices.override_memory_estimate;
      void Promise.all([api.recommend({}), api.catalog()]).then(
        ([rec, catalog]) => {
          features = catalog.features;
          const chosen = ctx.status().choices.features;
          options = optionsOf(rec.models, (advice) => ratedCount(chosen, features, advice.ratings));
          draw(ctx.status().choices);
        },
        (reason: unknown) => {
          error.show(reason, 'The recommendations could not be read.');
        },
      );
    },
  };
}
