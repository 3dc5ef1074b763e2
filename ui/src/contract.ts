// The command table (`contract/commands.json`, shared with the server and the desktop
// shell): how each command is sent over HTTP. Pure functions, unit-tested.

import table from '../../contract/commands.json';

export interface CommandSpec {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** With `{argument}` for the arguments in the path. */
  path: string;
  /** Where the body comes from: the `params` or `settings` argument, or the arguments not in the path. */
  body?: 'params' | 'settings' | 'args';
  /** Arguments sent in the query string (when given). */
  query?: string[];
  /** A subscription's event name. */
  stream?: string;
  /** Arguments as the window sends them (the tests send them on both transports). */
  example?: unknown;
}

/** Every command of the table. */
export const COMMAND_SPECS: readonly CommandSpec[] = table.commands as CommandSpec[];

const BY_NAME = new Map(COMMAND_SPECS.map((spec) => [spec.name, spec]));

/** The table's entry of `name`; throws for a command the table lacks. */
export function commandSpec(name: string): CommandSpec {
  const spec = BY_NAME.get(name);
  if (!spec) throw new Error(`${name} is not in contract/commands.json`);
  return spec;
}

export interface HttpRequest {
  method: CommandSpec['method'];
  path: string;
  body?: unknown;
}

/** A path or query value as text: strings, numbers and booleans only. */
function scalar(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';
}

/** The HTTP request of a command called with `args`. */
export function httpRequest(spec: CommandSpec, args: unknown): HttpRequest {
  const given = (typeof args === 'object' && args !== null ? args : {}) as Record<string, unknown>;
  const used = new Set<string>();
  let path = spec.path.replace(/\{(\w+)\}/g, (_, key: string) => {
    used.add(key);
    return encodeURIComponent(scalar(given[key]));
  });
  const query = (spec.query ?? [])
    .filter((key) => given[key] !== undefined)
    .map((key) => {
      used.add(key);
      return `${encodeURIComponent(key)}=${encodeURIComponent(scalar(given[key]))}`;
    });
  if (query.length > 0) path += `?${query.join('&')}`;
  const request: HttpRequest = { method: spec.method, path };
  if (spec.body === 'params') request.body = given.params;
  else if (spec.body === 'settings') request.body = given.settings;
  else if (spec.body === 'args') request.body = Object.fromEntries(Object.entries(given).filter(([key]) => !used.has(key)));
  return request;
}
