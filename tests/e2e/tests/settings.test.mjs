// The Settings page in headless Chromium against `duows serve`: a models folder checked as it
// is typed, a refused hardware spec placed at its field, a save that keeps a change another
// program made meanwhile, the gateway opened to the network and closed again, the theme
// override kept across a reload, and the setup wizard opened again.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser, screenshot, startServer } from '../harness.mjs';

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

const json = async (server, path, init) => (await fetch(`${server.url}${path}`, init)).json();
const text = async (locator) => ((await locator.textContent()) ?? '').trim();

test('settings: checked as typed, refused at the field, saved without losing another change', async () => {
  const server = await startServer(['--gpus', '1xL4']);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  try {
    await page.goto(`${server.url}/#/settings`);
    await page.getByTestId('settings-page').waitFor();
    await page.getByTestId('settings-disk').filter({ hasText: 'GiB free' }).waitFor();

    // Checked as typed once the field was left.
    const dir = page.getByTestId('settings-models-dir');
    await dir.fill('models/here');
    await dir.blur();
    await page.locator('[data-testid="settings-error"][data-field="models_dir"]').waitFor();
    assert.equal(await dir.getAttribute('aria-invalid'), 'true');
    await dir.fill(`${server.home}/weights`);
    await page.locator('[data-testid="settings-error"]').waitFor({ state: 'detached' });

    // The server refuses a bad spec next to its field; nothing is written.
    await page.getByTestId('settings-planned').fill('3xFOO');
    await page.getByTestId('settings-save').click();
    await page.locator('[data-testid="settings-error"][data-field="planned_hardware"]').waitFor();
    assert.equal((await json(server, '/api/settings')).models_dir, null);
    await screenshot(page, 'settings-refused');

    // Another program routes a feature meanwhile; the save keeps it.
    const settings = await json(server, '/api/settings');
    settings.log_prompts = false;
    settings.planned_hardware = '2xA100-80GB';
    const put = await fetch(`${server.url}/api/settings`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(settings) });
    assert.equal(put.status, 200, await put.text());
    await page.getByTestId('settings-planned').fill('2xL40S');
    await page.getByTestId('settings-beta').check();
    await page.getByTestId('settings-save').click();
    await page.getByTestId('settings-saved').filter({ hasText: 'Saved' }).waitFor();
    const after = await json(server, '/api/settings');
    assert.equal(after.models_dir, `${server.home}/weights`);
    assert.equal(after.planned_hardware, '2xL40S');
    assert.equal(after.show_beta_features, true);

    // The gateway's network switch: refused without a key, then open (the same port on every
    // interface, saved), then back to this machine only.
    const gatewayPort = new URL(server.gateway).port;
    const networkSwitch = page.getByTestId('settings-gateway-switch');
    assert.equal(await text(networkSwitch), 'Open the gateway to the network');
    await networkSwitch.click();
    await page.getByTestId('settings-network-error').filter({ hasText: 'create an API key first' }).waitFor();
    await screenshot(page, 'settings-network-refused');
    const made = await fetch(`${server.url}/api/keys`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'gitlab' }) });
    assert.equal(made.status, 200, await made.text());
    await networkSwitch.click();
    await page.getByTestId('settings-gateway').filter({ hasText: `0.0.0.0:${gatewayPort} (other machines, with a key)` }).waitFor();
    assert.equal(await text(networkSwitch), 'Close the gateway to other machines');
    assert.equal(await page.getByTestId('settings-network-error').isHidden(), true);
    assert.equal((await json(server, '/api/settings')).gateway_open_to_network, true);
    assert.equal((await fetch(`${new URL(server.gateway).origin}/metrics`)).status, 401, 'off loopback /metrics needs a key');
    await screenshot(page, 'settings-network-open');
    await networkSwitch.click();
    await page.getByTestId('settings-gateway').filter({ hasText: `127.0.0.1:${gatewayPort} (this machine only)` }).waitFor();
    assert.equal((await json(server, '/api/settings')).gateway_open_to_network, false);

    // The theme override: applied at once, kept across a reload.
    await page.getByTestId('settings-theme').selectOption('light');
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'light');
    await page.reload();
    await page.getByTestId('settings-page').waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'light');
    assert.equal(await page.getByTestId('theme-select').inputValue(), 'light');
    await screenshot(page, 'settings-light');

    // The wizard again.
    await page.getByTestId('settings-setup-again').click();
    await page.getByTestId('setup-page').waitFor();
    assert.equal(new URL(page.url()).hash, '#/setup');
    assert.deepEqual(pageErrors, [], 'the page threw errors');
  } catch (error) {
    await screenshot(page, 'settings-failed').catch(() => undefined);
    error.message += `\n--- server output ---\n${server.output()}`;
    throw error;
  } finally {
    await context.close();
    await server.stop();
  }
});
