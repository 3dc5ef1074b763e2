// "Install engines" (`data-testid="install-panel"`): one row per engine the app installs
// into its own Python environment (`install-row`, `data-engine="vllm"|"llama_cpp"`), with
// Install (`install-start`). While its job runs a row shows a progress bar (`job-progress`:
// the percent once the packages' sizes are known, a moving striped bar before), the step in
// words (`job-phase`), packages (`job-packages`), bytes (`job-bytes`), the package being
// fetched or built (`job-package`) and Cancel (`job-cancel`). When it ended: the installed
// version, the error with Retry, or that it was cancelled.

import { h } from '../dom';
import { percent, sizeOf } from '../format';
import type { InstallPhase, InstallableEngine, JobStatus } from '../types';
import { progressBar } from '../widgets';
import { callError, cancelButton, messageOf, outcome, showOnBar, stateBadge } from './job-bits';

export interface InstallActions {
  install(engine: InstallableEngine): Promise<JobStatus>;
  cancel(id: string): Promise<JobStatus>;
  /** Hears the job a call returned, to show it at once and watch it. */
  changed: (job: JobStatus) => void;
}

export interface InstallPanel {
  el: HTMLElement;
  /** Shows the install jobs the server lists (the others' rows show no job). */
  apply(jobs: JobStatus[]): void;
}

interface EngineInfo {
  engine: InstallableEngine;
  name: string;
  chips: string[];
  about: string;
}

const ENGINES: EngineInfo[] = [
  {
    engine: 'vllm',
    name: 'vLLM',
    chips: ['NVIDIA GPUs', 'about 12 GB'],
    about: 'Serves catalog models on this machine’s NVIDIA GPUs. Comes with PyTorch and CUDA, hence the size.',
  },
  {
    engine: 'llama_cpp',
    name: 'llama.cpp server',
    chips: ['CPU or small GPUs'],
    about: 'Serves GGUF files on the CPU, or partly on a small GPU. Compiled on this machine: needs a C compiler and cmake.',
  },
];

const PHASE_TEXT: Record<InstallPhase, string> = {
  pending: 'Waiting to start',
  checking_disk: 'Checking free disk space',
  creating_environment: 'Creating its Python environment',
  updating_pip: 'Updating pip',
  resolving: 'Finding the packages and their sizes',
  downloading: 'Downloading packages',
  installing: 'Installing packages',
  verifying: 'Checking that it works',
  done: 'Installed',
};

function phaseText(job: JobStatus, engine: InstallableEngine): string {
  const phase = job.install?.phase ?? 'pending';
  if (phase === 'installing' && engine === 'llama_cpp') return 'Installing and compiling llama.cpp';
  return PHASE_TEXT[phase];
}

interface Row {
  el: HTMLElement;
  show(job: JobStatus | null): void;
}

function installRow(info: EngineInfo, actions: InstallActions): Row {
  let job: JobStatus | null = null;
  const errorId = `install-error-${info.engine}`;
  const error = callError(errorId);
  const badge = stateBadge();
  badge.el.hidden = true;
  const start = h('button', { type: 'button', class: 'primary small', 'data-testid': 'install-start', 'aria-describedby': errorId }, 'Install');
  const cancel = cancelButton(
    `Cancel the ${info.name} install`,
    () => (job ? actions.cancel(job.id).then(actions.changed) : Promise.resolve()),
    (message) => {
      error.set(message);
    },
  );

  const bar = progressBar(`Installing ${info.name}`, 'job-progress');
  const phase = h('span', { 'data-testid': 'job-phase' });
  const pct = h('span', { class: 'caption', 'data-testid': 'job-percent' });
  const packages = h('span', { 'data-testid': 'job-packages' });
  const bytes = h('span', { 'data-testid': 'job-bytes' });
  const pkg = h('span', { class: 'mono job-current', 'data-testid': 'job-package' });
  const progress = h(
    'div',
    { class: 'job-progress', hidden: true },
    h('div', { class: 'row-label' }, phase, pct),
    bar.el,
    h('div', { class: 'job-facts' }, packages, bytes, pkg),
  );
  const ended = outcome();

  const el = h(
    'div',
    { class: 'install-row', 'data-testid': 'install-row', 'data-engine': info.engine },
    h(
      'div',
      { class: 'job-head' },
      h('div', { class: 'job-title' }, h('h4', undefined, info.name), ...info.chips.map((c) => h('span', { class: 'chip' }, c)), badge.el),
      h('div', { class: 'job-buttons' }, cancel.el, start),
    ),
    h('p', { class: 'hint' }, info.about),
    progress,
    ended.el,
    error.el,
  );

  start.addEventListener('click', () => {
    if (start.disabled) return;
    start.disabled = true;
    error.set(null);
    actions
      .install(info.engine)
      .then(actions.changed, (reason: unknown) => {
        error.set(messageOf(reason, 'The install could not be started.'));
      })
      .finally(() => {
        start.disabled = false;
      });
  });

  function showProgress(current: JobStatus): void {
    const p = current.install;
    const text = phaseText(current, info.engine);
    phase.textContent = text;
    pct.textContent = current.state === 'running' && current.percent !== null ? percent(current.percent) : '';
    const total = p?.packages_total ?? null;
    packages.textContent = total !== null ? `${p?.packages_done ?? 0} of ${total} packages` : p && p.packages_done > 0 ? `${p.packages_done} packages` : '';
    bytes.textContent = p && (p.done_bytes > 0 || (p.total_bytes ?? 0) > 0) ? sizeOf(p.done_bytes, p.total_bytes) : '';
    pkg.textContent = p?.package ?? '';
    pkg.title = p?.line ?? '';
    showOnBar(bar, current, [text, packages.textContent, bytes.textContent].filter(Boolean).join(', '));
  }

  return {
    el,
    show(next) {
      job = next;
      const state = next?.state ?? null;
      el.dataset.state = state ?? 'none';
      badge.el.hidden = next === null;
      if (next) badge.set(next.state);
      start.hidden = state === 'running';
      start.textContent = state === 'failed' || state === 'cancelled' ? 'Retry' : state === 'done' ? 'Install again' : 'Install';
      start.className = state === 'done' ? 'secondary small' : 'primary small';
      cancel.set(state === 'running');
      progress.hidden = state !== 'running';
      if (next && state === 'running') showProgress(next);
      if (!next || state === 'running') ended.set(null);
      else if (state === 'done') ended.set('done', `Installed: ${info.name} `, h('strong', { 'data-testid': 'install-version' }, next.result ?? 'version unknown'));
      else if (state === 'failed')
        ended.set(
          'failed',
          h(
            'span',
            { class: 'job-error', 'data-code': next.error?.code ?? 'unknown' },
            `${next.error?.message ?? 'The install failed.'}${next.error?.code === 'index_unreachable' ? ' The package index did not answer: check the network or a PIP_INDEX_URL mirror, then retry.' : ''}`,
          ),
          h('span', { class: 'hint' }, 'A retry reuses the packages already downloaded.'),
        );
      else ended.set('cancelled', 'Cancelled — finished downloads are kept and reused by a retry.');
    },
  };
}

export function installPanel(actions: InstallActions): InstallPanel {
  const rows = new Map<string, Row>(ENGINES.map((info) => [info.engine, installRow(info, actions)]));
  const el = h(
    'section',
    { class: 'card job-panel install-panel', 'aria-labelledby': 'install-title', 'data-testid': 'install-panel' },
    h(
      'div',
      { class: 'job-panel-head' },
      h('h3', { id: 'install-title' }, 'Install engines'),
      h('p', { class: 'hint' }, 'Into the app’s own Python environment, from the package index pip is set up for.'),
    ),
    ...[...rows.values()].map((row) => row.el),
  );
  return {
    el,
    apply(jobs) {
      for (const [engine, row] of rows) row.show(jobs.find((j) => j.kind === 'install' && j.target === engine) ?? null);
    },
  };
}
