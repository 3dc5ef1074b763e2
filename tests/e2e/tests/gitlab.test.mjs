// The GitLab page as served by `duows serve`, in headless Chromium: the steps by hand for
// the routed features (each value with a copy button, and as a text file); a preview refused
// by field before anything is sent (no token), and GitLab that cannot be reached reported
// without losing what was typed; GitLab's AI gateway set up from the same page (a localhost
// GitLab refused by field, then its files, no key on the page). Screenshots in artifacts/.

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

test('steps by hand, and a preview refused or failing with its reason', async () => {
  const server = await startServer(['--gpus', '1xA100-80GB']);
  try {
    const settings = {
      version: 5,
      deployments: [{ name: 'remote', endpoint: 'http://10.0.0.5:8000/v1', served_model: 'm' }],
      features: { duo_chat: 'remote', code_completions: 'remote' },
    };
    await putSettings(server, settings);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${server.url}/#/gitlab`);
    await page.getByTestId('gitlab-address').fill('gpu-1.lan:8000');
    await page.getByTestId('gitlab-steps-show').click();
    const steps = page.getByTestId('gitlab-steps');
    await steps.waitFor({ timeout: TIMEOUT });
    const text = await steps.textContent();
    assert.match(text, /custom_openai\/duo-chat/);
    assert.match(text, /http:\/\/gpu-1\.lan:8000\/v1/);
    assert.ok((await steps.locator('button.copy').count()) >= 4, 'each text to type in has a copy button');
    const platform = steps.locator('dd', { hasText: 'API (an OpenAI-compatible server)' });
    assert.ok((await platform.count()) > 0, 'each model says its platform');
    assert.equal(await platform.locator('button.copy').count(), 0, 'a choice is not offered to copy');
    assert.equal(await page.getByTestId('gitlab-steps-download').getAttribute('download'), 'gitlab-duo-steps.txt');
    await screenshot(page, 'gitlab');

    // No token: refused next to the field, nothing sent.
    await page.getByTestId('gitlab-url').fill('http://127.0.0.1:9');
    await page.getByTestId('gitlab-preview').click();
    const error = page.getByTestId('gitlab-error');
    await error.waitFor({ timeout: TIMEOUT });
    assert.match(await error.textContent(), /access token/);
    // GitLab unreachable: the reason is shown, what was typed stays.
    await page.getByTestId('gitlab-token').fill('glpat-e2e');
    await page.getByTestId('gitlab-preview').click();
    await page.waitForFunction(() => /reached|connect/i.test(document.querySelector('[data-testid="gitlab-error"]')?.textContent ?? ''), null, { timeout: TIMEOUT });
    assert.equal(await page.getByTestId('gitlab-address').inputValue(), 'gpu-1.lan:8000');
    assert.equal(await page.getByTestId('gitlab-apply').isDisabled(), true, 'nothing to apply without a plan');

    // GitLab's AI gateway: localhost refused next to its field; then the files, never a key.
    const panel = page.getByTestId('ai-gateway-panel');
    await panel.getByTestId('ai-gateway-gitlab-url').fill('http://localhost:8080');
    await panel.getByTestId('ai-gateway-gitlab-version').fill('18.6');
    await panel.getByTestId('ai-gateway-setup').click();
    const refused = panel.getByTestId('ai-gateway-error');
    await refused.waitFor({ timeout: TIMEOUT });
    assert.equal(await refused.getAttribute('data-field'), 'gitlab_url');
    assert.match(await refused.textContent(), /container itself/);
    await panel.getByTestId('ai-gateway-gitlab-url').fill('https://gitlab.example.com');
    await panel.getByTestId('ai-gateway-setup').click();
    const files = panel.getByTestId('ai-gateway-files');
    await files.waitFor({ timeout: TIMEOUT });
    assert.match(await files.textContent(), /self-hosted-v18\.6\.0-ee/);
    assert.doesNotMatch(await page.content(), /PRIVATE KEY/, 'keys never reach the page');
    // The container runs on this machine: GitLab is pointed at it in the form above.
    const urlForGitlab = await files.locator('dt', { hasText: "AI gateway URL for GitLab's Duo settings" }).locator('xpath=following-sibling::dd[1]/code').textContent();
    assert.match(urlForGitlab, /^http:\/\/.+:5052$/);
    assert.equal(await page.getByTestId('gitlab-ai-gateway').inputValue(), urlForGitlab);
    await page.getByTestId('gitlab-steps').filter({ hasText: `Local AI Gateway URL${urlForGitlab}` }).waitFor({ timeout: TIMEOUT });
    await page.waitForFunction(() => /Set up for https:\/\/gitlab\.example\.com/.test(document.querySelector('[data-testid="ai-gateway-status"]')?.textContent ?? ''), null, { timeout: TIMEOUT });
    await screenshot(page, 'gitlab-ai-gateway');
    await page.close();
  } finally {
    await server.stop();
  }
});
