// The hardware overview as served by `duows serve`, in headless Chromium: described GPUs,
// zero GPUs, no driver, the "plan for other hardware" form, and the live sample stream.
// Each test starts its own server (fresh DUOWS_HOME) and stops it when done.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { hasNvidiaDriver, launchBrowser, screenshot, startServer } from '../harness.mjs';

const TIMEOUT = 10_000;
let browser;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

/** Runs `fn(page, server)` against a fresh server started with `args`; screenshots the end state. */
async function withPage(args, name, fn) {
  const server = await startServer(args);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  try {
    // The hardware overview by name: a fresh server opens on the setup wizard.
    await page.goto(`${server.url}/#/hardware`);
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

/** The GiB figure shown as a card's memory total, e.g. 79.2 for "79.2 GiB". */
async function memoryTotalGb(card) {
  const text = await card.getByTestId('gpu-memory-total').textContent();
  const match = /([\d.]+)\s*GiB/.exec(text ?? '');
  assert.ok(match, `memory total "${text}" is not in GiB`);
  return Number(match[1]);
}

test('two described A100 80 GB cards', async () => {
  await withPage(['--gpus', '2xA100-80GB'], 'a100x2', async (page) => {
    const cards = page.getByTestId('gpu-card');
    await cards.nth(1).waitFor();
    assert.equal(await cards.count(), 2);
    for (const card of await cards.all()) {
      assert.match((await card.textContent()) ?? '', /A100/);
      const gb = await memoryTotalGb(card);
      // An "80 GB" A100 offers about 79.2 GiB to CUDA, as the models page says.
      assert.ok(gb >= 78.5 && gb <= 80.1, `memory total ${gb} GiB is not about 80 GiB`);
    }
    await page.getByTestId('described-banner').waitFor();
    assert.equal(await page.getByTestId('no-gpu-banner').count(), 0);
    await page.getByTestId('system-panel').waitFor();
  });
});

test('zero described GPUs show the no-GPU banner', async () => {
  await withPage(['--gpus', 'none'], 'no-gpus', async (page) => {
    await page.getByTestId('no-gpu-banner').waitFor();
    assert.equal(await page.getByTestId('gpu-card').count(), 0);
    await page.getByTestId('system-panel').waitFor();
  });
});

test('a machine without the NVIDIA driver says so', { skip: hasNvidiaDriver() && 'this machine has an NVIDIA driver' }, async () => {
  await withPage([], 'no-driver', async (page) => {
    const banner = page.getByTestId('no-gpu-banner');
    await banner.waitFor();
    assert.match((await banner.textContent()) ?? '', /No NVIDIA driver found/);
    assert.equal(await page.getByTestId('gpu-card').count(), 0);
  });
});

test('planning for other hardware, and a rejected description', async () => {
  await withPage(['--gpus', 'none'], 'plan', async (page) => {
    await page.getByTestId('system-panel').waitFor();
    const spec = page.getByTestId('plan-spec');
    const cards = page.getByTestId('gpu-card');

    await spec.fill('1xRTX4090');
    await page.getByTestId('plan-submit').click();
    await cards.first().waitFor();
    assert.equal(await cards.count(), 1);
    assert.match((await cards.first().textContent()) ?? '', /RTX 4090/);
    await page.getByTestId('described-banner').waitFor();
    await page.getByTestId('plan-reset').waitFor();
    await screenshot(page, 'plan-rtx4090');

    await spec.fill('3xFOO');
    await page.getByTestId('plan-submit').click();
    const error = page.getByTestId('plan-error');
    await error.waitFor();
    assert.notEqual(((await error.textContent()) ?? '').trim(), '');
    assert.equal(await spec.getAttribute('aria-invalid'), 'true');
    await screenshot(page, 'plan-error');

    await page.getByTestId('plan-reset').click();
    await page.getByTestId('no-gpu-banner').waitFor();
    assert.equal(await cards.count(), 0);
  });
});

test('live samples update the page', async () => {
  await withPage(['--gpus', '2xA100-80GB'], 'live', async (page) => {
    const time = page.getByTestId('sample-time');
    await page.waitForFunction(
      () => Number(document.querySelector('[data-testid="sample-time"]')?.getAttribute('data-count')) > 0,
    );
    const first = { count: Number(await time.getAttribute('data-count')), text: await time.textContent() };
    await page.waitForFunction(
      (seen) => {
        const el = document.querySelector('[data-testid="sample-time"]');
        return Number(el?.getAttribute('data-count')) > seen.count && el?.textContent !== seen.text;
      },
      first,
      { timeout: 3_000 },
    );
    assert.match((await time.textContent()) ?? '', /\d\d:\d\d:\d\d/);
  });
});
