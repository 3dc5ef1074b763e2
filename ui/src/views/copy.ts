// The "Copy" button beside a command, an address or a path. Writes to the clipboard where
// the page may (a secure context); elsewhere (plain http to another host) it selects the
// text so Ctrl+C copies it, and says so.

import { h } from '../dom';

async function copyText(text: string, target: HTMLElement, button: HTMLButtonElement): Promise<void> {
  const label = button.textContent;
  const done = (result: string): void => {
    button.textContent = result;
    window.setTimeout(() => {
      button.textContent = label;
    }, 1600);
  };
  try {
    if (!('clipboard' in navigator)) throw new Error('no clipboard');
    await navigator.clipboard.writeText(text);
    done('Copied');
  } catch {
    const range = document.createRange();
    range.selectNodeContents(target);
    const selection = window.getSelection();
    selection?.removeAllRanges();
    selection?.addRange(range);
    done('Press Ctrl+C');
  }
}

/**
 * A small "Copy" button for `text` (or whatever `text()` returns when clicked); `target` is
 * the element that shows it, selected when the clipboard cannot be written.
 */
export function copyButton(text: string | (() => string), target: HTMLElement, attrs: { testid?: string; title?: string } = {}): HTMLButtonElement {
  const button = h(
    'button',
    { type: 'button', class: 'secondary small copy', 'data-testid': attrs.testid, title: attrs.title },
    'Copy',
  );
  button.addEventListener('click', () => {
    void copyText(typeof text === 'string' ? text : text(), target, button);
  });
  return button;
}
