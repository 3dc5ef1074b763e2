// The only module that knows how the UI reaches the core: Tauri `invoke` inside the
// desktop shell, HTTP `fetch` against the headless server (same origin) everywhere else.
// It owns the command types, the bearer token, the live streams and error normalisation;
// the HTTP method, path and body of each command come from the command table
// (`contract.ts`). Every failure leaves here as an `ApiError`.

import { Channel, invoke } from '@tauri-apps/api/core';
import {
  type AiGatewaySetupParams,
  ApiError,
  type ClusterJoinParams,
  type ClusterStartRequest,
  type ApiErrorBody,
  type DownloadParams,
  type EnginePlanParams,
  type EngineStartParams,
  type FitParams,
  type GitlabParams,
  type GitlabStepsParams,
  type InstallParams,
  type KeyCreateParams,
  type LogsParams,
  type RecommendParams,
  type Sample,
  type ServerEvent,
  type Settings,
  type SetupChoices,
} from './types';
import { parseServerEvent, readEventStream } from './sse';
import { commandSpec, httpRequest } from './contract';
import type { Command, Commands } from './commands';

export type { Command, Commands } from './commands';

const SAMPLES_PATH = commandSpec('subscribe_samples').path;
const EVENTS_PATH = commandSpec('subscribe_events').path;
const TOKEN_KEY = 'duows.token';
const RECONNECT_MS = 2000;
/** The longest silence of a live stream before it counts as broken (samples come at 1 Hz). */
const SILENCE_MS = 45_000;

/** True inside the desktop shell. */
export function isDesktop(): boolean {
  return '__TAURI_INTERNALS__' in window;
}

// ---------------------------------------------------------------- errors

function isErrorBody(value: unknown): value is ApiErrorBody {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'string' &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

/** Turns whatever a transport rejected with into an `ApiError`. */
function toApiError(reason: unknown, fallbackCode: string): ApiError {
  if (reason instanceof ApiError) return reason;
  if (isErrorBody(reason)) return new ApiError(reason);
  if (typeof reason === 'string') {
    try {
      const parsed: unknown = JSON.parse(reason);
      if (isErrorBody(parsed)) return new ApiError(parsed);
    } catch {
      // not JSON: use the text as the message
    }
    return new ApiError({ code: fallbackCode, message: reason });
  }
  const message = reason instanceof Error ? reason.message : 'The request failed.';
  return new ApiError({ code: fallbackCode, message });
}

// ---------------------------------------------------------------- token (HTTP only)

/**
 * Moves `#token=…` from the address into sessionStorage, once, so it is not left on screen.
 * Runs before the page routes, at load and on every fragment change; the rest of the
 * fragment (`#/models&token=…`) is kept.
 */
export function adoptTokenFromUrl(): void {
  if (isDesktop()) return;
  const match = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
  if (!match?.[1]) return;
  try {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
  } catch {
    return; // storage refused: keep the fragment so a reload still works
  }
  const rest = window.location.hash
    .slice(1)
    .split('&')
    .filter((part) => part !== '' && !part.startsWith('token='))
    .join('&');
  const url = window.location.pathname + window.location.search + (rest ? `#${rest}` : '');
  window.history.replaceState(window.history.state, '', url);
}

function authHeaders(): Record<string, string> {
  let token: string | null = null;
  try {
    token = sessionStorage.getItem(TOKEN_KEY);
  } catch {
    token = null;
  }
  return token ? { Authorization: `Bearer ${token}` } : {};
}

adoptTokenFromUrl();

// ---------------------------------------------------------------- calls

async function httpCall(command: Command, args: unknown): Promise<unknown> {
  const request = httpRequest(commandSpec(command), args);
  const headers: Record<string, string> = { Accept: 'application/json', ...authHeaders() };
  const init: RequestInit = { method: request.method, headers };
  if (request.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(request.body);
  }
  const path = request.path;
  let response: Response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError({
      code: 'unreachable',
      message: 'The Duo Workstation server cannot be reached. Is `duows serve` still running?',
    });
  }
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!response.ok) {
    if (isErrorBody(body)) throw new ApiError(body);
    throw new ApiError({
      code: `http_${response.status}`,
      message: text.trim() || `The server answered ${response.status} ${response.statusText}.`,
    });
  }
  return body;
}

/** Calls one command on whichever transport this page runs on. */
export async function call<C extends Command>(
  command: C,
  ...rest: Commands[C]['args'] extends undefined ? [] : [Commands[C]['args']]
): Promise<Commands[C]['result']> {
  const args = rest[0];
  try {
    if (isDesktop()) {
      return await invoke<Commands[C]['result']>(command, args ?? {});
    }
    return (await httpCall(command, args)) as Commands[C]['result'];
  } catch (reason) {
    throw toApiError(reason, 'call_failed');
  }
}

export const api = {
  version: () => call('version'),
  hardware: () => call('hardware'),
  describeHardware: (spec: string) => call('describe_hardware', { spec }),
  latestSample: () => call('latest_sample'),
  sampleHistory: (minutes?: number, points?: number) =>
    call('sample_history', { ...(minutes === undefined ? {} : { minutes }), ...(points === undefined ? {} : { points }) }),
  dashboard: (minutes?: number) => call('dashboard', minutes === undefined ? {} : { minutes }),
  logs: (params: LogsParams) => call('logs', { params }),
  settings: () => call('settings'),
  updateSettings: (settings: Settings) => call('update_settings', { settings }),
  catalog: () => call('catalog'),
  recommend: (params: RecommendParams) => call('recommend', { params }),
  fit: (params: FitParams) => call('fit', { params }),
  enginePlan: (params: EnginePlanParams) => call('engine_plan', { params }),
  engineStart: (params: EngineStartParams) => call('engine_start', { params }),
  engineStatus: () => call('engine_status'),
  engineStop: (name: string) => call('engine_stop', { name }),
  engineRetry: (name: string) => call('engine_retry', { name }),
  engineApplyRemedy: (name: string) => call('engine_apply_remedy', { name }),
  engineRemove: (name: string) => call('engine_remove', { name }),
  engineLogs: (name: string, lines?: number) => call('engine_logs', lines === undefined ? { name } : { name, lines }),
  engineInstall: (params: InstallParams) => call('engine_install', { params }),
  modelDownload: (params: DownloadParams) => call('model_download', { params }),
  jobs: () => call('jobs'),
  jobCancel: (id: string) => call('job_cancel', { id }),
  gatewayInfo: () => call('gateway_info'),
  gatewayNetwork: (open: boolean) => call('gateway_network', { params: { open } }),
  doctor: () => call('doctor'),
  aiGatewayStatus: () => call('ai_gateway_status'),
  aiGatewaySetup: (params: AiGatewaySetupParams) => call('ai_gateway_setup', { params }),
  aiGatewayStart: () => call('ai_gateway_start'),
  aiGatewayStop: () => call('ai_gateway_stop'),
  gitlabPlan: (params: GitlabParams) => call('gitlab_plan', { params }),
  gitlabApply: (params: GitlabParams) => call('gitlab_apply', { params }),
  gitlabSteps: (params: GitlabStepsParams) => call('gitlab_steps', { params }),
  deploymentTest: (name: string) => call('deployment_test', { params: { name } }),
  deploymentKey: (name: string, key: string | null) => call('deployment_key', { params: { name, key } }),
  featuresRated: (deployment: string) => call('features_rated', { params: { deployment, gitlab_version: null } }),
  keys: () => call('keys'),
  keyCreate: (params: KeyCreateParams) => call('key_create', { params }),
  keyRevoke: (id: string) => call('key_revoke', { params: { id } }),
  setupStatus: () => call('setup_status'),
  setupUpdate: (choices: SetupChoices) => call('setup_update', { params: { choices } }),
  setupCheck: () => call('setup_check'),
  setupTest: () => call('setup_test'),
  clusterToken: () => call('cluster_token'),
  clusterNodes: () => call('cluster_nodes'),
  clusterRemove: (node: string) => call('cluster_remove', { params: { node } }),
  clusterJoin: (params: ClusterJoinParams) => call('cluster_join', { params }),
  clusterStart: (params: ClusterStartRequest) => call('cluster_start', { params }),
  clusterStop: () => call('cluster_stop'),
};

// ---------------------------------------------------------------- live streams

/** `live` once events flow, `reconnecting` after the stream broke. */
export type StreamState = 'live' | 'reconnecting';

/**
 * Reads the server-sent events at `path` with `fetch` (so the bearer token can be sent),
 * calling `onEvent(name, data)` per event; reconnects after a break until unsubscribed.
 */
function streamHttp(path: string, onEvent: (event: string, data: string) => void, onState: (s: StreamState) => void): () => void {
  const abort = new AbortController();
  let timer: number | undefined;

  const connect = async (): Promise<void> => {
    // A connection that went quiet (a sleeping laptop, a changed network) looks open for
    // ever: the server sends a sample every second, so a long silence ends it.
    const connection = new AbortController();
    const stop = (): void => {
      connection.abort();
    };
    abort.signal.addEventListener('abort', stop);
    let watchdog = window.setTimeout(stop, SILENCE_MS);
    try {
      const response = await fetch(path, {
        headers: { Accept: 'text/event-stream', ...authHeaders() },
        signal: connection.signal,
        cache: 'no-store',
      });
      if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
      await readEventStream(response.body, (event, data) => {
        window.clearTimeout(watchdog);
        watchdog = window.setTimeout(stop, SILENCE_MS);
        onEvent(event, data);
      });
    } catch {
      // fall through to reconnect
    } finally {
      window.clearTimeout(watchdog);
      abort.signal.removeEventListener('abort', stop);
    }
    if (abort.signal.aborted) return;
    onState('reconnecting');
    timer = window.setTimeout(() => void connect(), RECONNECT_MS);
  };

  void connect();
  return () => {
    abort.abort();
    window.clearTimeout(timer);
  };
}

/**
 * Subscribes through the desktop shell: `command` gets a Channel as its `argument`, and
 * every message goes to `onMessage` until unsubscribed. A refused subscription is tried
 * again; the shell replaces a window's earlier subscription of the same command by itself.
 */
function streamDesktop(command: string, argument: string, onMessage: (message: unknown) => void, onState: (s: StreamState) => void): () => void {
  let active = true;
  let timer: number | undefined;

  const connect = async (): Promise<void> => {
    const channel = new Channel<unknown>();
    channel.onmessage = (message) => {
      if (active) onMessage(message);
    };
    try {
      await invoke(command, { [argument]: channel });
    } catch {
      if (!active) return;
      onState('reconnecting');
      timer = window.setTimeout(() => void connect(), RECONNECT_MS);
    }
  };

  void connect();
  return () => {
    active = false;
    window.clearTimeout(timer);
  };
}

/**
 * Calls `onEvent` with every event of the live stream (first the current sample, engines,
 * jobs and gateway, then every change) until the returned function is called. Reconnects
 * by itself; `onState` hears when the stream breaks and when events flow again.
 */
export function subscribeEvents(onEvent: (event: ServerEvent) => void, onState: (state: StreamState) => void = () => undefined): () => void {
  const deliver = (event: ServerEvent): void => {
    onEvent(event);
    onState('live');
  };
  if (isDesktop()) return streamDesktop('subscribe_events', 'onEvent', (message) => {
      deliver(message as ServerEvent);
    }, onState);
  return streamHttp(
    EVENTS_PATH,
    (name, data) => {
      const event = parseServerEvent(name, data);
      if (event) deliver(event);
    },
    onState,
  );
}

/**
 * Calls `onSample` with every live sample (1 Hz) until the returned function is called.
 * Kept for callers that want samples only; the UI itself reads `subscribeEvents`.
 */
export function subscribeSamples(onSample: (sample: Sample) => void, onState: (state: StreamState) => void = () => undefined): () => void {
  const deliver = (sample: Sample): void => {
    onSample(sample);
    onState('live');
  };
  if (isDesktop()) return streamDesktop('subscribe_samples', 'onSample', (message) => {
      deliver(message as Sample);
    }, onState);
  return streamHttp(
    SAMPLES_PATH,
    (name, data) => {
      if (name !== 'sample' && name !== 'message') return;
      try {
        deliver(JSON.parse(data) as Sample);
      } catch {
        // a malformed event is skipped; the next one will do
      }
    },
    onState,
  );
}
