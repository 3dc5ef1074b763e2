// End-to-end tests of the Duo Workstation desktop binary: the real window, driven through
// tauri-driver. A fresh data folder opens on the setup wizard: scenario w walks its first
// steps (the system check runs in Rust) and then watches the dashboard's charts fill.
// Scenario a runs on described 2×A100 hardware and clicks through the plan form (the spec
// parser lives only in Rust, so a planned 8×H100 proves the click reached Rust and came
// back); scenario b runs on the real driver probe. Screenshots land in artifacts/.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Session, startDriver, waitFor } from './webdriver.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const APP = process.env.DUOWS_DESKTOP_BIN ?? join(repo, 'target/debug/duo-workstation');
const TAURI_DRIVER = process.env.TAURI_DRIVER ?? join(repo, '.tools/bin/tauri-driver');
const NATIVE_DRIVER = process.env.NATIVE_DRIVER ?? '/usr/bin/WebKitWebDriver';
const ARTIFACTS = join(here, 'artifacts');
const FIXTURE = join(repo, 'fixtures/hardware/2xa100-80gb-nvlink.json');

const byId = (id) => `[data-testid="${id}"]`;

/**
 * Starts the app in a fresh data folder; `gpus` is DUOWS_GPUS, or null for the real probe;
 * `extraEnv` is added to its environment. A fresh folder opens on the setup wizard; with
 * `page` the test moves to that page's tab first.
 */
async function launch(name, gpus, extraEnv = {}, page = 'hardware') {
  const home = mkdtempSync(join(tmpdir(), `duows-desktop-${name}-`));
  const env = { ...process.env, ...extraEnv, DUOWS_HOME: join(home, 'duows'), XDG_DATA_HOME: join(home, 'data'), XDG_CACHE_HOME: join(home, 'cache'), XDG_CONFIG_HOME: join(home, 'config') };
  delete env.DUOWS_GPUS;
  if (gpus) env.DUOWS_GPUS = gpus;

  const driver = await startDriver({ driverBin: TAURI_DRIVER, nativeDriver: NATIVE_DRIVER, env });
  let session;
  try {
    session = await Session.create(driver.url, APP);
    await session.find(byId('setup-page'), 20_000);
    if (page) {
      await session.click(await session.find(byId(`nav-${page}`)));
      await session.find(byId(`${page}-page`), 10_000);
    }
  } catch (error) {
    await session?.delete().catch(() => undefined);
    await driver.stop();
    rmSync(home, { recursive: true, force: true });
    throw new Error(`${error.message}\n--- tauri-driver output (tail) ---\n${driver.log.join('').slice(-2000)}`);
  }

  return {
    session,
    home,
    /** Saves the final window as artifacts/<name>.png, then ends the session and every process. */
    async close() {
      try {
        mkdirSync(ARTIFACTS, { recursive: true });
        writeFileSync(join(ARTIFACTS, `${name}.png`), await session.screenshot());
      } finally {
        await session.delete().catch(() => undefined);
        await driver.stop();
        rmSync(home, { recursive: true, force: true });
      }
    },
  };
}

/** The texts of all GPU cards, once there are exactly `count` of them. */
async function cardTexts(s, count) {
  const cards = await s.findAll(byId('gpu-card'));
  if (cards.length !== count) return null;
  // textContent: WebKitWebDriver's visible text leaves out the card's <h3> GPU name.
  return Promise.all(cards.map((c) => s.textContent(c)));
}

async function plan(s, spec) {
  await s.type(await s.find(byId('plan-spec')), spec);
  await s.click(await s.find(byId('plan-submit')));
}

describe('w: the setup wizard opens a fresh window, then the dashboard', () => {
  let app;
  before(async () => {
    app = await launch('w-setup-wizard', FIXTURE, {}, null);
  });
  after(() => app?.close());

  it('the first steps: welcome, the system check run in Rust, the features', async () => {
    const s = app.session;
    const panel = await s.find(byId('setup-panel'));
    await waitFor('the welcome step', async () => (await s.attribute(panel, 'data-step')) === 'welcome');
    await s.find(byId('setup-recommended'), 20_000);
    await s.click(await s.find(byId('setup-welcome-next')));
    await waitFor('the system check', async () => (await s.attribute(panel, 'data-step')) === 'check');
    const lines = await waitFor('check lines', async () => {
      const found = await s.findAll(byId('setup-check-line'));
      return found.length >= 5 && found;
    }, 20_000);
    const areas = await Promise.all(lines.map((l) => s.attribute(l, 'data-area')));
    assert.ok(areas.includes('disk') && areas.includes('memory'), areas.join(', '));
    await s.click(await s.find(byId('setup-check-next')));
    await waitFor('the features step', async () => (await s.attribute(panel, 'data-step')) === 'features');
    await s.find(byId('setup-feature'), 10_000);
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, 'w-setup-features.png'), await s.screenshot());
  });

  it('the theme chosen in the header is kept by the store plugin in the app data folder', async () => {
    const s = app.session;
    await s.click(await s.find('[data-testid="theme-select"] option[value="light"]'));
    const file = join(app.home, 'data', 'dev.duoworkstation.desktop', 'ui-state.json');
    const saved = await waitFor('ui-state.json with the theme', async () => {
      try {
        const state = JSON.parse(readFileSync(file, 'utf8'));
        return state.theme === 'light' && state;
      } catch {
        return null;
      }
    });
    assert.equal(saved.lastPage, 'setup', 'the page shown is kept too');
    assert.equal(await s.execute("return document.documentElement.dataset.theme ?? ''"), 'light');
    assert.equal(saved.setupStep ?? '', '', 'the wizard kept no step of its own');
  });

  it('the dashboard: its charts receive points from the live channel', async () => {
    const s = app.session;
    await s.click(await s.find(byId('nav-dashboard')));
    await s.find(byId('dashboard-page'));
    const chart = await s.find(byId('metric-chart'), 10_000);
    await waitFor('points in a chart', async () => Number(await s.attribute(chart, 'data-points')) >= 2, 20_000);
  });
});

describe('a: described 2×A100 hardware, then a plan through Rust', () => {
  let app;
  before(async () => {
    app = await launch('a-described-2xa100', FIXTURE);
  });
  after(() => app?.close());

  it('the window is titled "Duo Workstation"', async () => {
    assert.equal(await app.session.title(), 'Duo Workstation');
  });

  it('shows two A100 GPU cards and the system panel', async () => {
    const s = app.session;
    const texts = await waitFor('2 gpu-cards', () => cardTexts(s, 2));
    for (const text of texts) assert.match(text, /A100/);
    assert.ok(await s.displayed(await s.find(byId('system-panel'))));
  });

  it('live samples arrive from Rust over the Tauri channel, about once a second', async () => {
    const s = app.session;
    const time = await s.find(byId('sample-time'));
    const count = async () => Number(await s.attribute(time, 'data-count'));
    const first = await waitFor('a first sample', async () => (await count()) > 0 && count());
    const later = await waitFor('two more samples', async () => (await count()) >= first + 2 && count());
    assert.ok(later >= first + 2, `${first} then ${later}`);
  });

  it('planning 8xH100-80GB shows eight H100 cards described by Rust', async () => {
    const s = app.session;
    await plan(s, '8xH100-80GB');
    await waitFor('8 gpu-cards containing H100', async () => (await cardTexts(s, 8))?.every((t) => t.includes('H100')));
  });

  it('planning 3xFOO shows the error from Rust next to the field', async () => {
    const s = app.session;
    await plan(s, '3xFOO');
    const error = await s.find(byId('plan-error'));
    const text = await waitFor('a visible plan-error', async () => (await s.displayed(error)) && s.text(error));
    assert.match(text, /FOO/);
  });
});

describe('b: the real driver probe', () => {
  let app;
  before(async () => {
    app = await launch('b-real-probe', null);
  });
  after(() => app?.close());

  it('shows "No NVIDIA driver found", or GPU cards on a machine with a driver', async (t) => {
    const s = app.session;
    const found = await waitFor('no-gpu-banner or a gpu-card', async () => {
      const [banner] = await s.findAll(byId('no-gpu-banner'));
      if (banner) return { banner };
      const cards = await s.findAll(byId('gpu-card'));
      return cards.length > 0 && { cards };
    });
    if (found.banner) {
      assert.ok(await s.displayed(found.banner), 'no-gpu-banner is visible');
      assert.match(await s.text(found.banner), /No NVIDIA driver found/);
    } else {
      const msg = `this machine has an NVIDIA driver: ${found.cards.length} GPU card(s) shown instead of the no-driver banner`;
      t.diagnostic(msg);
      console.log(`# ${msg}`);
    }
  });
});

describe('c: the Engines page follows the live event channel from Rust', () => {
  let app;
  before(async () => {
    // A Python without llama-cpp-python: the engine starts, then fails with its reason.
    app = await launch('c-live-engines', 'none', { DUOWS_LLAMA_CPP_PYTHON: '/usr/bin/python3' }, 'engines');
  });
  after(() => app?.close());

  // The start answers with the engine's first state (starting); the page asks nothing more,
  // so the failure can only arrive through the event channel.
  it('an engine started from the window shows its failure as it happens', async () => {
    const s = app.session;
    await s.click(await s.find(byId('nav-engines')));
    await s.find(byId('engine-start-form'));
    const gguf = join(app.home, 'tiny.gguf');
    writeFileSync(gguf, 'GGUF');
    await s.click(await s.find(byId('engine-source-gguf')));
    await s.type(await s.find(byId('engine-gguf')), gguf);
    await s.type(await s.find(byId('engine-name')), 'tiny');
    await s.click(await s.find(byId('engine-start')));
    const card = await s.find('[data-testid="engine-card"][data-engine="tiny"]', 20_000);
    await waitFor('the card to say failed', async () => (await s.attribute(card, 'data-state')) === 'failed', 30_000);
    const fix = await s.textContent(await s.find(byId('engine-failure-fix')));
    assert.match(fix, /not installed/i);
    await s.find(byId('engine-retry'));
    // Let the window paint the last state before the closing screenshot.
    await new Promise((resolve) => setTimeout(resolve, 1000));
  });
});
