import type { OasisEvent } from '@slipway/plugin-slipway-common';
import { json, sse, SpecFetch, SseMessage, SpecRequest } from './specFetch';

/** An OASIS event as the backend stores and sends it, with defaults. */
export function makeEvent(
  id: number | string,
  overrides: Partial<OasisEvent> = {},
): OasisEvent {
  return {
    id: String(id),
    createdAt: new Date(Date.now() - 60_000).toISOString(),
    vtid: 'UNSET',
    layer: 'UNSET',
    module: 'WORKFLOW',
    source: 'github.actions',
    kind: 'workflow_run',
    status: 'success',
    title: `CICDL-WORKFLOW-COMPLETED ${id}`,
    ref: 'main',
    link: null,
    repo: 'acme/shop',
    entityRef: 'component:default/shop',
    meta: {},
    ...overrides,
  };
}

/** The stream message the backend sends for an event. */
export function oasisMessage(event: OasisEvent): SseMessage {
  return { event: 'oasis', id: event.id, data: event };
}

const FILTERS = [
  'vtid',
  'source',
  'kind',
  'status',
  'entityRef',
  'repo',
  'ref',
] as const;

function matches(event: OasisEvent, query: Record<string, string>) {
  return FILTERS.every(
    key =>
      query[key] === undefined ||
      query[key] === '' ||
      event[key] === query[key],
  );
}

const byId = (a: OasisEvent, b: OasisEvent) => Number(a.id) - Number(b.id);

/**
 * GET /events and GET /events/stream over a list of stored events, as the
 * backend serves them: the list newest first in pages, the stream replaying
 * what follows Last-Event-ID before it goes live.
 */
export function serveEvents(double: SpecFetch, events: OasisEvent[] = []) {
  let refusals = 0;
  double.on('ListEvents', (request: SpecRequest) => {
    const matching = events
      .filter(e => matches(e, request.query))
      .sort((a, b) => byId(b, a));
    const start = request.query.cursor ? Number(request.query.cursor) : 0;
    const limit = request.query.limit ? Number(request.query.limit) : 50;
    return json({
      items: matching.slice(start, start + limit),
      nextCursor:
        start + limit < matching.length ? String(start + limit) : undefined,
    });
  });
  double.on('StreamEvents', (request: SpecRequest) => {
    if (refusals > 0) {
      refusals -= 1;
      throw new TypeError('fetch failed (connection refused)');
    }
    const after = request.headers['last-event-id'] ?? request.query.lastEventId;
    const replay =
      after === undefined
        ? []
        : events
            .filter(
              e => Number(e.id) > Number(after) && matches(e, request.query),
            )
            .sort(byId);
    return sse(...replay.map(oasisMessage));
  });

  const open = () => double.openStreams('StreamEvents');
  return {
    events,
    /** The streams the client reads now. */
    open,
    /** The filter and Last-Event-ID of every stream request. */
    streamRequests: () =>
      double.calls('StreamEvents').map(r => ({
        query: r.query,
        lastEventId: r.headers['last-event-id'],
      })),
    /** Stores an event and sends it to every open stream it matches. */
    emit(event: OasisEvent) {
      events.push(event);
      for (const stream of open()) {
        if (matches(event, stream.request.query)) {
          stream.send(oasisMessage(event));
        }
      }
    },
    /** Sends an event again, as a replay overlapping history would. */
    resend(event: OasisEvent) {
      for (const stream of open()) stream.send(oasisMessage(event));
    },
    /** Breaks every open stream, as a lost connection does. */
    drop() {
      for (const stream of open()) stream.break();
    },
    /** The next `count` stream requests fail as a refused connection does. */
    refuse(count: number) {
      refusals = count;
    },
  };
}
