import { afterEach, describe, expect, it, vi } from 'vitest';
import { pageRegistry, pageScope, type Page } from './page';
import { createStore } from './store';

/** A page whose calls are recorded in `log`, with a stand-in element. */
function fakePage(name: string, log: string[]): Page {
  const el = { hidden: true } as HTMLElement;
  return {
    el,
    show: () => log.push(`show ${name}`),
    hide: () => log.push(`hide ${name}`),
    dispose: () => log.push(`dispose ${name}`),
  };
}

function registry(log: string[], mounted: HTMLElement[], titles: string[]) {
  const entries = (['a', 'b'] as const).map((route) => ({
    route,
    title: `Page ${route}`,
    create: () => {
      log.push(`create ${route}`);
      return fakePage(route, log);
    },
  }));
  return pageRegistry(entries, (el) => mounted.push(el), (t) => titles.push(t));
}

describe('the page registry', () => {
  it('builds a page the first time it is shown, and shows one at a time', () => {
    const log: string[] = [];
    const mounted: HTMLElement[] = [];
    const titles: string[] = [];
    const pages = registry(log, mounted, titles);
    pages.show('a');
    pages.show('b');
    pages.show('a');
    expect(log).toEqual(['create a', 'show a', 'hide a', 'create b', 'show b', 'hide b', 'show a']);
    expect(mounted).toHaveLength(2);
    expect(titles).toEqual(['Page a', 'Page b', 'Page a']);
    expect(pages.current()).toBe('a');
    expect(pages.page('a')?.el.hidden).toBe(false);
    expect(pages.page('b')?.el.hidden).toBe(true);
  });

  it('does nothing when the page shown is chosen again', () => {
    const log: string[] = [];
    const pages = registry(log, [], []);
    pages.show('a');
    pages.show('a');
    expect(log).toEqual(['create a', 'show a']);
  });

  it('disposes every page built', () => {
    const log: string[] = [];
    const pages = registry(log, [], []);
    pages.show('a');
    pages.show('b');
    pages.disposeAll();
    expect(log.slice(-2)).toEqual(['dispose a', 'dispose b']);
    expect(pages.current()).toBeNull();
    expect(pages.page('a')).toBeUndefined();
  });

  it('refuses a route it has no page for', () => {
    const pages = registry([], [], []);
    expect(() => {
      pages.show('c' as 'a');
    }).toThrow(/no page/);
  });
});

describe('a page scope', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('follows a slice: its value now, then each change, until closed', () => {
    const store = createStore();
    const scope = pageScope();
    const seen: string[] = [];
    scope.follow(store, 'connection', (state) => seen.push(state));
    scope.follow(store, 'jobs', (jobs) => seen.push(`jobs ${jobs?.length ?? 'none'}`));
    expect(seen).toEqual(['connecting']);
    store.apply({ kind: 'jobs', data: [] });
    store.setConnection('live');
    expect(seen).toEqual(['connecting', 'jobs 0', 'live']);
    scope.close();
    expect(store.listenerCount('jobs')).toBe(0);
    expect(store.listenerCount('connection')).toBe(0);
    store.setConnection('reconnecting');
    expect(seen).toHaveLength(3);
  });

  it('stops its timers and listeners when closed', () => {
    vi.useFakeTimers();
    const scope = pageScope();
    const tick = vi.fn();
    const heard = vi.fn();
    const target = new EventTarget();
    scope.every(1000, tick);
    scope.listen(target, 'ping', heard);
    vi.advanceTimersByTime(2500);
    target.dispatchEvent(new Event('ping'));
    expect(tick).toHaveBeenCalledTimes(2);
    expect(heard).toHaveBeenCalledTimes(1);
    expect(scope.size()).toBe(2);
    scope.close();
    expect(scope.size()).toBe(0);
    vi.advanceTimersByTime(5000);
    target.dispatchEvent(new Event('ping'));
    expect(tick).toHaveBeenCalledTimes(2);
    expect(heard).toHaveBeenCalledTimes(1);
  });

  it('runs added clean-ups, last first, once', () => {
    const scope = pageScope();
    const order: number[] = [];
    scope.add(() => order.push(1));
    scope.add(() => order.push(2));
    scope.close();
    scope.close();
    expect(order).toEqual([2, 1]);
  });
});
