// What every form shares: checks of what was typed (pure functions, unit-tested), and one
// error display per form. An error sits next to its field (`aria-invalid`, and
// `aria-describedby` pointing at the message) or, when it names no field, in one banner
// above the form. A field is checked as it is typed once it was left or the form was sent,
// and its error goes as soon as the value is right. The server's errors (`ApiError.field`)
// land next to the field they name.

import { h } from './dom';
import { ApiError } from './types';

/** What a check says about a value: null when it is right, else why not. */
export type Check = (input: { value: string; badInput: boolean }) => string | null;

export interface WholeNumberRule {
  min?: number;
  max?: number;
  /** May be left empty (the default). */
  optional?: boolean;
  /** The message for anything but a whole number in range. */
  message: string;
}

/** Checks a whole number typed in a number field (`badInput`: the browser could not read it). */
export function checkWholeNumber(value: string, badInput: boolean, rule: WholeNumberRule): string | null {
  if (badInput) return rule.message;
  const text = value.trim();
  if (text === '') return rule.optional === false ? rule.message : null;
  const n = Number(text);
  if (!Number.isInteger(n)) return rule.message;
  if (rule.min !== undefined && n < rule.min) return rule.message;
  if (rule.max !== undefined && n > rule.max) return rule.message;
  return null;
}

/** A whole number from a number field: undefined when empty, null when not one. */
export function readWholeNumber(value: string, badInput: boolean): number | undefined | null {
  if (badInput) return null;
  const text = value.trim();
  if (text === '') return undefined;
  const n = Number(text);
  return Number.isInteger(n) && n >= 0 ? n : null;
}

/** Names the server accepts for keys and deployments: letters, digits, `.`, `_`, `-`. */
export function checkName(value: string, what: string, maxLength = 64): string | null {
  const text = value.trim();
  if (text === '') return `Enter a name: letters, digits, “.”, “_” or “-”.`;
  if (text.length > maxLength) return `${what} is at most ${maxLength} characters long.`;
  if (!/^[A-Za-z0-9._-]+$/.test(text)) return `${what} may hold only letters, digits, “.”, “_” or “-”.`;
  return null;
}

/** An OpenAI-compatible server's address: http(s), a host, ending in /v1. */
/** The address with exactly one /v1 at its end (what was meant when /v1 is missing, doubled,
 * or followed by an API path), or null when it is not an http(s) address. */
export function endpointWithV1(value: string): string | null {
  let base = value.trim().replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]/.test(base)) return null;
  for (const tail of ['/chat/completions', '/completions', '/models']) if (base.endsWith(tail)) base = base.slice(0, -tail.length);
  while (base.endsWith('/v1')) base = base.slice(0, -3);
  return `${base}/v1`;
}

export function checkEndpoint(value: string): string | null {
  const text = value.trim();
  const example = 'e.g. http://gpu-2.internal:8000/v1';
  if (text === '') return `Enter the server’s address, ending in /v1, ${example}.`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `Enter a full address with http:// or https://, ending in /v1, ${example}.`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `The address must start with http:// or https://, ${example}.`;
  if (!/\/v1\/?$/.test(url.pathname) || /\/v1\/v1\/?$/.test(url.pathname)) return `The address must end in /v1 (once), ${example}.`;
  return null;
}

export interface FormField {
  /** The element that holds the label and the input; a field's error is put in it. */
  ctl: HTMLElement;
  input: HTMLInputElement | HTMLSelectElement;
  /** Checked as it is typed (once left, or after a send) and by `check()`. */
  check?: Check;
  /** The corrected value when the check's problem has a plain one (offered as a button). */
  fix?: (value: string) => string | null;
}

export interface FormErrors {
  /** Shows `message` next to `field` (a key of the form's fields), else in the banner, with
   * a button that puts `fix` in the field when one is given. */
  show(message: string, field: string | null, fix?: string | null): void;
  /** Shows a rejected call's message where its `field` says. */
  report(reason: unknown, fallback: string): void;
  clear(): void;
  /** Runs every visible field's check; shows the first error and returns false when one fails. */
  check(): boolean;
  /** The form was sent and emptied: check fields again only once they are left. */
  reset(): void;
  /** Takes in a field added to the form after it was made (a row of a list). */
  add(key: string, field: FormField): void;
  /** Lets go of a field taken out of the form (its error goes with it). */
  remove(key: string): void;
}

export interface FormErrorsOptions {
  /** The error's `data-testid` (its element's id is `<testid>-msg` unless `id` is given). */
  testid: string;
  id?: string;
  fields: Record<string, FormField>;
  /** Where an error that names no field goes (the form's banner slot). */
  general: HTMLElement;
  /** The banner's classes. */
  bannerClass?: string;
  /** Turns the server's field name (`deployments.endpoint`) into a key of `fields`. */
  fieldOf?: (serverField: string) => string;
  /** Whether a field takes part now (a hidden one does not); all do by default. */
  visible?: (field: string) => boolean;
}

const inputState = (input: HTMLInputElement | HTMLSelectElement): { value: string; badInput: boolean } => ({
  value: input.value,
  badInput: input.validity.badInput,
});

/**
 * A server's message shown beside the field it is about, without naming the field by its
 * settings path again: "settings field `planned_hardware` is not a hardware spec" → "Is not
 * a hardware spec".
 */
export function besideField(message: string): string {
  const rest = /^settings field `[^`]*` (.+)$/s.exec(message)?.[1];
  return rest === undefined ? message : rest.charAt(0).toUpperCase() + rest.slice(1);
}

/** One error at a time for a form (`data-field` on the error says where it is shown). */
export function formErrors(options: FormErrorsOptions): FormErrors {
  const { testid, fields, general } = options;
  const id = options.id ?? `${testid}-msg`;
  const fieldOf = options.fieldOf ?? ((f: string) => f);
  const visible = options.visible ?? (() => true);
  let error: HTMLElement | null = null;
  let sent = false;
  const left = new Set<string>();

  function clear(): void {
    error?.remove();
    error = null;
    for (const { input } of Object.values(fields)) {
      input.removeAttribute('aria-invalid');
      input.removeAttribute('aria-describedby');
    }
  }

  function place(message: string, key: string | null, focus: boolean, fix: string | null = null): void {
    clear();
    const target = key !== null && visible(key) ? fields[key] : undefined;
    if (target) message = besideField(message);
    error = h(
      'p',
      {
        class: target ? 'field-error' : (options.bannerClass ?? 'banner banner-error form-general-error'),
        role: 'alert',
        id,
        'data-testid': testid,
        'data-field': target ? key : 'general',
      },
      message,
    );
    if (target && fix !== null && fix !== target.input.value) {
      // One click puts the corrected value in the field (and checks it again).
      const apply = h('button', { type: 'button', class: 'link fix-button', 'data-testid': `${testid}-fix` }, fix === '' ? 'Clear it' : `Use ${fix}`);
      apply.addEventListener('click', () => {
        target.input.value = fix;
        target.input.dispatchEvent(new Event('input', { bubbles: true }));
        clear();
        target.input.focus();
      });
      error.append(' ', apply);
    }
    if (target) {
      target.ctl.append(error);
      target.input.setAttribute('aria-invalid', 'true');
      target.input.setAttribute('aria-describedby', id);
      if (focus) target.input.focus();
    } else {
      general.append(error);
    }
  }

  function show(message: string, field: string | null, fix: string | null = null): void {
    place(message, field === null ? null : fieldOf(field), true, fix);
  }

  function watch(key: string, field: FormField): void {
    const typed = (): void => {
      const problem = field.check && (sent || left.has(key)) ? field.check(inputState(field.input)) : null;
      if (problem !== null) {
        place(problem, key, false, field.fix?.(field.input.value) ?? null);
        return;
      }
      // The value is right now: an error about this field, or about the whole form, is answered.
      if (error && (field.input.getAttribute('aria-invalid') === 'true' || error.dataset.field === 'general')) clear();
    };
    field.input.addEventListener('input', typed);
    field.input.addEventListener('change', () => {
      left.add(key);
      typed();
    });
    field.input.addEventListener('blur', () => {
      if (field.input.value !== '') left.add(key);
    });
  }
  for (const [key, field] of Object.entries(fields)) watch(key, field);

  return {
    show,
    clear,
    report(reason, fallback) {
      if (reason instanceof ApiError) show(reason.message, reason.field, reason.fix);
      else show(reason instanceof Error ? reason.message : fallback, null);
    },
    reset() {
      sent = false;
      left.clear();
      clear();
    },
    add(key, field) {
      fields[key] = field;
      watch(key, field);
    },
    remove(key) {
      if (error?.dataset.field === key) clear();
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- the fields of a list's rows come and go
      delete fields[key];
      left.delete(key);
    },
    check() {
      sent = true;
      clear();
      for (const [key, field] of Object.entries(fields)) {
        if (!field.check || !visible(key)) continue;
        const problem = field.check(inputState(field.input));
        if (problem !== null) {
          place(problem, key, true, field.fix?.(field.input.value) ?? null);
          return false;
        }
      }
      return true;
    },
  };
}
