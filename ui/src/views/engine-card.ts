// One engine's card on the Engines page (`data-testid="engine-card"`, `data-engine="<name>"`):
// its name and kind, a state badge (`engine-state`), pid, restarts, the endpoint, since
// when, the command line, what went wrong (`engine-failure`) and, while it backs off, when
// it starts again (`engine-countdown`), the download it waits for before a start with
// another checkpoint (`engine-waiting`), the tail of its log (`engine-logs`), Stop
// (`engine-stop`) while it runs, and Retry (`engine-retry`) and Remove (`engine-remove`)
// once it ended. Built once per engine and updated in place on every status, so a
// selection, the log's scroll position and a "Copied" stay put.

import { h } from '../dom';
import { DASH, ago, dateTime, duration } from '../format';
import type { EngineKind, EngineState, EngineStatus, JobStatus, Remedy } from '../types';
import { copyButton } from './copy';
import { engineWaiting } from './engine-waiting';

/** How many lines of its log a card shows. */
export const LOG_TAIL = 40;

export interface EngineCard {
  el: HTMLElement;
  /** Shows a status; `now` is the server's clock, for "since" and the countdown. */
  update(status: EngineStatus, now: number): void;
  /** Shows the last lines of the log (oldest first). */
  setLogs(lines: string[]): void;
  /** The server's jobs, for the progress of a download the engine waits for. */
  setJobs(jobs: JobStatus[] | undefined): void;
  setLogError(message: string): void;
}

const KIND_TEXT: Record<EngineKind, string> = {
  vllm: 'vLLM',
  llama_cpp: 'llama.cpp',
};

/** The states an engine leaves by itself, shown amber with a moving dot. */
const BUSY: ReadonlySet<EngineState> = new Set(['installing', 'downloading', 'starting', 'backing_off', 'stopping']);

/** States in which there is nothing left to stop. */
export const ENDED: ReadonlySet<EngineState> = new Set(['stopped', 'failed']);

const STATE_TITLE: Record<EngineState, string> = {
  stopped: 'Stopped: not running',
  installing: 'Installing the engine',
  downloading: 'Downloading the model',
  starting: 'Starting: waiting until it answers a request',
  ready: 'Ready: answering requests',
  failed: 'Failed: it will not be started again by itself',
  backing_off: 'Stopped unexpectedly: waiting before starting it again',
  stopping: 'Stopping',
};

/** Names for the failure kinds the engine supervisor tells apart (the box's tooltip). */
const FAILURE_TITLE: Record<string, string> = {
  out_of_memory: 'Out of GPU memory',
  context_too_long: 'The context does not fit the KV cache',
  free_memory_below_utilization: 'Not enough free GPU memory',
  no_cache_memory: 'No memory left for the KV cache',
  unsupported_architecture: 'This engine version does not know the model',
  wrong_tokenizer_mode: 'The tokenizer did not load',
  port_in_use: 'The port is taken',
  executable_missing: 'The engine is not installed',
  gpu_not_usable: 'The GPU cannot be used',
  model_file_unreadable: 'The model file cannot be read',
  exited: 'The engine exited',
};

function stateText(state: EngineState): string {
  return state.replace(/_/g, ' ');
}

function failureTitle(kind: string): string {
  const known = FAILURE_TITLE[kind];
  if (known) return known;
  const words = kind.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A leading `NAME=value` word of a command line. */
const ENV_WORD = /^[A-Za-z_][A-Za-z0-9_]*=/;

/**
 * Breaks a command line after its leading `NAME=value` words and before each `--flag`
 * (outside quotes) with shell line continuations, so it reads one option a line and still
 * runs as typed.
 */
export function commandLines(line: string): string {
  let out = '';
  let quote: string | null = null;
  let inEnv = ENV_WORD.test(line);
  for (let i = 0; i < line.length; i += 1) {
    const c = line.charAt(i);
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"') {
        out += c + line.charAt(i + 1);
        i += 1;
        continue;
      }
    } else if (c === '\\') {
      out += c + line.charAt(i + 1);
      i += 1;
      continue;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === ' ') {
      const rest = line.slice(i + 1);
      if (inEnv && !ENV_WORD.test(rest)) {
        inEnv = false;
        out += ' \\\n';
        continue;
      }
      if (rest.startsWith('--')) {
        out += ' \\\n  ';
        continue;
      }
    }
    out += c;
  }
  return out;
}

function fact(label: string, value: HTMLElement): HTMLElement {
  return h('div', { class: 'fact' }, h('dt', undefined, label), h('dd', undefined, value));
}

/** What a card's buttons do; each resolves when the server answered. */
export interface EngineCardActions {
  stop: (name: string) => Promise<void>;
  /** Start an ended engine again with the parameters it was started with. */
  retry: (name: string) => Promise<void>;
  /** Forget an ended engine. */
  remove: (name: string) => Promise<void>;
  /** Start a failed engine again with its remedy's one change. */
  remedy: (name: string) => Promise<void>;
}

/** What the fix's button does, in more words than its label. */
export function remedyTitle(remedy: Remedy): string {
  const change = remedy.change;
  if (change.set !== 'checkpoint') return 'Starts the engine again with this one change';
  return change.download_bytes > 0 ? `Downloads ${change.repo} from Hugging Face, then starts the engine with it` : `Starts the engine with ${change.repo}`;
}

export function engineCard(first: EngineStatus, now: number, on: EngineCardActions): EngineCard {
  const name = first.name;
  const dot = h('span', { class: 'state-dot', 'aria-hidden': 'true' });
  const stateWord = h('span', undefined);
  const badge = h('span', { class: 'state-badge', 'data-testid': 'engine-state', role: 'status' }, dot, stateWord);
  const kind = h('span', { class: 'chip engine-kind' });

  // The fix leads: it says what happened in its first words and what to do in the rest.
  const fix = h('strong', { class: 'failure-fix', 'data-testid': 'engine-failure-fix' });
  const evidence = h('p', { class: 'mono failure-evidence', 'data-testid': 'engine-failure-evidence' });
  const failure = h(
    'div',
    { class: 'engine-failure', role: 'alert', 'data-testid': 'engine-failure', hidden: true },
    h('span', { class: 'banner-icon', 'aria-hidden': 'true' }, '!'),
    h('div', { class: 'failure-body' }, fix, evidence),
  );
  const countdown = h('p', { class: 'engine-countdown', 'data-testid': 'engine-countdown', hidden: true });
  const waiting = engineWaiting('Stop');
  let jobs: JobStatus[] | undefined;
  // Problems of a running engine that do not stop it (llama.cpp fell back to the CPU).
  const warnings = h('div', { class: 'engine-warning', role: 'status', 'data-testid': 'engine-warnings', hidden: true });

  const url = h('span', { class: 'mono endpoint-url', 'data-testid': 'engine-url' });
  const pid = h('span', { class: 'num', 'data-testid': 'engine-pid' });
  const restarts = h('span', { class: 'num', 'data-testid': 'engine-restarts' });
  const since = h('span', { 'data-testid': 'engine-since' });
  let current = first;
  /** The page's clock (the server's) against this one, as the last update gave it. */
  let clockOffset = 0;
  const endpoint = h(
    'span',
    { class: 'endpoint' },
    url,
    copyButton(() => current.base_url, url, { testid: 'copy-endpoint', title: 'Copy the endpoint' }),
  );
  const facts = h(
    'dl',
    { class: 'facts engine-facts' },
    h('div', { class: 'fact fact-wide' }, h('dt', undefined, 'Endpoint (OpenAI-compatible)'), h('dd', undefined, endpoint)),
    fact('PID', pid),
    fact('Restarts', restarts),
    fact('Since', since),
  );

  const command = h('code', undefined);
  const commandBlock = h(
    'div',
    { class: 'engine-block' },
    h(
      'div',
      { class: 'row-label' },
      h('span', undefined, 'Command line'),
      copyButton(() => current.command_line, command, { testid: 'copy-command', title: 'Copy the command line' }),
    ),
    h('pre', { class: 'code', 'data-testid': 'engine-command' }, command),
  );

  const logs = h('pre', { class: 'engine-log', 'data-testid': 'engine-logs', tabindex: 0, 'aria-label': `Log of ${name}` }, '…');
  const logPath = h('span', { class: 'path', 'data-testid': 'engine-log-path' });
  const logBlock = h(
    'div',
    { class: 'engine-block' },
    h('div', { class: 'row-label' }, h('span', undefined, `Log (the last ${LOG_TAIL} lines)`)),
    logs,
    h('p', { class: 'hint log-where' }, 'Whole log on the server: ', logPath),
  );

  const stop = h('button', { type: 'button', class: 'secondary stop', 'data-testid': 'engine-stop' }, 'Stop');
  const retry = h('button', { type: 'button', class: 'primary', 'data-testid': 'engine-retry', title: 'Check again and start with the same settings' }, 'Retry');
  const remove = h('button', { type: 'button', class: 'secondary', 'data-testid': 'engine-remove', title: 'Take this card away (the log file stays)' }, 'Remove');
  const remedy = h('button', { type: 'button', class: 'primary', 'data-testid': 'engine-remedy', hidden: true });
  const cardError = h('p', { class: 'field-error', role: 'alert', 'data-testid': 'engine-card-error', hidden: true });
  const actions = h('div', { class: 'engine-actions' }, cardError, remedy, retry, remove, stop);
  let acting = false;
  /** Runs one button's action: the buttons wait, and a refusal shows on the card. */
  function act(button: HTMLButtonElement, busyText: string, run: (name: string) => Promise<void>, failed: string): void {
    if (acting) return;
    acting = true;
    const label = button.textContent;
    for (const b of [stop, retry, remove, remedy]) b.disabled = true;
    button.textContent = busyText;
    cardError.hidden = true;
    run(name)
      .catch((error: unknown) => {
        cardError.textContent = error instanceof Error ? error.message : failed;
        cardError.hidden = false;
      })
      .finally(() => {
        acting = false;
        for (const b of [stop, retry, remove, remedy]) b.disabled = false;
        button.textContent = label;
        // A status that came while the action ran (say, a new failure with another remedy)
        // decides the buttons' words, not the ones from before the click.
        update(current, Date.now() + clockOffset);
      });
  }
  stop.addEventListener('click', () => {
    act(stop, 'Stopping…', on.stop, 'The engine could not be stopped.');
  });
  retry.addEventListener('click', () => {
    act(retry, 'Starting…', on.retry, 'The engine could not be started again.');
  });
  remedy.addEventListener('click', () => {
    act(remedy, 'Starting…', on.remedy, 'The engine could not be started with the change.');
  });
  remove.addEventListener('click', () => {
    act(remove, 'Removing…', on.remove, 'The engine could not be removed.');
  });

  const el = h(
    'article',
    { class: 'card engine-card', 'data-testid': 'engine-card', 'data-engine': name, 'aria-label': `Engine ${name}` },
    h('div', { class: 'engine-head' }, h('div', { class: 'engine-title' }, h('h3', undefined, name), kind), badge),
    failure,
    waiting.el,
    warnings,
    countdown,
    facts,
    commandBlock,
    logBlock,
    actions,
  );

  let logText: string | null = null;

  function update(status: EngineStatus, now: number): void {
    current = status;
    clockOffset = now - Date.now();
    el.dataset.state = status.state;
    badge.dataset.state = status.state;
    badge.className = `state-badge state-${status.state}${BUSY.has(status.state) ? ' busy' : ''}`;
    badge.title = STATE_TITLE[status.state];
    // The badge is a live region: only a new state is news.
    if (stateWord.textContent !== stateText(status.state)) stateWord.textContent = stateText(status.state);
    kind.textContent = KIND_TEXT[status.kind];
    kind.title = status.kind === 'vllm' ? 'vLLM on the GPUs' : "llama.cpp's server for a GGUF file";

    url.textContent = status.base_url;
    endpoint.classList.toggle('ended', ENDED.has(status.state));
    endpoint.title = ENDED.has(status.state) ? 'Not answering: the engine is not running' : 'Where GitLab Duo reaches this engine';
    pid.textContent = status.pid === null ? DASH : String(status.pid);
    restarts.textContent = String(status.restarts);
    since.textContent = ago(Math.max(0, now - status.since_ms));
    since.title = `${stateText(status.state)} since ${dateTime(status.since_ms)}`;
    if (command.textContent !== commandLines(status.command_line)) command.textContent = commandLines(status.command_line);
    logPath.textContent = status.log_path;

    waiting.show(status, jobs);
    // While it downloads the checkpoint its fix chose, the old failure is not the news.
    if (status.failure && status.state !== 'downloading') {
      failure.hidden = false;
      failure.title = failureTitle(status.failure.kind);
      failure.dataset.kind = status.failure.kind;
      fix.textContent = status.failure.fix;
      evidence.textContent = status.failure.evidence;
    } else {
      failure.hidden = true;
    }

    const warningText = status.warnings.join('\n');
    warnings.hidden = warningText === '';
    if (warnings.textContent !== warningText) warnings.textContent = warningText;

    if (status.state === 'backing_off' && status.next_start_ms !== null) {
      const left = status.next_start_ms - now;
      countdown.hidden = false;
      const which = status.restarts > 0 ? ` (restart ${status.restarts})` : '';
      countdown.textContent = left > 500 ? `Starting again in ${duration(left)}${which}` : `Starting again now${which}…`;
    } else {
      countdown.hidden = true;
    }

    const ended = ENDED.has(status.state);
    stop.hidden = ended;
    retry.hidden = !ended;
    remove.hidden = !ended;
    const offered = ended ? status.remedy : null;
    remedy.hidden = !offered;
    if (offered && !acting) remedy.textContent = offered.label;
    remedy.title = offered ? remedyTitle(offered) : '';
    // With a one-step fix on offer, the plain retry is the second choice.
    retry.className = offered ? 'secondary' : 'primary';
  }

  update(first, now);

  return {
    el,
    update,
    setJobs(list) {
      jobs = list;
      waiting.show(current, jobs);
    },
    setLogs(lines) {
      const text = lines.length > 0 ? lines.join('\n') : 'The log is empty.';
      logs.classList.remove('log-error');
      if (text === logText) return;
      // Follow the end unless the reader scrolled up to read something.
      const atEnd = logText === null || logs.scrollTop + logs.clientHeight >= logs.scrollHeight - 12;
      logText = text;
      logs.textContent = text;
      if (atEnd) logs.scrollTop = logs.scrollHeight;
    },
    setLogError(message) {
      if (logText !== null) return; // keep the last lines on screen
      logs.classList.add('log-error');
      logs.textContent = `The log could not be read: ${message}`;
    },
  };
}
