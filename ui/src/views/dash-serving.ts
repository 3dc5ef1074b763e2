// The dashboard's serving sections, drawn from one `dashboard` answer: each engine's figures
// from its Prometheus metrics (`data-testid="dash-engine"`), the gateway's traffic per alias
// (`dash-gateway`) and, for a deployment with replicas, per replica with whether it takes
// requests (`dash-replica`), and the processes on each GPU with this app's engines named and their
// planned memory beside what they use (`dash-processes`). Each has its loading, empty and
// error states, and keeps its size while it waits.

import { h, replaceChildren } from '../dom';
import { DASH, gib, latency, percent } from '../format';
import type { AliasTraffic, DashboardView, EngineServing, GatewayTraffic, GpuProcesses, ReplicaTraffic } from '../types';
import { gpuColour } from './metric-chart';

export interface ServingSection {
  el: HTMLElement;
  /** Shows the section's part of `view`; an unchanged part is left as it is (focus and selection stay). */
  show(view: DashboardView): void;
  /** The last read failed: say so (the figures shown before stay, marked as old). */
  failed(message: string): void;
}

function section(title: string, testid: string, hint: string): { el: HTMLElement; body: HTMLElement; note: HTMLElement } {
  const body = h('div', { class: 'dash-body' }, h('p', { class: 'empty dash-wait' }, 'Reading…'));
  const note = h('p', { class: 'hint dash-section-note', role: 'status' });
  const el = h(
    'section',
    { class: 'dash-section', 'data-testid': testid, 'aria-label': title },
    h('div', { class: 'section-head' }, h('h2', undefined, title), h('span', { class: 'hint' }, hint)),
    body,
    note,
  );
  return { el, body, note };
}

const oneDecimal = (v: number): string => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
const ms = (v: number | null): string => (v === null ? DASH : latency(v));

function figure(label: string, value: string, title?: string): HTMLElement {
  return h('div', { class: 'metric', title }, h('span', { class: 'metric-label' }, label), h('span', { class: 'metric-value' }, value));
}

function engineTile(engine: EngineServing): HTMLElement {
  const badge = h(
    'span',
    { class: `state-badge state-${engine.state}${engine.state === 'ready' ? '' : ' quiet'}`, 'data-testid': 'dash-engine-state' },
    h('span', { class: 'state-dot', 'aria-hidden': 'true' }),
    engine.state.replace(/_/g, ' '),
  );
  const head = h('div', { class: 'engine-head' }, h('h3', { class: 'dash-engine-name' }, engine.name), badge);
  const f = engine.figures;
  if (!f) {
    return h(
      'article',
      { class: 'card dash-engine', 'data-testid': 'dash-engine', 'data-engine': engine.name },
      head,
      h('p', { class: 'note', 'data-testid': 'dash-engine-unavailable' }, engine.unavailable ?? 'No figures yet.'),
    );
  }
  const kv = f.kv_cache_percent;
  const ttftTitle =
    f.ttft_requests > 0
      ? `Over ${String(f.ttft_requests)} request${f.ttft_requests === 1 ? '' : 's'} in the last ${f.ttft_span_s.toFixed(0)} s; 99th percentile ${ms(f.ttft_p99_ms)}`
      : 'No request in the last minute';
  return h(
    'article',
    { class: 'card dash-engine', 'data-testid': 'dash-engine', 'data-engine': engine.name },
    head,
    h(
      'div',
      { class: 'metrics' },
      figure(
        'Tokens per second',
        f.tokens_per_second === null ? DASH : oneDecimal(f.tokens_per_second),
        f.rate_span_s > 0 ? `Generated tokens over the last ${f.rate_span_s.toFixed(0)} s` : 'Known after a second reading',
      ),
      figure('Time to first token', ms(f.ttft_p50_ms), ttftTitle),
      figure('Requests running', f.requests_running === null ? DASH : String(f.requests_running)),
      figure('Requests waiting', f.requests_waiting === null ? DASH : String(f.requests_waiting)),
      figure('KV cache', kv === null ? DASH : percent(kv), 'Share of the KV cache in use'),
      figure('Time to first token, p99', ms(f.ttft_p99_ms), ttftTitle),
    ),
  );
}

/** Calls `draw` only when `part` differs from what was drawn last. */
function unlessSame<T>(draw: (part: T) => void): (part: T) => void {
  let last: string | null = null;
  return (part) => {
    const key = JSON.stringify(part);
    if (key === last) return;
    last = key;
    draw(part);
  };
}

export function enginesSection(): ServingSection {
  const { el, body, note } = section('Engines', 'dash-engines', 'from each engine’s metrics');
  let shown = false;
  const draw = unlessSame((engines: EngineServing[]) => {
    if (engines.length === 0) {
      replaceChildren(
        body,
        h(
          'p',
          { class: 'empty', 'data-testid': 'dash-engines-empty' },
          'No engine runs. Start one on the ',
          h('a', { href: '#/engines' }, 'Engines page'),
          ' to see its throughput, queue and KV cache here.',
        ),
      );
      return;
    }
    replaceChildren(body, h('div', { class: 'dash-engine-grid' }, ...engines.map(engineTile)));
  });
  return {
    el,
    show(view) {
      shown = true;
      note.textContent = '';
      // The time of the reading changes at every read; the figures are what is drawn.
      draw(view.engines.map((e) => ({ ...e, read_at_ms: null })));
    },

    failed(message) {
      note.textContent = shown ? `Not updated: ${message}` : message;
      if (!shown) replaceChildren(body, h('p', { class: 'empty' }, 'The engines’ figures could not be read.'));
    },
  };
}

function trafficRow(row: AliasTraffic, total = false): HTMLElement {
  const cell = (text: string, cls = 'num'): HTMLElement => h('td', { class: cls }, text);
  return h(
    'tr',
    { class: total ? 'total' : undefined, 'data-testid': total ? 'dash-gateway-total' : 'dash-gateway-alias', 'data-alias': row.alias },
    h('th', { scope: 'row' }, total ? 'All aliases' : row.alias),
    cell(row.requests_per_second < 10 ? row.requests_per_second.toFixed(2) : row.requests_per_second.toFixed(1)),
    cell(String(row.requests)),
    cell(String(row.errors), row.errors > 0 ? 'num bad' : 'num'),
    cell(ms(row.latency_p50_ms)),
    cell(ms(row.latency_p99_ms)),
  );
}

/** `http://gpu-3.internal:8000/v1` → `gpu-3.internal:8000`: the part that tells replicas apart. */
function shortAddress(url: string): string {
  return url.replace(/^https?:\/\//, '').replace(/\/v1\/?$/, '');
}

const REPLICA_STATE = {
  up: ['up', 'Takes requests'],
  out: ['out', 'Failed before answering: takes no requests until it answers a probe'],
  gone: ['gone', 'No longer routed to'],
} as const;

function replicaRow(row: ReplicaTraffic): HTMLElement {
  const cell = (text: string, cls = 'num'): HTMLElement => h('td', { class: cls }, text);
  const state = row.up === null ? 'gone' : row.up ? 'up' : 'out';
  const [word, meaning] = REPLICA_STATE[state];
  return h(
    'tr',
    { 'data-testid': 'dash-replica', 'data-deployment': row.deployment, 'data-replica': row.replica, 'data-state': state },
    h('th', { scope: 'row', title: `${row.deployment}: ${row.replica}` }, `${row.deployment} · ${shortAddress(row.replica)}`),
    h('td', { class: state === 'out' ? 'bad' : undefined, title: meaning }, word),
    cell(row.outstanding === null ? DASH : String(row.outstanding)),
    cell(String(row.requests)),
    cell(String(row.errors), row.errors > 0 ? 'num bad' : 'num'),
    cell(row.retried_total === null ? DASH : String(row.retried_total), row.retried_total ? 'num bad' : 'num'),
    cell(ms(row.latency_p99_ms)),
  );
}

/** The table of each replica of the deployments that have several, or nothing. */
function replicaTable(traffic: GatewayTraffic): HTMLElement | null {
  if (traffic.replicas.length === 0) return null;
  const head: [string, string][] = [
    ['Replica', 'A deployment’s endpoint; each request goes to the one with the fewest in progress'],
    ['State', 'Whether it takes requests; one that failed before answering is out until it answers a probe'],
    ['Now', 'Requests it is answering now'],
    ['Total', `Requests it answered in the last ${minutesOf(traffic)}`],
    ['Errors', 'Requests it answered with an error (HTTP 4xx or 5xx)'],
    ['Retried', 'Requests that failed on it before any answer and went to another replica, since the gateway started'],
    ['p99', '99th-percentile latency'],
  ];
  return h(
    'div',
    { class: 'card table-card' },
    h(
      'table',
      { class: 'dash-table gateway-replicas', 'aria-label': 'Gateway replicas' },
      h('thead', undefined, h('tr', undefined, ...head.map(([c, title], i) => h('th', { scope: 'col', class: i < 2 ? undefined : 'num', title }, c)))),
      h('tbody', undefined, ...traffic.replicas.map(replicaRow)),
    ),
  );
}

function minutesOf(traffic: GatewayTraffic): string {
  const m = Math.round(traffic.window_s / 60);
  return `${String(m)} minute${m === 1 ? '' : 's'}`;
}

export function gatewaySection(): ServingSection {
  const { el, body, note } = section('Gateway', 'dash-gateway', 'requests per alias over the window');
  let shown = false;
  const draw = unlessSame((traffic: GatewayTraffic | null) => {
    drawTraffic(body, traffic);
  });
  return {
    el,
    show(view) {
      shown = true;
      note.textContent = view.gateway?.partial ? 'The request log does not reach back over the whole window.' : '';
      draw(view.gateway);
    },
    failed(message) {
      note.textContent = shown ? `Not updated: ${message}` : message;
      if (!shown) replaceChildren(body, h('p', { class: 'empty' }, 'The gateway’s traffic could not be read.'));
    },
  };
}

function drawTraffic(body: HTMLElement, traffic: GatewayTraffic | null): void {
  if (!traffic) {
    replaceChildren(body, h('p', { class: 'empty', 'data-testid': 'dash-gateway-off' }, 'This server runs no gateway, so there is no traffic to show.'));
    return;
  }
  if (!traffic.total) {
    replaceChildren(
      body,
      h('p', { class: 'empty', 'data-testid': 'dash-gateway-empty' }, `No request reached the gateway in the last ${minutesOf(traffic)}.`),
      replicaTable(traffic),
    );
    return;
  }
  const head: [string, string][] = [
    ['Alias', 'The name GitLab asks for (or the model a client named)'],
    ['Req/s', `Requests per second over the last ${minutesOf(traffic)}`],
    ['Total', `Requests answered in the last ${minutesOf(traffic)}`],
    ['Errors', 'Requests answered with an error (HTTP 4xx or 5xx)'],
    ['p50', 'Median latency: from the request to the end of its answer'],
    ['p99', '99th-percentile latency'],
  ];
  replaceChildren(
    body,
    h(
      'div',
      { class: 'card table-card' },
      h(
        'table',
        { class: 'dash-table gateway-traffic', 'aria-label': `Gateway traffic over the last ${minutesOf(traffic)}` },
        h('thead', undefined, h('tr', undefined, ...head.map(([c, title], i) => h('th', { scope: 'col', class: i === 0 ? undefined : 'num', title }, c)))),
        h('tbody', undefined, ...traffic.aliases.map((a) => trafficRow(a)), trafficRow(traffic.total, true)),
      ),
    ),
    replicaTable(traffic),
  );
}

function usedOfPlanned(used: number | null, planned: number | null): string {
  if (planned === null) return used === null ? DASH : `${gib(used)} · not planned`;
  if (used === null) return `not on this GPU yet · ${gib(planned)} planned`;
  return `${gib(used)} of ${gib(planned)} planned (${percent((used / planned) * 100)})`;
}

function gpuRows(gpu: GpuProcesses): HTMLElement[] {
  const gpuCell = (): HTMLElement =>
    h('th', { scope: 'row' }, h('span', { class: 'swatch', style: `background:${gpuColour(gpu.gpu)}`, 'aria-hidden': 'true' }), ` GPU ${String(gpu.gpu)}`);
  const rows: HTMLElement[] = [];
  const placed = new Set<string>();
  for (const p of gpu.processes) {
    const use = p.engine === null ? undefined : gpu.engines.find((e) => e.engine === p.engine);
    const first = use !== undefined && !placed.has(use.engine);
    if (use) placed.add(use.engine);
    rows.push(
      h(
        'tr',
        { 'data-testid': 'dash-process', 'data-pid': p.pid, 'data-engine': p.engine ?? undefined },
        gpuCell(),
        h(
          'td',
          undefined,
          h(
            'div',
            { class: 'proc-cell' },
            p.engine === null ? null : h('span', { class: 'chip engine-chip', title: 'An engine of this app' }, p.engine),
            h('span', { class: 'mono' }, p.name ?? 'unknown'),
            h('span', { class: 'dim' }, ` pid ${String(p.pid)}`),
          ),
        ),
        h('td', { class: 'num' }, p.used_bytes === null ? DASH : gib(p.used_bytes)),
        h(
          'td',
          { class: 'num plan-cell', title: p.engine === null && !first ? 'Started outside this app: no fit planned its memory' : null },
          first ? usedOfPlanned(use.used_bytes, use.planned_bytes) : p.engine === null ? 'not this app’s: no plan' : '',
        ),
      ),
    );
  }
  for (const use of gpu.engines.filter((e) => !placed.has(e.engine))) {
    rows.push(
      h(
        'tr',
        { 'data-testid': 'dash-process', 'data-engine': use.engine },
        gpuCell(),
        h('td', undefined, h('div', { class: 'proc-cell' }, h('span', { class: 'chip engine-chip' }, use.engine), h('span', { class: 'dim' }, 'no process on this GPU'))),
        h('td', { class: 'num' }, DASH),
        h('td', { class: 'num plan-cell' }, usedOfPlanned(use.used_bytes, use.planned_bytes)),
      ),
    );
  }
  return rows;
}

export function processesSection(): ServingSection {
  const { el, body, note } = section('GPU processes', 'dash-processes', 'who holds each GPU’s memory');
  let shown = false;
  const draw = unlessSame((gpus: GpuProcesses[]) => {
    drawProcesses(body, gpus);
  });
  return {
    el,
    show(view) {
      shown = true;
      note.textContent = '';
      draw(view.gpus);
    },
    failed(message) {
      note.textContent = shown ? `Not updated: ${message}` : message;
      if (!shown) replaceChildren(body, h('p', { class: 'empty' }, 'The GPU processes could not be read.'));
    },
  };
}

function drawProcesses(body: HTMLElement, gpus: GpuProcesses[]): void {
  const rows = gpus.flatMap(gpuRows);
  if (rows.length === 0) {
    replaceChildren(
      body,
      h('p', { class: 'empty', 'data-testid': 'dash-processes-empty' }, gpus.length === 0 ? 'No GPU to list processes for.' : 'No process holds memory on any GPU.'),
    );
    return;
  }
  const head = ['GPU', 'Process', 'Memory', 'Against the fit’s plan'];
  replaceChildren(
    body,
    h(
      'div',
      { class: 'card table-card' },
      h(
        'table',
        { class: 'dash-table processes-table', 'aria-label': 'Processes on each GPU' },
        h('thead', undefined, h('tr', undefined, ...head.map((c, i) => h('th', { scope: 'col', class: i < 2 ? undefined : 'num' }, c)))),
        h('tbody', undefined, ...rows),
      ),
    ),
  );
}
