// "Feature routing" (`data-testid="gateway-routing"`): one row per Duo feature
// (`route-row`, `data-feature` its key) with its alias, the model identifier to enter in
// GitLab (with Copy) and the deployment that serves it (`route-select`; "— none —" removes
// its own route). A change is saved at once; `route-status` then says "Saved" or why not.
// A chat sub-feature without a route of its own says whose model it uses (`route-note`).
// The readiness dot belongs to the deployment that actually answers.

import { h, replaceChildren } from '../dom';
import type { DeploymentView, FeatureRoute, GatewayInfo } from '../types';
import { copyButton } from './copy';
import { readinessDot } from './gateway-bits';

const SAVED_FOR_MS = 4000;

export interface RoutingActions {
  /** Saves `target` as the feature's own deployment; null removes its own route. */
  route(feature: string, target: string | null): Promise<void>;
}

export interface RoutingTable {
  el: HTMLElement;
  update(info: GatewayInfo): void;
}

interface Row {
  el: HTMLTableRowElement;
  select: HTMLSelectElement;
  state: HTMLElement;
  note: HTMLElement;
  status: HTMLElement;
  /** The feature's own route as last known ("" for none). */
  own: string;
  /** The deployment names the select offers, joined. */
  offered: string;
  saving: boolean;
  timer: number | undefined;
}

/** The deployment a feature is routed to by itself ("" when it only borrows one, or has none). */
const ownTarget = (route: FeatureRoute): string => (route.via === null ? (route.target ?? '') : '');

function fillSelect(row: Row, names: string[]): void {
  const missing = row.own !== '' && !names.includes(row.own);
  const offered = JSON.stringify([names, missing ? row.own : null]);
  if (offered === row.offered) return;
  row.offered = offered;
  row.select.replaceChildren(
    h('option', { value: '' }, '— none —'),
    ...names.map((name) => h('option', { value: name }, name)),
    ...(missing ? [h('option', { value: row.own }, `${row.own} (not found)`)] : []),
  );
}

function showState(row: Row, route: FeatureRoute, info: GatewayInfo, deployments: Map<string, DeploymentView>): void {
  const target = route.target;
  replaceChildren(row.state, target === null ? null : readinessDot(target, deployments.get(target)));
  if (route.via !== null && target !== null) {
    const via = info.features.find((f) => f.feature === route.via)?.title ?? route.via;
    row.note.textContent = `uses ${via}’s model (${target})`;
    row.note.title = '';
    row.note.dataset.via = route.via;
  } else {
    row.note.textContent = target === null ? 'no model' : '';
    row.note.title = target === null ? `GitLab’s requests for ${route.alias} fail until a deployment is chosen` : '';
    delete row.note.dataset.via;
  }
  row.note.classList.toggle('unrouted', target === null);
}

function setStatus(row: Row, state: 'saving' | 'saved' | 'error' | null, text = ''): void {
  window.clearTimeout(row.timer);
  row.status.textContent = text;
  row.status.className = `route-status${state ? ` ${state}` : ''}`;
  if (state === null) delete row.status.dataset.state;
  else row.status.dataset.state = state;
  if (state === 'error') row.status.setAttribute('role', 'alert');
  else row.status.removeAttribute('role');
  if (state === 'saved') {
    row.timer = window.setTimeout(() => {
      setStatus(row, null);
    }, SAVED_FOR_MS);
  }
}

function newRow(route: FeatureRoute, actions: RoutingActions): Row {
  const select = h('select', { 'data-testid': 'route-select', 'aria-label': `Deployment for ${route.title}` });
  const identifier = h('code', { class: 'mono', 'data-testid': 'route-identifier' }, route.gitlab_identifier);
  const row: Row = {
    el: h('tr', { 'data-testid': 'route-row', 'data-feature': route.feature }),
    select,
    state: h('span', { class: 'route-dot' }),
    note: h('span', { class: 'route-note', 'data-testid': 'route-note' }),
    status: h('span', { class: 'route-status', 'aria-live': 'polite', 'data-testid': 'route-status' }),
    own: ownTarget(route),
    offered: '',
    saving: false,
    timer: undefined,
  };
  row.el.append(
    h('td', undefined, h('div', { class: 'route-title' }, route.title), h('div', { class: 'dim mono small-key' }, route.feature)),
    h('td', { class: 'col-alias' }, h('code', { class: 'mono' }, route.alias)),
    h(
      'td',
      undefined,
      h('div', { class: 'route-id' }, identifier, copyButton(route.gitlab_identifier, identifier, { title: `Copy ${route.gitlab_identifier}` })),
    ),
    h(
      'td',
      { class: 'route-cell' },
      h('div', { class: 'route-pick' }, select, row.state, row.status),
      row.note,
    ),
  );
  select.addEventListener('change', () => {
    const before = row.own;
    const target = select.value;
    row.saving = true;
    select.disabled = true;
    setStatus(row, 'saving', 'Saving…');
    actions
      .route(route.feature, target === '' ? null : target)
      .then(
        () => {
          row.own = target;
          setStatus(row, 'saved', 'Saved');
        },
        (reason: unknown) => {
          select.value = before;
          setStatus(row, 'error', reason instanceof Error ? reason.message : 'The route could not be saved.');
        },
      )
      .finally(() => {
        row.saving = false;
        select.disabled = false;
      });
  });
  return row;
}

export function routingTable(actions: RoutingActions): RoutingTable {
  const body = h('tbody');
  const rows = new Map<string, Row>();
  const el = h(
    'section',
    { class: 'card gateway-routing', 'aria-label': 'Feature routing', 'data-testid': 'gateway-routing' },
    h(
      'div',
      { class: 'panel-head' },
      h('h3', undefined, 'Feature routing'),
      h('p', { class: 'hint' }, 'Which deployment answers each Duo feature. A change applies at once, without a restart; chat features without a model of their own use General Chat’s.'),
    ),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'data-table routing-table' },
        h(
          'thead',
          undefined,
          h('tr', undefined, h('th', undefined, 'Feature'), h('th', { class: 'col-alias' }, 'Alias'), h('th', undefined, 'GitLab model identifier'), h('th', undefined, 'Deployment')),
        ),
        body,
      ),
    ),
  );

  return {
    el,
    update(info) {
      const names = info.deployments.map((d) => d.name);
      const deployments = new Map(info.deployments.map((d) => [d.name, d]));
      for (const [i, route] of info.features.entries()) {
        let row = rows.get(route.feature);
        if (!row) {
          row = newRow(route, actions);
          rows.set(route.feature, row);
        }
        if (body.children[i] !== row.el) body.insertBefore(row.el, body.children[i] ?? null);
        if (!row.saving) row.own = ownTarget(route);
        fillSelect(row, names);
        if (!row.saving) row.select.value = row.own;
        showState(row, route, info, deployments);
      }
      const features = new Set(info.features.map((f) => f.feature));
      for (const [feature, row] of rows) {
        if (!features.has(feature)) {
          row.el.remove();
          rows.delete(feature);
        }
      }
    },
  };
}
