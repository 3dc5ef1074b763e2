// The Engines page as served by `duows serve`, in headless Chromium, with real engines:
// llama.cpp's server (llama-cpp-python, on the CPU) for a tiny GGUF file made here, started,
// watched until ready, crashed and restarted, and stopped from the page; a vLLM start that
// fails because vLLM is not installed; the launch-plan preview of a Mistral model; a bad
// GGUF path. Each test starts its own server (fresh DUOWS_HOME) and stops it when done,
// and checks that no engine process outlives it.
//
// The CPU engine is the python of `scripts/cpu-engine.sh` (DUOWS_CPU_ENGINE_PYTHON, default
// <repo>/.tools/cpu-engine/bin/python). Without it the tests that run it are skipped, or
// fail when DUOWS_REQUIRE_CPU_ENGINE=1.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { launchBrowser, processesWith, screenshot as fullPage, startServer } from '../harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(here, '../../..');
const CPU_PYTHON = path.resolve(REPO, process.env.DUOWS_CPU_ENGINE_PYTHON ?? '.tools/cpu-engine/bin/python');
const MAKE_TINY_GGUF = path.join(REPO, 'tests/engine/make_tiny_gguf.py');
const REQUIRE_CPU_ENGINE = process.env.DUOWS_REQUIRE_CPU_ENGINE === '1';
/** vLLM is never really started here: a catalog model fails with "not installed". */
const NO_VLLM = '/nonexistent/vllm';
const TIMEOUT = 10_000;
const READY_TIMEOUT = 30_000;

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

/**
 * True when the CPU engine is there. Otherwise skips the test, or fails it when
 * DUOWS_REQUIRE_CPU_ENGINE=1.
 */
function haveCpuEngine(t) {
  if (existsSync(CPU_PYTHON)) return true;
  const why = `the CPU engine is missing: no python at ${CPU_PYTHON} (make it with scripts/cpu-engine.sh, or set DUOWS_CPU_ENGINE_PYTHON)`;
  if (REQUIRE_CPU_ENGINE) assert.fail(`DUOWS_REQUIRE_CPU_ENGINE=1, but ${why}`);
  t.skip(why);
  return false;
}

/** Writes the tiny test model into a fresh temporary folder; returns its path and the folder. */
function tinyGguf() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'duows-e2e-gguf-'));
  const file = path.join(dir, 'tiny.gguf');
  execFileSync(CPU_PYTHON, [MAKE_TINY_GGUF, file], { stdio: ['ignore', 'pipe', 'pipe'] });
  return { dir, file };
}

/** The engine processes serving `modelPath` (llama.cpp's server has it on its command line). */
const enginesServing = (modelPath) => processesWith('llama_cpp.server', modelPath);

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

/**
 * Runs `fn(page, server)` against a fresh server started with `args` and `env`, on the
 * Engines page. Afterwards no process may still serve any of `models` (GGUF paths): one
 * that does is ended (by its pid) and fails the test.
 */
async function withPage(args, name, fn, { env = {}, models = [], width = 1280 } = {}) {
  const server = await startServer(args, {
    env: { DUOWS_VLLM: NO_VLLM, DUOWS_LLAMA_CPP_PYTHON: existsSync(CPU_PYTHON) ? CPU_PYTHON : undefined, ...env },
  });
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  let failed = false;
  try {
    await page.goto(`${server.url}/#/engines`);
    await page.getByTestId('engines-page').waitFor();
    await fn(page, server);
    await screenshot(page, name);
    assert.deepEqual(pageErrors, [], 'the page threw errors');
  } catch (error) {
    failed = true;
    await screenshot(page, `${name}-failed`).catch(() => undefined);
    error.message += `\n--- server output ---\n${server.output()}`;
    throw error;
  } finally {
    await context.close();
    await server.stop();
    const left = models.flatMap((model) => enginesServing(model));
    for (const { pid } of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    // Reported unless the test failed already (its own error says more).
    if (!failed) assert.deepEqual(left, [], 'engine processes outlived the server');
  }
}

/**
 * A full-page screenshot from the top, so the sticky header sits where it belongs; the
 * highlight of a new card is shown finished.
 */
async function screenshot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await fullPage(page, name, { animations: 'disabled' });
}

const card = (page, name) => page.locator(`[data-testid="engine-card"][data-engine="${name}"]`);
const text = async (locator) => ((await locator.textContent()) ?? '').trim();

/** Waits until engine `name`'s card shows `state` (its state word). */
async function waitForState(page, name, state, timeout = TIMEOUT) {
  await page.waitForFunction(
    ([n, s]) =>
      document.querySelector(`[data-testid="engine-card"][data-engine="${n}"] [data-testid="engine-state"]`)?.textContent?.trim() === s,
    [name, state],
    { timeout },
  );
}

/** Waits until the catalog filled the model list. */
async function catalogLoaded(page) {
  await page.locator('[data-testid="engine-model"] option[value="mistral-7b-instruct-v0.3"]').waitFor({ state: 'attached' });
}

/** Asserts that nothing on the Engines page is wider than the window. */
async function assertNoOverflow(page) {
  const overflow = await page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const wide = [...document.querySelectorAll('[data-testid="engines-page"] *')]
      .filter((el) => {
        const box = el.getBoundingClientRect();
        return box.width > 0 && box.right > width + 1 && !el.closest('pre');
      })
      .map((el) => `${el.tagName.toLowerCase()}.${el.className}`);
    return { scroll: document.documentElement.scrollWidth - width, wide: wide.slice(0, 5) };
  });
  assert.ok(overflow.scroll <= 0, `the page scrolls sideways by ${overflow.scroll} px: ${overflow.wide.join(', ')}`);
}

test('a GGUF file on the CPU engine: start, ready, log, stop, nothing left running', async (t) => {
  if (!haveCpuEngine(t)) return;
  const model = tinyGguf();
  try {
    await withPage(['--gpus', '1xL4'], 'engines-stopped', async (page) => {
      assert.equal(await page.getByTestId('nav-engines').getAttribute('aria-current'), 'page');
      const empty = page.getByTestId('engines-empty');
      await empty.waitFor();
      assert.match(await text(empty), /llama\.cpp/);
      assert.equal(await page.getByTestId('engine-card').count(), 0);
      await catalogLoaded(page);
      await screenshot(page, 'engines-empty');

      await page.getByTestId('engine-source-gguf').check();
      assert.ok(await page.getByTestId('engine-model').isHidden(), 'the model list gives way to the file path');
      assert.ok(await page.getByTestId('engine-plan').isHidden(), 'no launch plan for a GGUF file');
      await page.getByTestId('engine-gguf').fill(model.file);
      await page.getByTestId('engine-name').fill('tiny');
      await page.getByTestId('engine-start').click();

      const tiny = card(page, 'tiny');
      await tiny.waitFor();
      assert.ok(await empty.isHidden(), 'the empty state is gone once an engine exists');
      await waitForState(page, 'tiny', 'ready', READY_TIMEOUT);
      assert.equal(await tiny.getByTestId('engine-state').getAttribute('data-state'), 'ready');
      const logs = tiny.getByTestId('engine-logs');
      assert.ok(
        await eventually(async () => /ready/.test(await text(logs)), 5000),
        `the log tail shows "ready":\n${await text(logs)}`,
      );
      const pid = Number(await text(tiny.getByTestId('engine-pid')));
      assert.ok(pid > 0, 'the pid is shown');
      assert.match(await text(tiny.getByTestId('engine-url')), /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
      assert.equal(await text(tiny.getByTestId('engine-restarts')), '0');
      const command = await text(tiny.getByTestId('engine-command'));
      assert.match(command, /llama_cpp\.server/);
      assert.match(command, /API_KEY=<hidden>/, 'the key is hidden');
      assert.ok(command.includes(model.file), 'the command names the model file');
      assert.equal(await tiny.getByTestId('engine-failure').count(), 1);
      assert.ok(await tiny.getByTestId('engine-failure').isHidden(), 'no failure box while it runs');
      assert.equal(enginesServing(model.file).length, 1, 'one engine process serves the file');
      await screenshot(page, 'engines-ready');

      await page.setViewportSize({ width: 800, height: 900 });
      await assertNoOverflow(page);
      await screenshot(page, 'engines-800');
      await page.setViewportSize({ width: 1280, height: 900 });

      await tiny.getByTestId('engine-stop').click();
      await waitForState(page, 'tiny', 'stopped');
      assert.equal(await tiny.getAttribute('data-state'), 'stopped');
      assert.ok(await tiny.getByTestId('engine-stop').isHidden(), 'no Stop for a stopped engine');
      assert.equal(await text(tiny.getByTestId('engine-pid')), '—');
      const left = await eventually(() => enginesServing(model.file).length === 0, 5000);
      assert.ok(left, `no engine process is left: ${JSON.stringify(enginesServing(model.file))}`);
      assert.ok(!processesWith('llama_cpp.server').some((p) => p.pid === pid), `the engine's process ${pid} is gone`);
      assert.ok(await eventually(async () => /stopped/.test(await text(logs)), 5000), 'the log ends with the stop');
    }, { models: [model.file] });
  } finally {
    rmSync(model.dir, { recursive: true, force: true });
  }
});

test('an engine that dies is started again after a countdown', async (t) => {
  if (!haveCpuEngine(t)) return;
  const model = tinyGguf();
  try {
    await withPage(['--gpus', '1xL4'], 'engines-restarted', async (page) => {
      await page.getByTestId('engine-source-gguf').check();
      await page.getByTestId('engine-gguf').fill(model.file);
      await page.getByTestId('engine-name').fill('crashy');
      await page.getByTestId('engine-start').click();
      await waitForState(page, 'crashy', 'ready', READY_TIMEOUT);
      const crashy = card(page, 'crashy');
      const pid = Number(await text(crashy.getByTestId('engine-pid')));
      assert.ok(pid > 0);

      // The engine process is this test's (through its server): end it as a crash would.
      process.kill(pid, 'SIGKILL');
      await waitForState(page, 'crashy', 'backing off');
      const countdown = crashy.getByTestId('engine-countdown');
      await countdown.waitFor();
      assert.match(await text(countdown), /Starting again in \d+ s/);
      assert.equal(await crashy.getByTestId('engine-state').getAttribute('class').then((c) => /\bbusy\b/.test(c ?? '')), true, 'the badge shows it is busy');
      await screenshot(page, 'engines-backing-off');

      await waitForState(page, 'crashy', 'ready', 60_000);
      assert.equal(await text(crashy.getByTestId('engine-restarts')), '1');
      assert.ok(await countdown.isHidden());
      const again = Number(await text(crashy.getByTestId('engine-pid')));
      assert.ok(again > 0 && again !== pid, 'a new process serves it');
    }, { models: [model.file] });
  } finally {
    rmSync(model.dir, { recursive: true, force: true });
  }
});

test('a failed start whose log names the fix: one click starts it again with that change', async () => {
  // A stand-in engine: with 8,192 tokens it fails the way vLLM does when the cache holds fewer
  // ("estimated maximum model length is 4500"); with any other context it runs out of memory.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'duows-e2e-remedy-'));
  const gguf = path.join(dir, 'tiny.gguf');
  writeFileSync(gguf, 'GGUF');
  const program = path.join(dir, 'python');
  writeFileSync(
    program,
    `#!/bin/sh
case "$*" in
*'--n_ctx 8192'*) echo 'ValueError: Based on the available memory, the estimated maximum model length is 4500. Try decreasing max_model_len.' >&2 ;;
*) echo "torch.OutOfMemoryError: CUDA out of memory (started with $*)" >&2 ;;
esac
exit 1
`,
    { mode: 0o755 },
  );
  try {
    await withPage(
      ['--gpus', '1xL4'],
      'engines-remedy',
      async (page) => {
        await page.getByTestId('engine-source-gguf').check();
        await page.getByTestId('engine-gguf').fill(gguf);
        await page.getByTestId('engine-name').fill('short');
        await page.getByTestId('engine-context').fill('8192');
        await page.getByTestId('engine-start').click();
        await waitForState(page, 'short', 'failed');
        const short = card(page, 'short');
        const remedy = short.getByTestId('engine-remedy');
        await remedy.waitFor();
        assert.equal(await text(remedy), 'Lower the context to 4,096 tokens and retry');
        assert.match(await text(short.getByTestId('engine-command')), /--n_ctx 8192/);
        await screenshot(page, 'engines-remedy-offered');

        await remedy.click();
        await short.getByTestId('engine-command').filter({ hasText: '--n_ctx 4096' }).waitFor();
        await waitForState(page, 'short', 'failed');
        await remedy.waitFor({ state: 'hidden' });
        assert.match(await text(short), /out of memory/i, 'the new failure is shown, with no one-step fix');
      },
      { env: { DUOWS_LLAMA_CPP_PYTHON: program } },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a catalog model when vLLM is not installed: refused before it starts, with the fix', async () => {
  await withPage(['--gpus', '1xL4'], 'engines-failed', async (page) => {
    await catalogLoaded(page);
    assert.ok(await page.getByTestId('engine-model').isVisible(), 'a catalog model is the default choice');
    assert.equal(
      await page.locator('[data-testid="engine-model"] option[value="claude-3-5-sonnet"]').count(),
      0,
      'cloud-only models are not offered',
    );
    await page.getByTestId('engine-model').selectOption('gpt-oss-20b');
    await page.getByTestId('engine-start').click();

    // The server's start checks refuse it: the reason and the fix are shown above the form.
    const error = page.getByTestId('engine-error');
    await error.waitFor();
    assert.match(await text(error), /vLLM\b.*(not installed|does not run)/);
    assert.match(await text(error), /\/nonexistent\/vllm|duows engine install vllm/, 'the message names the program or the fix');
    assert.equal(await card(page, 'gpt-oss-20b').count(), 0, 'nothing was started');
    assert.equal(await page.getByTestId('engine-card').count(), 0);
  });
});

test('the launch plan of a Mistral model: tokenizer mode, hidden key, copyable', async () => {
  await withPage(['--gpus', '1xA100-40GB'], 'engines-plan', async (page) => {
    await catalogLoaded(page);
    await page.getByTestId('engine-model').selectOption('mistral-7b-instruct-v0.3');
    await page.getByTestId('engine-plan').click();
    const command = page.getByTestId('engine-plan-command');
    await command.waitFor();
    const line = await text(command);
    assert.match(line, /--tokenizer_mode mistral/);
    assert.match(line, /VLLM_API_KEY=<hidden>/);
    assert.match(line, /vllm serve /);
    await page.getByTestId('engine-plan-prepare').waitFor();
    assert.equal(await page.getByTestId('copy-plan').count(), 1, 'the command can be copied');
    assert.equal(await page.getByTestId('engine-card').count(), 0, 'a preview starts nothing');

    // Other settings make the preview stale: it goes.
    await page.getByTestId('engine-context').fill('8192');
    await command.waitFor({ state: 'detached' });
    await page.getByTestId('engine-plan').click();
    await command.waitFor();
    assert.match(await text(command), /--max-model-len 8192/);

    // A context longer than the model's own is refused next to the context field.
    await page.getByTestId('engine-context').fill('999999');
    await page.getByTestId('engine-plan').click();
    const error = page.getByTestId('engine-error');
    await error.waitFor();
    assert.equal(await error.getAttribute('data-field'), 'context');
    assert.equal(await page.getByTestId('engine-context').getAttribute('aria-invalid'), 'true');
    assert.equal(await command.count(), 0);
    await page.getByTestId('engine-context').fill('');
    await page.getByTestId('engine-plan').click();
    await command.waitFor();
    assert.equal(await error.count(), 0, 'the error goes with its cause');
  });
});

test('a bad GGUF path is refused next to the GGUF field', async () => {
  await withPage(['--gpus', '1xL4'], 'engines-error', async (page) => {
    await page.getByTestId('engine-source-gguf').check();

    // Empty: caught before asking the server.
    await page.getByTestId('engine-start').click();
    const error = page.getByTestId('engine-error');
    await error.waitFor();
    assert.equal(await error.getAttribute('data-field'), 'gguf');

    // A path that is no file: the server's answer, next to the field it names.
    await page.getByTestId('engine-gguf').fill('/nonexistent/model.gguf');
    await page.getByTestId('engine-start').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="engine-error"]')?.textContent?.includes('/nonexistent/model.gguf'));
    assert.equal(await error.count(), 1);
    assert.equal(await error.getAttribute('data-field'), 'gguf');
    const field = page.locator('[data-field="engine-gguf"]');
    assert.equal(await field.getByTestId('engine-error').count(), 1, 'the error sits in the GGUF field');
    assert.equal(await page.getByTestId('engine-gguf').getAttribute('aria-invalid'), 'true');
    assert.match(await text(error), /not a file/);
    assert.equal(await page.getByTestId('engine-card').count(), 0, 'nothing was started');
    await page.getByTestId('engines-empty').waitFor();
  });
});
