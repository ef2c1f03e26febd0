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
import { auditRequest } from '../audit/auditRequest';
import { parseLimit } from '../oasis/cursor';
import type {
  DeliveryResult,
  WebhookDeliveryStore,
} from './WebhookDeliveryStore';
import { WebhookProcessor } from './WebhookProcessor';

const RESULTS: DeliveryResult[] = ['stored', 'ignored', 'failed'];

/**
 * `/deliveries`: the stored GitHub deliveries (newest first) and their
 * re-mapping. Reading them (full payloads of any repository a hook
 * delivers) needs `slipway.delivery.read`; reprocessing needs
 * `slipway.delivery.reprocess`.
 */
export function createDeliveriesRouter(options: {
  deliveries: Pick<WebhookDeliveryStore, 'get' | 'list'>;
  processor: WebhookProcessor;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  /** Records every reprocess: who, what and the outcome. */
  auditor: AuditorService;
}): express.Router {
  const { deliveries, processor, httpAuth, permissions } = options;
  const router = createValidatedRouter();

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
    const filter: { result?: DeliveryResult } = {};
    if (result !== undefined && result !== '') {
      if (
        typeof result !== 'string' ||
        !RESULTS.includes(result as DeliveryResult)
      ) {
        throw new InputError(
          `Invalid result '${String(result)}': use one of ${RESULTS.join(
            ', ',
          )}`,
        );
      }
      filter.result = result as DeliveryResult;
    }
    let after: string | undefined;
    if (cursor !== undefined && cursor !== '') {
      if (typeof cursor !== 'string') {
        throw new InputError('Invalid cursor: pass it once');
      }
      after = cursor;
    }
    res.json(await deliveries.list(filter, { limit, cursor: after }));
  });

  router.get('/deliveries/:id', async (req, res) => {
    await authorize(
      req,
      slipwayDeliveryReadPermission,
      'Reading webhook deliveries',
    );
    const delivery = await deliveries.get(req.params.id, {
      withPayload: true,
    });
    if (!delivery) {
      throw new NotFoundError(`No webhook delivery '${req.params.id}'`);
    }
    res.json(delivery);
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
