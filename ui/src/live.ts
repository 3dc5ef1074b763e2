// Connects the client store to the server: one subscription to the live event stream for
// the whole app, and the sample history the store is seeded with so a chart opened late
// starts full. Nothing else in the UI subscribes to the server's streams.

import { api, subscribeEvents } from './transport';
import { HISTORY_MS, type Store } from './store';

/**
 * The history asked for at start: the hour the server keeps, a point every five seconds,
 * and the last two minutes at every second (what a sparkline of 60 samples shows). A full
 * hour at every second would be megabytes per GPU.
 */
const SEED_WINDOWS: readonly { minutes: number; points: number }[] = [
  { minutes: HISTORY_MS / 60_000, points: 720 },
  { minutes: 2, points: 120 },
];

/** Feeds `store` from the server until the returned function is called. */
export function connectStore(store: Store): () => void {
  const unsubscribe = subscribeEvents(
    (event) => {
      store.apply(event);
    },
    (state) => {
      store.setConnection(state);
    },
  );
  // Asked after subscribing, so no sample falls between the history and the stream.
  for (const { minutes, points } of SEED_WINDOWS) {
    api.sampleHistory(minutes, points).then(
      (samples) => {
        store.seedHistory(samples);
      },
      () => undefined, // without it, charts fill from the stream
    );
  }
  return unsubscribe;
}
