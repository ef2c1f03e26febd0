import {
  fatalError,
  followWithReconnect,
  isRetryableStreamError,
  reconnectDelay,
  type ReconnectInfo,
} from './reconnect';

describe('reconnectDelay', () => {
  it('doubles from 1 s up to 10 s', () => {
    expect(
      [1, 2, 3, 4, 5, 6, 50].map(a => reconnectDelay(a, 1000, 10_000)),
    ).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
  });
});

describe('isRetryableStreamError', () => {
  const answered = (statusCode: number) =>
    Object.assign(new Error(`answered ${statusCode}`), {
      name: 'ResponseError',
      statusCode,
    });

  it('retries network failures and answers that may change, not other 4xx', () => {
    expect(isRetryableStreamError(new TypeError('fetch failed'))).toBe(true);
    expect(isRetryableStreamError(answered(502))).toBe(true);
    expect(isRetryableStreamError(answered(503))).toBe(true);
    expect(isRetryableStreamError(answered(429))).toBe(true);
    expect(isRetryableStreamError(answered(404))).toBe(false);
    expect(isRetryableStreamError(answered(403))).toBe(false);
    expect(isRetryableStreamError(answered(401))).toBe(false);
    expect(
      isRetryableStreamError(
        Object.assign(new Error('aborted'), { name: 'AbortError' }),
      ),
    ).toBe(false);
    expect(isRetryableStreamError(new Error('a bug'))).toBe(false);
  });
});

describe('followWithReconnect', () => {
  const fast = { minDelayMs: 1, maxDelayMs: 50, maxAttempts: 3 };

  it('starts the count over after a connection that brought something new', async () => {
    // Four early ends, each with a new line, then four without, then the end.
    const script = ['line', 'line', 'line', 'line', '', '', '', 'finish'];
    const infos: ReconnectInfo[] = [];
    let round = 0;
    await followWithReconnect({
      what: 'the test stream',
      reconnect: { ...fast, maxAttempts: 4 },
      lastEventId: () => String(round),
      onReconnecting: info => infos.push(info),
      connect: async attempt => {
        const step = script[round++];
        if (step === 'line') attempt.progressed();
        if (step === 'finish') attempt.finished();
      },
    });
    expect(infos.map(i => i.attempt)).toEqual([1, 1, 1, 1, 2, 3, 4]);
    expect(infos[0].error.message).toBe(
      'the test stream ended before its final status',
    );
    expect(infos.map(i => i.lastEventId)).toEqual([
      '1',
      '2',
      '3',
      '4',
      '5',
      '6',
      '7',
    ]);
  });

  it('counts a connection that was answered and stayed open a while as healthy', async () => {
    const infos: ReconnectInfo[] = [];
    let round = 0;
    await followWithReconnect({
      what: 'the test stream',
      reconnect: { minDelayMs: 1, maxDelayMs: 20, maxAttempts: 2 },
      lastEventId: () => undefined,
      onReconnecting: info => infos.push(info),
      connect: async attempt => {
        round += 1;
        if (round === 5) {
          attempt.finished();
          return;
        }
        // Answered, quiet, cut after a while (a proxy's time limit).
        attempt.opened();
        await new Promise(resolve => setTimeout(resolve, 30));
        throw new TypeError('terminated');
      },
    });
    expect(infos.map(i => i.attempt)).toEqual([1, 1, 1, 1]);
    expect(infos.map(i => i.delayMs)).toEqual([1, 1, 1, 1]);
  });

  it('ends quietly when the stream breaks right after its final message', async () => {
    let calls = 0;
    await followWithReconnect({
      what: 'the test stream',
      reconnect: fast,
      lastEventId: () => undefined,
      connect: async attempt => {
        calls += 1;
        attempt.finished();
        throw new TypeError('terminated');
      },
    });
    expect(calls).toBe(1);
  });

  it("rethrows the consumer's own errors and, without reconnect, the first failure", async () => {
    let calls = 0;
    const failingWith = (error: Error, reconnect: typeof fast | false) =>
      followWithReconnect({
        what: 'the test stream',
        reconnect,
        lastEventId: () => undefined,
        connect: async () => {
          calls += 1;
          throw error;
        },
      });
    const bug = fatalError(new TypeError('x is undefined'));
    await expect(failingWith(bug, fast)).rejects.toBe(bug);
    await expect(
      failingWith(new TypeError('terminated'), false),
    ).rejects.toThrow('terminated');
    expect(calls).toBe(2);
  });
});
