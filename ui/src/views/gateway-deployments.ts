// "Deployments" (`data-testid="gateway-deployments"`): every place the gateway routes to —
// the engines of this app and external endpoints (`deployment-row`, `data-name`, with a
// source badge, the served model, the endpoint and whether it takes requests) — then the
// form that adds an external one. An external deployment has Test (`deployment-test`: asks
// its `/models` now; the answer in `deployment-test-result`) and a Remove button
// (`deployment-remove`) that asks once more (`deployment-remove-confirm`) and also takes
// away the feature routes that name it.

import { h, replaceChildren } from '../dom';
import type { DeploymentCheck, DeploymentView, ExternalDeployment, GatewayInfo, Settings } from '../types';
import { deploymentForm } from './gateway-deployment-form';
import { deploymentState, readinessDot } from './gateway-bits';

export interface DeploymentsActions {
  add(deployment: ExternalDeployment): Promise<void>;
  /** Removes an external deployment and the feature routes to it. */
  remove(name: string): Promise<void>;
  /** Checks an external deployment now (`GET <endpoint>/models` with its key). */
  test(name: string): Promise<DeploymentCheck>;
}

export interface DeploymentsSection {
  el: HTMLElement;
  update(info: GatewayInfo): void;
  /** The saved settings, for the key variable of each external deployment. */
  setSettings(settings: Settings): void;
}

function emptyRow(): HTMLElement {
  return h(
    'tr',
    { 'data-testid': 'deployments-empty' },
    h(
      'td',
      { colspan: 6, class: 'table-empty' },
      'Nothing to route to yet: start an engine on the Engines page (it is listed here while it runs), or add an external deployment below.',
    ),
  );
}

export function deploymentsSection(actions: DeploymentsActions): DeploymentsSection {
  const body = h('tbody');
  let info: GatewayInfo | null = null;
  let settings: Settings | null = null;
  let shown = '';
  /** The deployment whose Remove asks for confirmation, and the one being removed. */
  let confirming: string | null = null;
  let removing: string | null = null;
  let removeError: { name: string; message: string } | null = null;
  /** The deployment being tested, and the last test's answer per deployment. */
  let testing: string | null = null;
  const tested = new Map<string, string>();

  async function test(name: string): Promise<void> {
    testing = name;
    render(true);
    try {
      const check = await actions.test(name);
      tested.set(name, check.reachability === 'reachable' ? `Answered in ${check.latency_ms ?? 0} ms` : check.message);
    } catch (error: unknown) {
      tested.set(name, error instanceof Error ? error.message : 'The test could not be run.');
    } finally {
      testing = null;
      render(true);
    }
  }

  const form = deploymentForm({
    add: (deployment) => actions.add(deployment),
    taken: () => info?.deployments.map((d) => d.name) ?? [],
  });

  const el = h(
    'section',
    { class: 'card gateway-deployments', 'aria-label': 'Deployments', 'data-testid': 'gateway-deployments' },
    h(
      'div',
      { class: 'panel-head' },
      h('h3', undefined, 'Deployments'),
      h('p', { class: 'hint' }, 'What the gateway can route to. GitLab never calls these directly: it talks to the gateway only.'),
    ),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'data-table deployments-table' },
        h(
          'thead',
          undefined,
          h(
            'tr',
            undefined,
            h('th', undefined, 'Name'),
            h('th', undefined, 'Source'),
            h('th', undefined, 'Served model'),
            h('th', undefined, 'Endpoint'),
            h('th', undefined, 'State'),
            h('th', { class: 'actions' }, h('span', { class: 'visually-hidden' }, 'Actions')),
          ),
        ),
        body,
      ),
    ),
    form.el,
  );

  function removeCell(d: DeploymentView): HTMLElement {
    if (d.source !== 'external') return h('td', { class: 'actions' });
    if (removing === d.name) return h('td', { class: 'actions' }, h('span', { class: 'hint' }, 'Removing…'));
    if (confirming === d.name) {
      const routed = info?.features.filter((f) => f.target === d.name && f.via === null).map((f) => f.title) ?? [];
      return h(
        'td',
        { class: 'actions confirm' },
        h('span', { class: 'confirm-text' }, routed.length > 0 ? `Remove it and the routes of ${routed.join(', ')}?` : 'Remove it?'),
        h('button', { type: 'button', class: 'secondary small danger', 'data-testid': 'deployment-remove-confirm', onclick: () => void remove(d.name) }, 'Remove'),
        h('button', { type: 'button', class: 'secondary small', 'data-testid': 'deployment-remove-cancel', onclick: () => { confirming = null; render(true); } }, 'Cancel'),
      );
    }
    return h(
      'td',
      { class: 'actions' },
      removeError?.name === d.name ? h('span', { class: 'field-error', role: 'alert' }, removeError.message) : null,
      tested.has(d.name) ? h('span', { class: 'hint test-result', role: 'status', 'data-testid': 'deployment-test-result' }, tested.get(d.name)) : null,
      h(
        'button',
        {
          type: 'button',
          class: 'secondary small',
          'data-testid': 'deployment-test',
          title: `Ask ${d.endpoint}/models now, with its key`,
          disabled: testing !== null,
          onclick: () => void test(d.name),
        },
        testing === d.name ? 'Testing…' : 'Test',
      ),
      h(
        'button',
        { type: 'button', class: 'secondary small stop', 'data-testid': 'deployment-remove', title: `Remove ${d.name}`, onclick: () => { confirming = d.name; removeError = null; render(true); } },
        'Remove',
      ),
    );
  }

  function row(d: DeploymentView): HTMLElement {
    const env = settings?.deployments.find((x) => x.name === d.name)?.api_key_env;
    return h(
      'tr',
      { 'data-testid': 'deployment-row', 'data-name': d.name, 'data-source': d.source, 'data-ready': String(d.ready) },
      h('td', undefined, h('strong', undefined, d.name)),
      h('td', undefined, h('span', { class: `chip source-${d.source}`, 'data-testid': 'deployment-source' }, d.source === 'engine' ? 'engine' : 'external')),
      h('td', undefined, h('span', { class: 'mono' }, d.served_model)),
      h(
        'td',
        undefined,
        h('div', { class: 'mono endpoint-url' }, d.endpoint),
        env ? h('div', { class: 'hint' }, 'key from ', h('code', undefined, `$${env}`)) : null,
      ),
      h(
        'td',
        { class: 'deployment-state', 'data-testid': 'deployment-state', 'data-status': d.status },
        readinessDot(d.name, d),
        ' ',
        d.ready
          ? deploymentState(d).word
          : h('span', { class: 'not-ready', title: d.reason ?? '' }, deploymentState(d).word, d.reason && d.status !== 'unchecked' ? h('span', { class: 'hint state-reason' }, d.reason) : null),
      ),
      removeCell(d),
    );
  }

  /** Redraws the rows when what they show changed (or `force`). */
  function render(force = false): void {
    if (!info) return;
    const key = JSON.stringify([info.deployments, settings?.deployments ?? null]);
    if (!force && key === shown) return;
    shown = key;
    if (info.deployments.length === 0) replaceChildren(body, emptyRow());
    else replaceChildren(body, ...info.deployments.map(row));
  }

  async function remove(name: string): Promise<void> {
    confirming = null;
    removing = name;
    removeError = null;
    render(true);
    try {
      await actions.remove(name);
    } catch (reason) {
      removeError = { name, message: reason instanceof Error ? reason.message : 'It could not be removed.' };
    } finally {
      removing = null;
      render(true);
    }
  }

  return {
    el,
    update(next) {
      info = next;
      render();
    },
    setSettings(next) {
      settings = next;
      render();
    },
  };
}
