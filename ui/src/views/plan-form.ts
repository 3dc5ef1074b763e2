// "Plan for other hardware": a spec input (`plan-spec`), a submit button (`plan-submit`),
// the server's error next to the field (`plan-error`), and "Back to this machine" (`plan-reset`).
// It only collects input and shows state; main.ts decides what a plan does.

import { h } from '../dom';
import { ApiError } from '../types';

export interface PlanForm {
  el: HTMLElement;
  /** Shows whether a plan is on screen (the reset button appears). */
  setPlanned(label: string | null): void;
  setSpec(spec: string): void;
}

export interface PlanHandlers {
  plan(spec: string): Promise<void>;
  reset(): void;
}

export function planForm(handlers: PlanHandlers): PlanForm {
  const input = h('input', {
    id: 'plan-spec',
    type: 'text',
    name: 'spec',
    placeholder: '2xA100-80GB',
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-describedby': 'plan-hint plan-error',
    'data-testid': 'plan-spec',
  });
  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'plan-submit' }, 'Plan');
  const error = h('p', { id: 'plan-error', class: 'field-error', role: 'alert', 'data-testid': 'plan-error', hidden: true });
  const reset = h('button', { type: 'button', class: 'secondary', 'data-testid': 'plan-reset', hidden: true }, 'Back to this machine');

  const clearError = (): void => {
    error.hidden = true;
    error.textContent = '';
    input.removeAttribute('aria-invalid');
  };

  const form = h(
    'form',
    { class: 'plan-form', novalidate: true, 'aria-label': 'Plan for other hardware' },
    h('div', { class: 'plan-row' }, h('label', { for: 'plan-spec' }, 'Plan for other hardware'), input, submit, reset),
    h('p', { id: 'plan-hint', class: 'hint' }, 'GPU count × model, e.g. 1xRTX4090, 2xL40S, 8xH100-80GB'),
    error,
  );

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const spec = input.value.trim();
    clearError();
    if (!spec) {
      input.setAttribute('aria-invalid', 'true');
      error.textContent = 'Enter a hardware description, for example 2xA100-80GB.';
      error.hidden = false;
      input.focus();
      return;
    }
    submit.disabled = true;
    handlers
      .plan(spec)
      .catch((e: unknown) => {
        input.setAttribute('aria-invalid', 'true');
        error.textContent = e instanceof ApiError || e instanceof Error ? e.message : 'The description was rejected.';
        error.hidden = false;
        input.focus();
      })
      .finally(() => {
        submit.disabled = false;
      });
  });
  input.addEventListener('input', clearError);
  reset.addEventListener('click', () => {
    clearError();
    handlers.reset();
  });

  return {
    el: form,
    setPlanned(label) {
      reset.hidden = label === null;
    },
    setSpec(spec) {
      input.value = spec;
    },
  };
}
