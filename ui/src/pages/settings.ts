// The Settings page (`data-testid="settings-page"`): what this app keeps for both the window
// and `duows` (the models folder, the hardware planned for, the beta switch, whether the
// gateway's request log keeps prompts), this window's theme, the network addresses in use and
// how to open them to other machines, and the setup wizard to run again. Fields are checked
// as they are typed; a refused save names its field, with the fix where there is one; the
// settings are read again just before a save, so another program's change is never lost.

import { h, replaceChildren } from '../dom';
import { formErrors } from '../forms';
import { gib } from '../format';
import { pageScope, type Page } from '../page';
import type { Store } from '../store';
import { applyTheme, savedTheme, THEME_CHOICES, type ThemeChoice } from '../theme';
import { setUiState } from '../ui-state';
import { api } from '../transport';
import type { GatewayInfo, HardwareReport, Settings } from '../types';
import { stepError } from '../views/setup-bits';
import { moveGatewayFrom } from '../views/setup-network';

function ctl(label: string, input: HTMLElement, hint?: string): HTMLElement {
  return h('label', { class: 'ctl settings-ctl' }, h('span', { class: 'ctl-label' }, label), input, hint ? h('span', { class: 'hint' }, hint) : null);
}

function checkbox(testid: string): HTMLInputElement {
  return h('input', { type: 'checkbox', 'data-testid': testid });
}

/** A models folder must be a full path; `~/x` is offered as the home-relative path it means. */
export function checkModelsDir(value: string): string | null {
  const v = value.trim();
  if (v === '') return null;
  if (v.startsWith('~')) return 'Give the full path: the server does not expand ~.';
  if (!v.startsWith('/')) return 'Give the full path of the folder, starting with /.';
  return null;
}

export function settingsPage(store: Store, loadReport: () => Promise<HardwareReport>): Page {
  const scope = pageScope();
  const modelsDir = h('input', { type: 'text', class: 'mono', 'data-testid': 'settings-models-dir', placeholder: 'the data folder’s models/ (default)' });
  const planned = h('input', { type: 'text', 'data-testid': 'settings-planned', placeholder: 'e.g. 2xL40S' });
  const beta = checkbox('settings-beta');
  const logPrompts = checkbox('settings-log-prompts');
  const theme = h('select', { 'data-testid': 'settings-theme' }, ...THEME_CHOICES.map((c) => h('option', { value: c }, c === 'system' ? 'Follow the system' : c === 'light' ? 'Light' : 'Dark')));
  const general = h('div', { class: 'banner-slot' });
  const saved = h('span', { class: 'hint', role: 'status', 'data-testid': 'settings-saved' });
  const save = h('button', { type: 'button', class: 'primary', 'data-testid': 'settings-save' }, 'Save');
  const disk = h('span', { class: 'hint', 'data-testid': 'settings-disk' });
  const fields = {
    models_dir: { ctl: ctl('Models folder', modelsDir, 'Where weights are downloaded and looked for (HF_HOME layout).'), input: modelsDir, check: ({ value }: { value: string }) => checkModelsDir(value) },
    planned_hardware: { ctl: ctl('Hardware you plan for', planned, 'Shown beside this machine on the Models page; a spec such as 2xL40S.'), input: planned },
  };
  fields.models_dir.ctl.append(disk);
  const errors = formErrors({ testid: 'settings-error', general, fields });
  const network = h('dl', { class: 'setup-facts', 'data-testid': 'settings-network' });
  const networkSwitch = h('button', { type: 'button', class: 'secondary', 'data-testid': 'settings-gateway-switch', hidden: true });
  const networkError = stepError('settings-network-error');
  networkSwitch.addEventListener('click', () => {
    void moveGatewayFrom(networkSwitch, store, networkError).then(() => {
      showNetwork(store.get('gateway'));
    });
  });

  function fill(settings: Settings): void {
    modelsDir.value = settings.models_dir ?? '';
    planned.value = settings.planned_hardware ?? '';
    beta.checked = settings.show_beta_features;
    logPrompts.checked = settings.log_prompts;
  }

  function showNetwork(gateway: GatewayInfo | null): void {
    const row = (label: string, value: string, testid?: string): Node[] => [h('dt', undefined, label), h('dd', { 'data-testid': testid }, value)];
    replaceChildren(
      network,
      ...row('This page', window.location.origin.startsWith('http') ? window.location.origin : 'the desktop window'),
      ...row('Gateway', gateway?.running ? `${gateway.listen ?? ''}${gateway.loopback_only ? ' (this machine only)' : ' (other machines, with a key)'}` : (gateway?.listen_problem ?? 'not running in this program'), 'settings-gateway'),
      ...(gateway?.running && gateway.listen_problem ? row('Note', gateway.listen_problem, 'settings-gateway-problem') : []),
      ...row('Samples', 'once a second; the last hour is kept for the charts'),
      ...row(
        'This page from elsewhere',
        'Start the server with `duows serve --host 0.0.0.0` (the control API then asks for its token); the desktop app serves its pages to this machine only.',
      ),
    );
    const pinned = gateway?.listen_pinned_by ?? null;
    networkSwitch.hidden = !gateway?.running || pinned !== null;
    if (!networkSwitch.disabled) networkSwitch.textContent = gateway?.loopback_only ? 'Open the gateway to the network' : 'Close the gateway to other machines';
    networkSwitch.title = gateway?.loopback_only ? 'For GitLab or its AI gateway on another machine: every call then needs a key' : 'Only programs on this machine reach the gateway then';
  }

  save.addEventListener('click', () => {
    if (!errors.check()) return;
    save.disabled = true;
    saved.textContent = '';
    void (async () => {
      try {
        // Read again just before the save: a change made meanwhile elsewhere is kept.
        const current = await api.settings();
        const dir = modelsDir.value.trim();
        const spec = planned.value.trim();
        await api.updateSettings({ ...current, models_dir: dir === '' ? null : dir, planned_hardware: spec === '' ? null : spec, show_beta_features: beta.checked, log_prompts: logPrompts.checked });
        errors.reset();
        saved.textContent = 'Saved.';
        void loadReport().then((r) => {
          disk.textContent = r.system.models_dir_free_bytes === null ? '' : `${gib(r.system.models_dir_free_bytes)} free in ${r.system.models_dir}`;
        });
      } catch (reason) {
        errors.report(reason, 'The settings could not be saved.');
      } finally {
        save.disabled = false;
      }
    })();
  });
  theme.addEventListener('change', () => {
    applyTheme(theme.value as ThemeChoice, true);
  });
  const again = h('button', { type: 'button', class: 'secondary', 'data-testid': 'settings-setup-again' }, 'Run the setup again');
  again.addEventListener('click', () => {
    again.disabled = true;
    void api
      .setupStatus()
      .then((status) => api.setupUpdate({ ...status.choices, finished_at_ms: null }))
      .then(
        () => {
          setUiState('setupFinished', false);
          window.location.hash = '#/setup';
        },
        (reason: unknown) => {
          errors.report(reason, 'The setup could not be opened again.');
        },
      )
      .finally(() => {
        again.disabled = false;
      });
  });

  const el = h(
    'main',
    { class: 'layout settings-page', 'data-testid': 'settings-page' },
    h('div', { class: 'section-head' }, h('h2', undefined, 'Settings')),
    h(
      'section',
      { class: 'card settings-card' },
      h('h3', { class: 'card-title' }, 'Shared with duows'),
      general,
      fields.models_dir.ctl,
      fields.planned_hardware.ctl,
      h('label', { class: 'check-line' }, beta, ' Show beta and experimental Duo features (GitLab lists them after its testing agreement is accepted)'),
      h('label', { class: 'check-line' }, logPrompts, ' Keep prompts and answers in the gateway’s request log (off by default: they can hold source code)'),
      h('div', { class: 'settings-foot' }, saved, save),
    ),
    h('section', { class: 'card settings-card' }, h('h3', { class: 'card-title' }, 'This window'), ctl('Theme', theme)),
    h('section', { class: 'card settings-card' }, h('h3', { class: 'card-title' }, 'Network'), network, h('div', { class: 'settings-foot' }, networkError.el, networkSwitch)),
    h('section', { class: 'card settings-card' }, h('h3', { class: 'card-title' }, 'Setup'), h('p', { class: 'hint' }, 'Walk the setup wizard again: it starts where the machine stands.'), again),
  );
  return {
    el,
    show() {
      theme.value = savedTheme();
      errors.reset();
      void api.settings().then(fill, (reason: unknown) => {
        errors.report(reason, 'The settings could not be read.');
      });
      void loadReport().then(
        (r) => {
          disk.textContent = r.system.models_dir_free_bytes === null ? '' : `${gib(r.system.models_dir_free_bytes)} free in ${r.system.models_dir}`;
        },
        () => undefined,
      );
      scope.follow(store, 'gateway', showNetwork);
      if (!store.get('gateway')) showNetwork(null);
    },
    hide() {
      scope.close();
    },
    dispose() {
      this.hide();
      el.remove();
    },
  };
}
