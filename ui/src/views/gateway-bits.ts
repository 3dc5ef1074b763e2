// Pieces the Gateway page's panels share: a deployment's readiness dot, a key's state, a
// labelled control, and the error display of a small form (forms.ts).

import { h } from '../dom';
import { ago } from '../format';
import { formErrors, type FormErrors, type FormField } from '../forms';
import type { DeploymentView, KeyInfo } from '../types';

/** How a deployment's state reads: a word, and the dot's colour. */
export function deploymentState(d: DeploymentView): { word: string; tone: 'ok' | 'warn' | 'bad' | 'unknown' } {
  if (d.ready) return { word: d.source === 'external' ? 'reachable' : 'ready', tone: 'ok' };
  switch (d.status) {
    case 'unchecked':
      return { word: 'not checked yet', tone: 'unknown' };
    case 'unreachable':
      return { word: 'unreachable', tone: 'bad' };
    case 'wrong_key':
      return { word: 'key refused', tone: 'bad' };
    case 'model_missing':
      return { word: 'model not served', tone: 'bad' };
    case 'checked_by_gitlab':
      return { word: 'called by GitLab', tone: 'unknown' };
    case 'failed':
      return { word: 'failed', tone: 'bad' };
    default:
      return { word: 'not ready', tone: 'warn' };
  }
}

/**
 * A green dot for a deployment that takes requests (an engine that is ready, an endpoint
 * whose last check found the model), grey for one not checked yet, red for one that is
 * unreachable, refuses the key or lacks the model, amber for one still loading, and amber
 * for a name no deployment has. The reason and when it was checked are the tooltip.
 */
export function readinessDot(name: string, deployment: DeploymentView | undefined, now = Date.now()): HTMLElement {
  let title: string;
  let tone: 'ok' | 'warn' | 'bad' | 'unknown' = 'warn';
  let word = 'not ready';
  if (!deployment) {
    title = `No deployment is called ${name}: start the engine on the Engines page, or add it under Deployments.`;
  } else {
    ({ word, tone } = deploymentState(deployment));
    const when = deployment.checked_at_ms !== null ? ` (checked ${ago(Math.max(0, now - deployment.checked_at_ms))})` : '';
    title = deployment.ready
      ? `${name} is ${word}${deployment.latency_ms !== null ? `, answered in ${deployment.latency_ms} ms` : ''}${when}`
      : `${name}: ${deployment.reason ?? word}${when}`;
  }
  return h('span', {
    class: `ready-dot ${tone}`,
    role: 'img',
    'aria-label': word,
    title,
    'data-testid': 'ready-dot',
    'data-ready': String(deployment?.ready ?? false),
    'data-status': deployment?.status ?? 'missing',
  });
}

export type KeyState = 'active' | 'expired' | 'revoked';

/** Whether a key works at `nowSeconds`. */
export function keyState(key: KeyInfo, nowSeconds: number): KeyState {
  if (key.revoked_at !== null) return 'revoked';
  if (key.expires_at !== null && key.expires_at <= nowSeconds) return 'expired';
  return 'active';
}

/** A labelled control in a small form; `data-field` names it for errors. */
export function control(label: string, id: string, input: HTMLElement, hint?: string | Node): HTMLElement {
  return h(
    'div',
    { class: 'ctl', 'data-field': id },
    h('label', { for: id, class: 'ctl-label' }, label),
    input,
    hint ? h('p', { class: 'hint' }, hint) : null,
  );
}

export type { FormErrors as FormError } from '../forms';

/**
 * One error at a time (`data-testid=testid`, `data-field` = where it is shown). `fields`
 * maps a field name to its control and input; `general` is the slot above the form.
 * `fieldOf` turns the server's field name (`deployments.endpoint`) into one of `fields`.
 */
export function formError(
  testid: string,
  fields: Record<string, FormField>,
  general: HTMLElement,
  fieldOf: (serverField: string) => string = (f) => f,
): FormErrors {
  return formErrors({ testid, fields, general, fieldOf });
}
