// The setup wizard walked as a new user would, in headless Chromium against `duows serve` on
// a described laptop (a 6 GB GPU: the CPU path), with weights from a stand-in hub and the real
// CPU engine (llama.cpp's server): Welcome → System check → Duo features → the catalog's GGUF
// file of Llama 3.1 8B → the engine found → the weights downloaded with one progress bar →
// launched until it answered → the features routed and a key made → GitLab's values by hand →
// Done, where the shown endpoint and key get a chat answer from this test, outside the page.
// Midway, a second page opened at `/` resumes at the step whose result is missing. Every step
// is saved as a screenshot (artifacts/setup-*.png).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { startFakeHub } from '../fake-hub.mjs';
import { launchBrowser, processesWith, screenshot, startServer } from '../harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(here, '../../..');
const CPU_PYTHON = path.resolve(REPO, process.env.DUOWS_CPU_ENGINE_PYTHON ?? '.tools/cpu-engine/bin/python');
const MAKE_TINY_GGUF = path.join(REPO, 'tests/engine/make_tiny_gguf.py');
const REQUIRE_CPU_ENGINE = process.env.DUOWS_REQUIRE_CPU_ENGINE === '1';
const LAPTOP = path.join(REPO, 'fixtures/hardware/laptop-rtx3060-6gb.json');
const MODEL = 'llama-3.1-8b-instruct';
const GGUF_FILE = 'Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

const text = async (locator) => ((await locator.textContent()) ?? '').trim();

/** The step the rail marks as shown. */
async function shownStep(page) {
  return page.locator('[data-testid^="setup-step-"][aria-current="step"]').getAttribute('data-testid');
}

async function waitForStep(page, id, timeout = 15_000) {
  await page.locator(`[data-testid="setup-panel"][data-step="${id}"]`).waitFor({ timeout });
}

async function shot(page, name) {
  await screenshot(page, `setup-${name}`, { animations: 'disabled' });
}

test('the wizard, walked on the CPU path, ends in a working endpoint and key', async (t) => {
  if (!existsSync(CPU_PYTHON)) {
    const why = `the CPU engine is missing: no python at ${CPU_PYTHON} (make it with scripts/cpu-engine.sh, or set DUOWS_CPU_ENGINE_PYTHON)`;
    if (REQUIRE_CPU_ENGINE) assert.fail(`DUOWS_REQUIRE_CPU_ENGINE=1, but ${why}`);
    t.skip(why);
    return;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'duows-e2e-setup-'));
  const tiny = path.join(dir, 'tiny.gguf');
  execFileSync(CPU_PYTHON, [MAKE_TINY_GGUF, tiny], { stdio: ['ignore', 'pipe', 'pipe'] });
  const hub = await startFakeHub({ files: { [GGUF_FILE]: readFileSync(tiny) }, fileMs: 4000 });
  const server = await startServer(['--gpus', LAPTOP], {
    env: { HF_ENDPOINT: hub.url, PIP_INDEX_URL: hub.url, HF_TOKEN: undefined, DUOWS_VLLM: '/nonexistent/vllm', DUOWS_LLAMA_CPP_PYTHON: CPU_PYTHON },
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  try {
    // A first visit goes to the wizard.
    await page.goto(`${server.url}/`);
    await waitForStep(page, 'welcome');
    assert.equal(new URL(page.url()).hash, '#/setup');
    await page.getByTestId('setup-recommended').waitFor();
    assert.match(await text(page.getByTestId('setup-download-size')), /GiB$/);
    assert.match(await text(page.getByTestId('setup-free-disk')), /GiB free/);
    await shot(page, '01-welcome');
    await page.getByTestId('setup-path-recommended').check();
    await page.getByTestId('setup-welcome-next').click();

    // System check: read-only, one line per thing, the hub reached.
    await waitForStep(page, 'check');
    await page.locator('[data-testid="setup-check-line"][data-area="disk"]').waitFor();
    const hubLine = page.locator('[data-testid="setup-check-line"]').filter({ hasText: 'Model hub' });
    assert.equal(await hubLine.getAttribute('data-status'), 'pass', await text(hubLine));
    assert.equal(await page.locator('[data-testid="setup-check-line"][data-area="cuda"]').getAttribute('data-status'), 'skip', 'described hardware: CUDA is not checked');
    await shot(page, '02-check');
    await page.getByTestId('setup-check-next').click();

    // Features: the generally available ones ticked; one taken out.
    await waitForStep(page, 'features');
    await page.locator('[data-testid="setup-feature"][data-feature="duo_chat"]').waitFor();
    assert.ok(await page.locator('[data-testid="setup-feature"][data-feature="duo_chat"]').isChecked());
    await page.locator('[data-testid="setup-feature"][data-feature="duo_chat_explain_code"]').uncheck();
    await shot(page, '03-features');
    await page.getByTestId('setup-features-next').click();

    // Model: the GGUF file of Llama 3.1 8B on the CPU, rated for the chosen features.
    await waitForStep(page, 'model');
    const option = page.locator(`[data-testid="setup-model-option"][data-model="${MODEL}"][data-engine="llama_cpp"]`).first();
    await option.waitFor();
    await option.check();
    assert.match(await text(page.locator('label', { has: option }).getByTestId('setup-model-rated')), /^Rated for [1-9]/);
    await shot(page, '04-model');
    await page.getByTestId('setup-model-next').click();

    // The engine is found (the CPU engine's python), so the wizard moves on to the weights.
    await waitForStep(page, 'weights');
    assert.equal(await page.getByTestId('setup-step-engine').getAttribute('data-state'), 'done');
    assert.match(await text(page.getByTestId('setup-step-model')), /Llama 3\.1 8B Instruct/, 'the rail names the model as the catalog does');
    const status = await (await fetch(`${server.url}/api/setup`)).json();
    assert.deepEqual([status.choices.model, status.choices.engine, status.choices.gguf], [MODEL, 'llama_cpp', 'Q4_K_M']);
    assert.ok(!status.choices.features.includes('duo_chat_explain_code'));

    // Closed and opened again: the wizard resumes at the step whose result is missing.
    const second = await context.newPage();
    await second.goto(`${server.url}/`);
    await waitForStep(second, 'weights');
    assert.equal(await shownStep(second), 'setup-step-weights');
    await second.close();

    // Weights: one bar with bytes, rate and time left while the stand-in hub sends them.
    await page.getByTestId('setup-weights-download').click();
    await page.locator('[data-testid="setup-weights-job"][data-state="running"]').waitFor();
    await page.waitForFunction(() => /^(?!0\.0 )\d/.test(document.querySelector('[data-testid="setup-weights-job-text"]')?.textContent ?? ''));
    await shot(page, '05-weights');
    await waitForStep(page, 'launch', 30_000);

    // Launch: the real engine starts and answers.
    await page.getByTestId('setup-launch-start').click();
    await page.locator('[data-testid="setup-launch-state"][data-state]').waitFor();
    await shot(page, '06-launch');
    await waitForStep(page, 'gateway', 60_000);

    // Gateway: every rated feature routed in one click, and a key.
    await page.getByTestId('setup-gateway-route').click();
    await page.waitForFunction(() => {
      const routed = document.querySelector('[data-testid="setup-gateway-routed"]')?.textContent ?? '';
      const error = document.querySelector('[data-testid="setup-step-error"]:not([hidden])')?.textContent ?? '';
      return /^\d+ features? routed to/.test(routed) || error !== '';
    });
    assert.match(await text(page.getByTestId('setup-gateway-routed')), /^\d+ features? routed to/, await text(page.getByTestId('setup-step-error')));
    await page.getByTestId('setup-gateway-route').filter({ hasText: 'Route again' }).waitFor();
    await shot(page, '07-gateway');
    // Opening the gateway to the network needs a key first: refused with that reason.
    assert.match(await text(page.getByTestId('setup-gateway-network')), /only this machine reaches it/);
    await page.getByTestId('setup-gateway-open').click();
    await page.getByTestId('setup-gateway-network-error').filter({ hasText: 'create an API key first' }).waitFor();
    await page.getByTestId('setup-key-name').fill('gitlab-test');
    await page.getByTestId('setup-key-create').click();

    // GitLab: with the key made, the gateway opens to the network (same port, every
    // interface) and, for this machine-local test, goes back to this machine only.
    await waitForStep(page, 'gitlab');
    const gatewayPort = new URL(server.gateway).port;
    await page.getByTestId('setup-gitlab-open').click();
    await page.getByTestId('setup-gitlab-network').filter({ hasText: `listens on 0.0.0.0:${gatewayPort}` }).waitFor();
    assert.equal(await text(page.getByTestId('setup-gitlab-open')), 'Close the gateway to other machines');
    await shot(page, '08-gitlab-network');
    await page.getByTestId('setup-gitlab-open').click();
    await page.getByTestId('setup-gitlab-network').filter({ hasText: `listens on 127.0.0.1:${gatewayPort}` }).waitFor();
    // The values to type in by hand.
    await page.getByTestId('setup-gitlab-address').fill('gpu-1.lan:8000');
    // The address typed is checked against where the gateway listens (this machine only, and
    // on another port than 8000 in this test).
    const reach = await text(page.getByTestId('setup-gitlab-reach'));
    assert.match(reach, /listens on this machine only/);
    assert.match(reach, new RegExp(`GitLab is given port 8000, but the gateway listens on port ${gatewayPort}: use gpu-1\\.lan:${gatewayPort}\\.`));
    await page.getByTestId('setup-gitlab-steps').click();
    await page.getByTestId('gitlab-steps').waitFor();
    await shot(page, '08-gitlab');
    await page.getByTestId('setup-gitlab-entered').click();

    // Done: the endpoint, the identifiers, the key once, and a real answer through the gateway.
    await waitForStep(page, 'done');
    await page.getByTestId('setup-test-answer').waitFor({ timeout: 60_000 });
    const endpoint = await text(page.getByTestId('setup-endpoint'));
    const secret = await text(page.getByTestId('setup-key-secret'));
    assert.equal(new URL(endpoint).port, new URL(server.gateway).port, `${endpoint} is this server's gateway`);
    assert.equal(await text(page.getByTestId('setup-gitlab-endpoint')), 'http://gpu-1.lan:8000/v1', 'GitLab gets the address it reaches this machine at');
    assert.match(await text(page.getByTestId('setup-done-reach')), new RegExp(`use gpu-1\\.lan:${gatewayPort}`), 'what would stop GitLab is said again at the end');
    assert.match(secret, /\S{20,}/);
    assert.ok((await page.getByTestId('setup-identifier').count()) > 0, 'the identifiers GitLab needs are listed');
    await shot(page, '09-done');

    // This test, not the page, uses the shown endpoint and key.
    const auth = { Authorization: `Bearer ${secret}` };
    const listed = await (await fetch(`${endpoint}/models`, { headers: auth })).json();
    const alias = listed.data.map((m) => m.id).find((id) => id === 'duo-chat') ?? listed.data[0]?.id;
    assert.ok(alias, `the gateway lists the routed features: ${JSON.stringify(listed)}`);
    const chat = await fetch(`${endpoint}/chat/completions`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: alias, messages: [{ role: 'user', content: 'Write a haiku about GPUs.' }], max_tokens: 8 }),
    });
    const answer = await chat.json();
    assert.equal(chat.status, 200, JSON.stringify(answer));
    assert.equal(typeof answer.choices[0].message.content, 'string');
    const refused = await fetch(`${endpoint}/models`);
    assert.equal(refused.status, 401, 'without the key the gateway refuses');

    // A step already done opens again from the rail and stays quiet: the Launch step of a
    // ready engine reads where the setup stands once, not over and over.
    const setupReads = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/api/setup' && request.method() === 'GET') setupReads.push(Date.now());
    });
    await page.getByTestId('setup-step-launch').click();
    await waitForStep(page, 'launch');
    assert.match(await text(page.getByTestId('setup-launch-state')), /is ready: it answered a real request/);
    await page.waitForTimeout(2000);
    assert.ok(setupReads.length <= 3, `the Launch step of a ready engine read /api/setup ${setupReads.length} times in 2 s`);
    await page.getByTestId('setup-step-done').click();
    await waitForStep(page, 'done');

    // Finished: the dashboard, and the next visit no longer starts in the wizard but on the
    // page last shown.
    await page.getByTestId('setup-finish').click();
    await page.getByTestId('dashboard-page').waitFor();
    await page.getByTestId('nav-models').click();
    await page.getByTestId('models-page').waitFor();
    await page.goto(`${server.url}/`);
    await page.getByTestId('models-page').waitFor();
    assert.equal(new URL(page.url()).hash, '#/models');
    assert.deepEqual(pageErrors, [], 'the page threw errors');
  } catch (error) {
    await shot(page, 'failed').catch(() => undefined);
    error.message += `\n--- server output ---\n${server.output()}`;
    throw error;
  } finally {
    await context.close();
    await server.stop();
    await hub.close();
    const left = processesWith('llama_cpp.server', GGUF_FILE);
    for (const { pid } of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(left, [], 'engine processes outlived the server');
  }
});

test('planning only: nothing installed or started, and the command line a start would run', async () => {
  const server = await startServer(['--gpus', '2xA100-80GB'], { env: { DUOWS_VLLM: '/nonexistent/vllm' } });
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  try {
    await page.goto(`${server.url}/#/setup`);
    await waitForStep(page, 'welcome');
    await page.getByTestId('setup-path-plan_only').check();
    await page.getByTestId('setup-welcome-next').click();
    await waitForStep(page, 'check');
    await page.locator('[data-testid="setup-check-line"]').first().waitFor();
    await page.getByTestId('setup-check-next').click();
    await waitForStep(page, 'features');
    await page.locator('[data-testid="setup-feature"]').first().waitFor();
    await page.getByTestId('setup-features-next').click();
    await waitForStep(page, 'model');
    const first = page.locator('[data-testid="setup-model-option"]').first();
    await first.waitFor();
    assert.equal(await first.getAttribute('data-engine'), 'vllm', 'on two A100s the first choice runs on vLLM');
    await page.getByTestId('setup-model-next').click();
    await waitForStep(page, 'done');
    for (const id of ['engine', 'weights', 'launch', 'gateway', 'gitlab']) {
      assert.equal(await page.getByTestId(`setup-step-${id}`).getAttribute('data-state'), 'skipped', id);
    }
    const command = await text(page.getByTestId('setup-plan-command'));
    assert.match(command, /vllm serve .* --tensor-parallel-size \d/);
    assert.match(command, /VLLM_API_KEY=<hidden>/);
    await shot(page, '10-plan-only');
    assert.deepEqual(pageErrors, [], 'the page threw errors');
  } catch (error) {
    await shot(page, 'plan-only-failed').catch(() => undefined);
    error.message += `\n--- server output ---\n${server.output()}`;
    throw error;
  } finally {
    await context.close();
    await server.stop();
  }
});
