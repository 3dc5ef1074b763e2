// A tiny W3C WebDriver client for the desktop suite: starts one tauri-driver (which starts
// WebKitWebDriver, which starts the app) on free ports, opens a session on the app, offers the
// few commands the tests use over plain fetch, and stops every process it started.

import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../ports.mjs';

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

/**
 * Polls `fn` until it returns something truthy; the last error explains a timeout. An error
 * marked `final` ends the wait at once.
 */
export async function waitFor(what, fn, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const value = await fn();
      if (value) return value;
      last = undefined;
    } catch (error) {
      if (error.final) throw error;
      last = error;
    }
    await sleep(200);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

/** Every live process below `pid` (read from /proc), children before their parents. */
export function descendants(pid) {
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Fields after the ")" that closes the command name: state, ppid, ...
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  const out = [];
  const walk = (p) => {
    for (const c of children.get(p) ?? []) {
      walk(c);
      out.push(c);
    }
  };
  walk(pid);
  return out;
}

/** What tauri-driver or WebKitWebDriver print when a port was taken after it was chosen. */
const PORT_REFUSED = /Unable to listen|can not listen/;

/**
 * Starts tauri-driver with `env` as its whole environment (the app inherits it).
 * Returns { url, stop() }; stop() ends tauri-driver, WebKitWebDriver and the app.
 * A driver that does not answer (a port taken between choosing and binding it, a native
 * driver that died) is stopped and started again on other ports, up to three times; the
 * error says what each attempt printed.
 */
export async function startDriver(options) {
  const failures = [];
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freePort();
    const nativePort = await freePort([port]);
    try {
      return await startDriverOn(options, port, nativePort);
    } catch (error) {
      failures.push(`attempt ${attempt}: ${error.message}`);
    }
  }
  throw new Error(`tauri-driver did not answer in 3 attempts:\n${failures.join('\n')}`);
}

/**
 * Processes started with `--port=PORT` and what runs below them: the native driver, which
 * tauri-driver leaves running when it exits on a port it could not bind.
 */
function startedWithPort(port) {
  const found = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes(`--port=${port}`)) {
        found.push(...descendants(Number(entry)), Number(entry));
      }
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

async function startDriverOn({ driverBin, nativeDriver, env }, port, nativePort) {
  const log = [];
  const child = spawn(driverBin, ['--port', String(port), '--native-port', String(nativePort), '--native-driver', nativeDriver], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The driver's and the app's output, for error messages: the last 64 KiB of it, so a
  // chatty process cannot fill this process's memory.
  let kept = 0;
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (d) => {
      log.push(String(d));
      kept += d.length;
      while (kept > 64 * 1024 && log.length > 1) kept -= log.shift().length;
    });
  }
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = `http://127.0.0.1:${port}`;
  // What the drivers printed, for an error: its start (where a refused port or a crash is
  // told) and its end; a proxy error repeats a backtrace on every poll.
  const printed = () => {
    const text = log.join('').trim();
    if (!text) return 'nothing';
    return text.length <= 2400 ? text : `${text.slice(0, 1600)}\n…\n${text.slice(-800)}`;
  };

  const stop = async () => {
    const below = new Set([...descendants(child.pid), ...startedWithPort(nativePort)]);
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(3000)]);
    for (const pid of [...below, child.pid]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  };

  try {
    await waitFor(
      `tauri-driver on port ${port} (native ${nativePort}) to answer /status`,
      async () => {
        const final = (message) => Object.assign(new Error(message), { final: true });
        if (child.exitCode !== null) throw final(`tauri-driver exited (${child.exitCode})`);
        if (PORT_REFUSED.test(log.join(''))) throw final('a port was taken after it was chosen');
        const res = await fetch(`${url}/status`, { signal: AbortSignal.timeout(2_000) });
        return res.ok && (await res.json()).value?.ready !== false;
      },
      10_000,
    );
  } catch (error) {
    await stop();
    throw new Error(`${error.message}; the drivers printed: ${printed()}`);
  }
  return { url, stop, log, pid: child.pid };
}

/** One WebDriver session on the app; every method is one W3C command. */
export class Session {
  constructor(url, id) {
    this.base = `${url}/session/${id}`;
  }

  static async create(url, application) {
    const body = { capabilities: { alwaysMatch: { 'tauri:options': { application }, browserName: 'wry' } } };
    const value = await call('POST', `${url}/session`, body);
    return new Session(url, value.sessionId);
  }

  cmd(method, path, body) {
    return call(method, `${this.base}${path}`, body);
  }

  title() {
    return this.cmd('GET', '/title');
  }

  /** Element ids matching a CSS selector (possibly none). */
  async findAll(css) {
    const found = await this.cmd('POST', '/elements', { using: 'css selector', value: css });
    return found.map((e) => e[ELEMENT]);
  }

  /** Polls until an element matches `css`; returns its id. */
  find(css, timeoutMs) {
    return waitFor(`element ${css}`, async () => (await this.findAll(css))[0], timeoutMs);
  }

  /** The rendered (visible) text, as a user reads it. */
  text(el) {
    return this.cmd('GET', `/element/${el}/text`);
  }

  /** The DOM textContent, including text the driver's visible-text rules skip. */
  textContent(el) {
    return this.cmd('GET', `/element/${el}/property/textContent`);
  }

  /** An attribute of the element, as a string (or null). */
  attribute(el, name) {
    return this.cmd('GET', `/element/${el}/attribute/${encodeURIComponent(name)}`);
  }

  displayed(el) {
    return this.cmd('GET', `/element/${el}/displayed`);
  }

  click(el) {
    return this.cmd('POST', `/element/${el}/click`, {});
  }

  async type(el, text) {
    await this.cmd('POST', `/element/${el}/clear`, {});
    await this.cmd('POST', `/element/${el}/value`, { text });
  }

  /** Runs `script` (a function body) in the page and returns what it returns. */
  execute(script, args = []) {
    return this.cmd('POST', '/execute/sync', { script, args });
  }

  /** The window as PNG bytes. */
  async screenshot() {
    return Buffer.from(await this.cmd('GET', '/screenshot'), 'base64');
  }

  delete() {
    return this.cmd('DELETE', '');
  }
}

async function call(method, url, body) {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${method} ${url}: HTTP ${res.status}: ${text.slice(0, 300)}`);
  }
  if (!res.ok || json.value?.error) {
    const { error, message } = json.value ?? {};
    throw new Error(`${method} ${url}: ${error ?? `HTTP ${res.status}`}: ${message ?? text.slice(0, 300)}`);
  }
  return json.value;
}
