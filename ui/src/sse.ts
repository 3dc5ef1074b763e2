// A reader for server-sent events delivered in a fetch() body (used instead of EventSource
// so that requests can carry an Authorization header), and the parsing of the live stream's
// events. Pure parsing; no transport choice.

import type { ServerEvent, ServerEventKind } from './types';

const EVENT_KINDS: ReadonlySet<string> = new Set<ServerEventKind>(['sample', 'engines', 'jobs', 'gateway']);

/** One server-sent event of `/api/events` as a `ServerEvent`; null for an unknown kind or bad JSON. */
export function parseServerEvent(event: string, data: string): ServerEvent | null {
  if (!EVENT_KINDS.has(event)) return null;
  try {
    return { kind: event, data: JSON.parse(data) as unknown } as ServerEvent;
  } catch {
    return null;
  }
}

/** Reads a server-sent-events body to its end, calling `onEvent(event, data)` per event. */
export async function readEventStream(
  body: ReadableStream<Uint8Array>,
  onEvent: (event: string, data: string) => void,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let event = '';
  let data: string[] = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let newline: number;
    while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
      // A lone '\r' at the end may be the first half of '\r\n': wait for the next chunk.
      if (newline === buffer.length - 1 && buffer.endsWith('\r')) break;
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
      if (line === '') {
        if (data.length > 0) onEvent(event || 'message', data.join('\n'));
        event = '';
        data = [];
      } else if (!line.startsWith(':')) {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let val = colon < 0 ? '' : line.slice(colon + 1);
        if (val.startsWith(' ')) val = val.slice(1);
        if (field === 'event') event = val;
        else if (field === 'data') data.push(val);
      }
    }
  }
}
