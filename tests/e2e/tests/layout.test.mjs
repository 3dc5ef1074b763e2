// Every page fits its window without sideways scrolling, from 1280 px down to an 800-px-wide
// window: with empty tables first, then with content in them (a gateway key, an external
// deployment, two GPUs).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser, screenshot, startServer } from '../harness.mjs';

const PAGES = ['setup', 'hardware', 'dashboard', 'models', 'engines', 'gateway', 'gitlab', 'doctor', 'settings'];
let browser;
let server;

before(async () => {
  browser = await launchBrowser();
  server = await startServer(['--gpus', '2xA100-80GB']);
});

/** Gives the tables content: a gateway key and an external deployment. */
async function fillTables() {
  const post = (path, body, method = 'POST') =>
    fetch(`${server.url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await post('/api/keys', { name: 'gitlab-production', expires_in_days: 90 });
  const settings = await (await fetch(`${server.url}/api/settings`)).json();
  settings.deployments = [
    { name: 'gpu-2', endpoint: 'http://127.0.0.1:9/v1', served_model: 'mistralai/Mistral-7B-Instruct-v0.3', api_key_env: 'GPU2_API_KEY' },
  ];
  await post('/api/settings', settings, 'PUT');
}

after(async () => {
  await server?.stop();
  await browser?.close();
});

for (const [width, filled] of [[1280, false], [800, false], [1280, true], [800, true]]) {
  const tables = filled ? 'filled tables' : 'empty tables';
  test(`no page scrolls sideways at ${width} px, ${tables}`, async () => {
    if (filled) await fillTables();
    const context = await browser.newContext({ viewport: { width, height: 900 } });
    try {
      for (const route of PAGES) {
        const page = await context.newPage();
        await page.goto(`${server.url}/#/${route}`);
        await page.locator('main.layout').waitFor();
        // Let the live data and the tables arrive.
        await page.waitForTimeout(1500);
        const overflow = await page.evaluate(() => {
          const limit = document.documentElement.clientWidth;
          const wide = [...document.querySelectorAll('body *')]
            .filter((e) => e.getBoundingClientRect().right > limit + 1)
            .slice(-3)
            .map((e) => e.getAttribute('data-testid') ?? `${e.tagName.toLowerCase()}.${e.className}`);
          return { by: document.documentElement.scrollWidth - limit, wide };
        });
        assert.equal(overflow.by, 0, `#/${route} at ${width} px (${tables}) is ${overflow.by} px too wide: ${overflow.wide.join(', ')}`);
        await screenshot(page, `layout-${route}-${width}${filled ? '-filled' : ''}`, { fullPage: true });
        await page.close();
      }
    } finally {
      await context.close();
    }
  });
}
