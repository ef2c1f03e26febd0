import { Writable } from 'node:stream';
import { writeWithBackpressure } from './logs';

const HIGH_WATER = 1024;

/** A reader that takes one chunk every `delayMs`. */
function slowReader(delayMs: number) {
  const received: string[] = [];
  let maxBuffered = 0;
  const stream = new Writable({
    highWaterMark: HIGH_WATER,
    decodeStrings: false,
    write(chunk, _encoding, callback) {
      received.push(String(chunk));
      setTimeout(callback, delayMs);
    },
  });
  const sample = () => {
    maxBuffered = Math.max(maxBuffered, stream.writableLength);
  };
  return { stream, received, sample, max: () => maxBuffered };
}

describe('writeWithBackpressure', () => {
  it('keeps at most the buffer and one event of a slow reader in memory, and loses nothing', async () => {
    const reader = slowReader(2);
    const event = (i: number) => `id: ${i}\ndata: ${'x'.repeat(300)}\n\n`;
    const signal = new AbortController().signal;
    for (let i = 0; i < 200; i++) {
      expect(await writeWithBackpressure(reader.stream, event(i), signal)).toBe(
        true,
      );
      reader.sample();
    }
    await new Promise(resolve => reader.stream.end(resolve));
    // Writing without waiting would have buffered ~200 × 300 bytes.
    expect(reader.max()).toBeLessThanOrEqual(HIGH_WATER + event(0).length);
    expect(reader.received.join('')).toBe(
      Array.from({ length: 200 }, (_, i) => event(i)).join(''),
    );
  });

  it('gives up on a reader that never drains, within the bound', async () => {
    const stream = new Writable({
      highWaterMark: HIGH_WATER,
      write() {
        // Never calls back: a client that stopped reading.
      },
    });
    const signal = new AbortController().signal;
    const results: boolean[] = [];
    const started = Date.now();
    for (let i = 0; i < 50; i++) {
      const ok = await writeWithBackpressure(
        stream,
        'y'.repeat(600),
        signal,
        200,
      );
      results.push(ok);
      if (!ok) break;
    }
    expect(results[results.length - 1]).toBe(false);
    expect(results.length).toBeLessThanOrEqual(3);
    expect(stream.writableLength).toBeLessThanOrEqual(HIGH_WATER + 600);
    expect(Date.now() - started).toBeLessThan(5000);
    stream.destroy();
  });

  it('stops waiting when the follower goes away', async () => {
    const stream = new Writable({ highWaterMark: 16, write() {} });
    const controller = new AbortController();
    const pending = writeWithBackpressure(
      stream,
      'z'.repeat(100),
      controller.signal,
    );
    controller.abort();
    await expect(pending).resolves.toBe(false);
    stream.destroy();
  });
});
