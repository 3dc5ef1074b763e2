// The Engines page (`data-testid="engines-page"`): the inference engines the server runs,
// one card each, installing engines and downloading weights, and the form that starts an
// engine. While on screen it follows the store's engines and jobs (the live stream sends
// every change: nothing is polled) and the samples' clock, for "since" and countdowns. A
// card's log is read when the card appears, when its engine's state changes, and every two
// seconds while the engine runs and the page is on screen; nothing is read off screen.

import { h, replaceChildren } from '../dom';
import { pageScope, type Page } from '../page';
import type { ConnectionState, Store } from '../store';
import { api } from '../transport';
import type { EngineStatus } from '../types';
import { ENDED, LOG_TAIL, engineCard, type EngineCard } from '../views/engine-card';
import { engineForm } from '../views/engine-form';
import { jobsSection } from '../views/jobs';

/** A running engine's log grows: read again this often while the page is on screen. */
const LOGS_EVERY_MS = 2000;
/** A server clock this far from the browser's is corrected for (else: the same machine). */
const CLOCK_SKEW_MS = 2000;

interface Entry {
  card: EngineCard;
  status: EngineStatus;
  /** The state the log was last read in; an ended engine's log is read once more, then left. */
  logReadIn: string | null;
}

function emptyState(): HTMLElement {
  return h(
    'div',
    { class: 'empty engines-empty', 'data-testid': 'engines-empty' },
    h('h3', undefined, 'No engine is running'),
    h(
      'p',
      undefined,
      'An engine is an inference server that answers GitLab Duo’s requests: ',
      h('strong', undefined, 'vLLM'),
      ' for a catalog model on this machine’s NVIDIA GPUs, or ',
      h('strong', undefined, 'llama.cpp'),
      ' for a GGUF file, on the CPU or partly on a GPU. Duo Workstation starts it, waits until it answers, restarts it when it crashes and stops it with the server.',
    ),
    h(
      'p',
      undefined,
      'Start one with the form below: pick a model (the Models page shows which fit), preview its launch plan, then Start. Its endpoint is what the GitLab AI gateway is pointed at. An engine that is not installed yet, and a model’s weights, can be fetched first under Install and download.',
    ),
  );
}

export function enginesPage(store: Store): Page {
  const count = h('h2', undefined, 'Engines');
  const updated = h('p', { class: 'hint', 'data-testid': 'engines-updated' }, 'Connecting…');
  const statusSlot = h('div', { class: 'banner-slot', 'data-testid': 'engines-status' });
  const grid = h('div', { class: 'engine-grid' });
  const empty = emptyState();
  const list = h('div', { class: 'engine-list' }, h('p', { class: 'empty' }, 'Asking the server for its engines…'));
  const entries = new Map<string, Entry>();
  const scope = pageScope();

  const form = engineForm({
    plan: (params) => api.enginePlan(params),
    start: (params) => api.engineStart(params),
    started(status) {
      apply([...[...entries.values()].map((e) => e.status).filter((s) => s.name !== status.name), status]);
      const card = entries.get(status.name)?.card.el;
      if (card) {
        card.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
        card.classList.remove('flash');
        requestAnimationFrame(() => {
          card.classList.add('flash');
        });
      }
    },
  });

  const jobs = jobsSection({
    install: (engine) => api.engineInstall({ engine }),
    download: (params) => api.modelDownload(params),
    cancel: (id) => api.jobCancel(id),
  });

  const el = h(
    'main',
    { class: 'layout engines-page', 'data-testid': 'engines-page' },
    h('section', { class: 'engines-section', 'aria-label': 'Engines' }, h('div', { class: 'section-head' }, count, updated), statusSlot, list),
    jobs.el,
    form.el,
  );

  let catalogLoaded = false;
  let offset = 0;

  const now = (): number => Date.now() + offset;

  /** Shows the answer of a card's action at once; the stream brings the rest. */
  function showAnswer(status: EngineStatus): void {
    const entry = entries.get(status.name);
    // The stream may have told of a later state before this answer came back.
    if (entry && status.since_ms >= entry.status.since_ms) {
      entry.status = status;
      entry.card.update(status, now());
    }
    void readLogs(false);
  }

  const cardActions = {
    async stop(name: string): Promise<void> {
      showAnswer(await api.engineStop(name));
    },
    async retry(name: string): Promise<void> {
      showAnswer(await api.engineRetry(name));
    },
    async remedy(name: string): Promise<void> {
      showAnswer(await api.engineApplyRemedy(name));
    },
    async remove(name: string): Promise<void> {
      await api.engineRemove(name);
      entries.get(name)?.card.el.remove();
      entries.delete(name);
      apply([...entries.values()].map((e) => e.status));
    },
  };

  /** Shows a list of statuses: updates the cards there are, adds and removes the rest. */
  function apply(statuses: EngineStatus[]): void {
    const t = now();
    const names = new Set(statuses.map((s) => s.name));
    for (const [name, entry] of entries) {
      if (!names.has(name)) {
        entry.card.el.remove();
        entries.delete(name);
      }
    }
    for (const [i, status] of statuses.entries()) {
      let entry = entries.get(status.name);
      if (entry) {
        entry.status = status;
        entry.card.update(status, t);
      } else {
        entry = { card: engineCard(status, t, cardActions), status, logReadIn: null };
        entry.card.setJobs(store.get('jobs') ?? undefined);
        entries.set(status.name, entry);
      }
      if (grid.children[i] !== entry.card.el) grid.insertBefore(entry.card.el, grid.children[i] ?? null);
    }
    const running = statuses.filter((s) => !ENDED.has(s.state)).length;
    const ended = statuses.length - running;
    count.textContent = statuses.length === 0 ? 'Engines' : `Engines (${running} running${ended > 0 ? `, ${ended} ended` : ''})`;
    const content = statuses.length === 0 ? empty : grid;
    if (list.firstChild !== content || list.childNodes.length !== 1) replaceChildren(list, content);
    // A new card, or an engine in a new state: its log says why.
    void readLogs(false);
  }

  /** Re-reads "since" and countdowns by the server's clock, without a new status. */
  function tick(timestampMs: number): void {
    const skew = timestampMs - Date.now();
    offset = Math.abs(skew) > CLOCK_SKEW_MS ? skew : 0;
    const t = now();
    for (const entry of entries.values()) entry.card.update(entry.status, t);
  }

  function showConnection(state: ConnectionState): void {
    updated.textContent = state === 'live' ? 'Live' : state === 'connecting' ? 'Connecting…' : 'Not up to date';
    jobs.setConnection(state);
    if (state !== 'reconnecting') {
      replaceChildren(statusSlot);
      return;
    }
    replaceChildren(
      statusSlot,
      h(
        'div',
        { class: 'banner banner-error', role: 'alert', 'data-testid': 'engines-load-error' },
        h('span', { class: 'banner-icon', 'aria-hidden': 'true' }, '!'),
        h(
          'div',
          undefined,
          h('strong', undefined, 'The live connection to the server broke.'),
          h('p', { class: 'remedy' }, 'The engines shown may be out of date. Reconnecting every two seconds.'),
        ),
      ),
    );
  }

  const logKey = (e: Entry): string => `${e.status.state}@${e.status.since_ms}`;
  let reading = false;
  let readAgain = false;

  /**
   * Reads the log of each engine whose log is out of date: one never read, or read in
   * another state; with `running`, also each engine that still runs. Never two rounds at once.
   */
  async function readLogs(running: boolean): Promise<void> {
    if (reading) {
      readAgain = true;
      return;
    }
    const due = [...entries.values()].filter((e) => e.logReadIn !== logKey(e) || (running && !ENDED.has(e.status.state)));
    if (due.length === 0) return;
    reading = true;
    try {
      await Promise.all(
        due.map(async (entry) => {
          const readIn = logKey(entry);
          try {
            entry.card.setLogs(await api.engineLogs(entry.status.name, LOG_TAIL));
            entry.logReadIn = readIn;
          } catch (error) {
            entry.card.setLogError(error instanceof Error ? error.message : 'the request failed');
          }
        }),
      );
    } finally {
      reading = false;
    }
    if (readAgain) {
      readAgain = false;
      void readLogs(false);
    }
  }

  async function loadCatalog(): Promise<void> {
    try {
      const catalog = await api.catalog();
      form.setCatalog(catalog);
      jobs.setCatalog(catalog);
      catalogLoaded = true;
    } catch (error) {
      const message = error instanceof Error ? error.message : 'the request failed';
      form.setCatalogError(message);
      jobs.setCatalogError(message);
    }
  }

  return {
    el,
    show() {
      if (!catalogLoaded) void loadCatalog();
      // Logs written while the page was away: read them again.
      for (const entry of entries.values()) if (!ENDED.has(entry.status.state)) entry.logReadIn = null;
      scope.follow(store, 'engines', (statuses) => {
        if (statuses) apply(statuses);
      });
      scope.follow(store, 'jobs', (list) => {
        jobs.apply(list);
        for (const entry of entries.values()) entry.card.setJobs(list ?? undefined);
      });
      scope.follow(store, 'connection', showConnection);
      scope.follow(store, 'sample', (sample) => {
        if (sample) tick(sample.timestamp_ms);
      });
      scope.every(LOGS_EVERY_MS, () => {
        if (document.visibilityState === 'visible') void readLogs(true);
      });
    },
    hide() {
      scope.close();
    },
    dispose() {
      scope.close();
      el.remove();
    },
  };
}
