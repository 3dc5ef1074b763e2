// Entry point: the header with its page tabs, the two pages (Hardware, Models) and the hash
// routing between them. Both pages stay in the document once built, so switching back and
// forth keeps their state; the Models page loads its data the first time it is shown.

import './styles.css';
import { hardwarePage } from './pages/hardware';
import { modelsPage, type ModelsPage } from './pages/models';
import { watchRoute, type Route } from './router';
import { adoptTokenFromUrl, api, subscribeSamples } from './transport';
import { ApiError } from './types';
import { header } from './views/header';

const root = document.getElementById('app') ?? document.body;
const top = header();
const hardware = hardwarePage(top);
let models: ModelsPage | null = null;

function showRoute(route: Route): void {
  top.setRoute(route);
  if (route === 'models' && !models) {
    models = modelsPage();
    root.append(models.el);
  }
  hardware.el.hidden = route !== 'hardware';
  if (models) models.el.hidden = route !== 'models';
  if (route === 'models') models?.show();
  document.title = route === 'models' ? 'Models · Duo Workstation' : 'Duo Workstation';
}

window.addEventListener('unhandledrejection', (event) => {
  if (event.reason instanceof ApiError) event.preventDefault();
});

root.replaceChildren(top.el, hardware.el);
// A token pasted into an open page's address arrives as a fragment change: take it out
// before the route is read (this listener runs before the router's).
window.addEventListener('hashchange', adoptTokenFromUrl);
watchRoute(showRoute);
api.version().then(top.setVersion, () => undefined);
void hardware.start().then(() => {
  subscribeSamples((sample) => {
    top.setSample(sample.timestamp_ms);
    hardware.applySample(sample);
  }, top.setStream);
});
