// The theme: the system's (light or dark, followed live), or an override kept in the UI state.
// The override is an attribute on the root element the style sheet reads; a change is
// announced with a `duows-theme` event so canvas charts re-read the palette.

import { setUiState, uiState, type UiStateShape } from './ui-state';

export type ThemeChoice = UiStateShape['theme'];

export const THEME_CHOICES: readonly ThemeChoice[] = ['system', 'light', 'dark'];

const isChoice = (value: unknown): boolean => (THEME_CHOICES as readonly unknown[]).includes(value);

export function savedTheme(): ThemeChoice {
  return uiState('theme', 'system', isChoice);
}

/** Applies `choice` to the page (and keeps it when `remember`). */
export function applyTheme(choice: ThemeChoice, remember = false): void {
  if (choice === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = choice;
  if (remember) setUiState('theme', choice);
  window.dispatchEvent(new Event('duows-theme'));
}
