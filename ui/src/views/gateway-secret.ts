// The box that shows a new API key's secret (`data-testid="key-secret-box"`), the one time
// the server sends it: the key (`key-secret`), Copy (`key-secret-copy`) and a dismiss button
// (`key-secret-dismiss`). The secret lives only in this box's text: dismissing it, or going to
// another page of the app, removes the box, and nothing else keeps the string. Switching to
// another browser tab (to paste it into GitLab) leaves it alone.

import { h } from '../dom';
import { copyButton } from './copy';

export interface SecretBox {
  el: HTMLElement;
}

/** A box showing `secret` for the key `name`; `dismiss` is called when the user closes it. */
export function secretBox(name: string, secret: string, dismiss: () => void): SecretBox {
  const code = h('code', { class: 'secret-value', 'data-testid': 'key-secret' }, secret);
  const el = h(
    'div',
    { class: 'banner banner-warn secret-box', role: 'alert', 'data-testid': 'key-secret-box' },
    h('span', { class: 'banner-icon', 'aria-hidden': 'true' }, '!'),
    h(
      'div',
      { class: 'secret-body' },
      h('strong', undefined, `The key “${name}” is shown only now.`),
      h(
        'p',
        { class: 'remedy' },
        'Copy it and enter it in GitLab as the model’s API key. It cannot be shown again: only a hash of it is kept. If it is lost, revoke it and create another.',
      ),
      h(
        'div',
        { class: 'secret-row' },
        code,
        // Reads the text when clicked, so the box's text stays the only copy of the secret.
        copyButton(() => code.textContent, code, { testid: 'key-secret-copy', title: 'Copy the key' }),
      ),
      h('button', { type: 'button', class: 'secondary small', 'data-testid': 'key-secret-dismiss', onclick: dismiss }, 'I have copied it — hide the key'),
    ),
  );
  return { el };
}
