// Entry point: the header with its page tabs, the pages (Hardware, Models, Engines, Gateway)
// and the hash routing between them. Pages stay in the document once built, so switching back
// and forth keeps their state; Models, Engines and Gateway load their data the first time they
// are shown, and Engines and Gateway poll only while they are on screen.

import './styles.css';
import { enginesPage, type EnginesPage } from './pages/engines';
import { gatewayPage, type GatewayPage } from './pages/gateway';
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
let engines: EnginesPage | null = null;
let gateway: GatewayPage | null = null;

const TITLES: Record<Route, string> = {
  hardware: 'Duo Workstation',
  models: 'Models · Duo Workstation',
  engines: 'Engines · Duo Workstation',
  gateway: 'Gateway · Duo Workstation',
};

function showRoute(route: Route): void {
  top.setRoute(route);
  if (route === 'models' && !models) {
    models = modelsPage();
    root.append(models.el);
  }
  if (route === 'engines' && !engines) {
    engines = enginesPage();
    root.append(engines.el);
  }
  if (route === 'gateway' && !gateway) {
    gateway = gatewayPage();
    root.append(gateway.el);
  }
  hardware.el.hidden = route !== 'hardware';
  if (models) models.el.hidden = route !== 'models';
  if (engines) engines.el.hidden = route !== 'engines';
  if (gateway) gateway.el.hidden = route !== 'gateway';
  if (route === 'models') models?.show();
  if (route === 'engines') engines?.show();
  else engines?.hide();
  if (route === 'gateway') gateway?.show();
  else gateway?.hide();
  document.title = TITLES[route];
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
    engines?.serverTime(sample.timestamp_ms);
  }, top.setStream);
});
