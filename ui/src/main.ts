// Entry point: the header, the page registry (Setup, Hardware, Dashboard, Models, Engines, Gateway, GitLab, Doctor, Settings) with the
// hash routing between them, and the client store fed by the server's live event stream.
// A page is built the first time it is shown and kept in the document; only the page on
// screen follows the store. A new page is one entry in `PAGES` and a route in router.ts.

import './locale-guard';
import './styles.css';
import { connectStore } from './live';
import { pageRegistry, type PageEntry } from './page';
import { dashboardPage } from './pages/dashboard';
import { doctorPage } from './pages/doctor';
import { enginesPage } from './pages/engines';
import { gatewayPage } from './pages/gateway';
import { gitlabPage } from './pages/gitlab';
import { hardwarePage } from './pages/hardware';
import { modelsPage } from './pages/models';
import { settingsPage } from './pages/settings';
import { setupPage } from './pages/setup';
import { ROUTES, watchRoute, type Route } from './router';
import { applyTheme, savedTheme } from './theme';
import { loadUiState, setUiState, uiState } from './ui-state';
import { createStore } from './store';
import { adoptTokenFromUrl, api } from './transport';
import { ApiError, type HardwareReport } from './types';
import { header } from './views/header';

const root = document.getElementById('app') ?? document.body;
const store = createStore();

/** This machine's hardware report, read once it succeeded (the header and the Hardware page share it). */
let report: Promise<HardwareReport> | null = null;
function loadReport(): Promise<HardwareReport> {
  report ??= api.hardware().catch((error: unknown) => {
    report = null;
    throw error;
  });
  return report;
}

const PAGES: readonly (PageEntry<Route> & { label: string })[] = [
  { route: 'setup', label: 'Setup', title: 'Setup · Duo Workstation', create: () => setupPage(store) },
  { route: 'hardware', label: 'Hardware', title: 'Duo Workstation', create: () => hardwarePage(store, top, loadReport) },
  { route: 'dashboard', label: 'Dashboard', title: 'Dashboard · Duo Workstation', create: () => dashboardPage(store, loadReport) },
  { route: 'models', label: 'Models', title: 'Models · Duo Workstation', create: () => modelsPage() },
  { route: 'engines', label: 'Engines', title: 'Engines · Duo Workstation', create: () => enginesPage(store) },
  { route: 'gateway', label: 'Gateway', title: 'Gateway · Duo Workstation', create: () => gatewayPage(store) },
  { route: 'gitlab', label: 'GitLab', title: 'GitLab · Duo Workstation', create: () => gitlabPage() },
  { route: 'doctor', label: 'Doctor', title: 'Doctor · Duo Workstation', create: () => doctorPage() },
  { route: 'settings', label: 'Settings', title: 'Settings · Duo Workstation', create: () => settingsPage(store, loadReport) },
];

const top = header(PAGES);
const pages = pageRegistry(
  PAGES,
  (el) => {
    root.append(el);
  },
  (title) => {
    document.title = title;
  },
);

window.addEventListener('unhandledrejection', (event) => {
  if (event.reason instanceof ApiError) event.preventDefault();
});

root.replaceChildren(top.el);
// The first frame with the app on screen, for the cold-start benchmark (bench/desktop.sh).
requestAnimationFrame(() => {
  performance.mark('duows-first-paint');
});
store.subscribe('sample', (sample) => {
  if (sample) top.setSample(sample.timestamp_ms);
});
store.subscribe('connection', top.setConnection);
connectStore(store);
// A token pasted into an open page's address arrives as a fragment change: take it out
// before the route is read (this listener runs before the router's).
window.addEventListener('hashchange', adoptTokenFromUrl);
// A first visit without a page in the address goes to the wizard until the setup is finished,
// then to the page last shown.
loadUiState()
  .then(() => {
    applyTheme(savedTheme());
    top.setTheme(savedTheme());
    return firstPage();
  })
  .then(
    (first) => {
      if (first && window.location.hash.replace(/^#\/?/, '') === '') window.history.replaceState(null, '', `#/${first}`);
    },
    () => undefined,
  )
  .finally(() => {
    watchRoute((route) => {
      top.setRoute(route);
      pages.show(route);
      setUiState('lastPage', route);
    });
  });

async function firstPage(): Promise<Route | null> {
  if (window.location.hash.replace(/^#\/?/, '') !== '') return null;
  const last = uiState('lastPage', 'hardware', (v) => (ROUTES as readonly unknown[]).includes(v)) as Route;
  // Once finished, the first page shows at once: the wizard's status checks the engine, which
  // can take seconds on a real install.
  if (uiState('setupFinished', false, (v) => typeof v === 'boolean')) return last;
  const status = await api.setupStatus();
  if (status.choices.finished_at_ms === null || status.choices.finished_at_ms === undefined) return 'setup';
  setUiState('setupFinished', true);
  return last;
}
api.version().then(top.setVersion, () => undefined);
loadReport().then(
  (machine) => {
    if (pages.current() !== 'hardware') top.setDriver(machine.driver);
  },
  () => undefined,
);
