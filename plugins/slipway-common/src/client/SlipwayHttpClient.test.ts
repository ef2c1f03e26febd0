import { useTestServer } from '../__testUtils__/testServer';
import { Deployment, DeploymentStatus, OasisEvent } from '../types';
import { ServerSentEvent, ServerSentEventParser } from './sse';
import { SlipwayHttpClient } from './SlipwayHttpClient';

function event(id: string, title = `EVENT-${id}`): OasisEvent {
  return {
    id,
    createdAt: '2026-11-24T10:00:00.000Z',
    vtid: 'UNSET',
    layer: 'UNSET',
    module: 'WORKFLOW',
    source: 'github.actions',
    kind: 'workflow_run',
    status: 'success',
    title,
    ref: 'main',
    link: null,
    repo: 'acme/shop',
    entityRef: 'component:default/shop',
    meta: {},
  };
}

function deployment(id: string, status: DeploymentStatus): Deployment {
  return {
    id,
    app: 'shop',
    status,
    createdAt: '2026-11-24T10:00:00.000Z',
    updatedAt: '2026-11-24T10:01:00.000Z',
  };
}

function logLine(id: string, line: string) {
  return { id, step: 'build', line, createdAt: '2026-11-24T10:00:00.000Z' };
}

describe('ServerSentEventParser', () => {
  it('parses messages split across chunks, CRLF, comments and multi-line data', () => {
    const seen: ServerSentEvent[] = [];
    const parser = new ServerSentEventParser(e => seen.push(e));
    parser.push(': heartbeat\n\nid: 7\r');
    parser.push('\nevent: oasis\ndata: {"a":');
    parser.push('1}\n\ndata: one\ndata: two\n\n');
    expect(seen).toEqual([
      { id: '7', event: 'oasis', data: '{"a":1}', retry: undefined },
      { id: undefined, event: 'message', data: 'one\ntwo', retry: undefined },
    ]);
  });
});

describe('SlipwayHttpClient against a real HTTP server', () => {
  const server = useTestServer();
  const requests = server.requests;

  const client = () =>
    new SlipwayHttpClient({
      discoveryApi: { getBaseUrl: async () => server.baseUrl },
      fetchApi: {
        fetch: (input, init) =>
          fetch(input, {
            ...init,
            headers: { ...(init?.headers as any), Authorization: 'Bearer t' },
          }),
      },
    });

  it('sends filters and paging as query parameters', async () => {
    server.handler = (_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ items: [event('5')], nextCursor: 'c2' }));
    };
    const page = await client().listEvents(
      { entityRef: 'component:default/shop', kind: 'push' },
      { limit: 20, cursor: 'c1' },
    );
    expect(page.items.map(e => e.id)).toEqual(['5']);
    expect(page.nextCursor).toBe('c2');
    const url = new URL(requests[0].url!, 'http://x');
    expect(url.pathname).toBe('/api/slipway/events');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      entityRef: 'component:default/shop',
      kind: 'push',
      limit: '20',
      cursor: 'c1',
    });
  });

  it('reads the event stream with the user credentials and Last-Event-ID', async () => {
    server.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': hello\n\n');
      res.write(
        `id: 11\nevent: oasis\ndata: ${JSON.stringify(event('11'))}\n\n`,
      );
      // Split a message across writes the way proxies do.
      const second = `id: 12\nevent: oasis\ndata: ${JSON.stringify(
        event('12'),
      )}\n\n`;
      res.write(second.slice(0, 20));
      setTimeout(() => {
        res.end(second.slice(20));
      }, 20);
    };
    const seen: string[] = [];
    let opened = false;
    await client().streamEvents(
      { entityRef: 'component:default/shop' },
      {
        lastEventId: '10',
        onOpen: () => {
          opened = true;
        },
        onEvent: e => seen.push(e.id),
      },
    );
    expect(opened).toBe(true);
    expect(seen).toEqual(['11', '12']);
    expect(requests[0].headers['last-event-id']).toBe('10');
    expect(requests[0].headers.authorization).toBe('Bearer t');
    expect(requests[0].url).toBe(
      '/api/slipway/events/stream?entityRef=component%3Adefault%2Fshop',
    );
  });

  it('stops reading when aborted', async () => {
    server.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`id: 1\nevent: oasis\ndata: ${JSON.stringify(event('1'))}\n\n`);
      // never ends
    };
    const controller = new AbortController();
    const seen: string[] = [];
    const done = client().streamEvents(
      {},
      {
        signal: controller.signal,
        onEvent: e => {
          seen.push(e.id);
          controller.abort();
        },
      },
    );
    await expect(done).rejects.toBeDefined();
    expect(seen).toEqual(['1']);
  });

  it('turns error responses into ResponseError with the backend message', async () => {
    server.handler = (_req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: { name: 'NotFoundError', message: 'No app named nope' },
          request: { method: 'GET', url: '/apps/nope' },
          response: { statusCode: 404 },
        }),
      );
    };
    await expect(client().getApp('nope')).rejects.toMatchObject({
      name: 'ResponseError',
      statusCode: 404,
      body: { error: { message: 'No app named nope' } },
    });
  });

  it('follows deployment logs as SSE and reports the final status', async () => {
    server.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      // What the backend's logs route writes: `event: log` with a LogLine,
      // heartbeats, then `event: end` with the Deployment.
      res.write(
        'id: 1\nevent: log\ndata: {"id":"1","step":"build","line":"Step 1/3 : FROM scratch","createdAt":"2026-11-24T10:00:00Z"}\n\n',
      );
      res.write(': heartbeat\n\n');
      res.write(
        'id: 2\nevent: log\ndata: {"id":"2","step":"run","line":"listening on :8080","createdAt":"2026-11-24T10:00:01Z"}\n\n',
      );
      res.end(
        `event: end\ndata: ${JSON.stringify(deployment('d1', 'running'))}\n\n`,
      );
    };
    const lines: Array<{ line: string; step?: string }> = [];
    const statuses: string[] = [];
    await client().readDeploymentLogs('d1', {
      follow: true,
      onLines: l => lines.push(...l.map(x => ({ line: x.line, step: x.step }))),
      onStatus: s => statuses.push(s),
    });
    expect(lines).toEqual([
      { line: 'Step 1/3 : FROM scratch', step: 'build' },
      { line: 'listening on :8080', step: 'run' },
    ]);
    expect(statuses).toEqual(['running']);
    expect(requests[0].url).toBe(
      '/api/slipway/deployments/d1/logs?follow=true',
    );
  });

  it('reads finished deployment logs from JSON', async () => {
    server.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ items: [logLine('1', 'a'), logLine('2', 'b')] }),
      );
    };
    const lines: string[] = [];
    await client().readDeploymentLogs('d2', {
      onLines: l => lines.push(...l.map(x => x.line)),
    });
    expect(lines).toEqual(['a', 'b']);
  });

  it('pages through stored logs with the cursor, every field of each line', async () => {
    server.handler = (req, res) => {
      const cursor = new URL(req.url!, 'http://x').searchParams.get('cursor');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify(
          cursor === '1'
            ? { items: [logLine('2', 'b')] }
            : { items: [logLine('1', 'a')], nextCursor: '1' },
        ),
      );
    };
    const lines: unknown[] = [];
    await client().readDeploymentLogs('d/2', {
      onLines: l => lines.push(...l),
    });
    expect(lines).toEqual([logLine('1', 'a'), logLine('2', 'b')]);
    expect(requests.map(r => r.url)).toEqual([
      '/api/slipway/deployments/d%2F2/logs',
      '/api/slipway/deployments/d%2F2/logs?cursor=1',
    ]);
  });

  it('refuses log lines of a shape the API never sends', async () => {
    // Plain text, or a line without its id, step and time: an error that
    // says what arrived, not made-up lines.
    server.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('event: log\ndata: plain text line\n\n');
    };
    const lines: unknown[] = [];
    await expect(
      client().readDeploymentLogs('d1', {
        follow: true,
        reconnect: { minDelayMs: 1, maxAttempts: 1 },
        onLines: l => lines.push(...l),
      }),
    ).rejects.toThrow(
      'A line of the log stream of deployment d1 is not JSON: plain text line',
    );
    expect(requests).toHaveLength(1);

    server.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ items: [{ line: 'a' }] }));
    };
    await expect(
      client().readDeploymentLogs('d2', { onLines: l => lines.push(...l) }),
    ).rejects.toThrow(
      "Line 1 of a page of deployment d2's log is not a log line { id, step, line, createdAt }: id, step, createdAt are missing or of the wrong type",
    );

    server.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('data: {"id":"1"}\n\n');
    };
    await expect(
      client().readDeploymentLogs('d3', {
        follow: true,
        onLines: l => lines.push(...l),
      }),
    ).rejects.toThrow(
      'the log stream of deployment d3 sent an `event: message` message',
    );
    expect(lines).toEqual([]);
  });

  it('refuses an event stream message that is not an OASIS event', async () => {
    server.handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`id: 1\nevent: oasis\ndata: ${JSON.stringify({ id: '1' })}\n\n`);
    };
    const seen: unknown[] = [];
    await expect(
      client().streamEvents({}, { onEvent: e => seen.push(e) }),
    ).rejects.toThrow(
      'A message of the event stream is not an OASIS event: createdAt, vtid',
    );
    expect(seen).toEqual([]);
  });

  it('posts deploy, rollback and cancel to the contract paths', async () => {
    const bodies: string[] = [];
    server.handler = (req, res) => {
      let body = '';
      req.on('data', c => {
        body += c;
      });
      req.on('end', () => {
        bodies.push(body);
        res.writeHead(202, { 'content-type': 'application/json' });
        res.end(JSON.stringify(deployment('d9', 'pending')));
      });
    };
    const c = client();
    await c.deploy('shop', { ref: 'main' });
    await c.rollback('shop', { toDeploymentId: 'd1' });
    await c.cancelDeployment('d9');
    expect(requests.map(r => `${r.method} ${r.url}`)).toEqual([
      'POST /api/slipway/apps/shop/deployments',
      'POST /api/slipway/apps/shop/rollback',
      'POST /api/slipway/deployments/d9/cancel',
    ]);
    // POST /deployments/{id}/cancel has no request body in the spec.
    expect(bodies).toEqual(['{"ref":"main"}', '{"toDeploymentId":"d1"}', '']);
    expect(requests.map(r => r.headers['content-type'])).toEqual([
      'application/json',
      'application/json',
      undefined,
    ]);
    expect(requests.map(r => r.headers.authorization)).toEqual([
      'Bearer t',
      'Bearer t',
      'Bearer t',
    ]);
  });
});
