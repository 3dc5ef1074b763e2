// Pieces both job panels (engine installs, weight downloads) use: the state badge of a job
// (`job-state`), the sentence for how it ended (`job-outcome`), the error line of a failed
// call (`job-call-error`) and the Cancel button.

import { h } from '../dom';
import { percent } from '../format';
import type { JobState, JobStatus } from '../types';
import type { ProgressBar } from '../widgets';

/** The job's state as a badge, in the look of the engine cards' badges. */
export interface StateBadge {
  el: HTMLElement;
  set(state: JobState): void;
}

export function stateBadge(): StateBadge {
  const word = h('span', undefined);
  const el = h('span', { class: 'state-badge job-state', 'data-testid': 'job-state' }, h('span', { class: 'state-dot', 'aria-hidden': 'true' }), word);
  return {
    el,
    set(state) {
      word.textContent = state;
      el.dataset.state = state;
      el.classList.toggle('busy', state === 'running');
      el.classList.toggle('state-ready', state === 'done');
      el.classList.toggle('state-failed', state === 'failed');
      el.classList.toggle('state-stopped', state === 'cancelled');
    },
  };
}

/** Moves a bar to a job's state: its percent while it runs, full or still when it ended. */
export function showOnBar(bar: ProgressBar, job: JobStatus, text: string): void {
  if (job.state === 'running') bar.set(job.percent, job.percent === null ? text : `${percent(job.percent)} · ${text}`);
  else bar.end(job.state === 'done');
}

/** The line that says how a job ended: green when done, red when failed, grey when cancelled. */
export interface Outcome {
  el: HTMLElement;
  /** Shows `content` in the look of `state`; null hides the line. */
  set(state: JobState | null, ...content: (Node | string)[]): void;
}

export function outcome(): Outcome {
  const el = h('div', { class: 'job-outcome', 'data-testid': 'job-outcome', hidden: true });
  return {
    el,
    set(state, ...content) {
      el.hidden = state === null;
      el.dataset.state = state ?? '';
      el.setAttribute('role', state === 'failed' ? 'alert' : 'status');
      el.replaceChildren(...content);
    },
  };
}

/** An error line for a call that failed (start, cancel); empty and hidden when set to null. */
export interface CallError {
  el: HTMLElement;
  set(message: string | null): void;
}

export function callError(id: string): CallError {
  const el = h('p', { class: 'field-error', role: 'alert', id, 'data-testid': 'job-call-error', hidden: true });
  return {
    el,
    set(message) {
      el.hidden = message === null;
      el.textContent = message ?? '';
    },
  };
}

/** A Cancel button that says "Cancelling…" from the click until the job ends. */
export interface CancelButton {
  el: HTMLButtonElement;
  /** Shown while the job runs. */
  set(running: boolean): void;
}

/**
 * `cancel` asks the server; when that fails the button can be pressed again and
 * `failed` hears why.
 */
export function cancelButton(label: string, cancel: () => Promise<unknown>, failed: (message: string) => void): CancelButton {
  const el = h('button', { type: 'button', class: 'secondary small stop', 'data-testid': 'job-cancel', 'aria-label': label, hidden: true }, 'Cancel');
  const reset = (): void => {
    el.disabled = false;
    el.textContent = 'Cancel';
  };
  el.addEventListener('click', () => {
    if (el.disabled) return;
    el.disabled = true;
    el.textContent = 'Cancelling…';
    cancel().catch((reason: unknown) => {
      reset();
      failed(messageOf(reason, 'The job could not be cancelled.'));
    });
  });
  return {
    el,
    set(running) {
      el.hidden = !running;
      if (!running) reset();
    },
  };
}

/** The message of whatever a call rejected with. */
export function messageOf(reason: unknown, fallback: string): string {
  return reason instanceof Error && reason.message ? reason.message : fallback;
}
