import { FakeSlipwayApi, makeEvent } from '../__testUtils__/FakeSlipwayApi';
import { compareEventIds } from '@slipway/plugin-slipway-common';
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
    const api = new FakeSlipwayApi();
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
    await waitFor(() => api.streams.length === 1);
    api.emit(makeEvent(1));
    api.emit(makeEvent(2));
    await flush();
    expect(received).toEqual(['1', '2']);

    // The connection drops; meanwhile events 3 and 4 are stored.
    api.drop();
    api.events.push(makeEvent(3), makeEvent(4));
    await waitFor(() => received.length === 4);
    expect(api.streamCalls.map(c => c.lastEventId)).toEqual(['0', '2']);
    expect(states).toContain('reconnecting');
    expect(states[states.length - 1]).toBe('live');

    // A server that replays an event we already have does not duplicate it.
    api.resend(makeEvent(4));
    api.emit(makeEvent(5));
    await flush();
    expect(received).toEqual(['1', '2', '3', '4', '5']);
    expect(stream.lastEventId).toBe('5');

    stream.stop();
    await flush();
    expect(api.streams).toHaveLength(0);
  });

  it('batches the events of one read and backs off between failed attempts', async () => {
    const api = new FakeSlipwayApi();
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
    await waitFor(() => api.streams.length === 1);
    const open = api.streams[0];
    for (let i = 1; i <= 100; i++) open.onEvent(makeEvent(i));
    await flush();
    expect(batches).toEqual([100]);
    // The server refuses four reconnects in a row: the waits double up to the cap.
    api.refuseStreams = 4;
    api.drop();
    await waitFor(() => api.streams.length === 1);
    expect(retries).toEqual([2, 4, 8, 8, 8]);
    expect(api.streamCalls.map(c => c.lastEventId)).toEqual([
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
