// The wizard's long steps, each running in the background on the server so the page can be
// closed and opened again: Engine (install vLLM or llama.cpp's server, its progress), Weights
// (one overall bar: bytes done of total, a smoothed rate, time left, file n of m; cancel, and
// resume where it stopped; a token only for gated models) and Launch (the start's checks, the
// engine's state and the tail of its log until it answered a real request).

import { h, replaceChildren } from '../dom';
import { gib, sizeOf } from '../format';
import { downloadLine, rateMeter } from '../setup-flow';
import { api } from '../transport';
import type { EngineState, EngineStatus, JobStatus, SetupStatus } from '../types';
import { progressBar } from '../widgets';
import { cancelButton, showOnBar } from './job-bits';
import { busy, primary, secondary, stepError, stepFrame, type StepView, type WizardContext } from './setup-bits';
import { pageScope } from '../page';
import { remedyTitle } from './engine-card';
import { engineWaiting } from './engine-waiting';

/** A job's progress: the bar, the line under it, and Cancel while it runs. */
function jobProgress(testid: string, onCancelError: (message: string) => void): { el: HTMLElement; show(job: JobStatus | null, line: string): void; cancel: ReturnType<typeof cancelButton> } {
  const bar = progressBar('Progress', `${testid}-bar`);
  const text = h('span', { class: 'hint', 'data-testid': `${testid}-text` });
  let jobId = '';
  const cancel = cancelButton('Cancel', () => api.jobCancel(jobId), onCancelError);
  const el = h('div', { class: 'setup-job', 'data-testid': testid, hidden: true }, bar.el, h('div', { class: 'setup-job-line' }, text, cancel.el));
  return {
    el,
    cancel,
    show(job, line) {
      el.hidden = job === null;
      if (!job) return;
      jobId = job.id;
      el.dataset.state = job.state;
      showOnBar(bar, job, line);
      text.textContent = line;
      cancel.set(job.state === 'running');
    },
  };
}

/** "downloading: 120 / 2,400 MB · package 14 of 90 (torch)". */
function installLine(job: JobStatus): string {
  const p = job.install;
  if (!p) return job.state;
  const parts: string[] = [p.phase.replace('_', ' ')];
  if (p.total_bytes) parts.push(sizeOf(p.done_bytes, p.total_bytes));
  if (p.packages_total) parts.push(`package ${Math.min(p.packages_done + 1, p.packages_total)} of ${p.packages_total}${p.package ? ` (${p.package})` : ''}`);
  return parts.join(' · ');
}

export function engineStep(ctx: WizardContext): StepView {
  const error = stepError();
  const scope = pageScope();
  const what = h('p', { 'data-testid': 'setup-engine-state' });
  const install = primary('Install', 'setup-engine-install');
  const progress = jobProgress('setup-engine-job', (m) => {
    error.show(new Error(m), m);
  });
  const engineName = (s: SetupStatus): 'vllm' | 'llama_cpp' => (s.choices.engine === 'llama_cpp' ? 'llama_cpp' : 'vllm');
  install.addEventListener('click', () => {
    const status = ctx.status();
    const engine = engineName(status);
    void busy(install, 'Starting…', error, 'The install could not start.', async () => {
      const model = status.choices.model;
      const job = await api.engineInstall(engine === 'vllm' && model ? { engine, model } : { engine });
      progress.show(job, 'Starting…');
    });
  });
  function show(status: SetupStatus): void {
    const engine = engineName(status);
    const label = engine === 'vllm' ? 'vLLM (about 12 GB with PyTorch)' : "llama.cpp's server (compiled here; a few minutes)";
    what.textContent = status.facts.engine_installed ? `${label}: installed.` : `${status.facts.engine_problem ?? 'Not installed'}. The app installs ${label} into its own environment; nothing outside it changes.`;
    install.hidden = status.facts.engine_installed === true;
  }
  const el = stepFrame('engine', 'Engine', 'The program that runs the model.', [what, progress.el, error.el], [install]);
  return {
    el,
    enter(status) {
      show(status);
      const id = `install-${engineName(status)}`;
      scope.follow(ctx.store, 'jobs', (jobs) => {
        const job = jobs?.find((j) => j.id === id) ?? null;
        progress.show(job, job?.install ? installLine(job) : (job?.state ?? ''));
        if (job?.state === 'done') void ctx.refresh();
        if (job?.state === 'failed') error.show(new Error(job.error?.message ?? 'The install failed.'), '');
      });
    },
    update: show,
    leave() {
      scope.close();
    },
  };
}

export function weightsStep(ctx: WizardContext): StepView {
  const error = stepError();
  const scope = pageScope();
  const what = h('p', { 'data-testid': 'setup-weights-state' });
  const token = h('input', { type: 'password', autocomplete: 'off', 'data-testid': 'setup-weights-token', 'aria-label': 'Hugging Face token' });
  const tokenRow = h('label', { class: 'ctl', hidden: true }, h('span', { class: 'ctl-label' }, 'Hugging Face token (this model is gated: accept its licence on its Hugging Face page first)'), token);
  const start = primary('Download', 'setup-weights-download');
  const change = secondary('Choose other weights', 'setup-weights-change');
  const rate = rateMeter();
  const progress = jobProgress('setup-weights-job', (m) => {
    error.show(new Error(m), m);
  });
  change.addEventListener('click', () => {
    ctx.open('model');
  });
  start.addEventListener('click', () => {
    const download = ctx.status().download;
    if (!download) return;
    const secret = token.value.trim();
    void busy(start, 'Starting…', error, 'The download could not start.', async () => {
      const job = await api.modelDownload({ model: download.model, gguf: download.gguf ?? null, variant: null, revision: null, token: secret === '' ? null : secret, remember_token: null });
      token.value = '';
      rate.reset();
      progress.show(job, 'Starting…');
    });
  });
  function show(status: SetupStatus): void {
    const d = status.download;
    const own = status.choices.weights_path;
    if (own) what.textContent = status.facts.weights_present ? `The weights in ${own} are complete.` : `${status.facts.weights_problem ?? 'The weights are not usable'}.`;
    else if (d) what.textContent = status.facts.weights_present ? 'The weights are on disk and complete.' : `${d.gguf ? `The GGUF file ${d.gguf}` : 'The checkpoint'} of ${d.repo}: ${gib(d.bytes)} to download (the free disk is checked first; an interrupted download resumes where it stopped).`;
    tokenRow.hidden = !(d?.gated ?? false) || own !== null;
    start.hidden = own !== null || status.facts.weights_present === true || !d;
    change.hidden = own === null;
  }
  const el = stepFrame('weights', 'Weights', 'The model itself: its weights in the models folder.', [what, tokenRow, progress.el, error.el], [change, start]);
  return {
    el,
    enter(status) {
      show(status);
      const id = status.download ? `download-${status.download.repo}` : '';
      scope.follow(ctx.store, 'jobs', (jobs) => {
        const job = jobs?.find((j) => j.id === id) ?? null;
        const p = job?.download;
        const line = p ? downloadLine(p, rate.add(p.bytes_per_second, Date.now())) : (job?.state ?? '');
        progress.show(job, job?.state === 'cancelled' ? `Cancelled at ${line}: Download resumes from there.` : line);
        if (job?.state === 'running') start.hidden = true;
        else show(ctx.status());
        if (job?.state === 'done') void ctx.refresh();
        if (job?.state === 'failed') error.show(new Error(job.error?.message ?? 'The download failed.'), '');
      });
    },
    update: show,
    leave() {
      scope.close();
    },
  };
}

/** The Launch step's line for the engine in each state, as a sentence. */
const LAUNCH_LINE: Record<EngineState, (name: string) => string> = {
  stopped: (name) => `${name} is stopped.`,
  installing: (name) => `${name}: installing the engine first…`,
  downloading: (name) => `${name}: downloading the checkpoint first…`,
  starting: (name) => `${name} is starting: loading the weights, then a one-token request…`,
  ready: (name) => `${name} is ready: it answered a real request.`,
  failed: (name) => `${name} failed.`,
  backing_off: (name) => `${name} stopped by itself and is started again shortly…`,
  stopping: (name) => `${name} is stopping…`,
};

export function launchStep(ctx: WizardContext): StepView {
  const error = stepError();
  const scope = pageScope();
  const state = h('p', { 'data-testid': 'setup-launch-state' }, 'Not started.');
  const log = h('pre', { class: 'engine-log setup-log', 'data-testid': 'setup-launch-log', hidden: true });
  const failure = h('div', { class: 'engine-failure', 'data-testid': 'setup-launch-failure', hidden: true });
  const waiting = engineWaiting('Cancel the download');
  const start = primary('Start', 'setup-launch-start');
  const cancelWait = secondary('Cancel the download', 'setup-launch-cancel-download');
  cancelWait.hidden = true;
  const remedy = primary('', 'setup-launch-remedy');
  remedy.hidden = true;
  let name = '';
  let tail = 0;
  start.addEventListener('click', () => {
    const launch = ctx.status().launch;
    if (!launch) return;
    void busy(start, 'Checking and starting…', error, 'The engine could not start.', async () => {
      await api.engineStart(launch);
    }).then(showNamedEngine);
  });
  cancelWait.addEventListener('click', () => {
    void busy(cancelWait, 'Cancelling…', error, 'The download could not be cancelled.', async () => {
      await api.engineStop(name);
    }).then(showNamedEngine);
  });
  remedy.addEventListener('click', () => {
    void busy(remedy, 'Starting with the change…', error, 'The engine could not start.', async () => {
      await api.engineApplyRemedy(name);
    }).then(showNamedEngine);
  });
  async function readLog(): Promise<void> {
    const mine = ++tail;
    try {
      const lines = await api.engineLogs(name, 12);
      if (mine !== tail) return;
      log.hidden = lines.length === 0;
      log.textContent = lines.join('\n');
    } catch {
      // the engine is gone: the state line says so
    }
  }
  // After a click, the engine's state decides the buttons' words, not those from before it.
  function showNamedEngine(): void {
    showButtons(ctx.store.get('engines')?.find((e) => e.name === name));
  }
  /** The buttons for the engine's state (no reads, no refresh: safe from `update`). */
  function showButtons(engine: EngineStatus | undefined): void {
    start.hidden = engine !== undefined && !['stopped', 'failed'].includes(engine.state);
    cancelWait.hidden = engine?.state !== 'downloading';
    const offered = engine?.state === 'failed' ? engine.remedy : null;
    remedy.hidden = !offered;
    if (offered && !remedy.disabled) remedy.textContent = offered.label;
    remedy.title = offered ? remedyTitle(offered) : '';
    // With a one-step fix on offer, starting the same way again is the second choice.
    start.className = offered ? 'secondary' : 'primary';
    if (!start.disabled) start.textContent = engine === undefined ? 'Start' : 'Start again';
  }
  let lastState: EngineState | null = null;
  function showEngine(engine: EngineStatus | undefined): void {
    showButtons(engine);
    if (!engine) {
      state.textContent = 'Not started. The start checks the engine, the weights and the memory first.';
      return;
    }
    state.dataset.state = engine.state;
    state.textContent = LAUNCH_LINE[engine.state](engine.name);
    waiting.show(engine, ctx.store.get('jobs') ?? undefined);
    // While it downloads the checkpoint its fix chose, the old failure is not the news.
    failure.hidden = !engine.failure || engine.state === 'downloading';
    if (engine.failure) replaceChildren(failure, h('strong', undefined, engine.failure.evidence), h('div', { class: 'failure-fix' }, engine.failure.fix));
    // Ready is a new result for the wizard once, when it becomes so.
    if (engine.state === 'ready' && lastState !== 'ready') void ctx.refresh();
    lastState = engine.state;
  }
  const el = stepFrame('launch', 'Launch', 'Start the model and wait until it answers a real one-token request.', [state, waiting.el, failure, log, error.el], [start, remedy, cancelWait]);
  return {
    el,
    enter(status) {
      name = status.engine_name ?? '';
      lastState = null;
      start.disabled = !status.launch;
      scope.follow(ctx.store, 'engines', (engines) => {
        showEngine(engines?.find((e) => e.name === name));
      });
      scope.follow(ctx.store, 'jobs', (jobs) => {
        waiting.show(ctx.store.get('engines')?.find((e) => e.name === name), jobs ?? undefined);
      });
      scope.every(2000, () => {
        const engine = ctx.store.get('engines')?.find((e) => e.name === name);
        if (engine && engine.state !== 'ready') void readLog();
      });
    },
    update(status) {
      start.disabled = !status.launch;
      showNamedEngine();
    },
    leave() {
      tail++;
      scope.close();
    },
  };
}

