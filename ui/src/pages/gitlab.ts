// The GitLab page (`data-testid="gitlab-page"`): GitLab configured from this app's routes.
// With an administrator's token: preview the changes (GitLab's self-hosted models, each
// feature's model, the AI gateway URL), then apply them and see each model's connection
// check as GitLab wrote it. Without a token: the values to type into GitLab's admin pages, in
// GitLab's order, each with a copy button, also as a text file. The token is sent with each
// request; it is kept only when "Remember the token" is ticked (`gitlab-remember`, in the
// secret store, once GitLab accepted it), and leaving the page clears the field.

import { h, replaceChildren } from '../dom';
import { formErrors } from '../forms';
import { pageScope, type Page } from '../page';
import { api } from '../transport';
import type { ApplyReport, GitlabParams, ManualSteps, Plan, PlannedModel } from '../types';
import { aiGatewayPanel } from '../views/ai-gateway-panel';
import { stepsView } from '../views/gitlab-steps-view';

function field(label: string, input: HTMLInputElement, hint?: string): HTMLElement {
  return h('label', { class: 'ctl gitlab-ctl' }, h('span', { class: 'ctl-label' }, label), input, hint ? h('span', { class: 'hint' }, hint) : null);
}

function modelAction(model: PlannedModel): string {
  switch (model.action.action) {
    case 'create':
      return 'create';
    case 'update':
      return `update: ${model.action.changes.join('; ')}`;
    case 'keep':
      return 'as wanted';
  }
}

function planView(plan: Plan): HTMLElement {
  const features = plan.features.filter((f) => f.action !== 'keep');
  return h(
    'div',
    { class: 'gitlab-plan', 'data-testid': 'gitlab-plan' },
    h('p', undefined, `GitLab ${plan.gitlab_version} at ${plan.gitlab_url}; the gateway's endpoint: ${plan.endpoint}`),
    h('h4', undefined, 'Self-hosted models'),
    h(
      'ul',
      { class: 'plain-list' },
      ...plan.models.map((m) =>
        h('li', { 'data-testid': 'gitlab-plan-model', 'data-action': m.action.action }, h('strong', undefined, m.name), ` (${m.family}, ${m.identifier}, ${m.provider}${m.endpoint && m.endpoint !== plan.endpoint ? `, ${m.endpoint}` : ''}): ${modelAction(m)}`),
      ),
    ),
    h('h4', undefined, `Features to change (${features.length} of ${plan.features.length})`),
    h('ul', { class: 'plain-list' }, ...features.map((f) => h('li', undefined, `${f.title} → ${f.model_name ?? 'Disabled'} (now ${f.provider_now})`))),
    plan.notes.length > 0 ? h('ul', { class: 'plain-list notes' }, ...plan.notes.map((n) => h('li', { class: 'warning' }, n))) : null,
  );
}

function reportView(report: ApplyReport): HTMLElement {
  return h(
    'div',
    { class: 'gitlab-report', 'data-testid': 'gitlab-report' },
    h('h4', undefined, 'Applied'),
    h('ul', { class: 'plain-list' }, ...report.applied.map((a) => h('li', undefined, a))),
    h('h4', undefined, 'Connection checks (as GitLab wrote them)'),
    h(
      'ul',
      { class: 'plain-list' },
      ...report.connection_checks.map((c) =>
        h('li', { 'data-testid': 'gitlab-check', 'data-success': String(c.success) }, h('strong', undefined, c.model), `: ${c.success === true ? 'reached' : 'not reached'} ${c.message ?? ''} ${c.errors.join('; ')}`),
      ),
    ),
  );
}

function stepsText(steps: ManualSteps): string {
  const lines = ['GitLab Duo Self-Hosted: the values to enter, in order.', ''];
  steps.steps.forEach((step, n) => {
    lines.push(`${n + 1}. ${step.title} (${step.place})`);
    for (const f of step.fields) lines.push(`   ${f.label}: ${f.value}`);
    lines.push('');
  });
  for (const note of steps.notes) lines.push(`Note: ${note}`);
  return lines.join('\n');
}

export function gitlabPage(): Page {
  const scope = pageScope();
  const url = h('input', { type: 'url', placeholder: 'https://gitlab.example.com', 'data-testid': 'gitlab-url', autocomplete: 'url' });
  const token = h('input', { type: 'password', placeholder: 'glpat-…', 'data-testid': 'gitlab-token', autocomplete: 'off' });
  const address = h('input', { type: 'text', placeholder: 'gpu-1.lan:8000', 'data-testid': 'gitlab-address' });
  const aiGatewayUrl = h('input', { type: 'url', placeholder: 'http://gpu-1.lan:5052 (optional)', 'data-testid': 'gitlab-ai-gateway' });
  // The AI gateway set up below on this machine is the one GitLab is pointed at, unless one
  // was typed.
  const aiGateway = aiGatewayPanel((url) => {
    if (aiGatewayUrl.value.trim() !== '') return;
    aiGatewayUrl.value = url;
    aiGatewayUrl.dispatchEvent(new Event('input', { bubbles: true }));
    // Steps already shown say the URL now.
    if (steps.childElementCount > 0) showSteps();
  });
  const general = h('div', { class: 'banner-slot' });
  const ctl = (label: string, input: HTMLInputElement, hint?: string): { ctl: HTMLElement; input: HTMLInputElement } => ({ ctl: field(label, input, hint), input });
  const fields = {
    url: ctl('GitLab address', url),
    token: ctl("Administrator's access token (api scope)", token, 'Sent to GitLab only. Leave it empty to use the remembered one.'),
    endpoint_address: ctl('Address GitLab reaches this machine at', address, 'Host name or LAN address with the gateway port; never localhost.'),
    ai_gateway_url: ctl("GitLab's AI gateway URL", aiGatewayUrl),
  };
  const required =
    (what: string) =>
    ({ value }: { value: string }): string | null =>
      value.trim() === '' ? `Enter ${what}.` : null;
  const errors = formErrors({
    testid: 'gitlab-error',
    general,
    fields: {
      url: { ...fields.url, check: required("GitLab's address") },
      token: fields.token,
      endpoint_address: { ...fields.endpoint_address, check: required('the address GitLab reaches this machine at') },
      ai_gateway_url: fields.ai_gateway_url,
    },
  });
  const remember = h('input', { type: 'checkbox', id: 'gitlab-remember', 'data-testid': 'gitlab-remember' });
  const rememberCtl = h(
    'label',
    { for: 'gitlab-remember', class: 'check-line' },
    remember,
    ' Remember the token (in the secret store, once GitLab accepts it)',
  );
  const result = h('div', { class: 'gitlab-result' });
  const preview = h('button', { type: 'button', class: 'primary', 'data-testid': 'gitlab-preview' }, 'Preview changes');
  const apply = h('button', { type: 'button', class: 'secondary', 'data-testid': 'gitlab-apply', disabled: true }, 'Apply to GitLab');
  const steps = h('div', { class: 'gitlab-steps-slot' });
  const stepsButton = h('button', { type: 'button', class: 'secondary', 'data-testid': 'gitlab-steps-show' }, 'Show the steps by hand');

  const params = (confirm: boolean): GitlabParams => ({
    url: url.value.trim(),
    token: token.value.trim() === '' ? null : token.value.trim(),
    remember_token: remember.checked && token.value.trim() !== '' ? true : null,
    endpoint_address: address.value.trim(),
    ai_gateway_url: aiGatewayUrl.value.trim() === '' ? null : aiGatewayUrl.value.trim(),
    confirm: confirm ? true : null,
  });

  preview.addEventListener('click', () => {
    if (!errors.check()) return;
    apply.disabled = true;
    replaceChildren(result, h('p', { class: 'hint' }, 'Reading GitLab…'));
    api.gitlabPlan(params(false)).then(
      (plan) => {
        replaceChildren(result, planView(plan));
        apply.disabled = false;
      },
      (reason: unknown) => {
        replaceChildren(result);
        errors.report(reason, 'GitLab could not be read.');
      },
    );
  });
  apply.addEventListener('click', () => {
    if (!errors.check()) return;
    apply.disabled = true;
    api.gitlabApply(params(true)).then(
      (report) => { replaceChildren(result, reportView(report)); },
      (reason: unknown) => { errors.report(reason, 'GitLab refused a change.'); },
    );
  });
  function showSteps(): void {
    if (address.value.trim() === '') {
      errors.show('Enter the address GitLab reaches this machine at.', 'endpoint_address');
      return;
    }
    api.gitlabSteps({ endpoint_address: address.value.trim(), ai_gateway_url: aiGatewayUrl.value.trim() === '' ? null : aiGatewayUrl.value.trim() }).then(
      (manual) => {
        const blob = new Blob([stepsText(manual)], { type: 'text/plain' });
        const link = h('a', { href: URL.createObjectURL(blob), download: 'gitlab-duo-steps.txt', 'data-testid': 'gitlab-steps-download' }, 'Download as a text file');
        replaceChildren(steps, stepsView(manual), link);
      },
      (reason: unknown) => { errors.report(reason, 'The steps could not be made.'); },
    );
  }
  stepsButton.addEventListener('click', showSteps);

  const el = h(
    'main',
    { class: 'layout gitlab-page', 'data-testid': 'gitlab-page' },
    h('div', { class: 'section-head' }, h('h2', undefined, 'GitLab')),
    h('p', { class: 'hint' }, "GitLab's self-hosted models and Duo features, set from this app's routes: one model per feature alias, each pointing at this machine's gateway."),
    h(
      'section',
      { class: 'card', 'aria-label': 'Connect to GitLab' },
      general,
      h('div', { class: 'gitlab-form' }, fields.url.ctl, fields.token.ctl, fields.endpoint_address.ctl, fields.ai_gateway_url.ctl),
      rememberCtl,
      h('div', { class: 'gitlab-actions' }, preview, apply, stepsButton),
    ),
    h('section', { class: 'card gitlab-out', 'aria-label': 'Result' }, result, steps),
    aiGateway.el,
  );
  return {
    el,
    show() {
      // GitLab is read only when asked, with the token typed here or the remembered one.
      aiGateway.refresh();
      url.focus();
    },
    hide() {
      token.value = '';
      scope.close();
    },
    dispose() {
      this.hide();
      el.remove();
    },
  };
}
