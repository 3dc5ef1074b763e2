// The Engines page's "use the smaller checkpoint" fix, as the desktop window shows it: a vLLM
// engine that ran out of memory offers the AWQ checkpoint as one button; after the click
// the card shows the download it waits for (bytes, rate, time left) and that it starts by
// itself. The server's side (the offer from the fit, the download, the start) is tested in
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

test('out of memory: the smaller checkpoint is one button, then the card shows its download', async () => {
  const server = await startServer(['--gpus', '1xH100-80GB']);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  let engines = [engine('failed', { remedy: OFFER })];
  let jobs = [];
  try {
    await page.route('**/api/engines', (route) => route.fulfill({ json: engines }));
    await page.route('**/api/jobs', (route) => route.fulfill({ json: jobs }));
    await page.route(`**/api/engines/${NAME}/logs*`, (route) => route.fulfill({ json: ['INFO Loading safetensors checkpoint shards: 63% Completed | 5/8', 'torch.OutOfMemoryError: CUDA out of memory.'] }));
    await page.route(`**/api/engines/${NAME}/apply-remedy`, (route) => {
      engines = [engine('downloading', { download_job: JOB })];
      jobs = [DOWNLOAD];
      return route.fulfill({ json: engines[0] });
    });
    await page.addInitScript(installFakeIpc);
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
