// The "use the smaller checkpoint" fix, as the desktop window shows it on the Engines page
// and in the wizard's Launch step: a vLLM engine that ran out of memory offers the AWQ
// checkpoint as one button; after the click the card (or the step) shows the download it
// waits for (bytes, rate, time left) and that it starts by itself; in the wizard "Cancel the
// download" stops the wait and the fix is offered again. The server's side (the offer from the fit, the download, the start) is tested in
// crates/duows-api/tests/engine_checkpoint.rs with a GPU probe that reports an H100; this
// machine has no GPU, so here the page's reads of the engines and jobs are answered with
// those statuses, through the desktop shell's stand-in (tests/e2e/fake-ipc.mjs).

import assert from 'node:assert/strict';
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

const NAME = 'deepseek-coder-33b-instruct';
const AWQ = 'TheBloke/deepseek-coder-33B-instruct-AWQ';
const JOB = `download-${AWQ}`;

function engine(state, extra) {
  return {
    name: NAME,
    kind: 'vllm',
    state,
    pid: null,
    base_url: 'http://127.0.0.1:41234/v1',
    restarts: 0,
    since_ms: Date.now() - 30_000,
    failure: {
      kind: 'out_of_memory',
      evidence: 'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 448.00 MiB. GPU 0 has a total capacity of 79.19 GiB of which 211.06 MiB is free.',
      fix: 'CUDA ran out of memory: lower --max-model-len or --max-num-seqs, or use a quantized checkpoint or more GPUs.',
    },
    next_start_ms: null,
    command_line: `vllm serve /models/hub/models--deepseek-ai--deepseek-coder-33b-instruct/snapshots/c0ffee --served-model-name ${NAME} --max-model-len 8192`,
    log_path: `/home/user/.local/share/duows/logs/${NAME}.log`,
    planned_memory: null,
    warnings: [],
    remedy: null,
    download_job: null,
    ...extra,
  };
}

const OFFER = {
  label: 'Use the AWQ 4-bit checkpoint (18.0 GB to download) and retry',
  change: { set: 'checkpoint', variant: 'awq-int4', repo: AWQ, download_bytes: 18_010_000_000 },
};

const DOWNLOAD = {
  id: JOB,
  kind: 'download',
  target: AWQ,
  state: 'running',
  percent: 42.5,
  install: null,
  download: { total_bytes: 18_010_000_000, done_bytes: 7_654_250_000, files_total: 4, files_done: 1, current: ['model-00002-of-00004.safetensors'], bytes_per_second: 112_000_000 },
  result: null,
  error: null,
  finished_ms: null,
};

/**
 * A page whose reads of the engines and jobs are answered from `world` ({ engines, jobs }),
 * which starts with the engine failed and the fix offered. Applying the fix moves it to
 * waiting for the AWQ download, as the server does; `logs` is the engine's log tail.
 */
async function stagedPage(world, logs) {
  world.engines = [engine('failed', { remedy: OFFER })];
  world.jobs = [];
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  await page.route('**/api/engines', (route) => route.fulfill({ json: world.engines }));
  await page.route('**/api/jobs', (route) => route.fulfill({ json: world.jobs }));
  await page.route(`**/api/engines/${NAME}/logs*`, (route) => route.fulfill({ json: logs }));
  await page.route(`**/api/engines/${NAME}/apply-remedy`, (route) => {
    world.engines = [engine('downloading', { download_job: JOB })];
    world.jobs = [DOWNLOAD];
    return route.fulfill({ json: world.engines[0] });
  });
  await page.addInitScript(installFakeIpc);
  return { context, page };
}

test('out of memory: the smaller checkpoint is one button, then the card shows its download', async () => {
  const server = await startServer(['--gpus', '1xH100-80GB']);
  const { context, page } = await stagedPage({}, ['INFO Loading safetensors checkpoint shards: 63% Completed | 5/8', 'torch.OutOfMemoryError: CUDA out of memory.']);
  try {
    await page.goto(`${server.url}/#/engines`);
    const card = page.locator(`[data-engine="${NAME}"]`);
    const fix = card.getByTestId('engine-remedy');
    await fix.waitFor();
    assert.equal(await fix.textContent(), OFFER.label);
    assert.equal(await fix.getAttribute('title'), `Downloads ${AWQ} from Hugging Face, then starts the engine with it`);
    assert.equal(await card.getByTestId('engine-retry').getAttribute('class'), 'secondary', 'the fix leads, the plain retry is second');
    await screenshot(page, 'engines-checkpoint-offered');

    await fix.click();
    const waiting = card.getByTestId('engine-waiting');
    await waiting.waitFor();
    assert.match(await waiting.textContent(), new RegExp(`Downloading ${AWQ} first`));
    const facts = card.getByTestId('engine-waiting-facts');
    await page.waitForFunction(() => /GB · .* MB\/s · .* left · file 2 of 4/.test(document.querySelector('[data-testid="engine-waiting-facts"]')?.textContent ?? ''));
    assert.match(await facts.textContent(), /^7\.7 \/ 18\.0 GB · 112\.0 MB\/s · /);
    assert.equal(await card.getByTestId('engine-waiting-progress').getAttribute('aria-valuenow'), '42.5');
    assert.ok(await card.getByTestId('engine-failure').isHidden(), 'the old failure is not the news while it downloads');
    assert.ok(await card.getByTestId('engine-stop').isVisible(), 'Stop cancels the wait');
    for (const hidden of ['engine-retry', 'engine-remove', 'engine-remedy']) assert.ok(await card.getByTestId(hidden).isHidden(), `${hidden} is hidden while it waits`);
    assert.equal(await card.getByTestId('engine-state').textContent(), 'downloading');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.waitForTimeout(500); // the bar's width eases in
    await screenshot(page, 'engines-checkpoint-downloading');

    const calls = await page.evaluate(() => window.__ipcCalls);
    assert.deepEqual(calls.find((c) => c.cmd === 'engine_apply_remedy')?.args, { name: NAME });
  } finally {
    await context.close();
    await server.stop();
  }
});

/** The real server's setup status, moved to the Launch step of the model that failed. */
async function setupAtLaunch(server) {
  const real = await (await fetch(`${server.url}/api/setup`)).json();
  const at = real.progress.steps.findIndex((s) => s.id === 'launch');
  return {
    ...real,
    choices: { ...real.choices, model: NAME },
    progress: { current: 'launch', steps: real.progress.steps.map((s, i) => ({ ...s, state: i < at ? 'done' : 'todo' })) },
    engine_name: NAME,
    launch: { model: NAME, variant: 'bf16', name: NAME },
  };
}

test('the wizard\'s Launch step: the same fix, its download, and "Cancel the download"', async () => {
  const server = await startServer(['--gpus', '1xH100-80GB']);
  const world = {};
  const { context, page } = await stagedPage(world, ['torch.OutOfMemoryError: CUDA out of memory.']);
  try {
    const setup = await setupAtLaunch(server);
    await page.route('**/api/setup', (route) => (route.request().method() === 'GET' ? route.fulfill({ json: setup }) : route.continue()));
    await page.route(`**/api/engines/${NAME}/stop`, (route) => {
      // As the server answers a stop while it waits: the wait ends, the download it started
      // is cancelled, and the failure is back with its fix.
      world.engines = [engine('failed', { remedy: OFFER })];
      world.jobs = [{ ...DOWNLOAD, state: 'cancelled', finished_ms: Date.now() }];
      return route.fulfill({ json: world.engines[0] });
    });
    await page.goto(`${server.url}/#/setup`);
    await page.locator('[data-testid="setup-panel"][data-step="launch"]').waitFor();
    const fix = page.getByTestId('setup-launch-remedy');
    const cancel = page.getByTestId('setup-launch-cancel-download');
    const start = page.getByTestId('setup-launch-start');
    const waiting = page.getByTestId('engine-waiting');
    await fix.waitFor();
    assert.equal(await fix.textContent(), OFFER.label);
    assert.equal(await fix.getAttribute('title'), `Downloads ${AWQ} from Hugging Face, then starts the engine with it`);
    assert.equal(await start.getAttribute('class'), 'secondary', 'the fix leads, starting the same way again is second');
    assert.equal(await start.textContent(), 'Start again');
    assert.match(await page.getByTestId('setup-launch-failure').textContent(), /CUDA out of memory/);
    assert.ok(await cancel.isHidden(), 'nothing to cancel before the fix');
    await screenshot(page, 'setup-launch-checkpoint-offered');

    await fix.click();
    await waiting.waitFor();
    assert.match(await waiting.textContent(), new RegExp(`Downloading ${AWQ} first`));
    assert.match(await waiting.textContent(), /Cancel the download cancels the download; what was fetched is kept/);
    await page.waitForFunction(() => /file 2 of 4/.test(document.querySelector('[data-testid="engine-waiting-facts"]')?.textContent ?? ''));
    assert.equal(await page.getByTestId('engine-waiting-progress').getAttribute('aria-valuenow'), '42.5');
    assert.ok(await cancel.isVisible(), '"Cancel the download" is offered while it waits');
    for (const hidden of ['setup-launch-remedy', 'setup-launch-start', 'setup-launch-failure']) assert.ok(await page.getByTestId(hidden).isHidden(), `${hidden} is hidden while it waits`);
    assert.equal(await page.getByTestId('setup-launch-state').textContent(), `${NAME}: downloading the checkpoint first…`);
    await page.waitForTimeout(500); // the bar's width eases in
    await screenshot(page, 'setup-launch-checkpoint-downloading');

    await cancel.click();
    await fix.waitFor();
    await waiting.waitFor({ state: 'hidden' });
    assert.ok(await cancel.isHidden(), 'nothing left to cancel');
    assert.ok(await start.isVisible(), 'starting again is offered');
    assert.equal(await page.getByTestId('setup-launch-state').getAttribute('data-state'), 'failed');
    assert.equal(await page.getByTestId('setup-launch-state').textContent(), `${NAME} failed.`);
    const calls = await page.evaluate(() => window.__ipcCalls);
    assert.deepEqual(calls.find((c) => c.cmd === 'engine_apply_remedy')?.args, { name: NAME });
    assert.deepEqual(calls.find((c) => c.cmd === 'engine_stop')?.args, { name: NAME });
    assert.ok(calls.findIndex((c) => c.cmd === 'engine_stop') > calls.findIndex((c) => c.cmd === 'engine_apply_remedy'), 'the stop came after the fix');
  } finally {
    await context.close();
    await server.stop();
  }
});
