// The Dashboard page in headless Chromium against `duows serve` with a described 8×H100
// machine: its charts start with the history the server kept before the page was opened,
// then take a point per live sample; the window can be changed with the keyboard; the
// current values per GPU are shown; the page draws in both themes; the gateway's traffic per
// alias, the GPU processes and the logs (search and correlation id) show what really
// happened. Each test starts its own server.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { ARTIFACTS, launchBrowser, screenshot, startServer } from '../harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const EIGHT_H100 = path.resolve(here, '../../../fixtures/hardware/8xh100-80gb.json');
/** An engine with llama.cpp server's metrics (see the file for why it stands in for one). */
const FAKE_ENGINE = path.resolve(here, '../fake-llama-engine.mjs');
const TIMEOUT = 15_000;

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/** Runs `fn(page, server)` on a fresh server with the 8×H100 description. */
async function withDashboard(name, fn, { colorScheme = 'dark', width = 1280, gateway = false, env = {}, gpus = EIGHT_H100 } = {}) {
  const server = await startServer(['--gpus', gpus, ...(gateway ? [] : ['--no-gateway'])], { env });
  const context = await browser.newContext({ viewport: { width, height: 900 }, colorScheme });
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

const points = (page, metric) => page.locator(`[data-testid="metric-chart"][data-metric="${metric}"]`).getAttribute('data-points').then(Number);

const METRICS = ['utilisation', 'memory', 'temperature', 'power', 'sm-clock', 'memory-clock'];

test('the charts start with the server’s history, then take the live samples', async () => {
  await withDashboard('dashboard-dark', async (page, server) => {
    // The server keeps samples before the page opens; the page first gets no live stream,
    // so whatever its charts hold came from the history.
    await page.waitForTimeout(5000);
    await page.route('**/api/events', (route) => route.abort());
    await page.goto(`${server.url}/#/dashboard`);
    await page.getByTestId('dashboard-page').waitFor();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="gpu-now"]').length === 8);
    await page.waitForFunction(
      () => Number(document.querySelector('[data-testid="metric-chart"][data-metric="utilisation"]')?.getAttribute('data-points')) >= 4,
    );
    for (const metric of METRICS) assert.ok((await points(page, metric)) >= 4, `${metric}: history drawn`);
    assert.equal(await page.locator('[data-testid="metric-chart"] canvas').count(), METRICS.length, 'one canvas per metric');
    const fromHistory = await points(page, 'utilisation');

    // The stream comes back: each new sample adds a point.
    await page.unroute('**/api/events');
    await page.waitForFunction(
      (before) => Number(document.querySelector('[data-testid="metric-chart"][data-metric="utilisation"]')?.getAttribute('data-points')) >= before + 2,
      fromHistory,
    );

    // Pointing at a chart reads out its values at that time, per GPU.
    const plot = page.locator('[data-testid="metric-chart"][data-metric="utilisation"] .u-over');
    const box = await plot.boundingBox();
    await page.mouse.move(box.x + box.width - 2, box.y + box.height / 2);
    await page.waitForFunction(() => /GPU 0 88 · GPU 1 88/.test(document.querySelector('[data-metric="utilisation"] .chart-readout')?.textContent ?? ''));

    // The current values per GPU, in GiB and in the card's units.
    const first = page.locator('[data-testid="gpu-now"][data-gpu-index="0"]');
    const text = (await first.innerText()).replace(/\s+/g, ' ');
    for (const part of ['GPU 0', '88 %', '74.0 / 79.1 GiB', '66 °C', '612 / 700 W', '1980 MHz']) {
      assert.ok(text.includes(part), `GPU 0's row shows ${part}: ${text}`);
    }
  });
});

test('the window is chosen with the keyboard and kept; the light theme draws too', async () => {
  await withDashboard(
    'dashboard-light',
    async (page, server) => {
      await page.goto(`${server.url}/#/dashboard`);
      await page.getByTestId('window-5').waitFor({ state: 'attached' });
      assert.equal(await page.getByTestId('window-5').isChecked(), true, '5 minutes by default');
      await page.getByTestId('window-5').focus();
      await page.keyboard.press('ArrowLeft');
      assert.equal(await page.getByTestId('window-1').isChecked(), true, 'arrow keys choose the window');
      await page.waitForFunction(() => Number(document.querySelector('[data-testid="metric-chart"]')?.getAttribute('data-points')) >= 1);
      await page.reload();
      await page.getByTestId('window-1').waitFor({ state: 'attached' });
      assert.equal(await page.getByTestId('window-1').isChecked(), true, 'the window is remembered');
      await page.waitForFunction(() => Number(document.querySelector('[data-testid="metric-chart"]')?.getAttribute('data-points')) >= 2);
      const background = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
      assert.equal(background, 'rgb(243, 244, 246)', 'the light palette is used');

      // The system turns dark: the canvases are drawn again with the dark palette's grid.
      const gridPixels = () =>
        page.locator('[data-testid="metric-chart"][data-metric="utilisation"] canvas').evaluate((canvas) => {
          const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
          const count = { light: 0, dark: 0 };
          for (let i = 0; i < data.length; i += 4) {
            const rgb = `${data[i]},${data[i + 1]},${data[i + 2]}`;
            if (rgb === '214,218,224') count.light += 1; // --line, light
            if (rgb === '48,53,60') count.dark += 1; // --line, dark
          }
          return count;
        });
      const light = await gridPixels();
      assert.ok(light.light > 100 && light.dark === 0, `light grid lines: ${JSON.stringify(light)}`);
      await page.emulateMedia({ colorScheme: 'dark' });
      await page.waitForFunction(() => getComputedStyle(document.documentElement).backgroundColor === 'rgb(21, 23, 26)');
      await page.waitForTimeout(300);
      const dark = await gridPixels();
      assert.ok(dark.dark > 100 && dark.light === 0, `dark grid lines after the change: ${JSON.stringify(dark)}`);
      await page.emulateMedia({ colorScheme: 'light' });
    },
    { colorScheme: 'light' },
  );
});

test('a hidden page draws nothing and catches up when shown again', async () => {
  await withDashboard('dashboard-hidden', async (page, server) => {
    await page.goto(`${server.url}/#/dashboard`);
    await page.getByTestId('window-5').check();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="metric-chart"]')?.getAttribute('data-points')) >= 2);
    const reads = { dashboard: 0 };
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/api/dashboard') reads.dashboard += 1;
    });
    // As a browser does when its tab is in the background or the window minimised.
    const setHidden = (hidden) =>
      page.evaluate((value) => {
        Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (value ? 'hidden' : 'visible') });
        document.dispatchEvent(new Event('visibilitychange'));
      }, hidden);
    await setHidden(true);
    await page.waitForTimeout(500);
    const hiddenAt = await points(page, 'utilisation');
    const readsHidden = reads.dashboard;
    const before = await page.getByTestId('sample-time').getAttribute('data-count');
    await page.waitForTimeout(4500);
    assert.notEqual(await page.getByTestId('sample-time').getAttribute('data-count'), before, 'samples still arrive');
    assert.equal(await points(page, 'utilisation'), hiddenAt, 'no chart drawn while hidden');
    assert.equal(reads.dashboard, readsHidden, 'no dashboard read while hidden');
    await setHidden(false);
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid="metric-chart"]')?.getAttribute('data-points')) > n, hiddenAt);
  });
});

test('the dashboard fits an 800-px-wide window', async () => {
  await withDashboard(
    'dashboard-800',
    async (page, server) => {
      await page.goto(`${server.url}/#/dashboard`);
      await page.waitForFunction(() => Number(document.querySelector('[data-testid="metric-chart"]')?.getAttribute('data-points')) >= 2);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.equal(overflow, 0, 'no sideways scrolling');
    },
    { width: 800 },
  );
});

test('the gateway’s traffic, the GPU processes and the logs show what happened', async () => {
  await withDashboard(
    'dashboard-serving',
    async (page, server) => {
      // Real requests through the gateway: a model nobody serves, so each is answered 404.
      const ids = ['dash-check-1', 'dash-check-2', 'dash-check-3'];
      for (const id of ids) {
        const response = await fetch(`${server.gateway}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-request-id': id },
          body: JSON.stringify({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] }),
        });
        assert.equal(response.status, 404, await response.text());
      }
      await page.goto(`${server.url}/#/dashboard`);
      await page.getByTestId('dash-engines-empty').waitFor();

      // The log is written off the request path: the row comes within a read or two.
      const row = page.locator('[data-testid="dash-gateway-alias"][data-alias="no-such-model"]');
      await page.waitForFunction(
        () => document.querySelector('[data-testid="dash-gateway-alias"][data-alias="no-such-model"] td:nth-of-type(2)')?.textContent === '3',
      );
      const cells = (await row.locator('td').allInnerTexts()).map((t) => t.trim());
      assert.equal(cells[1], '3', 'three requests');
      assert.equal(cells[2], '3', 'all three were errors');
      assert.match(cells[3], /^\d+(\.\d+)? m?s$/, 'a median latency');

      // The described machine's processes, none of them an engine of this app.
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="dash-process"]').length === 8);
      const process = (await page.locator('[data-testid="dash-process"]').first().innerText()).replace(/\s+/g, ' ');
      assert.ok(process.includes('vllm') && process.includes('pid 7000') && process.includes('not this app’s: no plan'), process);

      // One request followed by its correlation id; then a plain search.
      await page.getByTestId('log-correlation').fill('dash-check-2');
      await page.getByTestId('log-correlation').press('Enter');
      await page.waitForFunction(() => {
        const lines = [...document.querySelectorAll('[data-testid="log-lines"] li')];
        return lines.length === 1 && lines[0].textContent.includes('id=dash-check-2');
      });
      const line = await page.locator('[data-testid="log-lines"] li').innerText();
      assert.ok(line.includes('404') && line.includes('no-such-model'), line);
      await page.getByTestId('log-correlation').fill('');
      await page.getByTestId('log-search').fill('DATA_DIR');
      await page.getByTestId('log-search').press('Enter');
      await page.waitForFunction(() => {
        const lines = [...document.querySelectorAll('[data-testid="log-lines"] li')];
        return lines.length > 0 && lines.every((l) => l.getAttribute('data-source') === 'app:duows');
      });
      await page.getByTestId('log-search').fill('');
      await page.getByTestId('log-search').press('Enter');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="log-lines"] li[data-source="gateway"]').length === 3);
      await page.locator('.dash-pair').screenshot({ path: path.join(ARTIFACTS, 'dashboard-serving-sections.png') });
      await page.getByTestId('log-viewer').screenshot({ path: path.join(ARTIFACTS, 'dashboard-logs.png') });
    },
    { gateway: true },
  );
});

test('an engine’s serving figures come from its metrics, and a request is followed into its log', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'duows-e2e-dash-'));
  const gguf = path.join(dir, 'tiny.gguf');
  writeFileSync(gguf, 'GGUF');
  const ENGINE = 'tiny-chat';
  try {
    await withDashboard(
      'dashboard-engine',
      async (page, server) => {
        const started = await fetch(`${server.url}/api/engines`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ gguf, name: ENGINE }),
        });
        assert.equal(started.status, 200, await started.text());
        await page.goto(`${server.url}/#/dashboard`);
        const tile = page.locator(`[data-testid="dash-engine"][data-engine="${ENGINE}"]`);
        await page.waitForFunction((name) => document.querySelector(`[data-testid="dash-engine"][data-engine="${name}"] [data-testid="dash-engine-state"]`)?.textContent === 'ready', ENGINE, { timeout: 30_000 });

        // Requests through the gateway while the page reads the engine's metrics.
        const chat = (id) =>
          fetch(`${server.gateway}/chat/completions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-request-id': id },
            body: JSON.stringify({ model: ENGINE, messages: [{ role: 'user', content: 'hi' }] }),
          }).then(async (r) => assert.equal(r.status, 200, await r.text()));
        for (let i = 1; i <= 4; i += 1) {
          await chat(`dash-engine-${i}`);
          await page.waitForTimeout(600);
        }
        await page.waitForFunction(
          (name) => {
            const values = [...document.querySelectorAll(`[data-testid="dash-engine"][data-engine="${name}"] .metric-value`)].map((v) => v.textContent);
            return Number(values[0]) > 0;
          },
          ENGINE,
        );
        const figures = Object.fromEntries(
          await tile.locator('.metric').evaluateAll((metrics) => metrics.map((m) => [m.querySelector('.metric-label').textContent, m.querySelector('.metric-value').textContent])),
        );
        assert.ok(Number(figures['Tokens per second']) > 0, JSON.stringify(figures));
        assert.equal(figures['KV cache'], '25 %');
        assert.equal(figures['Requests running'], '0');
        assert.equal(figures['Requests waiting'], '0');
        assert.equal(figures['Time to first token'], '—', 'llama.cpp publishes no time to first token');

        // The gateway's traffic for the engine: four answered requests, no error.
        const row = page.locator(`[data-testid="dash-gateway-alias"][data-alias="${ENGINE}"]`);
        // The request log is written off the request path: the last one comes within a read.
        await page.waitForFunction(
          (name) => document.querySelector(`[data-testid="dash-gateway-alias"][data-alias="${name}"] td:nth-of-type(2)`)?.textContent === '4',
          ENGINE,
        );
        const cells = (await row.locator('td').allInnerTexts()).map((t) => t.trim());
        assert.deepEqual([cells[1], cells[2]], ['4', '0'], `requests and errors: ${cells.join(' | ')}`);

        // The client's id leads to the gateway's line, and through it to the engine's lines.
        await page.getByTestId('log-correlation').fill('dash-engine-3');
        await page.getByTestId('log-correlation').press('Enter');
        await page.waitForFunction(() => document.querySelectorAll('[data-testid="log-lines"] li').length === 3);
        const sources = await page.locator('[data-testid="log-lines"] li').evaluateAll((lines) => lines.map((l) => l.getAttribute('data-source')));
        assert.deepEqual(sources, ['gateway', `engine:${ENGINE}`, `engine:${ENGINE}`]);
        const engineLines = await page.locator(`[data-testid="log-lines"] li[data-source="engine:${ENGINE}"]`).allInnerTexts();
        assert.ok(engineLines[0].includes('Received request') && engineLines[1].includes('Finished request'), engineLines.join('\n'));
        assert.match(await page.getByTestId('log-status').innerText(), /Following ids dash-engine-3, /);
        await page.locator('.dash-pair').screenshot({ path: path.join(ARTIFACTS, 'dashboard-engine-sections.png') });
      },
      { gateway: true, env: { DUOWS_LLAMA_CPP_PYTHON: FAKE_ENGINE } },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('GPUs that report no values say so instead of waiting', async () => {
  await withDashboard(
    'dashboard-no-values',
    async (page, server) => {
      await page.goto(`${server.url}/#/dashboard`);
      await page.waitForFunction(() => {
        const notes = [...document.querySelectorAll('.chart-empty')];
        return notes.length === 6 && notes.every((e) => !e.hidden && e.textContent === 'The hardware description gives no value for this.');
      });
      assert.equal(await page.locator('.chart-empty:visible').count(), 6, 'every chart says it');
      const cell = page.locator('[data-testid="gpu-now"] td').first();
      assert.equal(await cell.innerText(), '—');
      assert.equal(await cell.getAttribute('title'), 'not in the hardware description');
      await page.getByTestId('dash-processes-empty').waitFor();
      await page.getByTestId('dash-engines-empty').waitFor();
    },
    { gpus: '1xL4' },
  );
});
