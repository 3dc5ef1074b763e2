// "Connect GitLab" (`data-testid="gateway-connect"`): the address to give GitLab
// (`gateway-endpoint`, with Copy), who can reach the gateway (`gateway-reach`; on loopback a
// note on serving it to other machines) and whether clients need an API key
// (`gateway-keys-required`). When this program does not run the gateway it says so
// (`gateway-not-running`).

import { h, replaceChildren } from '../dom';
import type { GatewayInfo } from '../types';
import { copyButton } from './copy';

const OFF_LOOPBACK = 'duows serve --gateway-host 0.0.0.0';

export interface ConnectPanel {
  el: HTMLElement;
  update(info: GatewayInfo): void;
}

function fact(label: string, ...value: (Node | string)[]): HTMLElement {
  return h('div', { class: 'fact' }, h('dt', undefined, label), h('dd', undefined, ...value));
}

function notRunning(): HTMLElement {
  return h(
    'div',
    { class: 'banner banner-warn', role: 'status', 'data-testid': 'gateway-not-running' },
    h('span', { class: 'banner-icon', 'aria-hidden': 'true' }, '!'),
    h(
      'div',
      undefined,
      h('strong', undefined, 'The gateway is not running in this program.'),
      h(
        'p',
        { class: 'remedy' },
        'Another program may hold its port (8000 unless --gateway-port says otherwise), for example another Duo Workstation, or it was started with --no-gateway. Routes, deployments and keys set here are saved and apply wherever the gateway runs from this data folder.',
      ),
    ),
  );
}

function running(info: GatewayInfo): (HTMLElement | null)[] {
  const url = info.base_url ?? '';
  const address = h('code', { class: 'endpoint-url gateway-url', 'data-testid': 'gateway-endpoint' }, url);
  const command = h('code', undefined, OFF_LOOPBACK);
  const reach = info.loopback_only
    ? h(
        'p',
        { class: 'gateway-note', 'data-testid': 'gateway-loopback-note' },
        'Only programs on this machine can reach it. For GitLab on another machine, create an API key first, then start ',
        command,
        ' ',
        copyButton(OFF_LOOPBACK, command, { title: 'Copy the command' }),
        ' (without an active key the gateway refuses to listen beyond this machine).',
      )
    : null;
  return [
    h(
      'div',
      { class: 'gateway-address' },
      h('span', { class: 'ctl-label' }, 'Endpoint URL for GitLab'),
      h('div', { class: 'endpoint' }, address, copyButton(url, address, { testid: 'gateway-endpoint-copy', title: 'Copy the endpoint URL' })),
    ),
    h(
      'dl',
      { class: 'facts gateway-facts' },
      fact('Listens on', h('span', { class: 'mono' }, info.listen ?? '—')),
      fact(
        'Reachable from',
        h('span', { 'data-testid': 'gateway-reach' }, info.loopback_only ? 'this machine only' : 'other machines (with an API key)'),
      ),
      fact(
        'API key',
        h(
          'span',
          {
            'data-testid': 'gateway-keys-required',
            'data-required': String(info.keys_required),
            title: info.keys_required
              ? 'Clients send Authorization: Bearer dwk_…'
              : 'No active key exists: programs on this machine may call the gateway without one',
          },
          info.keys_required ? 'required' : 'not needed yet',
        ),
      ),
    ),
    reach,
  ];
}

export function connectPanel(): ConnectPanel {
  const body = h('div', { class: 'gateway-connect-body' }, h('p', { class: 'hint' }, 'Asking the server…'));
  const el = h(
    'section',
    { class: 'card gateway-connect', 'aria-label': 'Connect GitLab', 'data-testid': 'gateway-connect' },
    h('div', { class: 'panel-head' }, h('h3', undefined, 'Connect GitLab')),
    body,
    h(
      'p',
      { class: 'hint' },
      'In GitLab’s self-hosted model settings, give each model this endpoint, the feature’s model identifier from Feature routing below and, once keys are required, an API key. Which model answers a feature is then chosen here, without touching GitLab again.',
    ),
  );
  let shown = '';
  return {
    el,
    update(info) {
      // Rebuilt only when something shown changed, so a selection or a "Copied" stays put.
      const key = JSON.stringify([info.running, info.base_url, info.listen, info.loopback_only, info.keys_required]);
      if (key === shown) return;
      shown = key;
      if (!info.running) replaceChildren(body, notRunning());
      else replaceChildren(body, ...running(info));
    },
  };
}
