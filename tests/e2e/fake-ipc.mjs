// A stand-in for the desktop shell in a plain browser: `window.__TAURI_INTERNALS__` whose
// `invoke` answers from the real server's HTTP API and whose `subscribe_events` feeds a
// Channel with `{ kind, data }` events read from the server (every 500 ms). Pass
// `installFakeIpc` to `page.addInitScript`; the page's calls are in `window.__ipcCalls`.
// A test may answer the reads it makes (`/api/engines`, `/api/jobs`, `/api/setup`) with
// `page.route`.

/** Runs in the page before the UI: a minimal IPC bridge in the shape @tauri-apps/api uses. */
export function installFakeIpc() {
  const callbacks = new Map();
  let nextId = 1;
  const calls = [];
  const routes = {
    version: ['GET', '/api/version'],
    hardware: ['GET', '/api/hardware'],
    describe_hardware: ['POST', '/api/hardware/describe'],
    latest_sample: ['GET', '/api/samples/latest'],
    sample_history: ['GET', (args) => `/api/samples/history?${new URLSearchParams(args)}`],
    settings: ['GET', '/api/settings'],
    catalog: ['GET', '/api/catalog'],
    recommend: ['POST', '/api/recommend'],
    fit: ['POST', '/api/fit'],
    engine_plan: ['POST', '/api/engine/plan'],
    engine_start: ['POST', '/api/engines'],
    engine_status: ['GET', '/api/engines'],
    engine_stop: ['POST', (args) => `/api/engines/${encodeURIComponent(args.name)}/stop`],
    engine_retry: ['POST', (args) => `/api/engines/${encodeURIComponent(args.name)}/retry`],
    engine_remove: ['POST', (args) => `/api/engines/${encodeURIComponent(args.name)}/remove`],
    engine_apply_remedy: ['POST', (args) => `/api/engines/${encodeURIComponent(args.name)}/apply-remedy`],
    engine_logs: ['GET', (args) => `/api/engines/${encodeURIComponent(args.name)}/logs${args.lines === undefined ? '' : `?lines=${args.lines}`}`],
    engine_install: ['POST', '/api/engines/install'],
    model_download: ['POST', '/api/downloads'],
    jobs: ['GET', '/api/jobs'],
    job_cancel: ['POST', '/api/jobs/cancel'],
    update_settings: ['PUT', '/api/settings'],
    gateway_info: ['GET', '/api/gateway'],
    keys: ['GET', '/api/keys'],
    key_create: ['POST', '/api/keys'],
    key_revoke: ['POST', '/api/keys/revoke'],
    setup_status: ['GET', '/api/setup'],
    setup_update: ['PUT', '/api/setup'],
    setup_check: ['POST', '/api/setup/check'],
    setup_test: ['POST', '/api/setup/test'],
  };
  // The desktop shell takes `{ params }` for the model, engine, job and key calls, and
  // `{ settings }` for update_settings; the HTTP body is what they wrap.
  const withParams = new Set(['recommend', 'fit', 'engine_plan', 'engine_start', 'engine_install', 'model_download', 'key_create', 'key_revoke', 'setup_update']);
  const bodyOf = (cmd, args) => (withParams.has(cmd) ? args.params : cmd === 'update_settings' ? args.settings : args);
  window.__ipcCalls = calls;
  window.__TAURI_INTERNALS__ = {
    transformCallback(callback) {
      const id = nextId++;
      callbacks.set(id, callback);
      return id;
    },
    unregisterCallback(id) {
      callbacks.delete(id);
    },
    async invoke(cmd, args) {
      calls.push({ cmd, args: JSON.parse(JSON.stringify(args)) });
      if (cmd === 'subscribe_events') {
        // The current state of each kind first, then each again when it changed (read every 500 ms).
        const id = Number(String(args.onEvent.toJSON()).split(':')[1]);
        let index = 0;
        const last = {};
        const sources = { sample: '/api/samples/latest', engines: '/api/engines', jobs: '/api/jobs', gateway: '/api/gateway' };
        const send = async () => {
          for (const [kind, path] of Object.entries(sources)) {
            const text = await (await fetch(path)).text();
            if (last[kind] === text) continue;
            last[kind] = text;
            callbacks.get(id)?.({ index: index++, message: { kind, data: JSON.parse(text) } });
          }
        };
        void send();
        setInterval(() => void send(), 500);
        return null;
      }
      if (cmd === 'subscribe_samples') {
        const id = Number(String(args.onSample.toJSON()).split(':')[1]);
        let index = 0;
        setInterval(async () => {
          const sample = await (await fetch('/api/samples/latest')).json();
          callbacks.get(id)?.({ index: index++, message: sample });
        }, 1000);
        return null;
      }
      const [method, route] = routes[cmd];
      const path = typeof route === 'function' ? route(args) : route;
      const response = await fetch(path, {
        method,
        headers: { 'Content-Type': 'application/json' },
        body: method === 'GET' ? undefined : JSON.stringify(bodyOf(cmd, args)),
      });
      const body = await response.json();
      if (!response.ok) throw body; // the desktop shell rejects with the error object itself
      return body;
    },
  };
}
