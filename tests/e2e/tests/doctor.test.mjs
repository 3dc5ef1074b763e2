// The Doctor page as served by `duows serve` on described hardware, in headless Chromium:
// the chain in order, one row per step with its status and fix; a deployment that does not
// answer fails, and so does the request through the gateway that depends on it; "Check
// again" runs the checks once more. The screenshot is in artifacts/doctor.png.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser, putSettings, screenshot, startServer } from '../harness.mjs';

const TIMEOUT = 15_000;

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test('the doctor lists the chain with each failure and its fix', async () => {
  const server = await startServer(['--gpus', '1xA100-80GB']);
  try {
    const settings = {
      version: 5,
      deployments: [{ name: 'remote', endpoint: 'http://127.0.0.1:9/v1', served_model: 'm' }],
      features: { duo_chat: 'remote' },
    };
    await putSettings(server, settings);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${server.url}/#/doctor`);
    const lines = page.getByTestId('doctor-line');
    await lines.first().waitFor({ timeout: TIMEOUT });
    const areas = await lines.evaluateAll((rows) => rows.map((r) => r.dataset.area));
    // In the chain's order (the gateway has two rows here: its loopback address, its request).
    assert.deepEqual([...new Set(areas)], ['driver', 'engine', 'deployment', 'gateway', 'ai_gateway', 'gitlab']);
    const deployment = page.locator('[data-testid="doctor-line"][data-area="deployment"]');
    assert.equal(await deployment.getAttribute('data-status'), 'fail');
    assert.match(await deployment.textContent(), /127\.0\.0\.1:9/);
    const gateway = page.locator('[data-testid="doctor-line"][data-area="gateway"]').last();
    assert.equal(await gateway.getAttribute('data-status'), 'fail');
    assert.match(await gateway.getByTestId('doctor-fix').textContent(), /deployment remote/);
    assert.match(await page.getByTestId('doctor-summary').textContent(), /2 steps failed/);
    await screenshot(page, 'doctor');
    // Check again: the deployment is gone, so neither it nor the gateway request fails.
    settings.deployments = [];
    settings.features = {};
    await putSettings(server, settings);
    await page.getByTestId('doctor-run').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="doctor-summary"]')?.textContent?.startsWith('Nothing failed'), null, { timeout: TIMEOUT });
    await page.close();
  } finally {
    await server.stop();
  }
});
