// What an open Dashboard page costs the browser: main-thread task time of headless Chromium
// (Chrome DevTools Protocol `Performance.getMetrics`, TaskDuration) while the page shows a
// described 8×H100 machine at 1 Hz, in consecutive spans, so a cost that climbs over time
// shows. Uses the e2e tests' harness and playwright-core (run `npm ci` in tests/e2e first):
//   node bench/dashboard-ui-cpu.mjs [spans] [seconds per span] [window minutes]
// e.g. node bench/dashboard-ui-cpu.mjs 4 30 1   (DUOWS_BIN and CHROMIUM as for the e2e tests)

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser, startServer } from '../tests/e2e/harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const spans = Number(process.argv[2] ?? 4);
const seconds = Number(process.argv[3] ?? 30);
const windowMinutes = Number(process.argv[4] ?? 1);
const description = path.resolve(here, '../fixtures/hardware/8xh100-80gb.json');

const server = await startServer(['--gpus', description]);
const browser = await launchBrowser();
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  await page.goto(`${server.url}/#/dashboard`);
  await page.getByTestId(`window-${windowMinutes}`).check();
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="metric-chart"]')?.getAttribute('data-points')) >= 1);
  const taskSeconds = async () => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    return metrics.find((m) => m.name === 'TaskDuration')?.value ?? 0;
  };
  console.log(`Dashboard, 8 GPUs described, ${windowMinutes}-minute window, ${spans} spans of ${seconds} s:`);
  let before = await taskSeconds();
  for (let i = 1; i <= spans; i += 1) {
    await page.waitForTimeout(seconds * 1000);
    const after = await taskSeconds();
    const points = await page.locator('[data-testid="metric-chart"][data-metric="utilisation"]').getAttribute('data-points');
    const busy = after - before;
    console.log(`  span ${i}: ${busy.toFixed(3)} s of main-thread tasks, ${((100 * busy) / seconds).toFixed(2)} % of one core (${points} points a line)`);
    before = after;
  }
} finally {
  await browser.close();
  await server.stop();
}
