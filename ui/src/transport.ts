// The only module that knows how the UI reaches the core: Tauri `invoke` inside the
// desktop shell, HTTP `fetch` against the headless server (same origin) everywhere else.
// It owns the command table, the bearer token, the sample stream and error normalisation;
// every failure leaves here as an `ApiError`.

import { Channel, invoke } from '@tauri-apps/api/core';
import {
  ApiError,
  type ApiErrorBody,
  type CatalogView,
  type CreatedKey,
  type DownloadParams,
  type EnginePlanParams,
  type EnginePlanView,
  type EngineStartParams,
  type EngineStatus,
  type FitParams,
  type FitResult,
  type GatewayInfo,
  type HardwareReport,
  type InstallParams,
  type JobStatus,
  type KeyCreateParams,
  type KeyInfo,
  type Recommendation,
  type RecommendParams,
  type Sample,
  type Settings,
  type VersionInfo,
} from './types';
import { readEventStream } from './sse';

/** Every command: its arguments and what it returns (docs/api-contract.md). */
export interface Commands {
  version: { args: undefined; result: VersionInfo };
  hardware: { args: undefined; result: HardwareReport };
  describe_hardware: { args: { spec: string }; result: HardwareReport };
  latest_sample: { args: undefined; result: Sample };
  settings: { args: undefined; result: Settings };
  update_settings: { args: { settings: Settings }; result: Settings };
  catalog: { args: undefined; result: CatalogView };
  recommend: { args: { params: RecommendParams }; result: Recommendation };
  fit: { args: { params: FitParams }; result: FitResult };
  engine_plan: { args: { params: EnginePlanParams }; result: EnginePlanView };
  engine_start: { args: { params: EngineStartParams }; result: EngineStatus };
  engine_status: { args: undefined; result: EngineStatus[] };
  engine_stop: { args: { name: string }; result: EngineStatus };
  engine_retry: { args: { name: string }; result: EngineStatus };
  engine_remove: { args: { name: string }; result: EngineStatus };
  engine_logs: { args: { name: string; lines?: number }; result: string[] };
  engine_install: { args: { params: InstallParams }; result: JobStatus };
  model_download: { args: { params: DownloadParams }; result: JobStatus };
  jobs: { args: undefined; result: JobStatus[] };
  job_cancel: { args: { id: string }; result: JobStatus };
  gateway_info: { args: undefined; result: GatewayInfo };
  keys: { args: undefined; result: KeyInfo[] };
  key_create: { args: { params: KeyCreateParams }; result: CreatedKey };
  key_revoke: { args: { params: { id: string } }; result: KeyInfo };
}
export type Command = keyof Commands;

interface Route {
  method: 'GET' | 'POST' | 'PUT';
  /** The path, or how to make it from the command's arguments (names in the path). */
  path: string | ((args: never) => string);
  /** The request body made from the command's arguments, for POST and PUT. */
  body?: (args: never) => unknown;
}

const ROUTES: Record<Command, Route> = {
  version: { method: 'GET', path: '/api/version' },
  hardware: { method: 'GET', path: '/api/hardware' },
  describe_hardware: {
    method: 'POST',
    path: '/api/hardware/describe',
    body: (args: Commands['describe_hardware']['args']) => ({ spec: args.spec }),
  },
  latest_sample: { method: 'GET', path: '/api/samples/latest' },
  settings: { method: 'GET', path: '/api/settings' },
  update_settings: {
    method: 'PUT',
    path: '/api/settings',
    body: (args: Commands['update_settings']['args']) => args.settings,
  },
  catalog: { method: 'GET', path: '/api/catalog' },
  recommend: {
    method: 'POST',
    path: '/api/recommend',
    body: (args: Commands['recommend']['args']) => args.params,
  },
  fit: {
    method: 'POST',
    path: '/api/fit',
    body: (args: Commands['fit']['args']) => args.params,
  },
  engine_plan: {
    method: 'POST',
    path: '/api/engine/plan',
    body: (args: Commands['engine_plan']['args']) => args.params,
  },
  engine_start: {
    method: 'POST',
    path: '/api/engines',
    body: (args: Commands['engine_start']['args']) => args.params,
  },
  engine_status: { method: 'GET', path: '/api/engines' },
  engine_stop: {
    method: 'POST',
    path: (args: Commands['engine_stop']['args']) => `/api/engines/${encodeURIComponent(args.name)}/stop`,
  },
  engine_retry: {
    method: 'POST',
    path: (args: Commands['engine_retry']['args']) => `/api/engines/${encodeURIComponent(args.name)}/retry`,
  },
  engine_remove: {
    method: 'POST',
    path: (args: Commands['engine_remove']['args']) => `/api/engines/${encodeURIComponent(args.name)}/remove`,
  },
  engine_logs: {
    method: 'GET',
    path: (args: Commands['engine_logs']['args']) =>
      `/api/engines/${encodeURIComponent(args.name)}/logs${args.lines === undefined ? '' : `?lines=${args.lines}`}`,
  },
  engine_install: {
    method: 'POST',
    path: '/api/engines/install',
    body: (args: Commands['engine_install']['args']) => args.params,
  },
  model_download: {
    method: 'POST',
    path: '/api/downloads',
    body: (args: Commands['model_download']['args']) => args.params,
  },
  jobs: { method: 'GET', path: '/api/jobs' },
  job_cancel: {
    method: 'POST',
    path: '/api/jobs/cancel',
    body: (args: Commands['job_cancel']['args']) => ({ id: args.id }),
  },
  gateway_info: { method: 'GET', path: '/api/gateway' },
  keys: { method: 'GET', path: '/api/keys' },
  key_create: {
    method: 'POST',
    path: '/api/keys',
    body: (args: Commands['key_create']['args']) => args.params,
  },
  key_revoke: {
    method: 'POST',
    path: '/api/keys/revoke',
    body: (args: Commands['key_revoke']['args']) => args.params,
  },
};

const STREAM_PATH = '/api/samples/stream';
const TOKEN_KEY = 'duows.token';
const RECONNECT_MS = 2000;

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

async function httpCall(route: Route, args: unknown): Promise<unknown> {
  const headers: Record<string, string> = { Accept: 'application/json', ...authHeaders() };
  const init: RequestInit = { method: route.method, headers };
  if (route.body) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify((route.body as (a: unknown) => unknown)(args));
  }
  const path = typeof route.path === 'string' ? route.path : (route.path as (a: unknown) => string)(args);
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
    return (await httpCall(ROUTES[command], args)) as Commands[C]['result'];
  } catch (reason) {
    throw toApiError(reason, 'call_failed');
  }
}

export const api = {
  version: () => call('version'),
  hardware: () => call('hardware'),
  describeHardware: (spec: string) => call('describe_hardware', { spec }),
  latestSample: () => call('latest_sample'),
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
  engineRemove: (name: string) => call('engine_remove', { name }),
  engineLogs: (name: string, lines?: number) => call('engine_logs', lines === undefined ? { name } : { name, lines }),
  engineInstall: (params: InstallParams) => call('engine_install', { params }),
  modelDownload: (params: DownloadParams) => call('model_download', { params }),
  jobs: () => call('jobs'),
  jobCancel: (id: string) => call('job_cancel', { id }),
  gatewayInfo: () => call('gateway_info'),
  keys: () => call('keys'),
  keyCreate: (params: KeyCreateParams) => call('key_create', { params }),
  keyRevoke: (id: string) => call('key_revoke', { params: { id } }),
};

// ---------------------------------------------------------------- live samples

/** `live` once samples flow, `reconnecting` after the stream broke. */
export type StreamState = 'live' | 'reconnecting';

function subscribeHttp(onSample: (s: Sample) => void, onState: (s: StreamState) => void) {
  const abort = new AbortController();
  let timer: number | undefined;

  const connect = async (): Promise<void> => {
    try {
      const response = await fetch(STREAM_PATH, {
        headers: { Accept: 'text/event-stream', ...authHeaders() },
        signal: abort.signal,
        cache: 'no-store',
      });
      if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
      await readEventStream(response.body, (event, data) => {
        if (event !== 'sample' && event !== 'message') return;
        try {
          onSample(JSON.parse(data) as Sample);
          onState('live');
        } catch {
          // a malformed event is skipped; the next one will do
        }
      });
    } catch {
      // fall through to reconnect
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

function subscribeDesktop(onSample: (s: Sample) => void, onState: (s: StreamState) => void) {
  let active = true;
  let timer: number | undefined;

  const connect = async (): Promise<void> => {
    const channel = new Channel<Sample>();
    channel.onmessage = (sample) => {
      if (!active) return;
      onSample(sample);
      onState('live');
    };
    try {
      await invoke('subscribe_samples', { onSample: channel });
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
 * Calls `onSample` with every live sample (1 Hz) until the returned function is called.
 * Reconnects by itself; `onState` hears when the stream breaks and when it is back.
 */
export function subscribeSamples(
  onSample: (sample: Sample) => void,
  onState: (state: StreamState) => void = () => undefined,
): () => void {
  return isDesktop() ? subscribeDesktop(onSample, onState) : subscribeHttp(onSample, onState);
}
