// Test harness for the served UI: starts `duows serve` on a free port (and its gateway on
// another) with a fresh data folder, reads the URLs from its "listening" and "gateway" lines,
// launches headless Chromium, and cleans up both. Configure with DUOWS_BIN (server binary)
// and CHROMIUM (browser executable).

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));

export const DUOWS_BIN = path.resolve(here, process.env.DUOWS_BIN ?? '../../target/debug/duows');
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = path.join(here, 'artifacts');

const LISTENING = /duows: listening on (http:\/\/\S+)/;
const GATEWAY = /duows: gateway \(OpenAI-compatible\) on (http:\/\/\S+)/;
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;

/**
 * Starts `DUOWS_BIN serve --port 0 ...extraArgs` and resolves once it printed its URL and,
 * unless `--no-gateway` is among `extraArgs`, its gateway's. The gateway gets a free port
 * (`--gateway-port 0`) unless `extraArgs` name one, so no test depends on port 8000 being free.
 * `options.env` adds to (or, with `undefined` values, removes from) the server's environment.
 * @param {string[]} [extraArgs]
 * @param {{ env?: Record<string, string | undefined> }} [options]
 * @returns {Promise<{ url: string, gateway: string | null, home: string, output: () => string, stop: () => Promise<void> }>}
 *   `gateway` is the gateway's base URL, ending in `/v1` (null with `--no-gateway`).
 */
export async function startServer(extraArgs = [], { env = {} } = {}) {
  if (!existsSync(DUOWS_BIN)) {
    throw new Error(`server binary not found at ${DUOWS_BIN}: build it (cargo build -p duows-cli) or set DUOWS_BIN`);
  }
  const home = mkdtempSync(path.join(os.tmpdir(), 'duows-e2e-'));
  const childEnv = { ...process.env, ...env, DUOWS_HOME: home };
  for (const [key, value] of Object.entries(childEnv)) if (value === undefined) delete childEnv[key];
  const withGateway = !extraArgs.includes('--no-gateway');
  const gatewayArgs = withGateway && !extraArgs.includes('--gateway-port') ? ['--gateway-port', '0'] : [];
  const args = ['serve', '--port', '0', ...gatewayArgs, ...extraArgs];
  const child = spawn(DUOWS_BIN, args, {
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    rmSync(home, { recursive: true, force: true });
  };

  const { url, gateway } = await new Promise((resolve, reject) => {
    let buffered = '';
    const lines = withGateway ? '"listening" and "gateway" lines' : '"listening" line';
    const timer = setTimeout(() => fail(new Error(`no ${lines} within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    function fail(error) {
      clearTimeout(timer);
      reject(new Error(`${error.message}\n--- duows ${args.join(' ')} output ---\n${log}`));
    }
    child.on('error', fail);
    child.stderr.setEncoding('utf8').on('data', (chunk) => (log += chunk));
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      log += chunk;
      buffered += chunk;
      const listening = LISTENING.exec(buffered);
      const gatewayLine = GATEWAY.exec(buffered);
      if (listening && (gatewayLine || !withGateway)) {
        clearTimeout(timer);
        resolve({ url: listening[1].replace(/\/$/, ''), gateway: gatewayLine ? gatewayLine[1] : null });
      }
    });
    exited.then(({ code, signal }) => fail(new Error(`server exited early (code ${code}, signal ${signal})`)));
  }).catch(async (error) => {
    await stop();
    throw error;
  });

  return { url, gateway, home, output: () => log, stop };
}

/** Launches headless Chromium with the flags these tests need. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** Writes `settings` through the server's control API (as a saved form would); throws when refused. */
export async function putSettings(server, settings) {
  const response = await fetch(`${server.url}/api/settings`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(settings),
  });
  if (response.status !== 200) throw new Error(`settings refused (${response.status}): ${await response.text()}`);
}

/** Saves a full-page screenshot as artifacts/<name>.png (`options` as Playwright takes them). */
export async function screenshot(page, name, options = {}) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true, ...options });
}

/** True when this machine seems to have an NVIDIA driver (so "no driver" cannot be tested). */
export function hasNvidiaDriver() {
  return existsSync('/proc/driver/nvidia/version');
}

/**
 * The processes whose command line contains every one of `parts`, from /proc:
 * `[{ pid, cmdline }]` (this test's own process excluded). Empty where /proc is missing.
 */
export function processesWith(...parts) {
  let pids;
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  const found = [];
  for (const pid of pids) {
    if (Number(pid) === process.pid) continue;
    let cmdline;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    } catch {
      continue; // gone meanwhile, or not ours to read
    }
    if (cmdline && parts.every((part) => cmdline.includes(part))) found.push({ pid: Number(pid), cmdline });
  }
  return found;
}
