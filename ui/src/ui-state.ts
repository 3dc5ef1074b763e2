// Disposable, desktop-only UI state: the theme override, the last page, the dashboard's time
// window, the wizard's step and whether it was finished. In the window it lives in tauri-plugin-store's file
// (`ui-state.json` in the app's data folder); in a browser, in localStorage. Nothing here is a
// setting `duows` shares: those stay in the core's settings. Read once at start
// (`loadUiState`), then read synchronously; writes are saved in the background.

import { isDesktop } from './transport';

export interface UiStateShape {
  theme: 'system' | 'light' | 'dark';
  lastPage: string;
  dashboardWindow: number;
  setupStep: string;
  /** The wizard was finished: a first visit goes straight to the last page, without asking the server. */
  setupFinished: boolean;
}

type Key = keyof UiStateShape;

const PREFIX = 'duows.';
const KEYS: readonly Key[] = ['theme', 'lastPage', 'dashboardWindow', 'setupStep', 'setupFinished'];
const cache = new Map<Key, unknown>();

interface Backend {
  set(key: Key, value: unknown): void;
}

let backend: Backend = browserBackend();

function browserBackend(): Backend {
  return {
    set(key, value) {
      try {
        localStorage.setItem(PREFIX + key, JSON.stringify(value));
      } catch {
        // private mode: the choice lasts for this page only
      }
    },
  };
}

function readBrowser(): void {
  for (const key of KEYS) {
    try {
      const raw = localStorage.getItem(PREFIX + key);
      if (raw !== null) cache.set(key, JSON.parse(raw));
    } catch {
      // unreadable or not JSON: as if never chosen
    }
  }
}

/** Reads the saved state once; a store that cannot be read leaves every value at its default. */
export async function loadUiState(): Promise<void> {
  if (!isDesktop()) {
    readBrowser();
    return;
  }
  try {
    const { load } = await import('@tauri-apps/plugin-store');
    const store = await load('ui-state.json', { autoSave: 200, defaults: {} });
    for (const key of KEYS) {
      const value = await store.get(key);
      if (value !== undefined) cache.set(key, value);
    }
    backend = {
      set(key, value) {
        void store.set(key, value).catch(() => undefined);
      },
    };
  } catch {
    readBrowser();
  }
}

/** The saved value of `key` when it passes `valid`, else `fallback`. */
export function uiState<K extends Key>(key: K, fallback: UiStateShape[K], valid: (value: unknown) => boolean = () => true): UiStateShape[K] {
  const value = cache.get(key);
  return value !== undefined && valid(value) ? (value as UiStateShape[K]) : fallback;
}

export function setUiState<K extends Key>(key: K, value: UiStateShape[K]): void {
  cache.set(key, value);
  backend.set(key, value);
}
