import { describe, expect, it } from 'vitest';
import { bucketMs, chartColumns, firstAtOrAfter, type MetricReader } from './chart-data';
import type { GpuPoint } from './store';
import type { GpuSample } from './types';

function point(t: number, util: number | null, index = 0): GpuPoint {
  const gpu: GpuSample = {
    index,
    utilization_gpu_percent: util,
    utilization_memory_percent: null,
    memory_used_bytes: null,
    memory_free_bytes: null,
    temperature_c: null,
    power_draw_watts: null,
    clock_sm_mhz: null,
    clock_memory_mhz: null,
    fan_speed_percent: null,
    processes: [],
  };
  return { timestamp_ms: t, gpu };
}

const util: MetricReader = (gpu) => gpu.utilization_gpu_percent;
const MIN = 60_000;

describe('chart columns', () => {
  it('buckets are a second at least, wider when the window has more seconds than points', () => {
    expect(bucketMs(MIN, 600)).toBe(1000);
    expect(bucketMs(60 * MIN, 600)).toBe(6000);
    expect(bucketMs(15 * MIN, 400)).toBe(3000);
    expect(bucketMs(5 * MIN, 0)).toBe(300_000);
  });

  it('finds the first point of a window by time', () => {
    const points = [1000, 2000, 3000, 4000].map((t) => point(t, 1));
    expect(firstAtOrAfter(points, 0)).toBe(0);
    expect(firstAtOrAfter(points, 2500)).toBe(2);
    expect(firstAtOrAfter(points, 3000)).toBe(2);
    expect(firstAtOrAfter(points, 9000)).toBe(4);
  });

  it('keeps only the window, in seconds, one column per GPU', () => {
    const now = 10 * MIN;
    const gpu0 = [now - 2 * MIN, now - 30_000, now - 1000, now].map((t, i) => point(t, i * 10, 0));
    const gpu1 = [now - 30_000, now].map((t) => point(t, 50, 1));
    const columns = chartColumns([gpu0, gpu1], util, MIN, now, 600);
    expect(columns.x).toEqual([(now - 30_000) / 1000, (now - 1000) / 1000, now / 1000]);
    expect(columns.ys).toEqual([
      [10, 20, 30],
      [50, null, 50],
    ]);
  });

  it('averages the samples of a bucket and places it at its newest sample', () => {
    const now = 60 * MIN;
    // one sample a second over the last hour: 6 s buckets for 600 points
    const points = Array.from({ length: 3600 }, (_, i) => point(now - 3599_000 + i * 1000, i % 2 === 0 ? 0 : 100));
    const columns = chartColumns([points], util, 60 * MIN, now, 600);
    expect(columns.x.length).toBeLessThanOrEqual(601);
    expect(columns.x.length).toBeGreaterThanOrEqual(600);
    expect(columns.x[columns.x.length - 1]).toBe(now / 1000);
    const inner = (columns.ys[0] ?? []).slice(1, -1);
    expect(inner.every((v) => v === 50)).toBe(true);
  });

  it('leaves out what a GPU did not report, and buckets nobody reported in', () => {
    const now = 5 * MIN;
    const points = [point(now - 3000, null), point(now - 2000, 40), point(now - 1000, null)];
    const columns = chartColumns([points], util, MIN, now, 600);
    expect(columns.x).toEqual([(now - 2000) / 1000]);
    expect(columns.ys).toEqual([[40]]);
    expect(chartColumns([[point(now, null)]], util, MIN, now, 600)).toEqual({ x: [], ys: [[]] });
  });
});
