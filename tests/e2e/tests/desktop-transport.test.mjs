// The desktop transport path of ui/src/transport.ts, without a desktop shell: the page gets
// a stand-in `window.__TAURI_INTERNALS__` whose `invoke` answers from the real server's HTTP
// API and whose `subscribe_events` feeds a Channel with `{ kind, data }` events read from the
// server. Checks that the UI picks IPC over fetch, passes the contract's arguments, follows
// the event stream and shows a rejected call's message.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { installFakeIpc } from '../fake-ipc.mjs';
import { launchBrowser, screenshot, startServer } from '../harness.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test('inside the desktop shell the UI calls commands over IPC', async () => {
  const server = await startServer(['--gpus', '1xL4']);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  try {
    await page.addInitScript(installFakeIpc);
    await page.goto(`${server.url}/#/hardware`);
    await page.getByTestId('gpu-card').first().waitFor();
    await page.waitForFunction(
      () => Number(document.querySelector('[data-testid="sample-time"]')?.getAttribute('data-count')) >= 2,
    );

    await page.getByTestId('plan-spec').fill('3xFOO');
    await page.getByTestId('plan-submit').click();
    await page.getByTestId('plan-error').waitFor();
    assert.notEqual(((await page.getByTestId('plan-error').textContent()) ?? '').trim(), '');
    await screenshot(page, 'desktop-transport');

    const calls = await page.evaluate(() => window.__ipcCalls);
    const names = calls.map((c) => c.cmd);
    for (const name of ['version', 'hardware', 'subscribe_events', 'sample_history', 'describe_hardware']) {
      assert.ok(names.includes(name), `${name} was not invoked (got ${names.join(', ')})`);
    }
    assert.equal(names.filter((n) => n === 'subscribe_events').length, 1, 'one subscription for the whole page');
    assert.match(calls.find((c) => c.cmd === 'subscribe_events').args.onEvent, /^__CHANNEL__:\d+$/);
    assert.ok(!names.includes('subscribe_samples'), 'the samples come with the event stream');
    for (const call of calls.filter((c) => c.cmd === 'sample_history')) assert.deepEqual(Object.keys(call.args).sort(), ['minutes', 'points']);
    assert.deepEqual(calls.find((c) => c.cmd === 'describe_hardware').args, { spec: '3xFOO' });
  } finally {
    await context.close();
    await server.stop();
  }
});

test('inside the desktop shell the Models page passes { params }', async () => {
  const server = await startServer(['--gpus', '1xL4']);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  try {
    await page.addInitScript(installFakeIpc);
    await page.goto(`${server.url}/#/models`);
    await page.getByTestId('model-card').first().waitFor();

    await page.getByTestId('models-context').fill('8192');
    await page.getByTestId('models-concurrency').fill('2');
    await page.getByTestId('models-apply').click();
    await page.waitForFunction(() => window.__ipcCalls.filter((c) => c.cmd === 'recommend').length >= 2);
    await page.waitForFunction(() => !document.querySelector('.models-results')?.classList.contains('busy'));

    await page.getByTestId('models-gpus').fill('3xFOO');
    await page.getByTestId('models-apply').click();
    await page.locator('[data-testid="models-error"][data-field="gpus"]').waitFor();
    await screenshot(page, 'desktop-models');

    const calls = await page.evaluate(() => window.__ipcCalls);
    const names = calls.map((c) => c.cmd);
    for (const name of ['catalog', 'recommend']) {
      assert.ok(names.includes(name), `${name} was not invoked (got ${names.join(', ')})`);
    }
    const recommends = calls.filter((c) => c.cmd === 'recommend');
    for (const call of recommends) assert.deepEqual(Object.keys(call.args), ['params']);
    const applied = recommends[1].args.params;
    assert.equal(applied.context, 8192);
    assert.equal(applied.concurrency, 2);
    assert.equal(applied.gpus, undefined, 'this machine is not sent as a spec');
    assert.equal(recommends[2].args.params.gpus, '3xFOO');
  } finally {
    await context.close();
    await server.stop();
  }
});

test('inside the desktop shell the Engines page passes { params } and { name, lines }, and follows the event stream', async () => {
  // llama.cpp's server "installed" as a python that lacks it: it starts, then fails.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'duows-e2e-desktop-'));
  const gguf = path.join(dir, 'not-a-model.gguf');
  writeFileSync(gguf, 'GGUF');
  const server = await startServer(['--gpus', '1xL4'], { env: { DUOWS_VLLM: '/nonexistent/vllm', DUOWS_LLAMA_CPP_PYTHON: process.env.DUOWS_E2E_PYTHON ?? '/usr/bin/python3' } });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  try {
    await page.addInitScript(installFakeIpc);
    await page.goto(`${server.url}/#/engines`);
    await page.getByTestId('engines-empty').waitFor();
    await page.locator('[data-testid="engine-model"] option[value="gpt-oss-20b"]').waitFor({ state: 'attached' });
    await page.getByTestId('engine-model').selectOption('gpt-oss-20b');
    await page.getByTestId('engine-context').fill('8192');
    await page.getByTestId('engine-plan').click();
    await page.getByTestId('engine-plan-command').waitFor();
    await page.getByTestId('engine-source-gguf').check();
    await page.getByTestId('engine-gguf').fill(gguf);
    await page.getByTestId('engine-name').fill('tiny');
    await page.getByTestId('engine-start').click();
    await page.waitForFunction(
      () => document.querySelector('[data-engine="tiny"] [data-testid="engine-state"]')?.textContent === 'failed',
    );
    await page.waitForFunction(() => window.__ipcCalls.some((c) => c.cmd === 'engine_logs'));

    // A refused download: the error object the shell rejects with lands next to its field.
    await page.getByTestId('download-model').selectOption('gpt-oss-20b');
    await page.getByTestId('download-revision').fill('a/../b');
    await page.getByTestId('download-start').click();
    await page.locator('[data-testid="download-error"][data-field="revision"]').waitFor();
    await screenshot(page, 'desktop-engines');

    const calls = await page.evaluate(() => window.__ipcCalls);
    const names = calls.map((c) => c.cmd);
    for (const name of ['subscribe_events', 'engine_plan', 'engine_start', 'engine_logs', 'model_download']) {
      assert.ok(names.includes(name), `${name} was not invoked (got ${[...new Set(names)].join(', ')})`);
    }
    for (const name of ['engine_status', 'jobs']) assert.ok(!names.includes(name), `${name} is not polled: the event stream brings it`);
    assert.deepEqual(calls.find((c) => c.cmd === 'engine_plan').args, { params: { model: 'gpt-oss-20b', context: 8192 } });
    assert.deepEqual(calls.find((c) => c.cmd === 'engine_start').args, { params: { gguf, name: 'tiny', context: 8192 } });
    assert.deepEqual(calls.find((c) => c.cmd === 'engine_logs').args, { name: 'tiny', lines: 40 });
    assert.match(calls.find((c) => c.cmd === 'subscribe_events').args.onEvent, /^__CHANNEL__:\d+$/);
    assert.deepEqual(calls.find((c) => c.cmd === 'model_download').args, { params: { model: 'gpt-oss-20b', revision: 'a/../b' } });
  } finally {
    await context.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('inside the desktop shell the Gateway page passes { params } and { settings }', async () => {
  const server = await startServer(['--gpus', '1xL4']);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  try {
    await page.addInitScript(installFakeIpc);
    await page.goto(`${server.url}/#/gateway`);
    await page.getByTestId('gateway-endpoint').waitFor();
    await page.locator('[data-testid="route-row"][data-feature="duo_chat"]').waitFor();

    await page.getByTestId('key-name').fill('gitlab');
    await page.getByTestId('key-expiry').fill('7');
    await page.getByTestId('key-create').click();
    await page.getByTestId('key-secret-box').waitFor();
    assert.match((await page.getByTestId('key-secret').textContent()) ?? '', /^dwk_/);
    await page.getByTestId('key-secret-dismiss').click();
    await page.getByTestId('key-revoke').click();
    await page.getByTestId('key-revoke-confirm').click();
    await page.locator('[data-testid="key-row"][data-state="revoked"]').waitFor();

    // A refused deployment: the error object the shell rejects with lands next to its field.
    await page.getByTestId('deployment-name').fill('gpu-2');
    await page.getByTestId('deployment-endpoint').fill('gpu-2:8000');
    await page.getByTestId('deployment-served-model').fill('m');
    await page.getByTestId('deployment-add').click();
    await page.locator('[data-testid="deployment-error"][data-field="endpoint"]').waitFor();
    await page.getByTestId('deployment-endpoint').fill('http://127.0.0.1:9/v1');
    await page.getByTestId('deployment-add').click();
    const chat = page.locator('[data-testid="route-row"][data-feature="duo_chat"]');
    await chat.locator('[data-testid="route-select"] option[value="gpu-2"]').waitFor({ state: 'attached' });
    await chat.getByTestId('route-select').selectOption('gpu-2');
    await chat.locator('[data-testid="route-status"][data-state="saved"]').waitFor();
    await screenshot(page, 'desktop-gateway');

    const calls = await page.evaluate(() => window.__ipcCalls);
    const names = calls.map((c) => c.cmd);
    for (const name of ['keys', 'key_create', 'key_revoke', 'settings', 'update_settings']) {
      assert.ok(names.includes(name), `${name} was not invoked (got ${[...new Set(names)].join(', ')})`);
    }
    // The gateway view after each change comes through the event stream, never read back.
    assert.ok(!names.includes('gateway_info'), `gateway_info was invoked (got ${[...new Set(names)].join(', ')})`);
    assert.deepEqual(calls.find((c) => c.cmd === 'keys').args, {});
    assert.deepEqual(calls.find((c) => c.cmd === 'settings').args, {});
    assert.deepEqual(calls.find((c) => c.cmd === 'key_create').args, { params: { name: 'gitlab', expires_in_days: 7 } });
    const [key] = await (await fetch(`${server.url}/api/keys`)).json();
    assert.deepEqual(calls.find((c) => c.cmd === 'key_revoke').args, { params: { id: key.id } });
    const updates = calls.filter((c) => c.cmd === 'update_settings');
    for (const call of updates) assert.deepEqual(Object.keys(call.args), ['settings']);
    const last = updates.at(-1).args.settings;
    assert.deepEqual(last.features, { duo_chat: 'gpu-2' });
    assert.deepEqual(last.deployments, [
      { name: 'gpu-2', platform: 'openai_compatible', endpoint: 'http://127.0.0.1:9/v1', served_model: 'm', family: null, region: null, api_key_env: null, api_key_stored: false },
    ]);
    assert.equal(last.version, 5);
  } finally {
    await context.close();
    await server.stop();
  }
});
