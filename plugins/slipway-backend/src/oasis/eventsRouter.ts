import {
  AuditorService,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { slipwayEventCreatePermission } from '@slipway/plugin-slipway-common';
import express from 'express';
import type { ReadAccess } from '../access';
import type { StreamConnections } from './streamConnections';
import { createValidatedRouter } from '../schema/validatedRouter';
import { auditRequest } from '../audit/auditRequest';
import { parseEventId, parseLimit } from './cursor';
import { parseEventFilter } from './filters';
import { OasisEventStore, OasisStatsGroupBy } from './OasisEventStore';
import { OasisEventStream } from './OasisEventStream';
import { validatePublishedEvent } from './validateEventInput';
import { VtidExtractor } from './vtid';

const GROUP_BY: OasisStatsGroupBy[] = ['source', 'kind', 'status', 'vtid'];

/** Dependencies of {@link createEventsRouter}. */
export interface EventsRouterOptions {
  store: OasisEventStore;
  stream: OasisEventStream;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  /** Records every publish: who, what and the outcome. */
  auditor: AuditorService;
  vtid: VtidExtractor;
  /** Who may read which events (they follow their entity in the catalog). */
  access: ReadAccess;
  /** The per-caller cap on open streams. */
  connections: StreamConnections;
}

/**
 * `/events` routes: list, get, stats, stream and publish. Reads need a
 * signed-in user or a service and show a user only the events they may
 * read (see ReadScope.canReadEvent): a list page is filtered after it is
 * read (a page may hold fewer items than `limit`, `nextCursor` still
 * continues), an event they may not read answers 404, as a missing one.
 * Publishing also needs the `slipway.event.create` permission.
 */
export function createEventsRouter(
  options: EventsRouterOptions,
): express.Router {
  const { store, stream, httpAuth, permissions, vtid, access } = options;
  const router = createValidatedRouter();

  router.get('/events', async (req, res) => {
    const filter = parseEventFilter(req.query);
    const limit = parseLimit(req.query.limit);
    const cursor = optionalString(req.query.cursor, 'cursor');
    const scope = await access.scopeOf(req);
    const page = await store.list(filter, { limit, cursor });
    res.json({ ...page, items: await scope.filter(page.items) });
  });

  router.get('/events/stats', async (req, res) => {
    const { groupBy = 'source', ...rest } = req.query;
    if (!GROUP_BY.includes(groupBy as OasisStatsGroupBy)) {
      throw new InputError(
        `Invalid groupBy '${String(groupBy)}': use one of ${GROUP_BY.join(
          ', ',
        )}`,
      );
    }
    const filter = parseEventFilter(rest);
    const scope = await access.scopeOf(req);
    res.json(
      await store.stats(filter, groupBy as OasisStatsGroupBy, items =>
        scope.filter(items),
      ),
    );
  });

  router.get('/events/stream', async (req, res) => {
    const filter = parseEventFilter(req.query);
    const raw =
      req.header('last-event-id') ??
      optionalString(req.query.lastEventId, 'lastEventId');
    const lastEventId =
      raw === undefined || raw === ''
        ? undefined
        : parseEventId(raw, 'Last-Event-ID');
    // A reconnect is a new request: credentials, the cap and the read
    // checks apply again.
    const scope = await access.scopeOf(req);
    const release = options.connections.tryAcquire(scope.principal);
    if (!release) {
      options.connections.refuse(res, req.method, req.originalUrl);
      return;
    }
    try {
      await stream.serve(req, res, filter, lastEventId, scope);
    } finally {
      release();
    }
  });

  router.get('/events/:id', async (req, res) => {
    const id = parseEventId(req.params.id);
    const scope = await access.scopeOf(req);
    const event = await store.get(id);
    if (!(await scope.canReadEvent(event))) {
      // As for a missing event: whether it exists is not shown either.
      throw new NotFoundError(`No OASIS event with id ${id}`);
    }
    res.json(event);
  });

  const audit = auditRequest(options.auditor, 'event-publish', req => ({
    source: req.body?.source,
    kind: req.body?.kind,
  }));
  router.post(
    '/events',
    express.json({ limit: '1mb' }),
    audit,
    async (req, res) => {
      const credentials = await httpAuth.credentials(req, {
        allow: ['user', 'service'],
      });
      const [decision] = await permissions.authorize(
        [{ permission: slipwayEventCreatePermission }],
        { credentials },
      );
      if (decision.result !== AuthorizeResult.ALLOW) {
        throw new NotAllowedError(
          'Publishing OASIS events needs the slipway.event.create permission; ask an administrator to grant it',
        );
      }
      const input = validatePublishedEvent(req.body);
      if (input.vtid === undefined && input.layer === undefined) {
        Object.assign(input, vtid.extract([input.title]));
      }
      const event = await store.publish(input);
      res.status(201).json(event);
    },
  );

  return router;
}

function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (typeof value !== 'string') {
    throw new InputError(`Invalid ${name}: pass it once, as a string`);
  }
  return value;
}
