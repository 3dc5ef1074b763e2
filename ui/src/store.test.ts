import { describe, expect, it, vi } from 'vitest';
import { HISTORY_MS, createStore, trimHistory, type GpuPoint } from './store';
import type { EngineStatus, GpuSample, JobStatus, Sample } from './types';

function gpu(index: number, util: number): GpuSample {
  return {
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
}

function sample(t: number, ...utils: number[]): Sample {
  return { timestamp_ms: t, gpus: utils.map((u, i) => gpu(i, u)), system: { cpu_usage_percent: null, memory_available_bytes: 0 } };
}

const times = (points: readonly GpuPoint[]): number[] => points.map((p) => p.timestamp_ms);

describe('the client store', () => {
  it('starts empty and connecting', () => {
    const store = createStore();
    expect(store.get('sample')).toBeNull();
    expect(store.get('engines')).toBeNull();
    expect(store.get('jobs')).toBeNull();
    expect(store.get('gateway')).toBeNull();
    expect(store.get('connection')).toBe('connecting');
    expect(store.history(0)).toEqual([]);
  });

  it('keeps the latest sample and appends each GPU’s points', () => {
    const store = createStore();
    store.apply({ kind: 'sample', data: sample(1000, 10, 50) });
    store.apply({ kind: 'sample', data: sample(2000, 20, 60) });
    expect(store.get('sample')?.timestamp_ms).toBe(2000);
    expect(store.history(0).map((p) => p.gpu.utilization_gpu_percent)).toEqual([10, 20]);
    expect(store.history(1).map((p) => p.gpu.utilization_gpu_percent)).toEqual([50, 60]);
  });

  it('ignores a sample older than the latest, and a repeated one', () => {
    const store = createStore();
    store.apply({ kind: 'sample', data: sample(2000, 20) });
    store.apply({ kind: 'sample', data: sample(1000, 10) });
    store.apply({ kind: 'sample', data: sample(2000, 20) });
    expect(store.get('sample')?.timestamp_ms).toBe(2000);
    expect(times(store.history(0))).toEqual([2000]);
  });

  it('starts the timeline again when the server’s clock steps back', () => {
    const store = createStore();
    store.apply({ kind: 'sample', data: sample(100_000, 1) });
    store.apply({ kind: 'sample', data: sample(101_000, 2) });
    store.apply({ kind: 'sample', data: sample(40_000, 3) });
    expect(store.get('sample')?.timestamp_ms).toBe(40_000);
    expect(times(store.history(0))).toEqual([40_000]);
    store.apply({ kind: 'sample', data: sample(41_000, 4) });
    expect(times(store.history(0))).toEqual([40_000, 41_000]);
  });

  it('keeps an hour of history and drops what is older', () => {
    const store = createStore();
    store.apply({ kind: 'sample', data: sample(0, 1) });
    store.apply({ kind: 'sample', data: sample(HISTORY_MS / 2, 2) });
    store.apply({ kind: 'sample', data: sample(HISTORY_MS, 3) });
    expect(times(store.history(0))).toEqual([0, HISTORY_MS / 2, HISTORY_MS]);
    store.apply({ kind: 'sample', data: sample(HISTORY_MS + 1, 4) });
    expect(times(store.history(0))).toEqual([HISTORY_MS / 2, HISTORY_MS, HISTORY_MS + 1]);
  });

  it('puts the server’s history before the live points, without repeats', () => {
    const store = createStore();
    store.apply({ kind: 'sample', data: sample(5000, 50) });
    store.apply({ kind: 'sample', data: sample(6000, 60) });
    store.seedHistory([sample(1000, 10), sample(3000, 30), sample(5000, 50)]);
    expect(times(store.history(0))).toEqual([1000, 3000, 5000, 6000]);
  });

  it('merges a thinned hour and a full recent window into one timeline', () => {
    const store = createStore();
    store.apply({ kind: 'sample', data: sample(9000, 90) });
    store.seedHistory([sample(1000, 10), sample(5000, 50), sample(8000, 80)]);
    store.seedHistory([sample(6000, 60), sample(7000, 70), sample(8000, 80), sample(9000, 99)]);
    expect(times(store.history(0))).toEqual([1000, 5000, 6000, 7000, 8000, 9000]);
    expect(store.history(0).at(-1)?.gpu.utilization_gpu_percent).toBe(90);
  });

  it('seeds an empty store, bounded to the hour', () => {
    const store = createStore();
    const listener = vi.fn();
    store.subscribe('history', listener);
    store.seedHistory([sample(0, 1), sample(HISTORY_MS / 2, 2), sample(HISTORY_MS + 500, 3)]);
    expect(times(store.history(0))).toEqual([HISTORY_MS / 2, HISTORY_MS + 500]);
    expect(listener).toHaveBeenCalledTimes(1);
    store.seedHistory([]);
    expect(listener).toHaveBeenCalledTimes(1);
  });

  it('replaces the engines, jobs and gateway lists whole', () => {
    const store = createStore();
    const a = { name: 'a' } as EngineStatus;
    const b = { name: 'b' } as EngineStatus;
    store.apply({ kind: 'engines', data: [a, b] });
    store.apply({ kind: 'engines', data: [b] });
    expect(store.get('engines')).toEqual([b]);
    store.apply({ kind: 'jobs', data: [{ id: 'j' } as JobStatus] });
    store.apply({ kind: 'jobs', data: [] });
    expect(store.get('jobs')).toEqual([]);
  });

  it('calls the listeners of the slice that changed, and only those', () => {
    const store = createStore();
    const onSample = vi.fn();
    const onHistory = vi.fn();
    const onJobs = vi.fn();
    const onConnection = vi.fn();
    store.subscribe('sample', onSample);
    store.subscribe('history', onHistory);
    store.subscribe('jobs', onJobs);
    store.subscribe('connection', onConnection);
    const s = sample(1000, 10);
    store.apply({ kind: 'sample', data: s });
    expect(onSample).toHaveBeenCalledWith(s);
    expect(onHistory).toHaveBeenCalledTimes(1);
    expect(onJobs).not.toHaveBeenCalled();
    store.apply({ kind: 'jobs', data: [] });
    expect(onJobs).toHaveBeenCalledWith([]);
    store.setConnection('live');
    store.setConnection('live');
    expect(onConnection).toHaveBeenCalledTimes(1);
    expect(onConnection).toHaveBeenCalledWith('live');
  });

  it('stops calling a listener once unsubscribed', () => {
    const store = createStore();
    const listener = vi.fn();
    const unsubscribe = store.subscribe('engines', listener);
    expect(store.listenerCount('engines')).toBe(1);
    unsubscribe();
    unsubscribe();
    expect(store.listenerCount('engines')).toBe(0);
    store.apply({ kind: 'engines', data: [] });
    expect(listener).not.toHaveBeenCalled();
  });

  it('lets a listener unsubscribe another during a change', () => {
    const store = createStore();
    const second = vi.fn();
    let unsubscribeSecond = (): void => undefined;
    store.subscribe('gateway', () => {
      unsubscribeSecond();
    });
    unsubscribeSecond = store.subscribe('gateway', second);
    store.apply({ kind: 'gateway', data: { running: false } as never });
    expect(second).toHaveBeenCalledTimes(1);
    store.apply({ kind: 'gateway', data: { running: true } as never });
    expect(second).toHaveBeenCalledTimes(1);
  });
});

describe('trimHistory', () => {
  it('keeps points within the hour before the newest', () => {
    const points = [0, 10, HISTORY_MS + 5].map((t) => ({ timestamp_ms: t, gpu: gpu(0, 0) }));
    trimHistory(points, HISTORY_MS + 5);
    expect(times(points)).toEqual([10, HISTORY_MS + 5]);
  });
});
