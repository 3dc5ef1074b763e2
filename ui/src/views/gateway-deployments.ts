// "Deployments" (`data-testid="gateway-deployments"`): every place a feature can be served
// from — the engines of this app, external OpenAI-compatible endpoints the gateway routes to,
// and Bedrock and Azure deployments GitLab's AI gateway calls itself (`deployment-row`,
// `data-name`, with a source or platform badge, the model and its family, the endpoint and
// its replicas (`deployment-replica-url`), where its key is kept and whether it takes
// requests) — then the form that adds an external one,
// and where keys are kept (`secret-store`). Every row has "Use where rated"
// (`deployment-rated`: routes it to every feature its model is rated for; the answer in
// `deployment-rated-result`). An external deployment has Test (`deployment-test`: asks its
// `/models` now; the answer in `deployment-test-result`) and a Remove button
// (`deployment-remove`) that asks once more (`deployment-remove-confirm`) and also takes
// away the feature routes that name it.

import { h, replaceChildren } from '../dom';
import type { DeploymentCheck, DeploymentView, ExternalDeployment, GatewayInfo, Settings } from '../types';
import { deploymentForm } from './gateway-deployment-form';
import { deploymentState, readinessDot } from './gateway-bits';

export interface DeploymentsActions {
  /** Saves a new external deployment, and keeps its key when one was typed. */
  add(deployment: ExternalDeployment, key: string | null): Promise<void>;
  /** Routes the deployment to every feature its model is rated for; says which. */
  rated(name: string): Promise<string>;
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

const PLATFORM_BADGE: Record<DeploymentView['platform'], string> = {
  openai_compatible: 'external',
  bedrock: 'Bedrock',
  azure_openai: 'Azure',
};

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
    add: (deployment, key) => actions.add(deployment, key),
    taken: () => info?.deployments.map((d) => d.name) ?? [],
    secretStore: () => info?.secret_store.description ?? '',
  });
  const secretStore = h('p', { class: 'hint', 'data-testid': 'secret-store' });
  /** The deployment being routed to its rated features, and the last answer per deployment. */
  let rating: string | null = null;
  const ratedResult = new Map<string, string>();

  async function rated(name: string): Promise<void> {
    rating = name;
    render(true);
    try {
      ratedResult.set(name, await actions.rated(name));
    } catch (error: unknown) {
      ratedResult.set(name, error instanceof Error ? error.message : 'The features could not be routed.');
    } finally {
      rating = null;
      render(true);
    }
  }

  function ratedButton(d: DeploymentView): HTMLElement {
    return h(
      'button',
      {
        type: 'button',
        class: 'secondary small',
        'data-testid': 'deployment-rated',
        title: `Route every Duo feature ${d.served_model} is rated for to ${d.name}`,
        disabled: rating !== null,
        onclick: () => void rated(d.name),
      },
      rating === d.name ? 'Routing…' : 'Use where rated',
    );
  }

  const el = h(
    'section',
    { class: 'card gateway-deployments', 'aria-label': 'Deployments', 'data-testid': 'gateway-deployments' },
    h(
      'div',
      { class: 'panel-head' },
      h('h3', undefined, 'Deployments'),
      h('p', { class: 'hint' }, 'What features can be served from. GitLab reaches engines and OpenAI-compatible servers through the gateway; Bedrock and Azure it calls itself.'),
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
    secretStore,
    form.el,
  );

  /** The last test's result, or only that it agrees when the State column already says why. */
  function testWords(result: string, d: DeploymentView): string {
    return !d.ready && d.reason === result ? 'Tested again: the same (see State)' : result;
  }

  function removeCell(d: DeploymentView): HTMLElement {
    const ratedNote = ratedResult.has(d.name) ? h('span', { class: 'hint test-result', role: 'status', 'data-testid': 'deployment-rated-result' }, ratedResult.get(d.name)) : null;
    if (d.source !== 'external') return h('td', { class: 'actions' }, ratedNote, ratedButton(d));
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
      tested.has(d.name) ? h('span', { class: 'hint test-result', role: 'status', 'data-testid': 'deployment-test-result' }, testWords(tested.get(d.name) ?? '', d)) : null,
      ratedNote,
      ratedButton(d),
      d.platform === 'openai_compatible'
        ? h(
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
          )
        : null,
      h(
        'button',
        { type: 'button', class: 'secondary small stop', 'data-testid': 'deployment-remove', title: `Remove ${d.name}`, onclick: () => { confirming = d.name; removeError = null; render(true); } },
        'Remove',
      ),
    );
  }

  function row(d: DeploymentView): HTMLElement {
    const badge = d.source === 'engine' ? 'engine' : PLATFORM_BADGE[d.platform];
    return h(
      'tr',
      { 'data-testid': 'deployment-row', 'data-name': d.name, 'data-source': d.source, 'data-platform': d.platform, 'data-ready': String(d.ready) },
      h('td', undefined, h('strong', undefined, d.name)),
      h('td', undefined, h('span', { class: `chip source-${d.source}`, 'data-testid': 'deployment-source' }, badge)),
      h(
        'td',
        undefined,
        h('span', { class: 'mono' }, d.served_model),
        d.family ? h('div', { class: 'hint', 'data-testid': 'deployment-family' }, `family ${d.family}`) : null,
        d.gitlab_identifier ? h('div', { class: 'hint mono' }, d.gitlab_identifier) : null,
      ),
      h(
        'td',
        undefined,
        h('div', { class: 'mono endpoint-url' }, d.endpoint === '' ? '—' : d.endpoint),
        ...d.replicas.map((r) =>
          h(
            'div',
            { class: 'mono endpoint-url replica-url', 'data-testid': 'deployment-replica-url', title: 'A replica: requests are spread over the endpoints that answer' },
            `+ ${r.endpoint}`,
            r.api_key_env === null ? null : h('span', { class: 'hint' }, ` key $${r.api_key_env}`),
          ),
        ),
        d.key_source ? h('div', { class: 'hint', 'data-testid': 'deployment-key-source' }, 'key: ', h('code', undefined, d.key_source)) : null,
      ),
      h(
        'td',
        { class: 'deployment-state', 'data-testid': 'deployment-state', 'data-status': d.status },
        readinessDot(d.name, d),
        ' ',
        d.ready
          ? deploymentState(d).word
          : h('span', { class: 'not-ready', title: d.reason ?? '' }, deploymentState(d).word, d.reason && !['unchecked', 'checked_by_gitlab'].includes(d.status) ? h('span', { class: 'hint state-reason' }, d.reason) : null),
      ),
      removeCell(d),
    );
  }

  /** Redraws the rows when what they show changed (or `force`). */
  function render(force = false): void {
    if (!info) return;
    secretStore.textContent = info.secret_store.description;
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
