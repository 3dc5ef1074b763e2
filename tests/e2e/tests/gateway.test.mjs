// The Gateway page as served by `duows serve` with its gateway on a free port, in headless
// Chromium: the endpoint to give GitLab; an API key created (its secret shown once, then gone
// from the page), used against the real gateway, and revoked; an external deployment refused
// for a bad endpoint, then added, routed to from General Chat (which Code Explanation then
// uses) and removed; settings writes refused (another program saving meanwhile, a bad
// route); the page without a gateway; polling only while the page is on screen;
// and an engine of this app turning up as a deployment and becoming ready.
//
// The screenshot of the page with a routed feature and keys is also copied to
// DUOWS_GATEWAY_SCREENSHOT (default /tmp/gateway-page.png).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ARTIFACTS, launchBrowser, processesWith, screenshot as fullPage, startServer } from '../harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(here, '../../..');
const CPU_PYTHON = path.resolve(REPO, process.env.DUOWS_CPU_ENGINE_PYTHON ?? '.tools/cpu-engine/bin/python');
const MAKE_TINY_GGUF = path.join(REPO, 'tests/engine/make_tiny_gguf.py');
const REQUIRE_CPU_ENGINE = process.env.DUOWS_REQUIRE_CPU_ENGINE === '1';
const SCREENSHOT_COPY = process.env.DUOWS_GATEWAY_SCREENSHOT ?? '/tmp/gateway-page.png';
const TIMEOUT = 10_000;
const READY_TIMEOUT = 30_000;

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

const text = async (locator) => ((await locator.textContent()) ?? '').trim();

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

/** `GET <gateway>/models` from this process, with `key` as the bearer token when given. */
async function models(server, key) {
  const response = await fetch(`${server.gateway}/models`, key ? { headers: { Authorization: `Bearer ${key}` } } : {});
  return { status: response.status, body: await response.json() };
}

/** The model names `GET <gateway>/models` lists (no key), once it lists `expected` or after 5 s. */
async function modelIds(server, expected) {
  let ids = [];
  await eventually(async () => {
    const { status, body } = await models(server);
    ids = status === 200 ? body.data.map((m) => m.id) : [`(status ${status})`];
    return ids.includes(expected);
  });
  return ids;
}

async function getJson(server, route) {
  const response = await fetch(`${server.url}${route}`);
  assert.equal(response.status, 200, `GET ${route}`);
  return response.json();
}

/** A full-page screenshot from the top, animations finished. */
async function screenshot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await fullPage(page, name, { animations: 'disabled' });
}

/**
 * Runs `fn(page, server)` against a fresh server started with `args`, on the Gateway page;
 * the page may throw no errors.
 */
async function withPage(args, name, fn, { env = {} } = {}) {
  const server = await startServer(args, { env });
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  try {
    await page.goto(`${server.url}/#/gateway`);
    await page.getByTestId('gateway-page').waitFor();
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

const keyRow = (page, name) => page.locator('[data-testid="key-row"]').filter({ has: page.locator(`[data-testid="key-row-name"]:text-is("${name}")`) });
const routeRow = (page, feature) => page.locator(`[data-testid="route-row"][data-feature="${feature}"]`);

/** Creates a key from the form; returns the secret the page shows. */
async function createKey(page, name, days) {
  await page.getByTestId('key-name').fill(name);
  await page.getByTestId('key-expiry').fill(days === undefined ? '' : String(days));
  await page.getByTestId('key-create').click();
  await page.getByTestId('key-secret-box').waitFor();
  return text(page.getByTestId('key-secret'));
}

async function revokeKey(page, name) {
  const row = keyRow(page, name);
  await row.getByTestId('key-revoke').click();
  await row.getByTestId('key-revoke-confirm').click();
  await page.waitForFunction(
    (n) =>
      [...document.querySelectorAll('[data-testid="key-row"]')].some(
        (r) => r.querySelector('[data-testid="key-row-name"]')?.textContent === n && r.getAttribute('data-state') === 'revoked',
      ),
    name,
  );
}

test('keys: the endpoint, a secret shown once, the gateway asking for it, revoking', async () => {
  await withPage(['--gpus', '1xL4'], 'gateway-keys', async (page, server) => {
    assert.equal(await page.getByTestId('nav-gateway').getAttribute('aria-current'), 'page');
    assert.match(server.gateway, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const port = new URL(server.gateway).port;
    const endpoint = page.getByTestId('gateway-endpoint');
    await endpoint.waitFor();
    assert.equal(await text(endpoint), `http://localhost:${port}/v1`);
    assert.equal(await text(page.getByTestId('gateway-reach')), 'this machine only');
    assert.match(await text(page.getByTestId('gateway-loopback-note')), /duows serve --gateway-host 0\.0\.0\.0/);
    assert.equal(await page.getByTestId('gateway-keys-required').getAttribute('data-required'), 'false');
    await page.getByTestId('keys-empty').waitFor();
    assert.equal((await models(server)).status, 200, 'no key is needed before one exists');

    // A name is required, and a bad expiry is refused next to its field.
    await page.getByTestId('key-create').click();
    await page.locator('[data-testid="key-error"][data-field="name"]').waitFor();
    await page.getByTestId('key-name').fill('gitlab');
    await page.getByTestId('key-expiry').fill('0');
    await page.getByTestId('key-create').click();
    await page.locator('[data-testid="key-error"][data-field="expires_in_days"]').waitFor();

    const secret = await createKey(page, 'gitlab', 30);
    assert.match(secret, /^dwk_/);
    const row = keyRow(page, 'gitlab');
    await row.waitFor();
    assert.equal(await row.getAttribute('data-state'), 'active');
    assert.ok(!(await text(row)).includes(secret), 'the list shows the prefix only');
    assert.match(await text(page.getByTestId('key-secret-box')), /shown only now/);
    await page.locator('[data-testid="gateway-keys-required"][data-required="true"]').waitFor();

    // A second key of the same name is refused next to the name.
    await page.getByTestId('key-name').fill('gitlab');
    await page.getByTestId('key-create').click();
    await page.locator('[data-testid="key-error"][data-field="name"]').waitFor();
    assert.equal(await text(page.getByTestId('key-secret')), secret, 'the shown secret stays until dismissed');
    await page.getByTestId('key-name').fill('');

    assert.equal((await models(server, secret)).status, 200, 'the gateway takes the new key');
    const refused = await models(server);
    assert.equal(refused.status, 401, 'without a key the gateway refuses');
    assert.equal(refused.body.error.code, 'missing_api_key');

    await page.getByTestId('key-secret-dismiss').click();
    assert.equal(await page.getByTestId('key-secret-box').count(), 0);
    assert.ok(!(await page.content()).includes(secret), 'the secret is gone from the page');

    // Leaving the page also takes a secret away.
    const second = await createKey(page, 'ci');
    assert.match(second, /^dwk_/);
    assert.ok((await page.content()).includes(second));
    await page.getByTestId('nav-hardware').click();
    await page.getByTestId('hardware-page').waitFor();
    await page.getByTestId('nav-gateway').click();
    await keyRow(page, 'ci').waitFor();
    assert.equal(await page.getByTestId('key-secret-box').count(), 0);
    assert.ok(!(await page.content()).includes(second), 'the secret is gone after leaving the page');
    assert.equal(await keyRow(page, 'ci').locator('td').nth(3).textContent(), 'never');

    // Revoking asks once more; Cancel leaves the key alone.
    await keyRow(page, 'gitlab').getByTestId('key-revoke').click();
    await keyRow(page, 'gitlab').getByTestId('key-revoke-cancel').click();
    assert.equal(await keyRow(page, 'gitlab').getAttribute('data-state'), 'active');
    await revokeKey(page, 'gitlab');
    assert.equal(await keyRow(page, 'gitlab').getByTestId('key-revoke').count(), 0, 'a revoked key cannot be revoked again');
    assert.ok(
      await eventually(async () => (await models(server, secret)).status === 401),
      'the revoked key stops working',
    );
    assert.equal((await models(server, secret)).body.error.code, 'revoked_api_key');
    assert.equal((await models(server, second)).status, 200, 'the other key still works');
    await screenshot(page, 'gateway-keys-revoked');

    // With no active key left, on loopback, no key is needed again.
    await revokeKey(page, 'ci');
    await page.locator('[data-testid="gateway-keys-required"][data-required="false"]').waitFor();
    assert.ok(await eventually(async () => (await models(server)).status === 200), 'no active key: no key needed');
    const listed = await getJson(server, '/api/keys');
    assert.deepEqual(listed.map((k) => k.revoked_at !== null), [true, true]);
  });
});

test('deployments and routing: a bad endpoint refused, an external one added, routed, removed', async () => {
  await withPage(['--gpus', '1xL4'], 'gateway-routing', async (page, server) => {
    await page.getByTestId('deployments-empty').waitFor();
    const chat = routeRow(page, 'duo_chat');
    const explain = routeRow(page, 'duo_chat_explain_code');
    await chat.waitFor();
    assert.equal(await text(chat.getByTestId('route-identifier')), 'custom_openai/duo-chat');
    assert.match(await text(explain.getByTestId('route-note')), /no model/);
    assert.equal(await page.getByTestId('route-row').count(), (await getJson(server, '/api/gateway')).features.length);

    await page.getByTestId('deployment-name').fill('gpu-2');
    await page.getByTestId('deployment-endpoint').fill('gpu-2.internal:8000');
    await page.getByTestId('deployment-served-model').fill('mistralai/Mistral-7B-Instruct-v0.3');
    await page.getByTestId('deployment-key-env').fill('GPU2_API_KEY');
    await page.getByTestId('deployment-add').click();
    const error = page.locator('[data-testid="deployment-error"][data-field="endpoint"]');
    await error.waitFor();
    assert.match(await text(error), /\/v1/);
    assert.equal(await page.locator('[data-field="deployment-endpoint"] [data-testid="deployment-error"]').count(), 1, 'the error sits next to the endpoint');
    assert.equal(await page.getByTestId('deployment-endpoint').getAttribute('aria-invalid'), 'true');
    assert.deepEqual((await getJson(server, '/api/settings')).deployments, [], 'nothing was saved');

    // A missing /v1 is offered as a one-click fix.
    await page.getByTestId('deployment-endpoint').fill('http://127.0.0.1:9');
    await page.getByTestId('deployment-add').click();
    const fix = page.getByTestId('deployment-error-fix');
    await fix.waitFor();
    assert.equal(await text(fix), 'Use http://127.0.0.1:9/v1');
    await fix.click();
    assert.equal(await page.getByTestId('deployment-endpoint').inputValue(), 'http://127.0.0.1:9/v1');
    assert.equal(await page.getByTestId('deployment-error').count(), 0, 'the fix answers the error');
    await page.getByTestId('deployment-add').click();
    const row = page.locator('[data-testid="deployment-row"][data-name="gpu-2"]');
    await row.waitFor();
    assert.equal(await text(row.getByTestId('deployment-source')), 'external');
    assert.match(await text(row), /\$GPU2_API_KEY/);
    // Nothing listens there: the check says so (never a green "ready"), with the reason.
    await row.locator('[data-testid="deployment-state"][data-status="unreachable"]').waitFor({ timeout: 15_000 });
    assert.equal(await row.getByTestId('ready-dot').getAttribute('data-ready'), 'false');
    assert.match(await text(row.getByTestId('deployment-state')), /unreachable.*cannot connect/s);
    const listed = (await getJson(server, '/api/gateway')).deployments.find((d) => d.name === 'gpu-2');
    assert.equal(listed.ready, false);
    assert.equal(listed.status, 'unreachable');
    // The gateway's own model list says the same (fields OpenAI clients ignore).
    const models = await (await fetch(`${server.gateway}/models`)).json();
    const entry = models.data.find((m) => m.id === 'gpu-2');
    assert.equal(entry.ready, false);
    assert.equal(entry.status, 'unreachable');
    assert.match(entry.reason, /cannot connect/);
    assert.ok(listed.checked_at_ms > 0, 'it says when it was checked');
    await row.getByTestId('deployment-test').click();
    await row.getByTestId('deployment-test-result').waitFor();
    // The State column already says why: the test says it found the same, not the words again.
    assert.equal(await text(row.getByTestId('deployment-test-result')), 'Tested again: the same (see State)');
    assert.equal(await page.getByTestId('deployment-name').inputValue(), '', 'the form is emptied');
    const saved = (await getJson(server, '/api/settings')).deployments;
    assert.deepEqual(saved, [
      {
        name: 'gpu-2',
        platform: 'openai_compatible',
        endpoint: 'http://127.0.0.1:9/v1',
        served_model: 'mistralai/Mistral-7B-Instruct-v0.3',
        family: null,
        region: null,
        api_key_env: 'GPU2_API_KEY',
        api_key_stored: false,
      },
    ]);
    assert.match(await text(row.getByTestId('deployment-family')), /MISTRAL/, 'the catalog family of the model');
    await chat.locator('[data-testid="route-select"] option[value="gpu-2"]').waitFor({ state: 'attached' });

    // The same name twice is refused before anything is sent.
    await page.getByTestId('deployment-name').fill('gpu-2');
    await page.getByTestId('deployment-add').click();
    await page.locator('[data-testid="deployment-error"][data-field="name"]').waitFor();
    await page.getByTestId('deployment-name').fill('');

    await chat.getByTestId('route-select').selectOption('gpu-2');
    await chat.locator('[data-testid="route-status"][data-state="saved"]').waitFor();
    assert.equal((await getJson(server, '/api/settings')).features.duo_chat, 'gpu-2');
    await page.waitForFunction(() =>
      /uses General Chat’s model \(gpu-2\)/.test(
        document.querySelector('[data-feature="duo_chat_explain_code"] [data-testid="route-note"]')?.textContent ?? '',
      ),
    );
    assert.equal(await explain.getByTestId('route-note').getAttribute('data-via'), 'duo_chat');
    assert.equal(await explain.getByTestId('route-select').inputValue(), '', 'it has no route of its own');
    assert.equal(await chat.getByTestId('ready-dot').count(), 1, 'the chosen deployment shows its readiness');
    assert.equal(await chat.getByTestId('ready-dot').getAttribute('data-status'), 'unreachable', 'the feature routed there is not shown as ready');

    // The running gateway picks the saved route up within about a second.
    const ids = await modelIds(server, 'duo-chat');
    assert.ok(ids.includes('duo-chat'), `the gateway lists duo-chat (got ${ids.join(', ')})`);
    assert.ok(ids.includes('duo-chat-explain-code'), 'and the chat features that use its model');

    // A key for the screenshot: the page with a routed feature, a key and its secret.
    await createKey(page, 'gitlab', 90);
    await page.locator('[data-testid="gateway-keys-required"][data-required="true"]').waitFor();
    await screenshot(page, 'gateway-page');
    copyFileSync(path.join(ARTIFACTS, 'gateway-page.png'), SCREENSHOT_COPY);
    await page.getByTestId('key-secret-dismiss').click();

    // "— none —" takes the route away again.
    await chat.getByTestId('route-select').selectOption('');
    await chat.locator('[data-testid="route-status"][data-state="saved"]').waitFor();
    assert.equal((await getJson(server, '/api/settings')).features.duo_chat, undefined);
    await chat.getByTestId('route-select').selectOption('gpu-2');
    await chat.locator('[data-testid="route-status"][data-state="saved"]').waitFor();

    // Removing asks once more, and takes the routes to it along.
    await row.getByTestId('deployment-remove').click();
    assert.match(await text(row), /General Chat/);
    await row.getByTestId('deployment-remove-confirm').click();
    await page.getByTestId('deployments-empty').waitFor();
    const after = await getJson(server, '/api/settings');
    assert.deepEqual(after.deployments, []);
    assert.deepEqual(after.features, {});
    assert.equal(after.version, 5);
    assert.equal(after.log_prompts, false, 'the fields the page does not show are kept');
    await page.waitForFunction(() => /no model/.test(document.querySelector('[data-feature="duo_chat"] [data-testid="route-note"]')?.textContent ?? ''));
  });
});

test('Bedrock and Azure deployments: GitLab\'s rules with the fix, a key kept in the secret store and never shown, every rated feature in one action', async () => {
  const azureKey = 'azure-key-0123456789abcdef';
  await withPage(['--gpus', '1xL4'], 'gateway-bedrock-azure', async (page, server) => {
    await page.getByTestId('deployments-empty').waitFor();
    assert.match(await text(page.getByTestId('secret-store')), /secrets\.json, readable only by you/);

    // Bedrock: no endpoint or key; a cross-region prefix must match the region (the fix given).
    await page.getByTestId('deployment-platform').selectOption('bedrock');
    assert.equal(await page.getByTestId('deployment-endpoint').isVisible(), false);
    assert.equal(await page.getByTestId('deployment-key').isVisible(), false);
    await page.getByTestId('deployment-name').fill('claude');
    await page.getByTestId('deployment-served-model').fill('eu.anthropic.claude-3-5-sonnet-20240620-v1:0');
    await page.getByTestId('deployment-region').fill('us-east-1');
    await page.getByTestId('deployment-add').click();
    const error = page.locator('[data-testid="deployment-error"][data-field="served_model"]');
    await error.waitFor();
    assert.match(await text(error), /cross-region prefix `eu\.` does not match the region us-east-1/);
    assert.deepEqual((await getJson(server, '/api/settings')).deployments, [], 'nothing was saved');
    await page.getByTestId('deployment-error-fix').click();
    assert.equal(await page.getByTestId('deployment-served-model').inputValue(), 'us.anthropic.claude-3-5-sonnet-20240620-v1:0');
    await page.getByTestId('deployment-add').click();
    const claude = page.locator('[data-testid="deployment-row"][data-name="claude"]');
    await claude.waitFor();
    assert.equal(await text(claude.getByTestId('deployment-source')), 'Bedrock');
    assert.match(await text(claude), /bedrock\/us\.anthropic\.claude-3-5-sonnet-20240620-v1:0/);
    assert.match(await text(claude.getByTestId('deployment-family')), /CLAUDE_3/);
    assert.equal(await claude.getAttribute('data-ready'), 'false', 'never shown ready from here');
    assert.equal(await claude.getByTestId('deployment-test').count(), 0, 'only GitLab can test it');

    // Azure with a typed key: kept in the secret store, never returned or shown.
    await page.getByTestId('deployment-platform').selectOption('azure_openai');
    await page.getByTestId('deployment-name').fill('team-gpt');
    await page.getByTestId('deployment-endpoint').fill('https://team.openai.azure.com');
    await page.getByTestId('deployment-served-model').fill('gpt-4o');
    await page.getByTestId('deployment-key').fill(azureKey);
    await page.getByTestId('deployment-add').click();
    const azure = page.locator('[data-testid="deployment-row"][data-name="team-gpt"]');
    await azure.waitFor();
    await azure.getByTestId('deployment-key-source').waitFor();
    assert.match(await text(azure.getByTestId('deployment-key-source')), /secret store/);
    assert.equal(await page.getByTestId('deployment-key').inputValue(), '', 'the key is cleared from the form');
    const settings = await getJson(server, '/api/settings');
    assert.equal(settings.deployments.find((d) => d.name === 'team-gpt').api_key_stored, true);
    const everything = JSON.stringify([settings, await getJson(server, '/api/gateway'), await page.content()]);
    assert.ok(!everything.includes(azureKey), 'the key is in no answer and not on the page');

    // Every feature Claude is rated for, in one action (beta ones stay hidden: beta is off).
    await claude.getByTestId('deployment-rated').click();
    await claude.getByTestId('deployment-rated-result').waitFor();
    assert.match(await text(claude.getByTestId('deployment-rated-result')), /Now serves \d+ features/);
    const routed = (await getJson(server, '/api/settings')).features;
    assert.equal(routed.duo_chat, 'claude');
    await page.waitForFunction(() => /^bedrock\//.test(document.querySelector('[data-feature="duo_chat"] [data-testid="route-identifier"]')?.textContent ?? ''));
    const catalog = await getJson(server, '/api/catalog');
    for (const feature of Object.keys(routed)) {
      assert.equal(catalog.features.find((f) => f.key === feature)?.state, 'ga', `${feature} is GA`);
    }

    // Disabled is GitLab's only way to turn a feature off; unassigned says it stays on.
    const refactor = routeRow(page, 'duo_chat_refactor_code');
    await refactor.getByTestId('route-select').selectOption('__disabled__');
    await refactor.locator('[data-testid="route-status"][data-state="saved"]').waitFor();
    let saved = await getJson(server, '/api/settings');
    assert.deepEqual(saved.disabled_features, ['duo_chat_refactor_code']);
    assert.equal(saved.features.duo_chat_refactor_code, undefined);
    await page.waitForFunction(() => /turned off/.test(document.querySelector('[data-feature="duo_chat_refactor_code"] [data-testid="route-note"]')?.textContent ?? ''));

    // Beta features are hidden until asked for, with GitLab's warning.
    const beta = routeRow(page, 'duo_chat_troubleshoot_job');
    assert.equal(await beta.isVisible(), false);
    assert.match(await text(page.getByTestId('gateway-routing')), /accepts the GitLab Testing Agreement/);
    await page.getByTestId('show-beta').check();
    await beta.waitFor();
    assert.equal(await text(beta.getByTestId('route-state')), 'beta');
    assert.match(await text(beta.getByTestId('route-note')), /uses General Chat’s model \(claude\)/);
    saved = await getJson(server, '/api/settings');
    assert.equal(saved.show_beta_features, true);
    // The file store is chosen here; the secret service has its own test.
  }, { env: { DUOWS_SECRET_STORE: 'file' } });
});

test('refused saves: another program saving meanwhile, and a route refused in its row', async () => {
  await withPage(['--gpus', '1xL4'], 'gateway-route-error', async (page) => {
    const chat = routeRow(page, 'duo_chat');
    await chat.waitFor();
    const changedElsewhere = {
      status: 409,
      contentType: 'application/json',
      body: JSON.stringify({
        code: 'settings_changed_elsewhere',
        message: 'the settings were changed by another Duo Workstation program since they were read; they have been reloaded: review them and save again',
      }),
    };
    /** Answers the next `refusals` settings writes as `answer`; counts the writes. */
    const refuse = async (refusals, answer) => {
      const writes = { count: 0 };
      await page.unroute('**/api/settings');
      await page.route('**/api/settings', (route) => {
        if (route.request().method() !== 'PUT') return route.fallback();
        writes.count += 1;
        return writes.count <= refusals ? route.fulfill(answer) : route.fallback();
      });
      return writes;
    };

    await page.getByTestId('deployment-name').fill('gpu-2');
    await page.getByTestId('deployment-endpoint').fill('http://127.0.0.1:9/v1');
    await page.getByTestId('deployment-served-model').fill('m');

    // Refused every time: tried again once on the reloaded settings, then the message shows.
    let writes = await refuse(Infinity, changedElsewhere);
    await page.getByTestId('deployment-add').click();
    const general = page.locator('[data-testid="deployment-error"][data-field="general"]');
    await general.waitFor();
    assert.match(await text(general), /changed by another/);
    assert.equal(writes.count, 2, 'one more try after a conflict, not more');

    // Refused once: the second try saves it, and nothing is reported.
    writes = await refuse(1, changedElsewhere);
    await page.getByTestId('deployment-add').click();
    await page.locator('[data-testid="deployment-row"][data-name="gpu-2"]').waitFor();
    assert.equal(writes.count, 2);
    assert.equal(await page.getByTestId('deployment-error').count(), 0);

    await refuse(Infinity, {
      status: 400,
      contentType: 'application/json',
      body: JSON.stringify({ code: 'invalid_settings', message: 'settings field `features` is wrong', field: 'features' }),
    });
    await chat.getByTestId('route-select').selectOption('gpu-2');
    const status = chat.locator('[data-testid="route-status"][data-state="error"]');
    await status.waitFor();
    assert.match(await text(status), /features/);
    assert.equal(await chat.getByTestId('route-select').inputValue(), '', 'the select shows the saved route again');
  });
});

test('without a gateway in this program the page says so; it follows changes without reading /api/gateway', async () => {
  await withPage(['--gpus', '1xL4', '--no-gateway'], 'gateway-not-running', async (page, server) => {
    assert.equal(server.gateway, null);
    await page.getByTestId('gateway-not-running').waitFor();
    assert.equal(await page.getByTestId('gateway-endpoint').count(), 0);
    await routeRow(page, 'duo_chat').waitFor();

    const asked = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/api/gateway') asked.push(Date.now());
    });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    assert.equal(asked.length, 0, 'gateway_info is not polled while the page is shown');

    // A deployment added elsewhere (here, straight through the API) shows up by itself.
    const settings = await getJson(server, '/api/settings');
    settings.deployments.push({ name: 'gpu-9', endpoint: 'http://127.0.0.1:9/v1', served_model: 'm', api_key_env: null });
    const saved = await fetch(`${server.url}/api/settings`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(settings) });
    assert.equal(saved.status, 200, await saved.text());
    await page.locator('[data-testid="deployment-row"][data-name="gpu-9"]').waitFor();

    await page.getByTestId('nav-engines').click();
    await page.getByTestId('engines-page').waitFor();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await page.getByTestId('nav-gateway').click();
    await routeRow(page, 'duo_chat').waitFor();
    assert.equal(asked.length, 0, 'no gateway_info reads off the page or back on it');
  });
});

test('an engine of this app is a deployment: listed, ready, routable', async (t) => {
  if (!existsSync(CPU_PYTHON)) {
    const why = `the CPU engine is missing: no python at ${CPU_PYTHON} (make it with scripts/cpu-engine.sh, or set DUOWS_CPU_ENGINE_PYTHON)`;
    if (REQUIRE_CPU_ENGINE) assert.fail(`DUOWS_REQUIRE_CPU_ENGINE=1, but ${why}`);
    t.skip(why);
    return;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'duows-e2e-gguf-'));
  const file = path.join(dir, 'tiny.gguf');
  execFileSync(CPU_PYTHON, [MAKE_TINY_GGUF, file], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    await withPage(
      ['--gpus', '1xL4'],
      'gateway-engine',
      async (page, server) => {
        const started = await fetch(`${server.url}/api/engines`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ gguf: file, name: 'tiny' }),
        });
        assert.equal(started.status, 200, await started.text());
        const row = page.locator('[data-testid="deployment-row"][data-name="tiny"]');
        await row.waitFor();
        assert.equal(await text(row.getByTestId('deployment-source')), 'engine');
        assert.equal(await row.getByTestId('deployment-remove').count(), 0, 'an engine is stopped on the Engines page');
        await page.locator('[data-testid="deployment-row"][data-name="tiny"][data-ready="true"]').waitFor({ timeout: READY_TIMEOUT });
        assert.equal(await row.getByTestId('ready-dot').getAttribute('data-ready'), 'true');

        const completion = routeRow(page, 'code_completions');
        await completion.getByTestId('route-select').selectOption('tiny');
        await completion.locator('[data-testid="route-status"][data-state="saved"]').waitFor();
        await completion.locator('[data-testid="ready-dot"][data-ready="true"]').waitFor();
        const ids = await modelIds(server, 'duo-code-completion');
        assert.ok(ids.includes('duo-code-completion'), `the gateway lists duo-code-completion (got ${ids.join(', ')})`);
      },
      { env: { DUOWS_VLLM: '/nonexistent/vllm', DUOWS_LLAMA_CPP_PYTHON: CPU_PYTHON } },
    );
  } finally {
    const left = processesWith('llama_cpp.server', file);
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
