// The setup wizard's pure parts: each step's name, the overall progress, which step to show,
// the download line (bytes done of total, a smoothed rate, time left, file n of m), the
// features ticked by default and whether GitLab can reach the gateway at the address given.
// No DOM; unit-tested.

import { duration, sizeOf, speed } from './format';
import type { DownloadProgress, Feature, GatewayInfo, RatingRange, SetupProgress, StepId } from './types';

export const STEP_TITLE: Record<StepId, string> = {
  welcome: 'Welcome',
  check: 'System check',
  features: 'Duo features',
  model: 'Model',
  engine: 'Engine',
  weights: 'Weights',
  launch: 'Launch',
  gateway: 'Gateway',
  gitlab: 'GitLab',
  done: 'Done',
};

/** Steps whose result exists (done or skipped), and the share of the whole, 0..100. */
export function overall(progress: SetupProgress): { finished: number; total: number; percent: number } {
  const total = progress.steps.length;
  const finished = progress.steps.filter((s) => s.state !== 'todo').length;
  return { finished, total, percent: total === 0 ? 0 : (finished / total) * 100 };
}

/**
 * The step to show: the one the person picked, while it is not beyond the first missing
 * result (a later step cannot work yet); else the first missing result.
 */
export function stepToShow(progress: SetupProgress, picked: StepId | null): StepId {
  if (picked === null) return progress.current;
  const order = progress.steps.map((s) => s.id);
  return order.indexOf(picked) <= order.indexOf(progress.current) ? picked : progress.current;
}

/** A download rate smoothed over the last several seconds (exponential, ~5 s). */
export interface RateMeter {
  /** Feeds the rate the server reported at `nowMs`; returns the smoothed rate. */
  add(bytesPerSecond: number, nowMs: number): number;
  reset(): void;
}

export function rateMeter(windowMs = 5000): RateMeter {
  let smoothed: number | null = null;
  let last = 0;
  return {
    add(bytesPerSecond, nowMs) {
      if (smoothed === null) {
        smoothed = bytesPerSecond;
      } else {
        const weight = 1 - Math.exp(-Math.max(0, nowMs - last) / windowMs);
        smoothed += (bytesPerSecond - smoothed) * weight;
      }
      last = nowMs;
      return smoothed;
    },
    reset() {
      smoothed = null;
    },
  };
}

/** "1.2 / 4.4 GB · 85.0 MB/s · 38 s left · file 2 of 5". */
export function downloadLine(progress: DownloadProgress, rate: number): string {
  const parts = [sizeOf(progress.done_bytes, progress.total_bytes)];
  if (rate > 0) {
    parts.push(speed(rate));
    const left = Math.max(0, progress.total_bytes - progress.done_bytes);
    parts.push(`${duration((left / rate) * 1000)} left`);
  }
  if (progress.files_total > 1) parts.push(`file ${Math.min(progress.files_done + 1, progress.files_total)} of ${progress.files_total}`);
  return parts.join(' · ');
}

/** The features ticked at first: every generally available one (beta and experiments are a choice). */
export function defaultFeatures(features: readonly Feature[]): string[] {
  return features.filter((f) => f.state === 'ga').map((f) => f.key);
}

/** Ratings that mean GitLab lists the model for a feature. */
const RATED = new Set(['full', 'largely', 'partial', 'listed']);

/** How many of the `chosen` features a model with `ratings` is rated for. */
export function ratedCount(chosen: readonly string[], features: readonly Feature[], ratings: RatingRange | null): number {
  if (!ratings) return 0;
  return chosen.filter((key) => {
    const feature = features.find((f) => f.key === key);
    return feature !== undefined && RATED.has(ratings[feature.rated_as]);
  }).length;
}

/** The gateway's port when an address names none (as the server reads the address). */
const DEFAULT_GATEWAY_PORT = 8000;

/** An address GitLab is given for the gateway, read the way the server reads it. */
export interface GatewayAddress {
  /** What GitLab is sent for every model: `http://gpu-1.lan:8000/v1`. */
  endpoint: string;
  /** The gateway's own port, when the address names the gateway itself rather than a proxy URL. */
  gatewayPort: number | null;
  /** The host (and path) without the port, to say the address with another port. */
  host: string;
  /** The path after the host, if any (`/duo`). */
  path: string;
}

/**
 * Reads "the address GitLab reaches this machine at" as the server does: `HOST[:PORT][/PATH]`
 * is plain http on port 8000 unless one is named; a URL with a scheme is a proxy in front,
 * kept as written. A trailing `/` or `/v1` is dropped. Null when empty.
 */
export function gatewayAddress(text: string): GatewayAddress | null {
  const typed = text.trim();
  if (typed === '') return null;
  const explicit = typed.includes('://');
  const [scheme, rawRest] = explicit ? [typed.slice(0, typed.indexOf('://')), typed.slice(typed.indexOf('://') + 3)] : ['http', typed];
  const trimmed = rawRest.replace(/\/+$/, '');
  const rest = trimmed.endsWith('/v1') ? trimmed.slice(0, -3) : trimmed;
  const slash = rest.indexOf('/');
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? '' : rest.slice(slash);
  const portText = /^(\[[^\]]*\]|[^:]*):(\d+)$/.exec(authority);
  const host = portText?.[1] ?? authority;
  const port = portText?.[2] !== undefined ? Number(portText[2]) : explicit ? null : DEFAULT_GATEWAY_PORT;
  const withPort = port === null ? host : `${host}:${port}`;
  return { endpoint: `${scheme}://${withPort}${path}/v1`, gatewayPort: explicit ? null : port, host, path };
}

/**
 * Why GitLab may not reach the gateway at `address` (what was typed for "the address GitLab
 * reaches this machine at"), given where the gateway listens now; empty when nothing is seen
 * wrong. A URL with a scheme goes through a proxy with its own port: only its reach is checked.
 */
export function reachProblems(address: string, gateway: GatewayInfo | null): string[] {
  const given = gatewayAddress(address);
  if (given === null || !gateway?.running || !gateway.listen) return [];
  const problems: string[] = [];
  if (gateway.loopback_only) {
    problems.push('The gateway listens on this machine only, so GitLab on another machine cannot reach it: open the gateway to the network (the button in the GitLab step).');
  }
  const listening = Number(/:(\d+)$/.exec(gateway.listen)?.[1]);
  if (given.gatewayPort !== null && Number.isInteger(listening) && listening > 0 && given.gatewayPort !== listening) {
    problems.push(`GitLab is given port ${given.gatewayPort}, but the gateway listens on port ${listening}: use ${given.host}:${listening}${given.path}.`);
  }
  return problems;
}
