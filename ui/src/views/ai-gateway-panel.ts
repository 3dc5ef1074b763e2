// The AI gateway panel of the GitLab page (`data-testid="ai-gateway-panel"`): GitLab's AI
// gateway generated for the GitLab version (its keys stay in files on this machine, never on
// the page), its container started and stopped through Docker or Podman, and its health.

import { h, replaceChildren } from '../dom';
import { formErrors } from '../forms';
import { api } from '../transport';
import type { AiGatewayStatus, GeneratedFiles, Placement } from '../types';
import { copyButton } from './copy';

export interface AiGatewayPanel {
  el: HTMLElement;
  /** Reads the state again. */
  refresh(): void;
}

function statusText(status: AiGatewayStatus): string {
  const container =
    status.container.state === 'no_runtime'
      ? `no Docker or Podman. ${status.container.fix}`
      : status.container.state === 'absent'
        ? 'container not created'
        : `container ${status.container.status} (${status.runtime ?? '?'})`;
  const health = status.health ? ` · ${status.health.healthy ? 'healthy' : 'not answering'}: ${status.health.message}` : '';
  return `${status.config ? `Set up for ${status.config.gitlab_url} (GitLab ${status.config.gitlab_version})` : 'Not set up yet'} · ${container}${health}`;
}

function filesView(files: GeneratedFiles): HTMLElement {
  const rows: [string, string][] = [
    ['Image', files.image],
    ['Settings (env file)', files.env_file],
    ['Keys (readable by you only)', files.keys_env_file],
    ['docker run script', files.run_script],
    ['Compose file', files.compose_file],
  ];
  if (files.url_for_gitlab) rows.push(["AI gateway URL for GitLab's Duo settings", files.url_for_gitlab]);
  return h(
    'dl',
    { class: 'gitlab-fields', 'data-testid': 'ai-gateway-files' },
    ...rows.flatMap(([label, value]) => {
      const code = h('code', undefined, value);
      return [h('dt', undefined, label), h('dd', undefined, code, copyButton(value, code, { title: `Copy ${label}` }))];
    }),
  );
}

/**
 * `onUrlForGitlab` hears the URL GitLab reaches the AI gateway at, once the files for a
 * container on this machine are written (the GitLab form above fills it in).
 */
export function aiGatewayPanel(onUrlForGitlab: (url: string) => void = () => undefined): AiGatewayPanel {
  const url = h('input', { type: 'url', placeholder: 'https://gitlab.example.com', 'data-testid': 'ai-gateway-gitlab-url' });
  const version = h('input', { type: 'text', placeholder: '18.6', 'data-testid': 'ai-gateway-gitlab-version' });
  const placement = h(
    'select',
    { 'data-testid': 'ai-gateway-placement' },
    h('option', { value: 'same_host' }, 'On this machine (host networking)'),
    h('option', { value: 'separate_host' }, 'On another machine (ports 5052 and 50052)'),
  );
  const ctl = (label: string, input: HTMLInputElement | HTMLSelectElement): HTMLElement =>
    h('label', { class: 'ctl gitlab-ctl' }, h('span', { class: 'ctl-label' }, label), input);
  const urlCtl = ctl("GitLab's address", url);
  const versionCtl = ctl("GitLab's version", version);
  const general = h('div', { class: 'banner-slot' });
  const required =
    (what: string) =>
    ({ value }: { value: string }): string | null =>
      value.trim() === '' ? `Enter ${what}.` : null;
  const errors = formErrors({
    testid: 'ai-gateway-error',
    general,
    fields: {
      gitlab_url: { ctl: urlCtl, input: url, check: required("GitLab's address") },
      gitlab_version: { ctl: versionCtl, input: version, check: required("GitLab's version, such as 18.6") },
    },
    fieldOf: (field) => field.replace(/^config\./, ''),
  });
  const state = h('p', { class: 'hint', 'data-testid': 'ai-gateway-status' }, 'Reading…');
  const files = h('div');
  const setup = h('button', { type: 'button', class: 'primary', 'data-testid': 'ai-gateway-setup' }, 'Generate keys and files');
  const start = h('button', { type: 'button', class: 'secondary', 'data-testid': 'ai-gateway-start' }, 'Start container');
  const stop = h('button', { type: 'button', class: 'secondary', 'data-testid': 'ai-gateway-stop' }, 'Stop container');

  function show(status: AiGatewayStatus): void {
    state.textContent = statusText(status);
    if (status.config && url.value === '') {
      url.value = status.config.gitlab_url;
      version.value = status.config.gitlab_version;
      placement.value = status.config.placement;
    }
  }
  function refresh(): void {
    api.aiGatewayStatus().then(show, (reason: unknown) => {
      state.textContent = reason instanceof Error ? reason.message : 'The state could not be read.';
    });
  }
  setup.addEventListener('click', () => {
    if (!errors.check()) return;
    const config = { gitlab_url: url.value.trim(), gitlab_version: version.value.trim(), placement: placement.value as Placement, offline_license: false };
    api.aiGatewaySetup({ config }).then(
      (written) => {
        replaceChildren(files, filesView(written));
        if (written.url_for_gitlab) onUrlForGitlab(written.url_for_gitlab);
        refresh();
      },
      (reason: unknown) => {
        errors.report(reason, 'The files could not be written.');
      },
    );
  });
  for (const [button, call] of [
    [start, api.aiGatewayStart],
    [stop, api.aiGatewayStop],
  ] as const) {
    button.addEventListener('click', () => {
      button.disabled = true;
      call().then(
        (status) => {
          errors.clear();
          show(status);
        },
        (reason: unknown) => {
          errors.report(reason, 'Docker or Podman refused.');
        },
      ).finally(() => {
        button.disabled = false;
      });
    });
  }

  const el = h(
    'section',
    { class: 'card', 'aria-label': "GitLab's AI gateway", 'data-testid': 'ai-gateway-panel' },
    h('h3', undefined, "GitLab's AI gateway"),
    h('p', { class: 'hint' }, 'GitLab calls its AI gateway, which calls the models through this machine’s gateway. Its signing keys are made here and kept in files only you can read.'),
    general,
    h('div', { class: 'gitlab-form' }, urlCtl, versionCtl, ctl('Where it runs', placement)),
    h('div', { class: 'gitlab-actions' }, setup, start, stop),
    state,
    files,
  );
  return { el, refresh };
}
