// A deployment with a replica, in headless Chromium against `duows serve` and its gateway:
// the form's Replicas list refuses a bad address next to the replica's field (with the /v1
// fix) and one the server refuses (listed twice); the deployment is added with the replica
// and its key variable, listed with it, and checked through it; requests through the gateway
// are all answered though the deployment's own endpoint is dead; and the dashboard shows
// that endpoint out and the replica taking the requests.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../ports.mjs';
import { launchBrowser, screenshot, startServer } from '../harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
/** An OpenAI-compatible server that wants a key (see the file). */
const FAKE_ENGINE = path.resolve(here, '../fake-llama-engine.mjs');
const TIMEOUT = 15_000;
const DEAD = 'http://127.0.0.1:9/v1';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

const text = async (locator) => ((await locator.textContent()) ?? '').trim();

/** The fake engine serving `m` on `port`, wanting `key`; resolves once it listens. */
async function startReplica(port, key) {
  const child = spawn(process.execPath, [FAKE_ENGINE, '--model_alias', 'm', '--host', '127.0.0.1', '--port', String(port)], {
    env: { ...process.env, API_KEY: key },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      if (String(chunk).includes('listening')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the replica exited (${String(code)})`)));
  });
  return child;
}

test('a deployment with a replica: the form, the list, requests through the gateway, the dashboard', async () => {
  const port = await freePort();
  const replica = await startReplica(port, 'replica-key');
  const server = await startServer(['--gpus', '1xL4'], { env: { REPLICA_KEY: 'replica-key' } });
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  try {
    await page.goto(`${server.url}/#/gateway`);
    await page.getByTestId('deployment-form').waitFor();
    await page.getByTestId('deployment-name').fill('pair');
    await page.getByTestId('deployment-endpoint').fill(DEAD);
    await page.getByTestId('deployment-served-model').fill('m');
    await page.getByTestId('deployment-replica-add').click();
    const row = page.getByTestId('deployment-replica');
    assert.equal(await row.count(), 1);

    // A missing /v1 is refused next to the replica's address, with the fix offered.
    await row.getByTestId('deployment-replica-endpoint').fill(`http://127.0.0.1:${String(port)}`);
    await page.getByTestId('deployment-add').click();
    const fix = row.getByTestId('deployment-error-fix');
    await fix.waitFor();
    assert.equal(await text(fix), `Use http://127.0.0.1:${String(port)}/v1`);
    assert.equal(await row.getByTestId('deployment-replica-endpoint').getAttribute('aria-invalid'), 'true');
    await fix.click();

    // The deployment's own address again: the server refuses it, named by the replica's place.
    const replicaUrl = `http://127.0.0.1:${String(port)}/v1`;
    await row.getByTestId('deployment-replica-endpoint').fill(DEAD);
    await page.getByTestId('deployment-add').click();
    const refused = row.getByTestId('deployment-error');
    await refused.waitFor();
    assert.match(await text(refused), /listed twice/);
    await screenshot(page, 'deployment-form-replica-refused');
    assert.deepEqual((await (await fetch(`${server.url}/api/settings`)).json()).deployments, [], 'nothing was saved');

    await row.getByTestId('deployment-replica-endpoint').fill(replicaUrl);
    await row.getByTestId('deployment-replica-key-env').fill('REPLICA_KEY');
    await page.getByTestId('deployment-add').click();
    const listed = page.locator('[data-testid="deployment-row"][data-name="pair"]');
    await listed.waitFor();
    assert.equal(await page.getByTestId('deployment-replica').count(), 0, 'the form is emptied');
    assert.equal(await text(listed.getByTestId('deployment-replica-url')), `+ ${replicaUrl} key $REPLICA_KEY`);
    const saved = (await (await fetch(`${server.url}/api/settings`)).json()).deployments[0];
    assert.deepEqual(saved.replicas, [{ endpoint: replicaUrl, api_key_env: 'REPLICA_KEY' }]);
    // Checked through the replica: its own endpoint is dead, the replica serves the model.
    await listed.locator('[data-testid="deployment-state"][data-status="reachable"]').waitFor();

    // Every request through the gateway is answered: the dead endpoint is tried once,
    // taken out, and the request goes on to the replica.
    for (let i = 0; i < 4; i += 1) {
      const response = await fetch(`${server.gateway}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'pair', messages: [{ role: 'user', content: 'hi' }] }),
      });
      assert.equal(response.status, 200, await response.text());
    }
    const metrics = await (await fetch(`${server.gateway.replace(/\/v1$/, '')}/metrics`)).text();
    assert.match(metrics, new RegExp(`duows_gateway_replica_up\\{deployment="pair",replica="${DEAD}"\\} 0`));

    await page.goto(`${server.url}/#/dashboard`);
    const out = page.locator(`[data-testid="dash-replica"][data-replica="${DEAD}"]`);
    const up = page.locator(`[data-testid="dash-replica"][data-replica="${replicaUrl}"]`);
    await out.waitFor();
    assert.equal(await out.getAttribute('data-state'), 'out');
    assert.equal(await up.getAttribute('data-state'), 'up');
    await page.waitForFunction(
      (url) => document.querySelector(`[data-testid="dash-replica"][data-replica="${url}"] td:nth-of-type(3)`)?.textContent === '4',
      replicaUrl,
    );
    assert.equal(await text(out.locator('td').nth(4)), '1', 'the dead endpoint failed one request, sent on');
    await screenshot(page, 'dashboard-replicas');
    assert.deepEqual(pageErrors, [], 'the page threw errors');
  } catch (error) {
    await screenshot(page, 'replicas-failed').catch(() => undefined);
    error.message += `\n--- server output ---\n${server.output()}`;
    throw error;
  } finally {
    await context.close();
    await server.stop();
    replica.kill('SIGTERM');
  }
});
