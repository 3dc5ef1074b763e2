// The Gateway page (`data-testid="gateway-page"`): what to give GitLab, the gateway's API
// keys, which deployment serves each Duo feature, and the deployments themselves. While the
// page is on screen it follows the store's `gateway` (the live stream sends every change,
// engines becoming ready included); it reads the keys and the settings each time it comes
// on screen, and the gateway once more after each change made here. Leaving the page takes
// a new key's secret off it.

import { h, replaceChildren } from '../dom';
import { pageScope, type Page } from '../page';
import type { ConnectionState, Store } from '../store';
import { api } from '../transport';
import { ApiError, type GatewayInfo, type Settings } from '../types';
import { connectPanel } from '../views/gateway-connect';
import { deploymentsSection } from '../views/gateway-deployments';
import { keysPanel } from '../views/gateway-keys';
import { DISABLED, routingTable } from '../views/gateway-routing';

/** Saves tried when another program changed the settings in between. */
const SAVE_ATTEMPTS = 2;

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : 'The request failed.');

export function gatewayPage(store: Store): Page {
  const updated = h('p', { class: 'hint', 'data-testid': 'gateway-updated' }, 'Connecting…');
  const statusSlot = h('div', { class: 'banner-slot', 'data-testid': 'gateway-status' });
  const scope = pageScope();
  let info: GatewayInfo | null = null;

  const connect = connectPanel();
  const keys = keysPanel({
    create: (params) => api.keyCreate(params),
    revoke: (id) => api.keyRevoke(id),
    changed() {
      // The gateway view (keys required or not) comes through the live stream.
      void loadKeys();
    },
  });
  const routing = routingTable({
    async route(feature, target) {
      await saveSettings((s) => {
        const routed: [string, string][] = Object.entries(s.features).filter(([key]) => key !== feature);
        if (target !== null && target !== DISABLED) routed.push([feature, target]);
        s.features = Object.fromEntries(routed);
        s.disabled_features = s.disabled_features.filter((key) => key !== feature);
        if (target === DISABLED) s.disabled_features.push(feature);
      });
    },
    async showBeta(show) {
      await saveSettings((s) => {
        s.show_beta_features = show;
      });
    },
  });
  const deployments = deploymentsSection({
    async add(deployment, key) {
      await saveSettings((s) => {
        s.deployments.push(deployment);
      });
      if (key !== null) await api.deploymentKey(deployment.name, key);
    },
    async rated(name) {
      const done = await api.featuresRated(name);
      await loadSettings();
      return `Now serves ${done.features.length} features it is rated for in GitLab ${done.gitlab_version}.`;
    },
    async remove(name) {
      // An engine of the same name keeps the routes; otherwise they would point at nothing.
      const engine = info?.deployments.some((d) => d.name === name && d.source === 'engine') ?? false;
      await saveSettings((s) => {
        s.deployments = s.deployments.filter((d) => d.name !== name);
        if (!engine) s.features = Object.fromEntries(Object.entries(s.features).filter(([, target]) => target !== name));
      });
    },
    async test(name) {
      // The row follows the result through the live stream; the answer is shown at once too.
      return api.deploymentTest(name);
    },
  });

  const el = h(
    'main',
    { class: 'layout gateway-page', 'data-testid': 'gateway-page' },
    h('div', { class: 'section-head' }, h('h2', undefined, 'Gateway'), updated),
    statusSlot,
    h('div', { class: 'gateway-top' }, connect.el, keys.el),
    routing.el,
    deployments.el,
  );

  function apply(next: GatewayInfo): void {
    info = next;
    connect.update(next);
    routing.update(next);
    deployments.update(next);
  }

  function showConnection(state: ConnectionState): void {
    updated.textContent = state === 'live' ? 'Live' : state === 'connecting' ? 'Connecting…' : 'Not up to date';
    if (state !== 'reconnecting') {
      replaceChildren(statusSlot);
      return;
    }
    replaceChildren(
      statusSlot,
      h(
        'div',
        { class: 'banner banner-error', role: 'alert', 'data-testid': 'gateway-load-error' },
        h('span', { class: 'banner-icon', 'aria-hidden': 'true' }, '!'),
        h(
          'div',
          undefined,
          h('strong', undefined, 'The live connection to the server broke.'),
          h('p', { class: 'remedy' }, 'The gateway’s state shown may be out of date. Reconnecting every two seconds.'),
        ),
      ),
    );
  }

  async function loadKeys(): Promise<void> {
    try {
      keys.setKeys(await api.keys());
    } catch (error) {
      keys.setLoadError(messageOf(error));
    }
  }

  async function loadSettings(): Promise<void> {
    try {
      const settings = await api.settings();
      deployments.setSettings(settings);
      routing.setShowBeta(settings.show_beta_features);
    } catch {
      // Only the key variables of external deployments are missing then.
    }
  }

  /**
   * Reads the settings as saved now, applies `change` and saves them whole (the fields this
   * page does not show are sent back as they were); the gateway view follows through the
   * live stream (an answer read here could be older than the stream's news). When
   * another program changed them meanwhile the server refuses and reloads them: the change
   * is applied once more to what it reloaded; a second refusal is reported.
   */
  async function saveSettings(change: (settings: Settings) => void): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      const settings = await api.settings();
      change(settings);
      try {
        const saved = await api.updateSettings(settings);
        deployments.setSettings(saved);
        routing.setShowBeta(saved.show_beta_features);
        break;
      } catch (error) {
        const conflict = error instanceof ApiError && error.code === 'settings_changed_elsewhere';
        if (!conflict || attempt >= SAVE_ATTEMPTS) {
          if (conflict) void loadSettings();
          throw error;
        }
      }
    }
  }

  return {
    el,
    show() {
      void loadKeys();
      void loadSettings();
      scope.follow(store, 'gateway', (next) => {
        if (next) apply(next);
      });
      scope.follow(store, 'connection', showConnection);
    },
    hide() {
      scope.close();
      // A secret is shown once: leaving the page is the end of "once".
      keys.hideSecret();
    },
    dispose() {
      scope.close();
      keys.hideSecret();
      el.remove();
    },
  };
}
