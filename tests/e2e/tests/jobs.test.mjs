// Installs and downloads on the Engines page, in headless Chromium against `duows serve`:
// weights downloaded from a stand-in hub (`fake-hub.mjs`, through HF_ENDPOINT) with a live
// progress bar until the folder is shown; a cancelled download; a gated model's refusal,
// with the token sent once and gone from the page; a bad revision refused next to its field;
// no reads of `/api/jobs` at all (the live event stream brings every change);
// and a llama.cpp install against a stand-in package index: failed, then retried and
// cancelled. vLLM is never installed here. Each test starts its own server and hub.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, lstatSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startFakeHub, startFakeIndex } from '../fake-hub.mjs';
import { ARTIFACTS, launchBrowser, processesWith, screenshot as fullPage, startServer } from '../harness.mjs';

const TIMEOUT = 10_000;
/** The catalog model downloaded, and the repository its own checkpoint comes from. */
const MODEL = 'mistral-7b-instruct-v0.3';
const REPO = 'mistralai/Mistral-7B-Instruct-v0.3';
const GATED_MODEL = 'llama-3.1-8b-instruct';
const GATED_REPO = 'meta-llama/Llama-3.1-8B-Instruct';
/** Where a screenshot of a running download is copied for a look at the layout. */
const SHOT = process.env.DUOWS_JOBS_SCREENSHOT ?? '/tmp/engines-jobs.png';

const WEIGHTS = randomBytes(4_000_000);
const CONFIG = Buffer.from('{"architectures": ["MistralForCausalLM"]}\n');

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/** Waits until `check()` holds, for up to `ms`; returns its last value. */
async function eventually(check, ms = 5000) {
  const end = Date.now() + ms;
  let value = await check();
  while (!value && Date.now() < end) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await check();
  }
  return value;
}

const text = async (locator) => ((await locator.textContent()) ?? '').trim();
const job = (page, id) => page.locator(`[data-testid="download-job"][data-job="${id}"]`);
const installRow = (page, engine) => page.locator(`[data-testid="install-row"][data-engine="${engine}"]`);

async function screenshot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await fullPage(page, name, { animations: 'disabled' });
}

/**
 * Runs `fn(page, server, hub)` on the Engines page of a fresh server whose hub is a fresh
 * fake hub (`hubOptions`), with `env` added to the server's environment. Counts the page's
 * `jobs` reads in `page.jobReads()`.
 */
async function withJobsPage(name, fn, { env = {}, hub: hubOptions = {} } = {}) {
  const hub = await startFakeHub({ files: { 'config.json': CONFIG, 'model.safetensors': WEIGHTS }, ...hubOptions });
  const server = await startServer(['--gpus', '1xL4'], { env: { HF_ENDPOINT: hub.url, HF_TOKEN: undefined, DUOWS_VLLM: '/nonexistent/vllm', ...env } });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  let reads = 0;
  page.on('request', (request) => {
    if (new URL(request.url()).pathname === '/api/jobs') reads += 1;
  });
  page.jobReads = () => reads;
  try {
    await page.goto(`${server.url}/#/engines`);
    await page.getByTestId('jobs-section').waitFor();
    await page.locator(`[data-testid="download-model"] option[value="${MODEL}"]`).waitFor({ state: 'attached' });
    await fn(page, server, hub);
    await screenshot(page, name);
    assert.deepEqual(pageErrors, [], 'the page threw errors');
  } catch (error) {
    await screenshot(page, `${name}-failed`).catch(() => undefined);
    error.message += `\n--- server output ---\n${server.output()}`;
    throw error;
  } finally {
    await context.close();
    await server.stop();
    await hub.close();
  }
}

/** Asserts that nothing on the Engines page is wider than the window. */
async function assertNoOverflow(page) {
  const overflow = await page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const wide = [...document.querySelectorAll('[data-testid="engines-page"] *')]
      .filter((el) => {
        const box = el.getBoundingClientRect();
        return box.width > 0 && box.right > width + 1;
      })
      .map((el) => `${el.tagName.toLowerCase()}.${el.className}`);
    return { scroll: document.documentElement.scrollWidth - width, wide: wide.slice(0, 5) };
  });
  assert.ok(overflow.scroll <= 0, `the page scrolls sideways by ${overflow.scroll} px: ${overflow.wide.join(', ')}`);
}

/** The progress bar's value while its job runs, or null (no value: not known yet). */
async function barValue(locator) {
  const now = await locator.getAttribute('aria-valuenow');
  return now === null ? null : Number(now);
}

test('downloading weights: a live progress bar, then the folder', async () => {
  await withJobsPage('engines-download-done', async (page, server, hub) => {
    // The live stream brings the jobs: never read on their own, never polled.
    await page.waitForTimeout(1500);
    assert.equal(page.jobReads(), 0, 'the jobs come with the live stream, not from reads of /api/jobs');
    assert.equal(await page.getByTestId('download-job').count(), 0);

    await page.getByTestId('download-model').selectOption(MODEL);
    assert.ok(await page.getByTestId('download-variant').isDisabled(), 'a model with one checkpoint has nothing to choose');
    await page.getByTestId('download-start').click();

    const entry = job(page, `download-${REPO}`);
    await entry.waitFor();
    const bar = entry.getByTestId('job-progress');
    assert.equal(await bar.getAttribute('role'), 'progressbar');
    assert.match((await bar.getAttribute('aria-label')) ?? '', /Mistral-7B-Instruct-v0\.3/);

    // While it runs: a value between 0 and 100, bytes, speed, files and the file in flight.
    await page.waitForFunction(() => {
      const el = document.querySelector('[data-testid="download-job"] [data-testid="job-progress"]');
      const now = Number(el?.getAttribute('aria-valuenow'));
      return now > 0 && now < 100;
    });
    const value = await barValue(bar);
    assert.ok(value > 0 && value < 100, `the bar shows a percent in (0, 100): ${value}`);
    assert.equal(await entry.getByTestId('job-state').textContent(), 'running');
    assert.match(await text(entry.getByTestId('job-bytes')), /^\d+(\.\d)? \/ 4\.0 MB$/);
    assert.match(await text(entry.getByTestId('job-files')), /^[01] of 2 files$/);
    assert.match(await text(entry.getByTestId('job-percent')), /^\d+ %$/);
    await page.waitForFunction(() => /MB\/s$/.test(document.querySelector('[data-testid="download-job"] [data-testid="job-speed"]')?.textContent ?? ''));
    assert.match(await text(entry.getByTestId('job-current')), /model\.safetensors/);
    assert.ok(await entry.getByTestId('job-cancel').isVisible(), 'a running download can be cancelled');
    await screenshot(page, 'engines-jobs');
    copyFileSync(path.join(ARTIFACTS, 'engines-jobs.png'), SHOT);

    // Done: the folder, in the hub's cache layout, holding the files.
    const folder = entry.getByTestId('download-folder');
    await folder.waitFor();
    assert.equal(await entry.getByTestId('job-state').textContent(), 'done');
    assert.equal(await barValue(bar), 100);
    assert.ok(await entry.getByTestId('job-cancel').isHidden(), 'nothing to cancel once done');
    const where = await text(folder);
    assert.equal(where, path.join(server.home, 'models/hub/models--mistralai--Mistral-7B-Instruct-v0.3/snapshots', hub.commit));
    assert.ok(lstatSync(path.join(where, 'model.safetensors')).isSymbolicLink());
    assert.ok(readFileSync(path.join(where, 'model.safetensors')).equals(WEIGHTS), 'the weights arrived whole');
    assert.ok(existsSync(path.join(where, 'config.json')));
    assert.match(await text(entry.getByTestId('job-outcome')), /^Downloaded 4\.0 MB into /);
    await page.setViewportSize({ width: 800, height: 900 });
    await assertNoOverflow(page);
    await screenshot(page, 'engines-download-800');
    await page.setViewportSize({ width: 1280, height: 900 });

    // Before, during and after the download: nothing was polled.
    await page.waitForTimeout(2500);
    assert.equal(page.jobReads(), 0, `no reads of /api/jobs at all (${page.jobReads()})`);
  });
});

test('a download can be cancelled, and it is followed again when the page is back', async () => {
  await withJobsPage(
    'engines-download-cancelled',
    async (page, server, hub) => {
      await page.getByTestId('download-model').selectOption('mixtral-8x7b-instruct-v0.1');
      const variant = page.getByTestId('download-variant');
      assert.ok(await variant.isEnabled());
      await variant.selectOption('awq-int4');
      await page.getByTestId('download-start').click();
      const id = 'download-hugging-quants/Mixtral-8x7B-Instruct-v0.1-AWQ-INT4';
      const entry = job(page, id);
      await page.waitForFunction(
        (jobId) => Number(document.querySelector(`[data-job="${jobId}"] [data-testid="job-progress"]`)?.getAttribute('aria-valuenow')) > 0,
        id,
      );
      assert.ok(hub.requests.some((r) => r.url.startsWith('/api/models/hugging-quants/Mixtral-8x7B-Instruct-v0.1-AWQ-INT4/')), 'the chosen checkpoint is fetched');

      // Away from the page, nothing is asked; back, it follows the job again (from the stream).
      const bar = entry.getByTestId('job-progress');
      await page.getByTestId('nav-models').click();
      await page.waitForTimeout(2500);
      await page.getByTestId('nav-engines').click();
      const back = Number(await bar.getAttribute('aria-valuenow'));
      assert.ok(
        await eventually(async () => Number(await bar.getAttribute('aria-valuenow')) > back, 5000),
        'back on the page, the running job moves on screen again',
      );
      assert.equal(page.jobReads(), 0, 'no reads of /api/jobs, on the page or off it');

      await entry.getByTestId('job-cancel').click();
      const outcome = entry.getByTestId('job-outcome');
      await outcome.waitFor();
      assert.match(await text(outcome), /^Cancelled — what was fetched is kept/);
      assert.equal(await entry.getByTestId('job-state').textContent(), 'cancelled');
      assert.ok(await entry.getByTestId('job-cancel').isHidden());
    },
    { hub: { fileMs: 30_000 } },
  );
});

test('a gated model: the token is sent once and not kept; the refusal is shown', async () => {
  await withJobsPage(
    'engines-download-gated',
    async (page, server, hub) => {
      await page.getByTestId('download-model').selectOption(GATED_MODEL);
      assert.match(await text(page.locator('#download-token-hint')), /gated/);
      const token = page.getByTestId('download-token');
      assert.equal(await token.getAttribute('type'), 'password');
      await token.fill('hf_wrong_token');
      await page.getByTestId('download-start').click();
      await job(page, `download-${GATED_REPO}`).waitFor();
      assert.equal(await token.inputValue(), '', 'the token is not left in the form');

      const entry = job(page, `download-${GATED_REPO}`);
      await entry.getByTestId('job-outcome').waitFor();
      assert.equal(await entry.getByTestId('job-state').textContent(), 'failed');
      assert.match(await text(entry.getByTestId('job-outcome')), /is gated: accept its licence/);
      assert.ok(hub.requests.some((r) => r.authorization === 'Bearer hf_wrong_token'), 'the token went to the hub');
      const html = await page.content();
      assert.ok(!html.includes('hf_wrong_token'), 'the token is nowhere in the page');
    },
    { hub: { gated: { [GATED_REPO]: 'hf_right_token' } } },
  );
});

test('a bad revision is refused next to the revision field', async () => {
  await withJobsPage('engines-download-error', async (page) => {
    // No model: caught before asking the server.
    await page.getByTestId('download-start').click();
    const error = page.getByTestId('download-error');
    await error.waitFor();
    assert.equal(await error.getAttribute('data-field'), 'model');

    await page.getByTestId('download-model').selectOption(MODEL);
    assert.equal(await error.count(), 0, 'choosing a model answers its error');
    await page.getByTestId('download-revision').fill('main/../../etc');
    await page.getByTestId('download-start').click();
    await page.locator('[data-testid="download-error"][data-field="revision"]').waitFor();
    assert.equal(await page.locator('[data-field="download-revision"]').getByTestId('download-error').count(), 1, 'the error sits in the revision field');
    assert.match(await text(error), /revision must be a branch, tag or commit id/);
    assert.equal(await page.getByTestId('download-revision').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.getByTestId('download-job').count(), 0, 'nothing was started');

    await page.getByTestId('download-revision').fill('main');
    assert.equal(await error.count(), 0, 'the error goes with its cause');
  });
});

test('an install that downloads: phase, packages, bytes and package as the server reports them', async () => {
  // pip here never gets as far as downloading; the server's report of a vLLM install that
  // does is played back instead (every other call goes to the real server).
  const running = {
    id: 'install-vllm',
    kind: 'install',
    target: 'vllm',
    state: 'running',
    percent: 24.49,
    install: {
      phase: 'downloading',
      package: 'torch-2.9.0-cp311-cp311-manylinux_2_28_x86_64.whl',
      packages_total: 143,
      packages_done: 37,
      done_bytes: 1_200_000_000,
      total_bytes: 4_900_000_000,
      line: 'Progress 1200000000 of 4900000000',
    },
    download: null,
    result: null,
    error: null,
  };
  let reply = [running];
  await withJobsPage('engines-install-progress', async (page) => {
    // The live stream is played back too: each connection gets the jobs event of `reply`
    // and ends, so the page connects again (every two seconds) and gets the next.
    await page.route('**/api/events', (route) =>
      route.fulfill({ contentType: 'text/event-stream', body: `event: jobs\ndata: ${JSON.stringify(reply)}\n\n` }),
    );
    await page.reload();
    await page.getByTestId('jobs-section').waitFor();
    const row = installRow(page, 'vllm');
    const bar = row.getByTestId('job-progress');
    await bar.waitFor();
    assert.equal(await bar.getAttribute('aria-valuenow'), '24.5');
    assert.match((await bar.getAttribute('aria-valuetext')) ?? '', /^24 % · Downloading packages/);
    assert.equal(await text(row.getByTestId('job-phase')), 'Downloading packages');
    assert.equal(await text(row.getByTestId('job-percent')), '24 %');
    assert.equal(await text(row.getByTestId('job-packages')), '37 of 143 packages');
    assert.equal(await text(row.getByTestId('job-bytes')), '1.2 / 4.9 GB');
    assert.equal(await text(row.getByTestId('job-package')), running.install.package);
    await screenshot(page, 'engines-install-downloading');

    reply = [{ ...running, state: 'done', percent: 100, install: { ...running.install, phase: 'done', package: null }, result: '0.18.1' }];
    await row.getByTestId('install-version').waitFor();
    assert.equal(await text(row.getByTestId('install-version')), '0.18.1');
    assert.match(await text(row.getByTestId('job-outcome')), /^Installed: vLLM 0\.18\.1$/);
    assert.ok(await bar.isHidden());
    assert.equal(await text(row.getByTestId('install-start')), 'Install again');
  });
});

test('installing llama.cpp: a failure with Retry, then a cancelled retry', async () => {
  const index = await startFakeIndex('empty');
  // pip asks only the stand-in index: no configuration, find-links or cache from this machine.
  const env = {
    PIP_INDEX_URL: index.url,
    PIP_CONFIG_FILE: '/dev/null',
    PIP_FIND_LINKS: undefined,
    PIP_EXTRA_INDEX_URL: undefined,
    PIP_NO_CACHE_DIR: '1',
    PIP_DEFAULT_TIMEOUT: '60',
    PIP_RETRIES: '0',
  };
  let home = null;
  try {
    await withJobsPage(
      'engines-install',
      async (page, server) => {
        home = server.home;
        const vllm = installRow(page, 'vllm');
        assert.equal(await text(vllm.getByTestId('install-start')), 'Install');
        assert.match(await text(vllm), /NVIDIA GPUs/);
        const row = installRow(page, 'llama_cpp');
        const start = row.getByTestId('install-start');
        assert.equal(await text(start), 'Install');
        assert.ok(await row.getByTestId('job-progress').isHidden(), 'no bar before an install');

        await start.click();
        await row.getByTestId('job-progress').waitFor();
        assert.ok(await start.isHidden(), 'no second Install while one runs');
        assert.ok(await row.getByTestId('job-cancel').isVisible());
        assert.notEqual(await text(row.getByTestId('job-phase')), '');

        // The index has nothing: pip fails, and the row says so and offers a retry.
        const outcome = row.getByTestId('job-outcome');
        await outcome.waitFor({ timeout: 60_000 });
        assert.equal(await row.getByTestId('job-state').textContent(), 'failed');
        assert.match(await text(outcome), /failed/);
        assert.match(await text(outcome), /A retry reuses the packages already downloaded/);
        assert.equal(await text(start), 'Retry');
        assert.ok(await row.getByTestId('job-progress').isHidden());
        await screenshot(page, 'engines-install-failed');

        // A retry whose index does not answer: it runs with a striped bar until cancelled.
        index.setMode('hang');
        await start.click();
        const bar = row.getByTestId('job-progress');
        await bar.waitFor();
        await page.waitForFunction(() => /\bindeterminate\b/.test(document.querySelector('[data-engine="llama_cpp"] [data-testid="job-progress"]')?.className ?? ''));
        assert.equal(await bar.getAttribute('aria-valuenow'), null, 'no value while the amount is unknown');
        await page.waitForFunction(() => /pip|packages/i.test(document.querySelector('[data-engine="llama_cpp"] [data-testid="job-phase"]')?.textContent ?? ''), undefined, { timeout: 30_000 });
        await screenshot(page, 'engines-install-running');
        await row.getByTestId('job-cancel').click();
        await page.waitForFunction(() => document.querySelector('[data-engine="llama_cpp"] [data-testid="job-state"]')?.textContent === 'cancelled', undefined, { timeout: 20_000 });
        assert.match(await text(outcome), /^Cancelled — finished downloads are kept/);
        assert.equal(await text(start), 'Retry');
        const venvs = path.join(home, 'venvs');
        assert.ok(await eventually(() => processesWith(venvs).length === 0), `pip was stopped: ${JSON.stringify(processesWith(venvs))}`);
        assert.equal(await text(vllm.getByTestId('install-start')), 'Install', 'the other engine is untouched');
      },
      { env },
    );
  } finally {
    await index.close();
    if (home) {
      for (const { pid } of processesWith(path.join(home, 'venvs'))) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  }
});
