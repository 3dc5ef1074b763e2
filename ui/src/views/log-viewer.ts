// The dashboard's log viewer (`data-testid="log-viewer"`): the server's, the gateway's and
// each engine's logs, one or all, with a text search and a correlation-id filter that follows
// one request from the gateway into its engine. The newest lines are read again every few
// seconds while "Follow" is on and the page is on screen; the list stays at its bottom unless
// the reader scrolled up.

import { h, replaceChildren } from '../dom';
import { api } from '../transport';
import type { LogSearch, LogSource } from '../types';

export interface LogViewer {
  el: HTMLElement;
  /** Reads the logs again (unless a read is under way). */
  refresh(): void;
  /** Whether the reader wants the newest lines as they come. */
  following(): boolean;
}

const LINES = 500;
const SOURCE_CLASS: Record<string, string> = { app: 'src-app', gateway: 'src-gateway', engine: 'src-engine' };

export function logViewer(): LogViewer {
  const source = h('select', { 'aria-label': 'Log', 'data-testid': 'log-source' }, h('option', { value: '' }, 'All logs'));
  const search = h('input', { type: 'search', placeholder: 'Search text', 'aria-label': 'Search the logs', 'data-testid': 'log-search' });
  const correlation = h('input', {
    type: 'search',
    placeholder: 'Correlation id',
    'aria-label': 'Only the lines of one request: its correlation id (X-Request-Id)',
    'data-testid': 'log-correlation',
    class: 'mono',
  });
  const follow = h('input', { type: 'checkbox', 'data-testid': 'log-follow' });
  follow.checked = true;
  const status = h('p', { class: 'hint', role: 'status', 'data-testid': 'log-status' }, 'Reading the logs…');
  const list = h('ol', { class: 'log-lines', 'data-testid': 'log-lines', tabindex: 0, 'aria-label': 'Log lines' });
  const form = h(
    'form',
    { class: 'log-controls', role: 'search' },
    source,
    search,
    correlation,
    h('button', { type: 'submit', class: 'secondary' }, 'Search'),
    h('label', { class: 'radio log-follow' }, follow, 'Follow'),
  );
  const el = h(
    'section',
    { class: 'dash-section', 'data-testid': 'log-viewer', 'aria-label': 'Logs' },
    h('div', { class: 'section-head' }, h('h2', undefined, 'Logs'), h('span', { class: 'hint' }, 'server, gateway and engines')),
    form,
    h('div', { class: 'card log-card' }, list),
    status,
  );

  let busy = false;
  let known: LogSource[] = [];

  function setSources(sources: LogSource[]): void {
    const same = sources.length === known.length && sources.every((s, i) => s.id === known[i]?.id);
    if (same) return;
    known = sources;
    const chosen = source.value;
    replaceChildren(source, h('option', { value: '' }, 'All logs'), ...sources.map((s) => h('option', { value: s.id }, s.label)));
    source.value = sources.some((s) => s.id === chosen) ? chosen : '';
  }

  let drawn: string | null = null;

  function draw(result: LogSearch): void {
    setSources(result.sources);
    // Unchanged lines are left alone, so a selection or the scroll position stays.
    const key = JSON.stringify([result.lines.length, result.lines[0], result.lines[result.lines.length - 1], result.correlation_ids]);
    if (key === drawn) return;
    drawn = key;
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 24;
    const label = new Map(result.sources.map((s) => [s.id, s]));
    replaceChildren(
      list,
      ...result.lines.map((line) => {
        const from = label.get(line.source);
        return h(
          'li',
          { 'data-source': line.source },
          h('span', { class: `log-src ${SOURCE_CLASS[from?.kind ?? 'app'] ?? ''}`, title: from?.label ?? line.source }, line.source.replace(/^app:/, '')),
          h('span', { class: 'log-text' }, line.text),
        );
      }),
    );
    if (atBottom || list.dataset.drawn !== 'yes') list.scrollTop = list.scrollHeight;
    list.dataset.drawn = 'yes';
    const filtered = search.value.trim() !== '' || correlation.value.trim() !== '';
    if (result.sources.length === 0) status.textContent = 'No log has been written yet.';
    else if (result.lines.length === 0) status.textContent = filtered ? 'No line matches.' : 'The log is empty.';
    else {
      const followed = result.correlation_ids.length > 1 ? ` Following ids ${result.correlation_ids.join(', ')}.` : '';
      status.textContent = `${result.truncated ? `The newest ${String(result.lines.length)}` : String(result.lines.length)} line${result.lines.length === 1 ? '' : 's'}.${followed}`;
    }
  }

  function refresh(): void {
    if (busy) return;
    busy = true;
    const text = search.value.trim();
    const id = correlation.value.trim();
    api
      .logs({
        sources: source.value === '' ? null : [source.value],
        search: text === '' ? null : text,
        correlation_id: id === '' ? null : id,
        lines: LINES,
      })
      .then(draw, (error: unknown) => {
        status.textContent = `The logs could not be read: ${error instanceof Error ? error.message : 'the server did not answer'}.`;
      })
      .finally(() => {
        busy = false;
      });
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    refresh();
  });
  source.addEventListener('change', refresh);

  return { el, refresh, following: () => follow.checked };
}
