// "Feature routing" (`data-testid="gateway-routing"`): one row per Duo feature
// (`route-row`, `data-feature` its key, `data-state` its release state) with its group,
// release state and first GitLab version, its alias, the model identifier to enter in GitLab
// (with Copy) and what serves it (`route-select`): a deployment, "Unassigned" (which does not
// turn the feature off in GitLab) or "Disabled" (GitLab's Disabled, the only way to turn it
// off). A change is saved at once; `route-status` then says "Saved" or why not (a family
// GitLab refuses comes back in GitLab's words). A chat sub-feature without a route of its own
// says whose model it uses (`route-note`). The readiness dot belongs to the deployment that
// actually answers. Beta and experimental features are shown only with `show-beta` ticked
// (with GitLab's warning that its switch accepts the testing agreement), unless one is
// already routed or turned off.

import { h, replaceChildren } from '../dom';
import type { DeploymentView, FeatureRoute, GatewayInfo } from '../types';
import { copyButton } from './copy';
import { readinessDot } from './gateway-bits';

const SAVED_FOR_MS = 4000;

/** The select's value for "Disabled" (never a deployment name: those start with a letter
 * or digit). */
export const DISABLED = '__disabled__';

export interface RoutingActions {
  /** Saves `target` as the feature's own deployment; null leaves it unassigned; `DISABLED`
   * turns it off. */
  route(feature: string, target: string | null): Promise<void>;
  /** Shows or hides beta and experimental features (saved in the settings). */
  showBeta(show: boolean): Promise<void>;
}

export interface RoutingTable {
  el: HTMLElement;
  update(info: GatewayInfo): void;
  /** Whether beta and experimental features are shown. */
  setShowBeta(show: boolean): void;
}

interface Row {
  el: HTMLTableRowElement;
  /** The identifier to give GitLab (the alias's, or a Bedrock or Azure deployment's). */
  identifier: HTMLElement;
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

/** The feature's own choice: a deployment, `DISABLED`, or "" (unassigned, or it borrows one). */
const ownTarget = (route: FeatureRoute): string => (route.disabled ? DISABLED : route.via === null ? (route.target ?? '') : '');

function fillSelect(row: Row, names: string[]): void {
  const missing = row.own !== '' && row.own !== DISABLED && !names.includes(row.own);
  const offered = JSON.stringify([names, missing ? row.own : null]);
  if (offered === row.offered) return;
  row.offered = offered;
  row.select.replaceChildren(
    h('option', { value: '' }, 'Unassigned (stays on)'),
    h('option', { value: DISABLED }, 'Disabled'),
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
  } else if (route.disabled) {
    row.note.textContent = 'turned off';
    row.note.title = 'GitLab’s Disabled: the feature does not appear for users';
    delete row.note.dataset.via;
  } else {
    row.note.textContent = target === null ? 'no model (unassigned: stays on in GitLab)' : '';
    row.note.title = target === null ? `GitLab’s requests for ${route.alias} fail until a deployment is chosen, or the feature is Disabled` : '';
    delete row.note.dataset.via;
  }
  row.note.classList.toggle('unrouted', target === null && !route.disabled);
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
    el: h('tr', { 'data-testid': 'route-row', 'data-feature': route.feature, 'data-state': route.state }),
    identifier,
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
    h(
      'td',
      undefined,
      h('div', { class: 'route-title' }, route.title, route.state !== 'ga' ? h('span', { class: 'chip chip-beta', 'data-testid': 'route-state' }, route.state) : null),
      h('div', { class: 'dim small-key' }, h('span', { class: 'mono' }, route.feature), ` · ${route.group}${route.since ? ` · GitLab ${route.since}+` : ''}`),
    ),
    h('td', { class: 'col-alias' }, h('code', { class: 'mono' }, route.alias)),
    h(
      'td',
      undefined,
      h('div', { class: 'route-id' }, identifier, copyButton(() => identifier.textContent, identifier, { title: 'Copy the identifier' })),
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
  let showBeta = false;
  let last: GatewayInfo | null = null;
  const betaBox = h('input', { type: 'checkbox', id: 'show-beta', 'data-testid': 'show-beta' });
  const betaNote = h('span', { class: 'hint', 'data-testid': 'show-beta-status', 'aria-live': 'polite' });
  betaBox.addEventListener('change', () => {
    const wanted = betaBox.checked;
    betaBox.disabled = true;
    betaNote.textContent = 'Saving…';
    actions.showBeta(wanted).then(
      () => {
        betaNote.textContent = '';
      },
      (reason: unknown) => {
        betaBox.checked = !wanted;
        betaNote.textContent = reason instanceof Error ? reason.message : 'It could not be saved.';
      },
    ).finally(() => {
      betaBox.disabled = false;
    });
  });
  const beta = h(
    'div',
    { class: 'beta-toggle' },
    h('label', { for: 'show-beta' }, betaBox, ' Show beta and experimental features'),
    h(
      'p',
      { class: 'hint' },
      'GitLab lists them only after an administrator ticks “Use beta models and features in GitLab Duo Self-Hosted” (Admin > GitLab Duo > Change configuration), which accepts the GitLab Testing Agreement.',
    ),
    betaNote,
  );
  const el = h(
    'section',
    { class: 'card gateway-routing', 'aria-label': 'Feature routing', 'data-testid': 'gateway-routing' },
    h(
      'div',
      { class: 'panel-head' },
      h('h3', undefined, 'Feature routing'),
      h('p', { class: 'hint' }, 'Which deployment answers each Duo feature. A change applies at once, without a restart; chat features without a model of their own use General Chat’s. Unassigned does not turn a feature off in GitLab: choose Disabled.'),
    ),
    beta,
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

  function update(info: GatewayInfo): void {
      last = info;
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
        if (row.identifier.textContent !== route.gitlab_identifier) row.identifier.textContent = route.gitlab_identifier;
        // A beta feature routed or turned off by its own choice stays in sight.
        row.el.hidden = route.state !== 'ga' && !showBeta && row.own === '';
      }
      const features = new Set(info.features.map((f) => f.feature));
      for (const [feature, row] of rows) {
        if (!features.has(feature)) {
          row.el.remove();
          rows.delete(feature);
        }
      }
  }

  return {
    el,
    update,
    setShowBeta(show) {
      showBeta = show;
      betaBox.checked = show;
      if (last) update(last);
    },
  };
}
