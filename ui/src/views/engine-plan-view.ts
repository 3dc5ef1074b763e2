// A launch plan as the Engines page previews it: the command line, the facts of the fit,
// where it runs, what is prepared, and the checks a start makes first
// (`engine-preflight`, one `preflight-check` per check with `data-outcome`): engine
// installed, weights complete, real GPUs, the fit, and free memory now.

import { h } from '../dom';
import { capitalized } from '../format';
import type { CatalogModel, EnginePlanView, PreflightCheck, PrepareStep } from '../types';
import { commandLines } from './engine-card';
import { copyButton } from './copy';
import { gpuList, tokens } from './model-bits';

function prepareItem(step: PrepareStep): HTMLElement {
  if (step.action === 'copy') {
    return h('li', undefined, 'Copy ', h('code', { class: 'path' }, step.from), ' to ', h('code', { class: 'path' }, step.to));
  }
  return h(
    'li',
    undefined,
    h(
      'details',
      { class: 'prepare-write' },
      h('summary', undefined, 'Write ', h('code', { class: 'path' }, step.path)),
      h('pre', { class: 'code' }, step.contents),
    ),
  );
}

export function planView(view: EnginePlanView, model: CatalogModel | undefined): HTMLElement {
  const code = h('code', undefined, commandLines(view.command_line));
  const fit = view.fit;
  const facts = fit
    ? [
        `${fit.variant} checkpoint`,
        gpuList(fit.gpus),
        `context ${tokens(fit.max_model_len)} tokens`,
        concurrencyText(fit.concurrency),
      ]
    : [`served as ${view.plan.served_name}`];
  const notes: string[] = [];
  if (model?.serving) notes.push(`Needs vLLM ${model.serving.min_vllm} or newer.`);
  notes.push('The key is made when the engine starts and is shown as <hidden>; the port is chosen again then, too.');
  return h(
    'div',
    { class: 'engine-plan-view', 'data-testid': 'engine-plan-view' },
    h(
      'div',
      { class: 'row-label' },
      h('span', undefined, `Launch plan: ${view.plan.served_name} on ${view.plan.kind === 'vllm' ? 'vLLM' : 'llama.cpp'}`),
      copyButton(view.command_line, code, { testid: 'copy-plan', title: 'Copy the command line' }),
    ),
    h('pre', { class: 'code', 'data-testid': 'engine-plan-command' }, code),
    h('p', { class: 'plan-facts' }, facts.join(' · ')),
    h(
      'dl',
      { class: 'facts plan-where' },
      h('div', { class: 'fact' }, h('dt', undefined, 'Endpoint'), h('dd', { class: 'mono' }, view.base_url)),
      h('div', { class: 'fact' }, h('dt', undefined, 'Runs in'), h('dd', { class: 'mono path' }, view.plan.working_dir)),
    ),
    preflightList(view),
    h(
      'div',
      { class: 'prepare', 'data-testid': 'engine-plan-prepare' },
      h('h4', undefined, 'Files written at start'),
      view.plan.prepare.length > 0
        ? h('ol', { class: 'prepare-list' }, ...view.plan.prepare.map(prepareItem))
        : h('p', { class: 'hint' }, 'None: the engine reads the checkpoint as published.'),
    ),
    h('p', { class: 'hint' }, notes.join(' ')),
  );
}


/** vLLM's "maximum concurrency": requests of the full context the KV cache holds at once. */
function concurrencyText(concurrency: number): string {
  const shown = Number.isInteger(concurrency) ? String(concurrency) : concurrency.toFixed(2);
  return `${shown}× the full context at once`;
}

const OUTCOME_LABEL: Record<PreflightCheck['outcome'], string> = { pass: 'OK', warn: 'Note', fail: 'Blocks the start' };

/** The checks a start makes first; a start is refused while any fails. */
export function preflightList(view: EnginePlanView): HTMLElement {
  const checks = view.preflight.checks;
  const failed = checks.filter((c) => c.outcome === 'fail').length;
  return h(
    'div',
    { class: 'preflight', 'data-testid': 'engine-preflight', 'data-failed': String(failed) },
    h('h4', undefined, failed === 0 ? 'Before it starts: ready' : `Before it starts: ${failed} thing${failed === 1 ? '' : 's'} to fix`),
    h(
      'ul',
      { class: 'preflight-list' },
      ...checks.map((c) =>
        h(
          'li',
          { class: `preflight-check ${c.outcome}`, 'data-testid': 'preflight-check', 'data-item': c.item, 'data-outcome': c.outcome },
          h('span', { class: `preflight-mark ${c.outcome}`, 'aria-label': OUTCOME_LABEL[c.outcome] }, c.outcome === 'pass' ? '✓' : c.outcome === 'warn' ? '!' : '✕'),
          h(
            'span',
            undefined,
            // The server writes messages to be joined; on its own line one starts a sentence.
            capitalized(c.message),
            c.fix ? h('span', { class: 'preflight-fix' }, ` — ${c.fix}${c.overridable && c.outcome === 'fail' ? ' (or tick “Start even if…”)' : ''}`) : null,
          ),
        ),
      ),
    ),
  );
}
