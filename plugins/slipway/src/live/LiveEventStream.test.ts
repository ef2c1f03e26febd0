import { compareEventIds } from '@slipway/plugin-slipway-common';
import {
  makeEvent,
  oasisMessage,
  serveEvents,
} from '../__testUtils__/oasisEvents';
import { SpecFetch } from '../__testUtils__/specFetch';
import { ConnectionState, LiveEventStream } from './LiveEventStream';

const flush = () => new Promise(resolve => setTimeout(resolve, 5));

async function waitFor(check: () => boolean, ms = 2000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await flush();
  }
}

describe('compareEventIds', () => {
  it('orders decimal ids numerically beyond 2^53', () => {
    expect(compareEventIds('9', '10')).toBeLessThan(0);
    expect(compareEventIds('9007199254740993', '9007199254740992')).toBe(1);
    expect(compareEventIds('42', '42')).toBe(0);
  });
});

describe('LiveEventStream', () => {
  it('resumes after a dropped connection from the last event id, with no gap and no duplicate', async () => {
    const double = new SpecFetch();
    const server = serveEvents(double);
    const api = double.client();
    const received: string[] = [];
    const states: ConnectionState['status'][] = [];
    const stream = new LiveEventStream(
      api,
      { entityRef: 'component:default/shop' },
      {
        lastEventId: '0',
        minRetryMs: 1,
        onEvents: batch => received.push(...batch.map(e => e.id)),
        onState: s => states.push(s.status),
      },
    );
    stream.start();
    await waitFor(() => server.open().length === 1);
    expect(server.streamRequests()[0]).toEqual({
      query: { entityRef: 'component:default/shop' },
      lastEventId: '0',
    });
    server.emit(makeEvent(1));
    server.emit(makeEvent(2));
    await waitFor(() => received.length === 2);
    expect(received).toEqual(['1', '2']);

    // The connection drops; meanwhile events 3 and 4 are stored.
    server.drop();
    server.events.push(makeEvent(3), makeEvent(4));
    await waitFor(() => received.length === 4);
    expect(server.streamRequests().map(c => c.lastEventId)).toEqual(['0', '2']);
    expect(states).toContain('reconnecting');
    expect(states[states.length - 1]).toBe('live');

    // A server that replays an event we already have does not duplicate it.
    server.resend(makeEvent(4));
    server.emit(makeEvent(5));
    await waitFor(() => received.length >= 5);
    await flush();
    expect(received).toEqual(['1', '2', '3', '4', '5']);
    expect(stream.lastEventId).toBe('5');

    stream.stop();
    await flush();
    expect(server.open()).toHaveLength(0);
  });

  it('batches the events of one read and backs off between failed attempts', async () => {
    const double = new SpecFetch();
    const server = serveEvents(double);
    const api = double.client();
    const batches: number[] = [];
    const retries: number[] = [];
    const stream = new LiveEventStream(
      api,
      {},
      {
        minRetryMs: 2,
        maxRetryMs: 8,
        onEvents: batch => batches.push(batch.length),
        onState: s => {
          if (s.retryInMs !== undefined) retries.push(s.retryInMs);
        },
      },
    );
    stream.start();
    await waitFor(() => server.open().length === 1);
    const events = Array.from({ length: 100 }, (_, i) => makeEvent(i + 1));
    server.events.push(...events);
    // One network chunk of 100 messages.
    server.open()[0].send(...events.map(oasisMessage));
    await waitFor(() => batches.length > 0);
    await flush();
    expect(batches).toEqual([100]);
    // The server refuses four reconnects in a row: the waits double up to the cap.
    server.refuse(4);
    server.drop();
    await waitFor(() => server.open().length === 1);
    expect(retries).toEqual([2, 4, 8, 8, 8]);
    expect(server.streamRequests().map(c => c.lastEventId)).toEqual([
      undefined,
      '100',
      '100',
      '100',
      '100',
      '100',
    ]);
    stream.stop();
  });
});
