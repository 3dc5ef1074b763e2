// The Gateway page (`data-testid="gateway-page"`): what to give GitLab, the gateway's API
// keys, which deployment serves each Duo feature, and the deployments themselves. While the
// page is on screen (its tab chosen and the browser tab visible) it reads `gateway_info`
// every two seconds, since engines becoming ready change it; it reads the keys and the
// settings each time it comes on screen and after each change made here. Leaving the page
// takes a new key's secret off it.

import { h, replaceChildren } from '../dom';
import { poller } from '../poller';
import { api } from '../transport';
import { ApiError, type GatewayInfo, type Settings } from '../types';
import { connectPanel } from '../views/gateway-connect';
import { deploymentsSection } from '../views/gateway-deployments';
import { keysPanel } from '../views/gateway-keys';
import { routingTable } from '../views/gateway-routing';

const INFO_EVERY_MS = 2000;
/** Saves tried when another program changed the settings in between. */
const SAVE_ATTEMPTS = 2;

export interface GatewayPage {
  el: HTMLElement;
  /** The page came on screen: read keys and settings, start polling. */
  show(): void;
  /** The page left the screen: stop polling, hide a shown secret. */
  hide(): void;
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : 'The request failed.');

export function gatewayPage(): GatewayPage {
  const updated = h('p', { class: 'hint', 'data-testid': 'gateway-updated' }, 'Checking…');
  const statusSlot = h('div', { class: 'banner-slot', 'data-testid': 'gateway-status' });
  let info: GatewayInfo | null = null;
  let loadedOnce = false;

  const connect = connectPanel();
  const keys = keysPanel({
    create: (params) => api.keyCreate(params),
    revoke: (id) => api.keyRevoke(id),
    changed() {
      void loadKeys();
      void refresh();
    },
  });
  const routing = routingTable({
    async route(feature, target) {
      await saveSettings((s) => {
        const others = Object.entries(s.features).filter(([key]) => key !== feature);
        s.features = Object.fromEntries(target === null ? others : [...others, [feature, target]]);
      });
    },
  });
  const deployments = deploymentsSection({
    async add(deployment) {
      await saveSettings((s) => {
        s.deployments.push(deployment);
      });
    },
    async remove(name) {
      // An engine of the same name keeps the routes; otherwise they would point at nothing.
      const engine = info?.deployments.some((d) => d.name === name && d.source === 'engine') ?? false;
      await saveSettings((s) => {
        s.deployments = s.deployments.filter((d) => d.name !== name);
        if (!engine) s.features = Object.fromEntries(Object.entries(s.features).filter(([, target]) => target !== name));
      });
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

  function showPollError(message: string | null): void {
    if (message === null) {
      replaceChildren(statusSlot);
      return;
    }
    replaceChildren(
      statusSlot,
      h(
        'div',
        { class: 'banner banner-error', role: 'alert', 'data-testid': 'gateway-load-error' },
        h('span', { class: 'banner-icon', 'aria-hidden': 'true' }, '!'),
        h('div', undefined, h('strong', undefined, 'The gateway’s state could not be read.'), h('p', { class: 'remedy' }, `${message} Trying again every two seconds.`)),
      ),
    );
  }

  async function refresh(): Promise<void> {
    try {
      apply(await api.gatewayInfo());
      loadedOnce = true;
      showPollError(null);
      updated.textContent = 'Updated every two seconds';
    } catch (error) {
      showPollError(messageOf(error));
      updated.textContent = loadedOnce ? 'Not up to date' : 'Not loaded';
    }
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
      deployments.setSettings(await api.settings());
    } catch {
      // Only the key variables of external deployments are missing then.
    }
  }

  /**
   * Reads the settings as saved now, applies `change` and saves them whole (the fields this
   * page does not show are sent back as they were), then reads the gateway again. When
   * another program changed them meanwhile the server refuses and reloads them: the change
   * is applied once more to what it reloaded; a second refusal is reported.
   */
  async function saveSettings(change: (settings: Settings) => void): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      const settings = await api.settings();
      change(settings);
      try {
        deployments.setSettings(await api.updateSettings(settings));
        break;
      } catch (error) {
        const conflict = error instanceof ApiError && error.code === 'settings_changed_elsewhere';
        if (!conflict || attempt >= SAVE_ATTEMPTS) {
          if (conflict) void loadSettings();
          throw error;
        }
      }
    }
    await refresh();
  }

  const infoPoll = poller(refresh, INFO_EVERY_MS);
  let shown = false;

  function sync(): void {
    if (shown && document.visibilityState === 'visible') infoPoll.start();
    else infoPoll.stop();
  }

  document.addEventListener('visibilitychange', sync);

  return {
    el,
    show() {
      if (shown) return;
      shown = true;
      void loadKeys();
      void loadSettings();
      sync();
    },
    hide() {
      if (!shown) return;
      shown = false;
      // A secret is shown once: leaving the page is the end of "once".
      keys.hideSecret();
      sync();
    },
  };
}
