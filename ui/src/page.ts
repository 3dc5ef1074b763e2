// Pages and their lifetime. A page is built once, the first time its route is chosen, and
// stays in the document so its forms keep what was typed; the registry shows one page at a
// time. Whatever a shown page holds (store subscriptions, timers, document listeners) is
// taken in a `PageScope` and released when the page is hidden, so a page off screen costs
// nothing. Pure logic apart from `el.hidden`; unit-tested.

import type { Slice, Slices, Store } from './store';

export interface Page {
  el: HTMLElement;
  /** The page came on screen: read what it needs, subscribe, start its timers. */
  show(): void;
  /** The page left the screen: release everything `show` took. */
  hide(): void;
  /** The page is gone for good: hide it and take it out of the document. */
  dispose(): void;
}

/** What a shown page holds, released together by `close()`. */
export interface PageScope {
  /** Calls `listener` with the slice's value now (when there is one) and on every change. */
  follow<K extends Slice>(store: Store, slice: K, listener: (value: Slices[K]) => void): void;
  /** Calls `run` every `everyMs` until closed. */
  every(everyMs: number, run: () => void): void;
  /** Listens to `type` on `target` until closed. */
  listen(target: EventTarget, type: string, listener: EventListener): void;
  /** Runs `cleanup` when closed. */
  add(cleanup: () => void): void;
  /** Releases everything; the scope can be used again afterwards. */
  close(): void;
  /** How many things the scope holds now. */
  size(): number;
}

export function pageScope(): PageScope {
  const cleanups: (() => void)[] = [];
  return {
    follow(store, slice, listener) {
      cleanups.push(store.subscribe(slice, listener));
      const now = store.get(slice);
      if (now !== null) listener(now);
    },
    every(everyMs, run) {
      const timer = setInterval(run, everyMs);
      cleanups.push(() => {
        clearInterval(timer);
      });
    },
    listen(target, type, listener) {
      target.addEventListener(type, listener);
      cleanups.push(() => {
        target.removeEventListener(type, listener);
      });
    },
    add(cleanup) {
      cleanups.push(cleanup);
    },
    close() {
      for (const cleanup of cleanups.splice(0).reverse()) cleanup();
    },
    size: () => cleanups.length,
  };
}

/** One entry of the registry: how to build the page of `route`, and its document title. */
export interface PageEntry<R extends string> {
  route: R;
  title: string;
  create(): Page;
}

export interface PageRegistry<R extends string> {
  /** Shows the page of `route` (building it the first time) and hides the one shown before. */
  show(route: R): void;
  /** The route on screen, or null before the first `show`. */
  current(): R | null;
  /** The page of `route` when it was built. */
  page(route: R): Page | undefined;
  /** Disposes every page built. */
  disposeAll(): void;
}

/**
 * Shows one page at a time. `mount` puts a newly built page's element in the document;
 * `titled` hears the title of each page shown.
 */
export function pageRegistry<R extends string>(
  entries: readonly PageEntry<R>[],
  mount: (el: HTMLElement) => void,
  titled: (title: string) => void = () => undefined,
): PageRegistry<R> {
  const built = new Map<R, Page>();
  let shown: R | null = null;

  return {
    show(route) {
      const entry = entries.find((e) => e.route === route);
      if (!entry) throw new Error(`no page for ${route}`);
      if (shown === route) return;
      if (shown !== null) {
        const before = built.get(shown);
        if (before) {
          before.el.hidden = true;
          before.hide();
        }
      }
      let page = built.get(route);
      if (!page) {
        page = entry.create();
        built.set(route, page);
        mount(page.el);
      }
      shown = route;
      page.el.hidden = false;
      page.show();
      titled(entry.title);
    },
    current: () => shown,
    page: (route) => built.get(route),
    disposeAll() {
      for (const page of built.values()) page.dispose();
      built.clear();
      shown = null;
    },
  };
}
