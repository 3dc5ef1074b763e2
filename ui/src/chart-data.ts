// What the dashboard's charts draw: the store's per-GPU history cut to the chosen window
// and averaged into at most one point per time bucket (a chart never holds more points than
// it has pixels), as columns that uPlot takes as they are. Pure functions, no DOM.

import type { GpuPoint } from './store';
import type { GpuSample } from './types';

/** The windows a dashboard offers, in minutes; the server keeps an hour. */
export const WINDOW_MINUTES = [1, 5, 15, 60] as const;
export type WindowMinutes = (typeof WINDOW_MINUTES)[number];

/** Reads one metric of a sample, in the unit the chart shows; null when not reported. */
export type MetricReader = (gpu: GpuSample) => number | null;

/** Columns for uPlot: times in seconds, then one column of values per GPU (null: no value). */
export interface ChartColumns {
  /** Seconds since the epoch, ascending. */
  x: number[];
  /** One column per GPU, in the order asked for, each as long as `x`. */
  ys: (number | null)[][];
}

/** The bucket width for a window drawn with at most `maxPoints` points: at least a second. */
export function bucketMs(windowMs: number, maxPoints: number): number {
  return Math.max(1000, Math.ceil(windowMs / Math.max(1, maxPoints) / 1000) * 1000);
}

/** The index of the first point at or after `sinceMs` (points are in time order). */
export function firstAtOrAfter(points: readonly GpuPoint[], sinceMs: number): number {
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((points[mid]?.timestamp_ms ?? Infinity) < sinceMs) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The points of each GPU in `histories` taken in the window `(nowMs - windowMs, nowMs]`,
 * averaged per bucket of `bucketMs(windowMs, maxPoints)`. A bucket's time is the newest
 * sample in it, so the newest point sits at the newest sample's time. Buckets no GPU has a
 * value in are left out (the line joins its neighbours rather than breaking at every gap
 * of the coarser old history).
 */
export function chartColumns(
  histories: readonly (readonly GpuPoint[])[],
  read: MetricReader,
  windowMs: number,
  nowMs: number,
  maxPoints: number,
): ChartColumns {
  const width = bucketMs(windowMs, maxPoints);
  const since = nowMs - windowMs;
  // bucket number → [newest time, then per GPU sum and count]
  const buckets = new Map<number, { time: number; sums: number[]; counts: number[] }>();
  histories.forEach((points, column) => {
    for (let i = firstAtOrAfter(points, since + 1); i < points.length; i += 1) {
      const point = points[i];
      if (!point || point.timestamp_ms > nowMs) break;
      const value = read(point.gpu);
      if (value === null || !Number.isFinite(value)) continue;
      const key = Math.floor(point.timestamp_ms / width);
      let bucket = buckets.get(key);
      if (!bucket) {
        bucket = { time: point.timestamp_ms, sums: histories.map(() => 0), counts: histories.map(() => 0) };
        buckets.set(key, bucket);
      }
      bucket.time = Math.max(bucket.time, point.timestamp_ms);
      bucket.sums[column] = (bucket.sums[column] ?? 0) + value;
      bucket.counts[column] = (bucket.counts[column] ?? 0) + 1;
    }
  });
  const ordered = [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([, bucket]) => bucket);
  return {
    x: ordered.map((b) => b.time / 1000),
    ys: histories.map((_, column) =>
      ordered.map((b) => {
        const count = b.counts[column] ?? 0;
        return count === 0 ? null : (b.sums[column] ?? 0) / count;
      }),
    ),
  };
}
