import { InputError } from '@backstage/errors';
import express from 'express';
import Router from 'express-promise-router';
import { CicdStatusService } from './CicdStatusService';

/** `GET /cicd/status?entityRef=`. */
export function createCicdRouter(options: {
  status: CicdStatusService;
}): express.Router {
  const router = Router();
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
    res.json(await options.status.status(ref));
  });
  return router;
}
