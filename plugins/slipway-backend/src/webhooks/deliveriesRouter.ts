import {
  AuditorService,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import {
  AuthorizeResult,
  BasicPermission,
} from '@backstage/plugin-permission-common';
import {
  slipwayDeliveryReadPermission,
  slipwayDeliveryReprocessPermission,
} from '@slipway/plugin-slipway-common';
import express from 'express';
import { createValidatedRouter } from '../schema/validatedRouter';
import { Knex } from 'knex';
import { auditRequest } from '../audit/auditRequest';
import { decodeCursor, encodeCursor, parseLimit } from '../oasis/cursor';
import { rowToDelivery, WebhookProcessor } from './WebhookProcessor';

const RESULTS = ['stored', 'ignored', 'failed'];

/**
 * `/deliveries`: the stored GitHub deliveries (newest first) and their
 * re-mapping. Reading them (full payloads of any repository a hook
 * delivers) needs `slipway.delivery.read`; reprocessing needs
 * `slipway.delivery.reprocess`.
 */
export function createDeliveriesRouter(options: {
  knex: Knex;
  processor: WebhookProcessor;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  /** Records every reprocess: who, what and the outcome. */
  auditor: AuditorService;
}): express.Router {
  const { knex, processor, httpAuth, permissions } = options;
  const router = createValidatedRouter();
  const isPostgres = knex.client.config.client === 'pg';

  const authorize = async (
    req: express.Request,
    permission: BasicPermission,
    what: string,
  ) => {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const [decision] = await permissions.authorize([{ permission }], {
      credentials,
    });
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(
        `${what} needs the ${permission.name} permission; ask an administrator to grant it`,
      );
    }
  };

  router.get('/deliveries', async (req, res) => {
    await authorize(
      req,
      slipwayDeliveryReadPermission,
      'Reading webhook deliveries',
    );
    const limit = parseLimit(req.query.limit);
    const { result, cursor } = req.query;
    const query = knex('webhook_deliveries')
      .select(
        'id',
        'delivery_id',
        'event',
        'action',
        'hook_id',
        'repo',
        'received_at',
        'processed_at',
        'result',
        'event_ids',
        'error',
      )
      .orderBy('id', 'desc')
      .limit(limit + 1);
    if (result !== undefined && result !== '') {
      if (typeof result !== 'string' || !RESULTS.includes(result)) {
        throw new InputError(
          `Invalid result '${String(result)}': use one of ${RESULTS.join(
            ', ',
          )}`,
        );
      }
      query.where('result', result);
    }
    if (cursor !== undefined && cursor !== '') {
      if (typeof cursor !== 'string') {
        throw new InputError('Invalid cursor: pass it once');
      }
      const id = decodeCursor(cursor);
      query.where('id', '<', isPostgres ? id.toString() : Number(id));
    }
    const rows = await query;
    const page = rows.slice(0, limit);
    res.json({
      items: page.map(row => rowToDelivery(row)),
      ...(rows.length > limit
        ? { nextCursor: encodeCursor(String(page[page.length - 1].id)) }
        : {}),
    });
  });

  router.get('/deliveries/:id', async (req, res) => {
    await authorize(
      req,
      slipwayDeliveryReadPermission,
      'Reading webhook deliveries',
    );
    const row = await knex('webhook_deliveries')
      .where('delivery_id', req.params.id)
      .first();
    if (!row) {
      throw new NotFoundError(`No webhook delivery '${req.params.id}'`);
    }
    res.json(rowToDelivery(row, true));
  });

  const audit = auditRequest(options.auditor, 'delivery-reprocess', req => ({
    deliveryId: req.params.id,
  }));
  router.post('/deliveries/:id/reprocess', audit, async (req, res) => {
    await authorize(
      req,
      slipwayDeliveryReprocessPermission,
      'Reprocessing deliveries',
    );
    res.json(await processor.reprocess(req.params.id));
  });

  return router;
}
