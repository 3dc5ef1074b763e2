// The wizard's last steps: Gateway (route every feature the model is rated for in one step,
// make the key GitLab sends, and say whether GitLab on another machine can reach the
// gateway), GitLab (configure it through its API with an administrator's token, or the values
// to type in by hand, or later) and Done (the endpoint, the identifiers, the key shown this
// once, and a real chat request through the gateway with the model's answer).

import { h, replaceChildren } from '../dom';
import { sentence } from '../format';
import { gatewayAddress, reachProblems } from '../setup-flow';
import { pageScope } from '../page';
import { api } from '../transport';
import type { GatewayInfo, GitlabOutcome, SetupStatus } from '../types';
import { copyButton } from './copy';
import { stepsView } from './gitlab-steps-view';
import { busy, primary, secondary, stepError, stepFrame, warningList, type StepView, type WizardContext } from './setup-bits';
import { gatewayNetworkRow } from './setup-network';
import { setUiState } from '../ui-state';

/** The host and port GitLab should use for the gateway: this page's host when the gateway listens on every address. */
function endpointAddress(gateway: GatewayInfo | null): string {
  const listen = gateway?.listen ?? '';
  const port = listen.split(':').pop() ?? '';
  if (!gateway || gateway.loopback_only || port === '') return '';
  const host = window.location.hostname;
  return host === '' || host === 'localhost' || host === '127.0.0.1' || host === 'tauri.localhost' ? '' : `${host}:${port}`;
}

export function gatewayStep(ctx: WizardContext): StepView {
  const error = stepError();
  const keyError = stepError('setup-key-error');
  const scope = pageScope();
  const routed = h('p', { 'data-testid': 'setup-gateway-routed' });
  const route = primary('Route the features', 'setup-gateway-route');
  const keyName = h('input', { type: 'text', value: 'gitlab', 'data-testid': 'setup-key-name', 'aria-label': 'Key name', maxlength: 64 });
  const makeKey = secondary('Make the key', 'setup-key-create');
  const keyState = h('p', { 'data-testid': 'setup-key-state' });
  const network = gatewayNetworkRow(ctx, 'setup-gateway');
  route.addEventListener('click', () => {
    const name = ctx.status().engine_name;
    if (!name) return;
    void busy(route, 'Routing…', error, 'The features could not be routed.', async () => {
      await api.featuresRated(name);
      await ctx.refresh();
    });
  });
  makeKey.addEventListener('click', () => {
    const name = keyName.value.trim();
    if (name === '') {
      keyError.show(new Error('Name the key (for example after the GitLab instance that uses it).'), '');
      return;
    }
    void busy(makeKey, 'Making…', keyError, 'The key could not be made.', async () => {
      const created = await api.keyCreate({ name, expires_in_days: null });
      ctx.session.secret = created.secret;
      ctx.session.keyName = created.key.name;
      await ctx.refresh();
    });
  });
  function show(status: SetupStatus): void {
    const n = status.facts.routed_features;
    routed.textContent = n > 0 ? `${n} feature${n === 1 ? '' : 's'} routed to ${status.engine_name ?? 'the model'}.` : `No feature is routed to ${status.engine_name ?? 'the model'} yet: one click routes every feature it is rated for.`;
    route.textContent = n > 0 ? 'Route again' : 'Route the features';
    keyState.textContent = ctx.session.secret ? `The key “${ctx.session.keyName ?? ''}” is made; the last step shows it once.` : status.facts.active_keys > 0 ? `${status.facts.active_keys} key(s) exist. Make one for this GitLab to see its secret at the end.` : 'GitLab sends a key with every request: make one.';
  }

  const keyRow = h('div', { class: 'setup-key-row' }, h('label', { class: 'ctl' }, h('span', { class: 'ctl-label' }, 'Key name'), keyName), makeKey);
  const el = stepFrame('gateway', 'Gateway', 'GitLab reaches the model through the gateway: one name per Duo feature, and a key.', [routed, error.el, keyRow, keyState, keyError.el, network.el], [route]);
  return {
    el,
    enter(status) {
      show(status);
      network.follow(scope);
    },
    update: show,
    leave() {
      scope.close();
    },
  };
}

export function gitlabStep(ctx: WizardContext): StepView {
  const error = stepError();
  const scope = pageScope();
  const network = gatewayNetworkRow(ctx, 'setup-gitlab');
  const url = h('input', { type: 'url', placeholder: 'https://gitlab.example.com', 'data-testid': 'setup-gitlab-url' });
  const token = h('input', { type: 'password', placeholder: 'glpat-…', autocomplete: 'off', 'data-testid': 'setup-gitlab-token' });
  const address = h('input', { type: 'text', placeholder: 'gpu-1.lan:8000', 'data-testid': 'setup-gitlab-address' });
  const out = h('div', { class: 'setup-gitlab-out', 'data-testid': 'setup-gitlab-out' });
  const apply = primary('Configure GitLab', 'setup-gitlab-apply');
  const manual = secondary('Show the values to enter', 'setup-gitlab-steps');
  const entered = secondary('I entered them', 'setup-gitlab-entered');
  const later = secondary('Later', 'setup-gitlab-later');
  entered.hidden = true;
  const save = (outcome: GitlabOutcome): Promise<void> => {
    ctx.session.gitlabAddress = address.value.trim() === '' ? null : address.value.trim();
    return ctx.save({ ...ctx.status().choices, gitlab: outcome });
  };
  const need = (input: HTMLInputElement, what: string): boolean => {
    if (input.value.trim() !== '') return true;
    error.show(new Error(`Enter ${what}.`), '');
    input.focus();
    return false;
  };
  apply.addEventListener('click', () => {
    if (!need(url, "GitLab's address") || !need(address, 'the address GitLab reaches this machine at')) return;
    void busy(apply, 'Configuring…', error, 'GitLab refused a change.', async () => {
      const secret = token.value.trim();
      const report = await api.gitlabApply({ url: url.value.trim(), token: secret === '' ? null : secret, endpoint_address: address.value.trim(), confirm: true });
      token.value = '';
      replaceChildren(out, h('p', undefined, `Applied: ${report.applied.join('; ')}`));
      await save('applied');
    });
  });
  manual.addEventListener('click', () => {
    if (!need(address, 'the address GitLab reaches this machine at')) return;
    void busy(manual, 'Reading…', error, 'The values could not be made.', async () => {
      replaceChildren(out, stepsView(await api.gitlabSteps({ endpoint_address: address.value.trim() })));
      entered.hidden = false;
    });
  });
  entered.addEventListener('click', () => void busy(entered, 'Saving…', error, 'Could not be saved.', () => save('manual')));
  later.addEventListener('click', () => void busy(later, 'Saving…', error, 'Could not be saved.', () => save('skipped')));
  const ctl = (label: string, input: HTMLInputElement, hint: string): HTMLElement => h('label', { class: 'ctl' }, h('span', { class: 'ctl-label' }, label), input, h('span', { class: 'hint' }, hint));
  const form = h(
    'div',
    { class: 'setup-gitlab-form' },
    ctl('Address GitLab reaches this machine at', address, 'Host name or LAN address with the gateway port; never localhost.'),
    ctl('GitLab address', url, 'Only to configure it through its API.'),
    ctl("Administrator's access token (api scope)", token, 'Sent to GitLab only, never kept.'),
  );
  // Whether GitLab can reach the gateway at the address typed, as it is typed.
  const reach = h('div', { hidden: true });
  const showReach = (): void => {
    const problems = reachProblems(address.value, ctx.store.get('gateway'));
    replaceChildren(reach, warningList(problems, 'setup-gitlab-reach'));
    reach.hidden = problems.length === 0;
  };
  address.addEventListener('input', showReach);
  const el = stepFrame('gitlab', 'GitLab', "Tell GitLab about the models: through its API with an administrator's token, or by typing the values into its admin pages.", [network.el, form, reach, out, error.el], [later, manual, entered, apply]);
  return {
    el,
    enter() {
      if (address.value === '') address.value = endpointAddress(ctx.store.get('gateway'));
      network.follow(scope);
      // Opened to the network: the address other machines use is this machine's name.
      scope.follow(ctx.store, 'gateway', (gateway) => {
        if (address.value === '' && gateway && !gateway.loopback_only && gateway.base_url) address.value = new URL(gateway.base_url).host;
        showReach();
      });
    },
    leave() {
      scope.close();
    },
  };
}

export function doneStep(ctx: WizardContext): StepView {
  const error = stepError();
  const summary = h('dl', { class: 'setup-facts', 'data-testid': 'setup-summary' });
  const answer = h('div', { class: 'setup-answer', 'data-testid': 'setup-test' }, 'Sending a test request…');
  const plan = h('div', { class: 'setup-plan-view', 'data-testid': 'setup-plan', hidden: true });
  const again = secondary('Send again', 'setup-test-again');
  const finish = primary('Finish', 'setup-finish');
  async function test(): Promise<void> {
    await busy(again, 'Sending…', error, 'The test request failed.', async () => {
      answer.dataset.state = 'sending';
      try {
        const result = await api.setupTest();
        answer.dataset.state = 'ok';
        replaceChildren(answer, h('div', undefined, `${result.alias} answered in ${result.ms} ms:`), h('blockquote', { 'data-testid': 'setup-test-answer' }, result.answer.trim() === '' ? '(an empty answer)' : result.answer));
      } catch (reason) {
        answer.dataset.state = 'failed';
        replaceChildren(answer, 'The test request did not go through.');
        throw reason;
      }
    });
  }
  again.addEventListener('click', () => void test());
  finish.addEventListener('click', () => {
    void busy(finish, 'Finishing…', error, 'Could not be saved.', async () => {
      await ctx.save({ ...ctx.status().choices, finished_at_ms: Date.now() });
      setUiState('setupFinished', true);
      window.location.hash = '#/dashboard';
    });
  });
  function show(status: SetupStatus): void {
    const gateway = ctx.store.get('gateway');
    const planOnly = status.choices.path === 'plan_only';
    const routes = (gateway?.features ?? []).filter((f) => f.target === status.engine_name);
    const row = (label: string, value: Node | string, testid?: string): Node[] => [h('dt', undefined, label), h('dd', { 'data-testid': testid }, value)];
    const endpoint = gateway?.base_url ?? '';
    const endpointCode = h('code', { 'data-testid': 'setup-endpoint' }, endpoint);
    // What GitLab is sent, read from the address as the server reads it.
    const gitlabEndpoint = gatewayAddress(ctx.session.gitlabAddress ?? '')?.endpoint ?? null;
    const gitlabCode = h('code', { 'data-testid': 'setup-gitlab-endpoint' }, gitlabEndpoint ?? '');
    const reach = ctx.session.gitlabAddress ? reachProblems(ctx.session.gitlabAddress, gateway) : [];
    const secret = ctx.session.secret;
    const secretCode = h('code', { 'data-testid': 'setup-key-secret' }, secret ?? '');
    replaceChildren(
      summary,
      ...row('Model', `${status.choices.model ?? '—'}${status.choices.engine === 'llama_cpp' ? ' (llama.cpp)' : ' (vLLM)'}`),
      ...(planOnly
        ? row('Plan', 'Planning only: nothing was installed or started.')
        : [
            ...row('Endpoint on this machine', h('span', undefined, endpointCode, copyButton(endpoint, endpointCode))),
            ...(gitlabEndpoint ? row('Endpoint for GitLab', h('span', undefined, gitlabCode, copyButton(gitlabEndpoint, gitlabCode))) : []),
            ...(reach.length > 0 ? row('Before GitLab calls', warningList(reach, 'setup-done-reach')) : []),
            ...row('Model identifiers', h('ul', { class: 'plain-list' }, ...routes.map((r) => h('li', { 'data-testid': 'setup-identifier' }, `${r.title}: `, h('code', undefined, r.gitlab_identifier))))),
            ...row(
              'API key',
              secret ? h('span', undefined, secretCode, copyButton(secret, secretCode), h('div', { class: 'hint' }, 'Shown this once: copy it now. Only its hash is kept.')) : 'A key exists; its secret was shown when it was made (make a new one on the Gateway page if it is lost).',
            ),
          ]),
    );
    answer.hidden = planOnly;
    again.hidden = planOnly;
    plan.hidden = !planOnly;
  }

  /** Planning only: the exact command line a start would run, and what would stop it now. */
  async function showPlan(status: SetupStatus): Promise<void> {
    if (!status.launch) {
      replaceChildren(plan, h('p', { class: 'hint' }, 'The command line is made once the weights are on this machine (a GGUF file is named by its path).'));
      return;
    }
    try {
      const view = await api.enginePlan(status.launch);
      const line = h('code', { class: 'mono', 'data-testid': 'setup-plan-command' }, view.command_line);
      const blocking = view.preflight.checks.filter((c) => c.outcome === 'fail');
      replaceChildren(
        plan,
        h('p', undefined, 'The command a start would run (the key hidden):'),
        h('pre', { class: 'engine-log setup-log' }, line),
        copyButton(view.command_line, line),
        blocking.length > 0 ? warningList(blocking.map((c) => sentence(`${c.message}${c.fix ? `: ${c.fix}` : ''}`)), 'setup-plan-blockers') : null,
      );
    } catch (reason) {
      error.show(reason, 'The plan could not be made.');
    }
  }
  const el = stepFrame('done', 'Done', 'What the setup made: everything GitLab needs and a real request through the gateway (or, when only planning, the command a start would run).', [summary, plan, answer, error.el], [again, finish]);
  return {
    el,
    enter(status) {
      show(status);
      if (status.choices.path !== 'plan_only') void test();
      else void showPlan(status);
    },
    update: show,
  };
}
