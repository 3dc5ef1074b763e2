// Connects the client store to the server: one subscription to the live event stream for
// the whole app, and the sample history the store is seeded with so a chart opened late
// starts full. Nothing else in the UI subscribes to the server's streams.

import { api, subscribeEvents } from './transport';
import { HISTORY_MS, type Store } from './store';

/** The history asked for at start: the whole hour the server keeps, one point a second. */
const SEED_MINUTES = HISTORY_MS / 60_000;
const SEED_POINTS = SEED_MINUTES * 60;

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
  api.sampleHistory(SEED_MINUTES, SEED_POINTS).then(
    (samples) => {
      store.seedHistory(samples);
    },
    () => undefined, // without it, charts fill from the stream
  );
  return unsubscribe;
}
