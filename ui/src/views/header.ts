// The page header: app name and version, a tab per page (`nav-<route>`), the driver line,
// the live-sample clock (`data-testid="sample-time"`, which changes with every sample
// that arrives, and says when the live connection broke) and the theme (`theme-select`).

import { h } from '../dom';
import { clock } from '../format';
import { hrefOf, type Route } from '../router';
import { applyTheme, savedTheme, THEME_CHOICES, type ThemeChoice } from '../theme';
import type { ConnectionState } from '../store';
import type { DriverState, VersionInfo } from '../types';

export interface Header {
  el: HTMLElement;
  setVersion: (info: VersionInfo) => void;
  setDriver: (driver: DriverState | null) => void;
  setSample: (timestampMs: number) => void;
  setConnection: (state: ConnectionState) => void;
  /** Marks the tab of the page on screen. */
  setRoute: (route: Route) => void;
  /** Shows the theme in force (read from the UI state after the header was built). */
  setTheme: (choice: ThemeChoice) => void;
}

/** A page's tab: its route and the word on the tab. */
export interface Tab {
  route: Route;
  label: string;
}

function driverText(driver: DriverState): string {
  switch (driver.status) {
    case 'ok': {
      const parts = [`NVIDIA driver ${driver.driver_version ?? 'version unknown'}`];
      if (driver.cuda_driver_version) parts.push(`CUDA ${driver.cuda_driver_version}`);
      return parts.join(' · ');
    }
    case 'described':
      return 'Described hardware';
    default:
      return 'NVIDIA driver unavailable';
  }
}

export function header(pages: readonly Tab[]): Header {
  const version = h('span', { class: 'app-version', 'data-testid': 'app-version' });
  const driver = h('span', { class: 'driver-line', 'data-testid': 'driver-line' });
  const dot = h('span', { class: 'live-dot', 'aria-hidden': 'true' });
  const time = h('span', { 'data-testid': 'sample-time', 'data-count': 0 }, 'waiting for data…');
  const live = h('span', { class: 'live waiting', title: 'Live samples from this machine, once a second' }, dot, time);
  let count = 0;
  const theme = h(
    'select',
    { class: 'theme-select', 'data-testid': 'theme-select', 'aria-label': 'Theme', title: 'Theme' },
    ...THEME_CHOICES.map((choice) => h('option', { value: choice }, choice === 'system' ? 'System theme' : choice === 'light' ? 'Light' : 'Dark')),
  );
  theme.value = savedTheme();
  theme.addEventListener('change', () => {
    applyTheme(theme.value as ThemeChoice, true);
  });
  const tabs = pages.map(({ route, label }) => ({
    route,
    el: h('a', { class: 'tab', href: hrefOf(route), 'data-testid': `nav-${route}` }, label),
  }));

  const el = h(
    'header',
    { class: 'app-header' },
    h('div', { class: 'brand' }, h('img', { src: './favicon.png', alt: '', width: 28, height: 28 }), h('h1', undefined, 'Duo Workstation'), version),
    h('nav', { class: 'tabs', 'aria-label': 'Pages' }, ...tabs.map((t) => t.el)),
    h('div', { class: 'header-right' }, driver, live, theme),
  );

  return {
    el,
    setVersion(info) {
      version.textContent = `v${info.version}`;
    },
    setDriver(state) {
      driver.textContent = state ? driverText(state) : '';
    },
    setSample(timestampMs) {
      count += 1;
      time.textContent = `Live · ${clock(timestampMs)}`;
      time.dataset.count = String(count);
      live.classList.remove('waiting', 'broken');
    },
    setConnection(state) {
      if (state === 'reconnecting') {
        live.classList.add('broken');
        time.textContent = 'Reconnecting…';
      }
    },
    setTheme(choice) {
      theme.value = choice;
    },
    setRoute(route) {
      for (const tab of tabs) {
        if (tab.route === route) tab.el.setAttribute('aria-current', 'page');
        else tab.el.removeAttribute('aria-current');
      }
    },
  };
}
