// The Models page as served by `duows serve`, in headless Chromium: fit badges and memory
// bars for a described A100 40 GB, planning for 8×A100 80 GB from the page, a rejected
// context, the advice shown on a machine without a GPU, the page tabs, and the layout at
// 1280 and 800 px. Each test starts its own server (fresh DUOWS_HOME) and stops it when done.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { hasNvidiaDriver, launchBrowser, screenshot as fullPage, startServer } from '../harness.mjs';

const TIMEOUT = 10_000;
let browser;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

/** Runs `fn(page, server)` against a fresh server started with `args`, on `path`. */
async function withPage(args, name, fn, { path = '/#/models', width = 1280 } = {}) {
  const server = await startServer(args);
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  try {
    await page.goto(`${server.url}${path}`);
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

/** A full-page screenshot from the top, so the sticky header sits where it belongs. */
async function screenshot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await fullPage(page, name);
}

const card = (page, id) => page.locator(`[data-testid="model-card"][data-model="${id}"]`);

async function badgeOf(page, id) {
  return ((await card(page, id).getByTestId('fit-badge').textContent()) ?? '').trim();
}

/** Waits until the results are not being recomputed. */
async function settled(page) {
  await page.waitForFunction(() => {
    const results = document.querySelector('.models-results');
    return results && !results.classList.contains('busy');
  });
}

/** Asserts that no element of the page is wider than the window (no sideways scrolling). */
async function assertNoOverflow(page) {
  const overflow = await page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const wide = [...document.querySelectorAll('[data-testid="models-page"] *')]
      .filter((el) => {
        const box = el.getBoundingClientRect();
        return box.width > 0 && box.right > width + 1 && !el.closest('pre');
      })
      .map((el) => `${el.tagName.toLowerCase()}.${el.className}`);
    return { scroll: document.documentElement.scrollWidth - width, wide: wide.slice(0, 5) };
  });
  assert.ok(overflow.scroll <= 0, `the page scrolls sideways by ${overflow.scroll} px: ${overflow.wide.join(', ')}`);
}

test('fit badges and memory bars on a described A100 40 GB, then planning for 8×A100 80 GB', async () => {
  await withPage(['--gpus', '1xA100-40GB'], 'models-8xa100-80', async (page) => {
    await page.getByTestId('models-page').waitFor();
    await card(page, 'mistral-7b-instruct-v0.3').waitFor();
    await settled(page);

    assert.equal(await badgeOf(page, 'mistral-7b-instruct-v0.3'), 'Fits');
    assert.equal(await badgeOf(page, 'mixtral-8x22b-instruct-v0.1'), 'Does not fit');
    assert.equal(await badgeOf(page, 'mixtral-8x7b-instruct-v0.1'), 'Fits with a quantized variant');
    const bar = card(page, 'mistral-7b-instruct-v0.3').getByTestId('memory-bar');
    await bar.waitFor();
    assert.ok((await bar.locator('.mem-seg').count()) >= 3, 'the memory bar has its segments');
    // A model that does not fit shows by how much.
    await card(page, 'mixtral-8x22b-instruct-v0.1').getByTestId('memory-over').waitFor();
    assert.match((await page.getByTestId('catalog-version').textContent()) ?? '', /^Catalog \d/);
    assert.match((await page.getByTestId('gitlab-version').textContent()) ?? '', /^GitLab \d+\.\d+/);
    await page.getByTestId('feature-best').waitFor();
    await page.getByTestId('cloud-models').waitFor();
    assert.equal(await page.getByTestId('nav-models').getAttribute('aria-current'), 'page');
    await assertNoOverflow(page);
    await screenshot(page, 'models-a100-40');

    // Why: explanation, suggestions and the fit of the suggested quantized checkpoint.
    const mixtral = card(page, 'mixtral-8x7b-instruct-v0.1');
    await mixtral.getByTestId('why').locator('summary').click();
    await mixtral.getByTestId('vllm-args').waitFor();
    const quantized = mixtral.locator('[data-testid="suggestion"][data-kind="quantized_variant"] button');
    if ((await quantized.count()) > 0) {
      await quantized.first().click();
      await mixtral.getByTestId('variant-fit').waitFor();
    }
    await screenshot(page, 'models-why');

    await page.getByTestId('models-gpus').fill('8xA100-80GB');
    await page.getByTestId('models-apply').click();
    await page.waitForFunction(
      () => document.querySelector('[data-testid="models-hardware"]')?.textContent?.includes('8×'),
    );
    await settled(page);
    assert.equal(await badgeOf(page, 'mixtral-8x22b-instruct-v0.1'), 'Fits');
    assert.match((await page.getByTestId('models-hardware').textContent()) ?? '', /planned/);
  });
});

test('a context no model has is rejected next to its field; the results stay', async () => {
  await withPage(['--gpus', '1xA100-40GB'], 'models-error', async (page) => {
    await card(page, 'mistral-7b-instruct-v0.3').waitFor();
    await settled(page);
    const before = await page.getByTestId('model-card').count();

    await page.getByTestId('models-context').fill('999999');
    await page.getByTestId('models-apply').click();
    const error = page.getByTestId('models-error');
    await error.waitFor();
    assert.notEqual(((await error.textContent()) ?? '').trim(), '');
    assert.equal(await error.getAttribute('data-field'), 'context');
    assert.equal(await page.getByTestId('models-context').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.getByTestId('model-card').count(), before, 'the last results stay on screen');

    // An error from the server is shown next to the field it names, too.
    await page.getByTestId('models-context').fill('');
    await page.getByTestId('models-gpus').fill('3xFOO');
    await page.getByTestId('models-apply').click();
    await page.locator('[data-testid="models-error"][data-field="gpus"]').waitFor();
    assert.equal(await page.getByTestId('models-error').count(), 1);
    await settled(page);
    assert.equal(await page.getByTestId('model-card').count(), before);
  });
});

test('a machine without a GPU gets advice on what it needs', { skip: hasNvidiaDriver() && 'this machine has an NVIDIA driver' }, async () => {
  await withPage([], 'models-no-gpu', async (page) => {
    const advice = page.getByTestId('models-advice');
    await advice.waitFor();
    assert.match((await advice.textContent()) ?? '', /needs a GPU with at least/);
    await page.getByTestId('model-card').first().waitFor();
    assert.equal(await page.getByTestId('models-error').count(), 0);
  });
});

test('the tabs switch between Hardware and Models', async () => {
  await withPage(['--gpus', '2xA100-80GB'], 'models-tabs', async (page) => {
    await page.getByTestId('gpu-card').first().waitFor();
    assert.equal(await page.getByTestId('nav-hardware').getAttribute('aria-current'), 'page');
    assert.equal(await page.getByTestId('models-page').count(), 0, 'the Models page loads only when opened');

    await page.getByTestId('nav-models').click();
    await page.getByTestId('model-card').first().waitFor();
    assert.match(page.url(), /#\/models$/);
    // MXFP4 weights take more once loaded: the card says both, as its memory bar counts them.
    assert.match(await card(page, 'gpt-oss-120b').getByTestId('verdict').textContent(), /60\.8 GiB of weights, 64\.4 GiB once loaded/);
    assert.ok(await page.getByTestId('gpu-card').first().isHidden());

    await page.getByTestId('nav-hardware').click();
    await page.getByTestId('gpu-card').first().waitFor();
    assert.ok(await page.getByTestId('models-page').isHidden());
    assert.match(page.url(), /#\/hardware$/);
  }, { path: '/#/hardware' });
});

test('the Models page at 800 px', async () => {
  await withPage(['--gpus', '1xA100-40GB'], 'models-800', async (page) => {
    await card(page, 'mixtral-8x7b-instruct-v0.1').waitFor();
    await settled(page);
    await assertNoOverflow(page);
  }, { width: 800 });
});

test('suggestions apply themselves: a shorter context, other hardware; the feature filter', async () => {
  await withPage(['--gpus', '1xA100-40GB'], 'models-suggestions', async (page) => {
    await card(page, 'llama-3.1-8b-instruct').waitFor();
    await settled(page);
    await page.getByTestId('models-context').fill('131072');
    await page.getByTestId('models-concurrency').fill('4');
    await page.getByTestId('models-feature').selectOption('duo_chat');
    await page.getByTestId('models-apply').click();
    await page.waitForFunction(
      () => document.querySelector('[data-model="llama-3.1-8b-instruct"] [data-testid="fit-badge"]')?.textContent === 'Does not fit',
    );
    await settled(page);
    assert.equal(await page.getByTestId('feature-best-group').count(), 1, 'one feature is shown');
    assert.equal(await page.locator('.rating-cell.focus[data-column="chat"]').count(), await page.getByTestId('model-card').count());

    const llama = card(page, 'llama-3.1-8b-instruct');
    await llama.getByTestId('why').locator('summary').click();
    const shorter = llama.locator('[data-testid="suggestion"][data-kind="shorter_context"] button');
    await shorter.click();
    await page.waitForFunction(
      () => document.querySelector('[data-model="llama-3.1-8b-instruct"] [data-testid="fit-badge"]')?.textContent === 'Fits',
    );
    await settled(page);
    const context = Number(await page.getByTestId('models-context').inputValue());
    assert.ok(context > 16 && context < 131072, `the context input holds the suggested ${context}`);
    assert.ok(await card(page, 'llama-3.1-8b-instruct').getByTestId('why').evaluate((d) => d.open), 'its Why stays open');
    await screenshot(page, 'models-shorter-context');

    const codestral = card(page, 'codestral-22b-v0.1');
    await codestral.getByTestId('why').locator('summary').click();
    const more = codestral.locator('[data-testid="suggestion"][data-kind="more_gpus"] button');
    if ((await more.count()) > 0) {
      await more.first().click();
      await page.waitForFunction(
        () => document.querySelector('[data-model="codestral-22b-v0.1"] [data-testid="fit-badge"]')?.textContent === 'Fits',
      );
      assert.match(await page.getByTestId('models-gpus').inputValue(), /^\dx/);
      assert.ok(await page.getByTestId('models-plan').isChecked());
    }
  });
});

test('with an access token the fragment is consumed before routing', async () => {
  // Anything but loopback requires the printed token; the page is opened on loopback.
  await withPage(['--host', '0.0.0.0', '--gpus', '1xL4'], 'models-token', async (page, server) => {
    const token = /#token=([^\s&]+)/.exec(server.output())?.[1];
    assert.ok(token, 'the server printed an access token');
    const base = `http://127.0.0.1:${new URL(server.url).port}`;

    await page.goto(`${base}/#/models&token=${token}`);
    await page.getByTestId('model-card').first().waitFor();
    assert.equal(new URL(page.url()).hash, '#/models', 'the token left the address, the route stayed');
    assert.equal(await page.getByTestId('nav-models').getAttribute('aria-current'), 'page');

    // Pasted into the open page: taken out on the fragment change, the default page shows.
    await page.goto(`${base}/#token=${token}`);
    await page.getByTestId('gpu-card').first().waitFor();
    assert.equal(new URL(page.url()).hash, '');
    assert.equal(await page.getByTestId('nav-hardware').getAttribute('aria-current'), 'page');
  }, { path: '/' });
});
