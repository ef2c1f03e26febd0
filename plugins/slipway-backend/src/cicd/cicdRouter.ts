import { InputError, NotFoundError } from '@backstage/errors';
import express from 'express';
import { createValidatedRouter } from '../schema/validatedRouter';
import type { ReadAccess } from '../access';
import { CicdStatusService } from './CicdStatusService';

/**
 * `GET /cicd/status?entityRef=`: only for callers the catalog serves the
 * entity to; anyone else gets 404, as for an entity that does not exist.
 */
export function createCicdRouter(options: {
  status: CicdStatusService;
  access: ReadAccess;
}): express.Router {
  const router = createValidatedRouter();
  router.get('/cicd/status', async (req, res) => {
    const { entityRef } = req.query;
    if (
      typeof entityRef !== 'string' ||
      !/^[^:\s]+:[^/\s]+\/\S+$|^[^:\s]+:\S+$/.test(entityRef)
    ) {
      throw new InputError(
        'Missing or invalid entityRef: pass the entity reference, e.g. component:default/orders-api',
      );
    }
    const ref = entityRef.includes('/')
      ? entityRef
      : entityRef.replace(':', ':default/');
    const scope = await options.access.scopeOf(req);
    if (!(await scope.canReadEntity(ref))) {
      throw new NotFoundError(
        `No entity ${ref} in the catalog, or you may not read it`,
      );
    }
    res.json(await options.status.status(ref));
  });
  return router;
}
