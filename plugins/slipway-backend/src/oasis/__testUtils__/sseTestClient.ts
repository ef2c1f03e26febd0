import type { OasisEvent } from '@slipway/plugin-slipway-common';
import http from 'node:http';

/** A test subscriber of `GET /events/stream` over a real socket. */
export interface SseTestClient {
  events: OasisEvent[];
  comments: string[];
  /** Events of other types (`replay-limit`, `error`), parsed. */
  notices: Array<{ event: string; id?: string; data: any }>;
  /** Resolves once `n` events have arrived (rejects after `timeoutMs`). */
  waitFor(n: number, timeoutMs?: number): Promise<OasisEvent[]>;
  pause(): void;
  resume(): void;
  close(): void;
  status: Promise<number>;
  /** Resolves when the server has ended the stream. */
  ended: Promise<void>;
}

/** Opens a stream and parses `id:`, `event:` and `data:` lines as they come. */
export function openSse(
  baseUrl: string,
  path: string,
  headers: Record<string, string> = {},
): SseTestClient {
  const events: OasisEvent[] = [];
  const comments: string[] = [];
  const notices: SseTestClient['notices'] = [];
  const waiters = new Set<() => void>();
  let response: http.IncomingMessage | undefined;
  let resolveStatus: (s: number) => void = () => {};
  const status = new Promise<number>(r => {
    resolveStatus = r;
  });
  let resolveEnded: () => void = () => {};
  const ended = new Promise<void>(r => {
    resolveEnded = r;
  });
  const req = http.get(`${baseUrl}${path}`, { headers }, res => {
    response = res;
    resolveStatus(res.statusCode!);
    res.setEncoding('utf8');
    res.on('end', () => resolveEnded());
    let pending = '';
    res.on('data', (chunk: string) => {
      pending += chunk;
      for (
        let end = pending.indexOf('\n\n');
        end >= 0;
        end = pending.indexOf('\n\n')
      ) {
        const block = pending.slice(0, end);
        pending = pending.slice(end + 2);
        let data: string | undefined;
        let id: string | undefined;
        let type = 'message';
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) comments.push(line.slice(1).trim());
          else if (line.startsWith('data: ')) data = line.slice(6);
          else if (line.startsWith('id: ')) id = line.slice(4);
          else if (line.startsWith('event: ')) type = line.slice(7);
        }
        if (data !== undefined && type !== 'oasis') {
          notices.push({ event: type, id, data: JSON.parse(data) });
        } else if (data !== undefined) {
          const event = JSON.parse(data) as OasisEvent;
          if (id !== event.id) {
            throw new Error(`SSE id ${id} does not match event ${event.id}`);
          }
          events.push(event);
        }
      }
      for (const w of [...waiters]) w();
    });
  });
  req.on('error', () => {});
  return {
    events,
    comments,
    notices,
    status,
    ended,
    waitFor(n, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined = undefined;
        const check = () => {
          if (events.length >= n) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(events.slice(0, n));
          }
        };
        timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`expected ${n} events, got ${events.length}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    pause: () => response?.pause(),
    resume: () => response?.resume(),
    close: () => req.destroy(),
  };
}

/** Ids strictly increasing: nothing twice, nothing out of order. */
export function assertStrictlyIncreasing(events: OasisEvent[]) {
  for (let i = 1; i < events.length; i++) {
    if (BigInt(events[i].id) <= BigInt(events[i - 1].id)) {
      throw new Error(
        `event ${events[i].id} follows ${
          events[i - 1].id
        }: duplicate or out of order`,
      );
    }
  }
}
