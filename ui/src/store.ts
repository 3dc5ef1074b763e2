// The client store every page reads: the latest sample, each GPU's sample history (the
// last hour), the engines, the jobs, the gateway and the state of the live connection.
// It is fed by the live event stream (`apply`), seeded with the server's sample history
// (`seedHistory`), and tells listeners per slice when that slice changed. Pure logic: no
// transport, no DOM (live.ts connects it to the server).

import type { EngineStatus, GatewayInfo, GpuSample, JobStatus, Sample, ServerEvent } from './types';

/** How much sample history is kept: the server keeps an hour too. */
export const HISTORY_MS = 60 * 60 * 1000;

/** `connecting` until the first event, `live` while events flow, `reconnecting` after a break. */
export type ConnectionState = 'connecting' | 'live' | 'reconnecting';

/** One GPU's reading at one time. */
export interface GpuPoint {
  timestamp_ms: number;
  gpu: GpuSample;
}

/** What each slice holds; `null` until the server first said. */
export interface Slices {
  sample: Sample | null;
  /** Each GPU's points, oldest first, by GPU index. */
  history: ReadonlyMap<number, readonly GpuPoint[]>;
  engines: EngineStatus[] | null;
  jobs: JobStatus[] | null;
  gateway: GatewayInfo | null;
  connection: ConnectionState;
}

export type Slice = keyof Slices;
export type Listener<K extends Slice> = (value: Slices[K]) => void;

export interface Store {
  /** The slice's value now. */
  get<K extends Slice>(slice: K): Slices[K];
  /** One GPU's history, oldest first (empty for a GPU never sampled). */
  history(gpuIndex: number): readonly GpuPoint[];
  /** Calls `listener` after each change of `slice` until the returned function is called. */
  subscribe<K extends Slice>(slice: K, listener: Listener<K>): () => void;
  /** Applies one event of the live stream (or a call's fresher answer of the same shape). */
  apply(event: ServerEvent): void;
  /** Adds samples of the server's history to the points the stream brought, in time order. */
  seedHistory(samples: readonly Sample[]): void;
  setConnection(state: ConnectionState): void;
  /** How many listeners are subscribed to `slice` (for tests and leak checks). */
  listenerCount(slice: Slice): number;
}

/** Drops the points older than `HISTORY_MS` before `newestMs`, in place. */
export function trimHistory(points: GpuPoint[], newestMs: number): void {
  const oldest = newestMs - HISTORY_MS;
  let drop = 0;
  while (drop < points.length && (points[drop]?.timestamp_ms ?? oldest) < oldest) drop += 1;
  if (drop > 0) points.splice(0, drop);
}

/**
 * The points of `kept` and `added` in time order, one per time (`kept`'s where both have
 * one), within the hour before `newestMs`.
 */
export function mergePoints(kept: readonly GpuPoint[], added: readonly GpuPoint[], newestMs: number): GpuPoint[] {
  const byTime = new Map<number, GpuPoint>();
  for (const point of added) byTime.set(point.timestamp_ms, point);
  for (const point of kept) byTime.set(point.timestamp_ms, point);
  const merged = [...byTime.values()].sort((a, b) => a.timestamp_ms - b.timestamp_ms);
  trimHistory(merged, newestMs);
  return merged;
}

/** A sample this much older than the latest means the server's clock stepped back. */
export const CLOCK_STEP_MS = 10_000;

export function createStore(): Store {
  const values: Slices = {
    sample: null,
    history: new Map<number, GpuPoint[]>(),
    engines: null,
    jobs: null,
    gateway: null,
    connection: 'connecting',
  };
  const history = values.history as Map<number, GpuPoint[]>;
  const listeners = new Map<Slice, Set<(value: never) => void>>();

  function emit(slice: Slice): void {
    const set = listeners.get(slice);
    if (!set) return;
    // A listener that unsubscribes (or subscribes another) meanwhile does not disturb this round.
    for (const listener of [...set]) (listener as (value: unknown) => void)(values[slice]);
  }

  function appendSample(sample: Sample): void {
    for (const gpu of sample.gpus) {
      let points = history.get(gpu.index);
      if (!points) {
        points = [];
        history.set(gpu.index, points);
      }
      const last = points[points.length - 1];
      if (last && last.timestamp_ms >= sample.timestamp_ms) continue; // seen already, or out of order
      points.push({ timestamp_ms: sample.timestamp_ms, gpu });
    }
    for (const points of history.values()) trimHistory(points, sample.timestamp_ms);
  }

  return {
    get: (slice) => values[slice],
    history: (gpuIndex) => history.get(gpuIndex) ?? [],
    subscribe(slice, listener) {
      let set = listeners.get(slice);
      if (!set) {
        set = new Set();
        listeners.set(slice, set);
      }
      const entry = listener as (value: never) => void;
      set.add(entry);
      return () => {
        set.delete(entry);
      };
    },
    apply(event) {
      switch (event.kind) {
        case 'sample':
          if (values.sample && values.sample.timestamp_ms > event.data.timestamp_ms) {
            // A little older: out of order, skip it. Much older: the server's clock was
            // set back; the timeline starts again rather than freezing until it catches up.
            if (values.sample.timestamp_ms - event.data.timestamp_ms <= CLOCK_STEP_MS) return;
            history.clear();
          }
          values.sample = event.data;
          appendSample(event.data);
          emit('sample');
          emit('history');
          return;
        case 'engines':
          values.engines = event.data;
          emit('engines');
          return;
        case 'jobs':
          values.jobs = event.data;
          emit('jobs');
          return;
        case 'gateway':
          values.gateway = event.data;
          emit('gateway');
      }
    },
    seedHistory(samples) {
      const newest = Math.max(values.sample?.timestamp_ms ?? 0, samples[samples.length - 1]?.timestamp_ms ?? 0);
      const added = new Map<number, GpuPoint[]>();
      for (const sample of samples) {
        for (const gpu of sample.gpus) {
          let points = added.get(gpu.index);
          if (!points) {
            points = [];
            added.set(gpu.index, points);
          }
          points.push({ timestamp_ms: sample.timestamp_ms, gpu });
        }
      }
      if (added.size === 0) return;
      for (const [index, points] of added) history.set(index, mergePoints(history.get(index) ?? [], points, newest));
      emit('history');
    },
    setConnection(state) {
      if (values.connection === state) return;
      values.connection = state;
      emit('connection');
    },
    listenerCount: (slice) => listeners.get(slice)?.size ?? 0,
  };
}
