// The Engines page (`data-testid="engines-page"`): the inference engines the server runs,
// one card each, installing engines and downloading weights, and the form that starts an
// engine. While the page is on screen (its tab chosen and the browser tab visible) it asks
// for every engine's status once a second and for the tail of each log every two seconds,
// and follows running installs and downloads every second; it asks nothing while hidden.

import { h, replaceChildren } from '../dom';
import { poller } from '../poller';
import { api } from '../transport';
import type { EngineStatus } from '../types';
import { ENDED, LOG_TAIL, engineCard, type EngineCard } from '../views/engine-card';
import { engineForm } from '../views/engine-form';
import { jobsSection } from '../views/jobs';

const STATUS_EVERY_MS = 1000;
const LOGS_EVERY_MS = 2000;
/** A server clock this far from the browser's is corrected for (else: the same machine). */
const CLOCK_SKEW_MS = 2000;

export interface EnginesPage {
  el: HTMLElement;
  /** The page came on screen: load the catalog the first time, start polling. */
  show(): void;
  /** The page left the screen: stop polling. */
  hide(): void;
  /** The time of a live sample, as the server's clock had it, to read its clock by. */
  serverTime(timestampMs: number): void;
}

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

export function enginesPage(): EnginesPage {
  const count = h('h2', undefined, 'Engines');
  const updated = h('p', { class: 'hint', 'data-testid': 'engines-updated' }, 'Checking…');
  const statusSlot = h('div', { class: 'banner-slot', 'data-testid': 'engines-status' });
  const grid = h('div', { class: 'engine-grid' });
  const empty = emptyState();
  const list = h('div', { class: 'engine-list' }, h('p', { class: 'empty' }, 'Asking the server for its engines…'));
  const entries = new Map<string, Entry>();

  const form = engineForm({
    plan: (params) => api.enginePlan(params),
    start: (params) => api.engineStart(params),
    started(status) {
      apply([...[...entries.values()].map((e) => e.status).filter((s) => s.name !== status.name), status]);
      statusPoll.now();
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
    jobs: () => api.jobs(),
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

  let shown = false;
  let catalogLoaded = false;
  let offset = 0;
  let loadedOnce = false;

  const now = (): number => Date.now() + offset;

  /** Shows the answer of a card's action at once, then asks for every engine again. */
  function showAnswer(status: EngineStatus): void {
    const entry = entries.get(status.name);
    if (entry) {
      entry.status = status;
      entry.card.update(status, now());
    }
    statusPoll.now();
    logsPoll.now();
  }

  const cardActions = {
    async stop(name: string): Promise<void> {
      showAnswer(await api.engineStop(name));
    },
    async retry(name: string): Promise<void> {
      showAnswer(await api.engineRetry(name));
    },
    async remove(name: string): Promise<void> {
      await api.engineRemove(name);
      entries.get(name)?.card.el.remove();
      entries.delete(name);
      statusPoll.now();
    },
  };

  /** Shows a list of statuses: updates the cards there are, adds and removes the rest. */
  function apply(statuses: EngineStatus[]): void {
    const t = now();
    const names = new Set(statuses.map((s) => s.name));
    let added = false;
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
        entries.set(status.name, entry);
        added = true;
      }
      if (grid.children[i] !== entry.card.el) grid.insertBefore(entry.card.el, grid.children[i] ?? null);
    }
    const running = statuses.filter((s) => !ENDED.has(s.state)).length;
    const ended = statuses.length - running;
    count.textContent = statuses.length === 0 ? 'Engines' : `Engines (${running} running${ended > 0 ? `, ${ended} ended` : ''})`;
    const content = statuses.length === 0 ? empty : grid;
    if (list.firstChild !== content || list.childNodes.length !== 1) replaceChildren(list, content);
    if (added) logsPoll.now();
  }

  function showPollError(message: string | null): void {
    if (message === null) {
      replaceChildren(statusSlot);
      return;
    }
    replaceChildren(
      statusSlot,
      h(
        'div',
        { class: 'banner banner-error', role: 'alert', 'data-testid': 'engines-load-error' },
        h('span', { class: 'banner-icon', 'aria-hidden': 'true' }, '!'),
        h('div', undefined, h('strong', undefined, 'The engines’ status could not be read.'), h('p', { class: 'remedy' }, `${message} Trying again every second.`)),
      ),
    );
  }

  async function readStatus(): Promise<void> {
    try {
      apply(await api.engineStatus());
      loadedOnce = true;
      showPollError(null);
      updated.textContent = 'Updated every second';
    } catch (error) {
      showPollError(error instanceof Error ? error.message : 'The request failed.');
      updated.textContent = loadedOnce ? 'Not up to date' : 'Not loaded';
    }
  }

  async function readLogs(): Promise<void> {
    const key = (e: Entry): string => `${e.status.state}@${e.status.since_ms}`;
    const due = [...entries.values()].filter((e) => !ENDED.has(e.status.state) || e.logReadIn !== key(e));
    await Promise.all(
      due.map(async (entry) => {
        const readIn = key(entry);
        try {
          entry.card.setLogs(await api.engineLogs(entry.status.name, LOG_TAIL));
          entry.logReadIn = readIn;
        } catch (error) {
          entry.card.setLogError(error instanceof Error ? error.message : 'the request failed');
        }
      }),
    );
  }

  const statusPoll = poller(readStatus, STATUS_EVERY_MS);
  const logsPoll = poller(readLogs, LOGS_EVERY_MS);

  /** Polls while the page is on screen and the browser tab visible. */
  function sync(): void {
    const onScreen = shown && document.visibilityState === 'visible';
    if (onScreen) {
      statusPoll.start();
      logsPoll.start();
    } else {
      statusPoll.stop();
      logsPoll.stop();
    }
    jobs.setActive(onScreen);
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

  document.addEventListener('visibilitychange', sync);

  return {
    el,
    show() {
      if (shown) return;
      shown = true;
      if (!catalogLoaded) void loadCatalog();
      sync();
    },
    hide() {
      shown = false;
      sync();
    },
    serverTime(timestampMs) {
      const skew = timestampMs - Date.now();
      offset = Math.abs(skew) > CLOCK_SKEW_MS ? skew : 0;
    },
  };
}
