import { describe, expect, it } from 'vitest';
import { parseServerEvent, readEventStream } from './sse';

function body(...chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

describe('the live stream’s events', () => {
  it('are read by name, across chunks', async () => {
    const seen: [string, string][] = [];
    await readEventStream(body('event: jobs\ndata: [', ']\n\n: keep-alive\n\nevent: engines\r\ndata: []\r\n\r\n'), (event, data) => seen.push([event, data]));
    expect(seen).toEqual([
      ['jobs', '[]'],
      ['engines', '[]'],
    ]);
  });

  it('become typed events; unknown kinds and bad JSON are dropped', () => {
    expect(parseServerEvent('jobs', '[]')).toEqual({ kind: 'jobs', data: [] });
    expect(parseServerEvent('gateway', '{"running":true}')).toEqual({ kind: 'gateway', data: { running: true } });
    expect(parseServerEvent('weather', '{}')).toBeNull();
    expect(parseServerEvent('sample', '{')).toBeNull();
  });
});
