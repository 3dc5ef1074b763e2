// The gateway's network switch in the wizard: where the gateway listens, in words, and one
// button to open it to the network (GitLab or its AI gateway on another machine; refused
// until a key exists) or to keep it on this machine. Shown in the Gateway and GitLab steps;
// the move itself is the Settings page's too.

import { h } from '../dom';
import type { PageScope } from '../page';
import { api } from '../transport';
import { ApiError, type GatewayInfo } from '../types';
import type { Store } from '../store';
import { busy, secondary, stepError, type StepError, type WizardContext } from './setup-bits';

/**
 * Moves the gateway to where it is not (onto the network from this machine only, or back),
 * with `button` busy meanwhile and a refusal shown in `error`; the store gets where it is
 * now. Also the Settings page's switch.
 */
export async function moveGatewayFrom(button: HTMLButtonElement, store: Store, error: StepError): Promise<void> {
  const gateway = store.get('gateway');
  if (!gateway) return;
  const open = gateway.loopback_only;
  await busy(button, open ? 'Opening…' : 'Closing…', error, 'The gateway could not move.', async () => {
    try {
      store.apply({ kind: 'gateway', data: await api.gatewayNetwork(open) });
    } catch (reason) {
      // The refusal's words and fix say what to do; its field (`open`) would mean nothing here.
      if (reason instanceof ApiError) throw new ApiError({ code: reason.code, message: reason.message, fix: reason.fix });
      throw reason;
    }
  });
}

export interface GatewayNetworkRow {
  el: HTMLElement;
  /** Follows the gateway's state while `scope` is open. */
  follow(scope: PageScope): void;
}

export function gatewayNetworkRow(ctx: WizardContext, testid: string): GatewayNetworkRow {
  const words = h('p', { class: 'hint', 'data-testid': `${testid}-network` });
  const error = stepError(`${testid}-network-error`);
  const button = secondary('Open the gateway to the network', `${testid}-open`);
  button.hidden = true;
  button.addEventListener('click', () => {
    void moveGatewayFrom(button, ctx.store, error).then(() => {
      // The button's words follow where the gateway is now, not where it was.
      show(ctx.store.get('gateway'));
    });
  });
  function show(gateway: GatewayInfo | null): void {
    button.hidden = !gateway?.running || gateway.listen_pinned_by !== null;
    if (!gateway?.running) {
      words.textContent = 'The gateway is not running in this program.';
      return;
    }
    if (!button.disabled) button.textContent = gateway.loopback_only ? 'Open the gateway to the network' : 'Close the gateway to other machines';
    const pinned = gateway.listen_pinned_by === null ? '' : ` (set with \`${gateway.listen_pinned_by}\` for this run)`;
    const problem = gateway.listen_problem === null ? '' : ` ${gateway.listen_problem}.`;
    words.textContent = gateway.loopback_only
      ? `The gateway listens on ${gateway.listen ?? ''}${pinned}: only this machine reaches it. Is GitLab (or its AI gateway) on another machine? Open it to the network; every call then needs a key.${problem}`
      : `The gateway listens on ${gateway.listen ?? ''}${pinned}: other machines reach it at ${gateway.base_url ?? ''}, each call with a key.${problem}`;
  }
  return {
    el: h('div', undefined, h('div', { class: 'setup-network-row' }, words, button), error.el),
    follow(scope) {
      scope.follow(ctx.store, 'gateway', show);
      show(ctx.store.get('gateway'));
    },
  };
}
