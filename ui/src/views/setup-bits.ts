// What every setup step shares: the context the wizard gives it (the status, saving choices,
// reading again, opening a step), the step's frame (title, lead, body, the buttons at the
// foot), an error line that names the field, and the check rows of the system check.

import { h } from '../dom';
import type { Store } from '../store';
import { ApiError, type DoctorLine, type SetupChoices, type SetupStatus, type StepId } from '../types';

export interface WizardContext {
  store: Store;
  /** The latest status (set before any step is built). */
  status(): SetupStatus;
  /** Keeps the choices; the wizard then shows the first step whose result is missing. */
  save(choices: SetupChoices): Promise<void>;
  /** Reads where the setup stands again. */
  refresh(): Promise<void>;
  /** Opens `step` (one already behind), or the current one with null. */
  open(step: StepId | null): void;
  /** What this visit made that the server never shows again: the new key's secret. */
  session: { secret: string | null; keyName: string | null; gitlabAddress: string | null };
}

export interface StepView {
  el: HTMLElement;
  /** The step came on screen with this status. */
  enter(status: SetupStatus): void;
  /** The status changed while the step is on screen. */
  update?(status: SetupStatus): void;
  /** The step left the screen: stop timers and subscriptions. */
  leave?(): void;
}

/** The frame of a step: its heading, a lead paragraph, the body and the buttons at the foot. */
export function stepFrame(id: StepId, title: string, lead: string, body: Node[], foot: Node[]): HTMLElement {
  return h(
    'div',
    { class: 'setup-step', 'data-testid': `setup-${id}` },
    h('h3', { class: 'setup-step-title' }, title),
    h('p', { class: 'setup-lead' }, lead),
    ...body,
    h('div', { class: 'setup-foot' }, ...foot),
  );
}

export function primary(label: string, testid: string): HTMLButtonElement {
  return h('button', { type: 'button', class: 'primary', 'data-testid': testid }, label);
}

export function secondary(label: string, testid: string): HTMLButtonElement {
  return h('button', { type: 'button', class: 'secondary', 'data-testid': testid }, label);
}

/** An error line under a step: the message in plain words, the field at fault and its fix. */
export interface StepError {
  el: HTMLElement;
  show(error: unknown, fallback: string): void;
  clear(): void;
}

/** What stands in the way, one warning box per line (the Done step's blockers, the reach check). */
export function warningList(lines: readonly string[], testid: string): HTMLElement {
  return h('ul', { class: 'setup-blockers', 'data-testid': testid }, ...lines.map((line) => h('li', { class: 'warning' }, line)));
}

export function stepError(testid = 'setup-step-error'): StepError {
  const el = h('div', { class: 'field-error setup-error', role: 'alert', 'data-testid': testid, hidden: true });
  return {
    el,
    show(error, fallback) {
      const message = error instanceof Error && error.message ? error.message : fallback;
      const field = error instanceof ApiError && error.field ? ` (${error.field})` : '';
      const fix = error instanceof ApiError && error.fix ? h('div', { class: 'hint', 'data-testid': 'setup-error-fix' }, `Use: ${error.fix}`) : null;
      el.replaceChildren(h('span', undefined, `${message}${field}`), ...(fix ? [fix] : []));
      el.hidden = false;
    },
    clear() {
      el.hidden = true;
      el.replaceChildren();
    },
  };
}

const LABEL = { pass: 'Pass', warn: 'Warning', fail: 'Fail', skip: 'Skipped' } as const;

/** One line of a check, in the Doctor page's look. */
export function checkRow(line: DoctorLine): HTMLElement {
  return h(
    'li',
    { class: `doctor-line doctor-${line.status}`, 'data-testid': 'setup-check-line', 'data-status': line.status, 'data-area': line.area },
    h('span', { class: `doctor-mark doctor-mark-${line.status}`, title: LABEL[line.status] }, LABEL[line.status]),
    h('div', { class: 'doctor-body' }, h('div', { class: 'doctor-title' }, line.title), h('div', { class: 'doctor-detail' }, line.detail), line.fix ? h('div', { class: 'doctor-fix' }, line.fix) : null),
  );
}

/** Runs `work` with `button` disabled and saying `busy`; errors go to `error`. */
export async function busy(button: HTMLButtonElement, busyLabel: string, error: StepError, fallback: string, work: () => Promise<void>): Promise<void> {
  const label = button.textContent;
  button.disabled = true;
  button.textContent = busyLabel;
  error.clear();
  try {
    await work();
  } catch (reason) {
    error.show(reason, fallback);
  } finally {
    button.disabled = false;
    // A view that showed the new state meanwhile set the words for it: keep those.
    if (button.textContent === busyLabel) button.textContent = label;
  }
}
