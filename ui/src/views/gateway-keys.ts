// "API keys" (`data-testid="gateway-keys"`): the gateway's keys (`key-row`, `data-id`,
// `data-state` active / expired / revoked), a form that creates one (`key-name`,
// `key-expiry` in days, `key-create`; errors in `key-error`), and Revoke on each active key
// (`key-revoke`, then `key-revoke-confirm`). A new key's secret is shown once, above the
// list (see gateway-secret.ts).

import { h, replaceChildren } from '../dom';
import { dateTime, day } from '../format';
import type { CreatedKey, KeyCreateParams, KeyInfo } from '../types';
import { control, formError, keyState } from './gateway-bits';
import { secretBox } from './gateway-secret';

export interface KeysActions {
  create(params: KeyCreateParams): Promise<CreatedKey>;
  revoke(id: string): Promise<KeyInfo>;
  /** The keys changed: read them again, and whether the gateway now needs one. */
  changed(): void;
}

export interface KeysPanel {
  el: HTMLElement;
  setKeys(keys: KeyInfo[]): void;
  setLoadError(message: string): void;
  /** Takes a shown secret off the page. */
  hideSecret(): void;
}

const when = (seconds: number): HTMLElement => h('span', { title: dateTime(seconds * 1000) }, day(seconds * 1000));

export function keysPanel(actions: KeysActions): KeysPanel {
  const secretSlot = h('div', { class: 'secret-slot' });
  const body = h('tbody', undefined, h('tr', undefined, h('td', { colspan: 6, class: 'table-empty' }, 'Asking the server for its keys…')));
  const name = h('input', { id: 'key-name', type: 'text', placeholder: 'gitlab', autocomplete: 'off', spellcheck: 'false', maxlength: 64, 'data-testid': 'key-name' });
  const expiry = h('input', { id: 'key-expiry', type: 'number', min: 1, step: 1, placeholder: 'never', inputmode: 'numeric', 'data-testid': 'key-expiry' });
  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'key-create' }, 'Create key');
  const general = h('div', { class: 'form-general' });
  const fields = {
    name: { ctl: control('Name', 'key-name', name), input: name },
    expires_in_days: { ctl: control('Expires after (days)', 'key-expiry', expiry), input: expiry },
  };
  fields.name.ctl.classList.add('ctl-name');
  const error = formError('key-error', fields, general);
  const form = h(
    'form',
    { class: 'gateway-form key-form', novalidate: true, 'aria-label': 'Create an API key', 'data-testid': 'key-form' },
    general,
    h('div', { class: 'gateway-form-row' }, fields.name.ctl, fields.expires_in_days.ctl, h('div', { class: 'ctl-apply' }, submit)),
  );

  const el = h(
    'section',
    { class: 'card gateway-keys', 'aria-label': 'API keys', 'data-testid': 'gateway-keys' },
    h(
      'div',
      { class: 'panel-head' },
      h('h3', undefined, 'API keys'),
      h('p', { class: 'hint' }, 'Once a key is active, every request to the gateway needs one (Authorization: Bearer …). A revoke applies within a second.'),
    ),
    secretSlot,
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'data-table keys-table' },
        h(
          'thead',
          undefined,
          h(
            'tr',
            undefined,
            h('th', undefined, 'Name'),
            h('th', undefined, 'Key'),
            h('th', undefined, 'Created'),
            h('th', undefined, 'Expires'),
            h('th', undefined, 'State'),
            h('th', { class: 'actions' }, h('span', { class: 'visually-hidden' }, 'Actions')),
          ),
        ),
        body,
      ),
    ),
    form,
  );

  let keys: KeyInfo[] = [];
  let confirming: string | null = null;
  let revoking: string | null = null;
  let revokeError: { id: string; message: string } | null = null;

  function hideSecret(): void {
    replaceChildren(secretSlot);
  }

  function actionCell(key: KeyInfo, active: boolean): HTMLElement {
    if (!active) return h('td', { class: 'actions' });
    if (revoking === key.id) return h('td', { class: 'actions' }, h('span', { class: 'hint' }, 'Revoking…'));
    if (confirming === key.id) {
      return h(
        'td',
        { class: 'actions confirm' },
        h('span', { class: 'confirm-text' }, 'Clients using it stop working. Revoke?'),
        h('button', { type: 'button', class: 'secondary small danger', 'data-testid': 'key-revoke-confirm', onclick: () => void revoke(key.id) }, 'Revoke'),
        h('button', { type: 'button', class: 'secondary small', 'data-testid': 'key-revoke-cancel', onclick: () => { confirming = null; render(); } }, 'Cancel'),
      );
    }
    return h(
      'td',
      { class: 'actions' },
      revokeError?.id === key.id ? h('span', { class: 'field-error', role: 'alert' }, revokeError.message) : null,
      h(
        'button',
        { type: 'button', class: 'secondary small stop', 'data-testid': 'key-revoke', title: `Revoke ${key.name}`, onclick: () => { confirming = key.id; revokeError = null; render(); } },
        'Revoke',
      ),
    );
  }

  function row(key: KeyInfo, now: number): HTMLElement {
    const state = keyState(key, now);
    return h(
      'tr',
      { 'data-testid': 'key-row', 'data-id': key.id, 'data-state': state },
      h('td', undefined, h('strong', { 'data-testid': 'key-row-name' }, key.name)),
      h('td', undefined, h('code', { class: 'mono', title: `id ${key.id}` }, `${key.prefix}_…`)),
      h('td', undefined, when(key.created_at)),
      h('td', undefined, key.expires_at === null ? h('span', { class: 'dim' }, 'never') : when(key.expires_at)),
      h(
        'td',
        undefined,
        h(
          'span',
          { class: `chip key-${state}`, 'data-testid': 'key-state', title: state === 'revoked' && key.revoked_at !== null ? `revoked ${dateTime(key.revoked_at * 1000)}` : undefined },
          state,
        ),
      ),
      actionCell(key, state === 'active'),
    );
  }

  function render(): void {
    const now = Date.now() / 1000;
    if (keys.length === 0) {
      replaceChildren(body, h('tr', { 'data-testid': 'keys-empty' }, h('td', { colspan: 6, class: 'table-empty' }, 'No keys yet: on this machine the gateway answers without one. Create one before GitLab on another machine uses it.')));
    } else {
      replaceChildren(body, ...keys.map((k) => row(k, now)));
    }
  }

  async function revoke(id: string): Promise<void> {
    confirming = null;
    revoking = id;
    revokeError = null;
    render();
    try {
      const revoked = await actions.revoke(id);
      keys = keys.map((k) => (k.id === revoked.id ? revoked : k));
      actions.changed();
    } catch (reason) {
      revokeError = { id, message: reason instanceof Error ? reason.message : 'The key could not be revoked.' };
    } finally {
      revoking = null;
      render();
    }
  }

  let busy = false;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (busy) return;
    error.clear();
    const label = name.value.trim();
    if (!label) {
      error.show('Enter a name: who or what uses the key, e.g. gitlab.', 'name');
      return;
    }
    const params: KeyCreateParams = { name: label };
    const days = expiry.value.trim();
    if (expiry.validity.badInput || (days !== '' && !(Number.isInteger(Number(days)) && Number(days) >= 1))) {
      error.show('Enter a whole number of days (1 or more), or leave it empty for a key that never expires.', 'expires_in_days');
      return;
    }
    if (days !== '') params.expires_in_days = Number(days);
    busy = true;
    submit.disabled = true;
    submit.textContent = 'Creating…';
    actions
      .create(params)
      .then(
        (created) => {
          name.value = '';
          expiry.value = '';
          keys = [...keys.filter((k) => k.id !== created.key.id), created.key];
          render();
          replaceChildren(secretSlot, secretBox(created.key.name, created.secret, hideSecret).el);
          actions.changed();
        },
        (reason: unknown) => {
          error.report(reason, 'The key could not be created.');
        },
      )
      .finally(() => {
        busy = false;
        submit.disabled = false;
        submit.textContent = 'Create key';
      });
  });

  return {
    el,
    setKeys(next) {
      keys = next;
      if (confirming === null && revoking === null) render();
    },
    setLoadError(message) {
      replaceChildren(body, h('tr', undefined, h('td', { colspan: 6, class: 'table-empty field-error', role: 'alert', 'data-testid': 'keys-load-error' }, `The keys could not be read: ${message}`)));
    },
    hideSecret,
  };
}
