import {
  AuditorService,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError } from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { slipwayEventCreatePermission } from '@slipway/plugin-slipway-common';
import express from 'express';
import Router from 'express-promise-router';
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
}

/**
 * `/events` routes: list, get, stats, stream and publish. Reads use the
 * plugin's default auth policy (a signed-in user or a service); publishing
 * also needs the `slipway.event.create` permission.
 */
export function createEventsRouter(
  options: EventsRouterOptions,
): express.Router {
  const { store, stream, httpAuth, permissions, vtid } = options;
  const router = Router();

  router.get('/events', async (req, res) => {
    const filter = parseEventFilter(req.query);
    const limit = parseLimit(req.query.limit);
    const cursor = optionalString(req.query.cursor, 'cursor');
    res.json(await store.list(filter, { limit, cursor }));
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
    res.json(await store.stats(filter, groupBy as OasisStatsGroupBy));
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
    await stream.serve(req, res, filter, lastEventId);
  });

  router.get('/events/:id', async (req, res) => {
    res.json(await store.get(parseEventId(req.params.id)));
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
