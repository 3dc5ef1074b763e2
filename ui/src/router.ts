// Hash routing between the pages: `#/setup` (the wizard), `#/hardware` (the default),
// `#/dashboard`, `#/models`, `#/engines`, `#/gateway`, `#/gitlab`, `#/doctor` and `#/settings`.
// transport.ts has already taken any `#token=…` out of the fragment when this runs.

export type Route = 'setup' | 'hardware' | 'dashboard' | 'models' | 'engines' | 'gateway' | 'gitlab' | 'doctor' | 'settings';

export const ROUTES: readonly Route[] = ['setup', 'hardware', 'dashboard', 'models', 'engines', 'gateway', 'gitlab', 'doctor', 'settings'];

/** The page a fragment names; anything unknown is the hardware overview. */
export function routeOf(hash: string): Route {
  const path = hash.replace(/^#\/?/, '').split(/[&?]/)[0] ?? '';
  return (ROUTES as readonly string[]).includes(path) ? (path as Route) : 'hardware';
}

export function hrefOf(route: Route): string {
  return `#/${route}`;
}

/** Calls `onRoute` with the current page now and whenever the fragment changes. */
export function watchRoute(onRoute: (route: Route) => void): void {
  window.addEventListener('hashchange', () => {
    onRoute(routeOf(window.location.hash));
  });
  onRoute(routeOf(window.location.hash));
}
