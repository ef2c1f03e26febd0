import {
  AuditorService,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import {
  AuthorizeResult,
  BasicPermission,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import {
  FINISHED_DEPLOYMENT_STATUSES,
  LIST_LIMITS,
  slipwayAppCreatePermission,
  slipwayAppDeletePermission,
  slipwayAppUpdatePermission,
  slipwayCancelPermission,
  slipwayDeployPermission,
  slipwayRollbackPermission,
} from '@slipway/plugin-slipway-common';
import express, { Request } from 'express';
import { createValidatedRouter } from '../schema/validatedRouter';
import type { ReadAccess, ReadScope } from '../access';
import type { EntityClaimCheck } from '../permissions';
import { AuditMeta, auditRequest } from '../audit/auditRequest';
import { DeployEngine } from './DeployEngine';
import { AppInput, AppRecord } from './store/records';
import { toPublicApp, toPublicDeployment } from './store/toPublic';
import { DeploymentSignals, writeWithBackpressure } from './logs';
import { parseAppInput } from './validation';

/** What the deploy routes need. */
export interface DeployRouterOptions {
  engine: DeployEngine;
  signals: DeploymentSignals;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  /** Records every change: who, what and the outcome. */
  auditor: AuditorService;
  /** Ends log follow streams when aborted (backend shutdown). */
  shutdown?: AbortSignal;
  /** Who may read which app (apps follow their catalog entity). */
  access: ReadAccess;
  /** Who may name which entity as an app's entityRef. */
  entityClaims: EntityClaimCheck;
  /** The entity an app belongs to, or null. */
  entityOfApp(app: {
    name: string;
    entityRef?: string;
  }): Promise<string | null>;
}

const HEARTBEAT_MS = 15_000;
// A follower never outlives a sane build; the client reconnects with
// Last-Event-ID if it needs more.
const MAX_FOLLOW_MS = 2 * 60 * 60 * 1000;

function limitOf(req: Request, fallback: number, max: number): number {
  const raw = req.query.limit;
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new InputError(`limit must be an integer from 1 to ${max}.`);
  }
  return n;
}

function cursorOf(req: Request): string | undefined {
  const raw = req.query.cursor;
  return typeof raw === 'string' && raw ? raw : undefined;
}

/**
 * Routes of the deploy engine (`/apps`, `/deployments`). A user reads an
 * app, its deployments and their logs only when the catalog serves them the
 * app's entity (an app without one: any signed-in user); otherwise the
 * answer is 404, as for a missing app, and lists leave it out. Every change
 * checks its permission (on the app, for the resource permissions) and goes
 * to the auditor.
 */
export function createDeployRouter(
  options: DeployRouterOptions,
): express.Router {
  const { engine, signals, httpAuth, permissions, auditor } = options;
  const store = engine.store;
  const router = createValidatedRouter();
  // Own JSON parser: the plugin installs none globally (the webhook needs
  // the raw body).
  // Only on these paths, so a body other routes read raw stays untouched.
  router.use(['/apps', '/deployments'], express.json({ limit: '1mb' }));

  /** A basic permission, or a resource permission on the named app. */
  const authorize = async (
    req: Request,
    permission: BasicPermission | ResourcePermission,
    app?: string,
  ) => {
    const credentials = await httpAuth.credentials(req);
    const [decision] = await permissions.authorize(
      [
        permission.type === 'resource'
          ? { permission, resourceRef: app ?? '' }
          : { permission },
      ],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(
        `You lack the permission ${permission.name}${
          app === undefined ? '' : ` on the app ${app}`
        }; ask an administrator to grant it.`,
      );
    }
  };
  /** Refuses (403, or 400 for an unknown entity) unless the caller may claim it. */
  const claimEntity = async (req: Request, name: string, entityRef: string) => {
    const scope = await options.access.scopeOf(req);
    await options.entityClaims.assertMayClaim({
      credentials: await httpAuth.credentials(req),
      app: { name, entityRef },
      canReadEntity: ref => scope.canReadEntity(ref),
    });
  };
  const audit = (eventId: string, metaOf: (req: Request) => AuditMeta) =>
    auditRequest(auditor, eventId, metaOf);
  const byApp = (req: Request) => ({ app: req.params.name });
  const bodyName = (req: Request) => ({ app: req.body?.name });

  const readable = async (scope: ReadScope, app: AppRecord) =>
    scope.canReadEntity(await options.entityOfApp(app));
  /** The app when the caller may read it; 404 (as a missing app) if not. */
  const readApp = async (req: Request, name: string) => {
    const scope = await options.access.scopeOf(req);
    const app = await store.apps.require(name);
    if (!(await readable(scope, app))) {
      throw new NotFoundError(
        `No app named "${name}"; create it with POST /api/slipway/apps first.`,
      );
    }
    return { app, scope };
  };
  /** The deployment when the caller may read its app; 404 if not. */
  const readDeployment = async (req: Request, id: string) => {
    const deployment = await store.deployments.require(id);
    const scope = await options.access.scopeOf(req);
    const app = await store.apps.get(deployment.app);
    // A deployment of a deleted app: its entity is unknown, services only.
    const check = async () => (app ? readable(scope, app) : scope.unrestricted);
    if (!(await check())) {
      throw new NotFoundError(
        `No deployment with id "${id}"; list them with GET /apps/:name/deployments.`,
      );
    }
    return {
      deployment,
      stillReadable: check,
    };
  };

  const appResponse = async (name: string) => {
    const app = await store.apps.require(name);
    const current = app.currentDeploymentId
      ? await store.deployments.get(app.currentDeploymentId)
      : undefined;
    return toPublicApp(app, current);
  };

  router.post('/apps', audit('app-create', bodyName), async (req, res) => {
    await authorize(req, slipwayAppCreatePermission);
    const input = parseAppInput(req.body, 'create') as AppInput;
    if (input.entityRef) await claimEntity(req, input.name, input.entityRef);
    const { app, deployment } = await engine.createApp(input);
    res.locals.auditMeta = { deploymentId: deployment.id };
    res.status(201).json({
      app: toPublicApp(app),
      deployment: toPublicDeployment(deployment),
    });
  });

  router.get('/apps', async (req, res) => {
    const scope = await options.access.scopeOf(req);
    const page = await store.apps.list({
      limit: limitOf(req, LIST_LIMITS.default, LIST_LIMITS.max),
      cursor: cursorOf(req),
    });
    // Filtered per page: a page may be short, nextCursor still continues.
    const refs = await Promise.all(page.items.map(a => options.entityOfApp(a)));
    const allowed = await scope.filter(
      page.items.map((app, i) => ({ app, entityRef: refs[i] })),
    );
    const items = await Promise.all(allowed.map(a => appResponse(a.app.name)));
    res.json({ items, nextCursor: page.nextCursor });
  });

  router.get('/apps/:name', async (req, res) => {
    await readApp(req, req.params.name);
    res.json(await appResponse(req.params.name));
  });

  router.patch('/apps/:name', audit('app-update', byApp), async (req, res) => {
    await authorize(req, slipwayAppUpdatePermission, req.params.name);
    const patch = parseAppInput(req.body, 'update');
    if (
      patch.entityRef &&
      patch.entityRef !== (await store.apps.require(req.params.name)).entityRef
    ) {
      await claimEntity(req, req.params.name, patch.entityRef);
    }
    const { droppedSecretEnvKeys } = await engine.updateApp(
      req.params.name,
      patch,
    );
    res.json({ ...(await appResponse(req.params.name)), droppedSecretEnvKeys });
  });

  router.delete('/apps/:name', audit('app-delete', byApp), async (req, res) => {
    await authorize(req, slipwayAppDeletePermission, req.params.name);
    await engine.deleteApp(req.params.name);
    res.status(204).end();
  });

  router.post(
    '/apps/:name/deployments',
    audit('deployment-create', byApp),
    async (req, res) => {
      await authorize(req, slipwayDeployPermission, req.params.name);
      const ref = req.body?.ref;
      if (ref !== undefined && typeof ref !== 'string') {
        throw new InputError('ref must be a branch, tag or commit sha string.');
      }
      const deployment = await engine.deploy(req.params.name, {
        ref,
        trigger: 'manual',
      });
      res.locals.auditMeta = { deploymentId: deployment.id };
      res.status(202).json(toPublicDeployment(deployment));
    },
  );

  router.get('/apps/:name/deployments', async (req, res) => {
    await readApp(req, req.params.name);
    const page = await store.deployments.list({
      app: req.params.name,
      limit: limitOf(req, LIST_LIMITS.default, LIST_LIMITS.max),
      cursor: cursorOf(req),
    });
    res.json({
      items: page.items.map(toPublicDeployment),
      nextCursor: page.nextCursor,
    });
  });

  router.post(
    '/apps/:name/rollback',
    audit('deployment-rollback', byApp),
    async (req, res) => {
      await authorize(req, slipwayRollbackPermission, req.params.name);
      const to = req.body?.toDeploymentId;
      if (to !== undefined && !/^\d+$/.test(String(to))) {
        throw new InputError('toDeploymentId must be a deployment id.');
      }
      const deployment = await engine.rollback(
        req.params.name,
        to === undefined ? undefined : String(to),
        { restoreSecrets: req.body?.restoreSecrets === true },
      );
      res.locals.auditMeta = { deploymentId: deployment.id };
      res.status(202).json(toPublicDeployment(deployment));
    },
  );

  router.get('/deployments/:id', async (req, res) => {
    const { deployment } = await readDeployment(req, req.params.id);
    res.json(toPublicDeployment(deployment));
  });

  router.post(
    '/deployments/:id/cancel',
    audit('deployment-cancel', req => ({ deploymentId: req.params.id })),
    async (req, res) => {
      const target = await store.deployments.require(req.params.id);
      res.locals.auditMeta = { app: target.app };
      await authorize(req, slipwayCancelPermission, target.app);
      const deployment = await engine.cancel(req.params.id);
      res.status(202).json(toPublicDeployment(deployment));
    },
  );

  router.get('/deployments/:id/logs', async (req, res) => {
    const id = req.params.id;
    const { stillReadable } = await readDeployment(req, id);
    if (req.query.follow !== 'true') {
      const limit = limitOf(req, 1000, 5000);
      const items = await store.logs.read(id, {
        afterId: cursorOf(req),
        limit,
      });
      res.json({
        items,
        nextCursor:
          items.length === limit ? items[items.length - 1].id : undefined,
      });
      return;
    }

    const lastEventId =
      req.get('last-event-id') ??
      (typeof req.query.lastEventId === 'string'
        ? req.query.lastEventId
        : undefined);
    let afterId =
      lastEventId && /^\d+$/.test(lastEventId) ? lastEventId : undefined;
    res.status(200);
    res.setHeader('content-type', 'text/event-stream');
    res.setHeader('cache-control', 'no-cache');
    res.setHeader('connection', 'keep-alive');
    res.flushHeaders();
    const closed = new AbortController();
    req.on('close', () => closed.abort());
    // The server waits for open streams when it stops; the client resumes
    // with Last-Event-ID.
    const onShutdown = () => closed.abort();
    options.shutdown?.addEventListener('abort', onShutdown);
    if (options.shutdown?.aborted) closed.abort();
    // A reader that has not taken the last events needs no heartbeat.
    const heartbeat = setInterval(() => {
      if (!res.writableNeedDrain) res.write(': heartbeat\n\n');
    }, HEARTBEAT_MS);
    const until = Date.now() + MAX_FOLLOW_MS;
    try {
      // Checked each round (cached): a revoked reader stops within the TTL.
      while (
        !closed.signal.aborted &&
        Date.now() < until &&
        (await stillReadable())
      ) {
        // Read the status before the lines: a line stored after this read
        // is still picked up by the next round.
        const deployment = await store.deployments.require(id);
        const lines = await store.logs.read(id, { afterId, limit: 500 });
        // One event at a time, waiting for a slow reader to drain.
        for (const line of lines) {
          const written = await writeWithBackpressure(
            res,
            `id: ${line.id}\nevent: log\ndata: ${JSON.stringify(line)}\n\n`,
            closed.signal,
          );
          if (!written) {
            // Closed, or too slow: it resumes with Last-Event-ID.
            closed.abort();
            break;
          }
          afterId = line.id;
        }
        if (closed.signal.aborted) break;
        if (
          lines.length === 0 &&
          FINISHED_DEPLOYMENT_STATUSES.includes(deployment.status)
        ) {
          res.write(
            `event: end\ndata: ${JSON.stringify(
              toPublicDeployment(deployment),
            )}\n\n`,
          );
          break;
        }
        if (lines.length < 500) {
          await signals.wait(id, 1000, closed.signal);
        }
      }
    } finally {
      clearInterval(heartbeat);
      options.shutdown?.removeEventListener('abort', onShutdown);
      res.end();
    }
  });

  return router;
}
