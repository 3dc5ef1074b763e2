// The live event stream as the served UI uses it, in headless Chromium against
// `duows serve`: the Engines page asks nothing of `/api/engines` or `/api/jobs` after it
// loaded while a download's progress and an engine's state still change on screen (both
// started from outside the page), and the Hardware page's sparklines show the history the
// server kept before the page was opened and what came while another page was shown.
// Each test starts its own server and stops it when done.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startFakeHub } from '../fake-hub.mjs';
import { launchBrowser, screenshot, startServer } from '../harness.mjs';

const TIMEOUT = 10_000;
const MODEL = 'mistral-7b-instruct-v0.3';
const REPO = 'mistralai/Mistral-7B-Instruct-v0.3';
/**
 * An engine that starts and then fails: llama.cpp's server "installed" as a python that
 * lacks it (passes the start checks, then exits: starting → failed).
 */
const ENGINE = 'live-engine';
const PYTHON = process.env.DUOWS_E2E_PYTHON ?? '/usr/bin/python3';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/** Runs `fn(page, server)` on a fresh server started with `args` and `env`. */
async function withPage(args, name, fn, { env = {} } = {}) {
  const server = await startServer(args, { env });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  try {
    await fn(page, server);
    await screenshot(page, name);
    assert.deepEqual(pageErrors, [], 'the page threw errors');
  } catch (error) {
    await screenshot(page, `${name}-failed`).catch(() => undefined);
    error.message += `\n--- server output ---\n${server.output()}`;
    throw error;
  } finally {
    await context.close();
    await server.stop();
  }
}

async function post(server, path, body) {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  assert.equal(response.status, 200, `${path}: ${text}`);
  return JSON.parse(text);
}

test('the Engines page follows the live stream: no repeated reads, live progress and states', async () => {
  const hub = await startFakeHub({ files: { 'config.json': Buffer.from('{}\n'), 'model.safetensors': randomBytes(2_000_000) }, fileMs: 6000 });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'duows-e2e-live-'));
  const gguf = path.join(dir, 'not-a-model.gguf');
  writeFileSync(gguf, 'GGUF');
  try {
    await withPage(
      ['--gpus', '1xL4', '--no-gateway'],
      'live-engines',
      async (page, server) => {
        const reads = { engines: 0, jobs: 0 };
        page.on('request', (request) => {
          const { pathname } = new URL(request.url());
          if (pathname === '/api/engines') reads.engines += 1;
          if (pathname === '/api/jobs') reads.jobs += 1;
        });
        await page.goto(`${server.url}/#/engines`);
        await page.getByTestId('engines-empty').waitFor();
        await page.getByTestId('jobs-section').waitFor();
        await page.waitForFunction(() => document.querySelector('[data-testid="engines-updated"]')?.textContent === 'Live');
        const loaded = { ...reads };

        // Started from outside the page: only the stream can tell it.
        await post(server, '/api/downloads', { model: MODEL });
        const bar = page.locator(`[data-testid="download-job"][data-job="download-${REPO}"] [data-testid="job-progress"]`);
        await bar.waitFor();
        const values = new Set();
        const end = Date.now() + 4000;
        while (Date.now() < end) {
          const now = await bar.getAttribute('aria-valuenow');
          if (now !== null) values.add(now);
          await page.waitForTimeout(200);
        }
        assert.ok(values.size >= 2, `the download's progress moves on screen (saw ${[...values].join(', ')})`);

        const started = await post(server, '/api/engines', { gguf, name: ENGINE });
        assert.equal(started.state, 'starting');
        await page.waitForFunction(
          (name) => document.querySelector(`[data-testid="engine-card"][data-engine="${name}"] [data-testid="engine-state"]`)?.textContent?.trim() === 'failed',
          ENGINE,
        );
        assert.equal(await page.getByTestId('engines-empty').count(), 0);

        assert.deepEqual(reads, loaded, 'no reads of /api/engines or /api/jobs after the page loaded');
        assert.deepEqual(loaded, { engines: 0, jobs: 0 }, 'the first state comes with the stream too');
      },
      { env: { HF_ENDPOINT: hub.url, HF_TOKEN: undefined, DUOWS_VLLM: '/nonexistent/vllm', DUOWS_LLAMA_CPP_PYTHON: PYTHON } },
    );
  } finally {
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** How many samples each GPU card's sparkline shows. */
const sparkPoints = (page) =>
  page.evaluate(() => [...document.querySelectorAll('[data-testid="gpu-card"] svg.spark')].map((el) => Number(el.getAttribute('data-points'))));

test('the Hardware page’s sparklines start with the server’s history and keep it across page changes', async () => {
  await withPage(['--gpus', '2xL40S', '--no-gateway'], 'live-history', async (page, server) => {
    // The server samples from its start; the page is opened later, on another page.
    await new Promise((resolve) => setTimeout(resolve, 8000));
    await page.goto(`${server.url}/#/models`);
    await page.getByTestId('models-page').waitFor();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="sample-time"]')?.getAttribute('data-count')) > 0);
    await page.getByTestId('nav-hardware').click();
    await page.getByTestId('gpu-card').nth(1).waitFor();
    const first = await sparkPoints(page);
    assert.equal(first.length, 2);
    for (const n of first) assert.ok(n > 5, `a sparkline opened after 8 s shows the history (${first.join(', ')} points)`);

    // Away for a while: back, the history has grown meanwhile.
    await page.getByTestId('nav-engines').click();
    await page.getByTestId('engines-page').waitFor();
    await page.waitForTimeout(3000);
    await page.getByTestId('nav-hardware').click();
    await page.getByTestId('gpu-card').first().waitFor({ state: 'visible' });
    const back = await sparkPoints(page);
    for (const [i, n] of back.entries()) assert.ok(n >= Math.min(60, first[i] + 2), `the history kept growing off screen (${first[i]} → ${n})`);
  });
});
