import { Entity } from '@backstage/catalog-model';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { screen, waitFor } from '@testing-library/react';
import type { Deployment, SlipwayApp } from '@slipway/plugin-slipway-common';
import { serveEvents } from './oasisEvents';
import {
  apiError,
  json,
  sse,
  SpecFetch,
  type SpecRequest,
  type SseMessage,
} from './specFetch';

export const appEntity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'hello-busybox',
    annotations: { 'slipway.dev/app': 'hello-busybox' },
  },
  spec: { type: 'service' },
};

/**
 * The deploy engine's routes of the backend for one app, `hello-busybox`,
 * over `app` and `deployments`, which a test may change between requests:
 * an `app` of undefined is one the backend does not know (404, as it
 * answers). Ids are decimal, as the backend's are. Log follows stay open
 * for the test to drive (see `logs`); deploy events come from `events`.
 */
export function deploymentsBackend() {
  const double = new SpecFetch();
  const events = serveEvents(double);
  const state: {
    app: SlipwayApp | undefined;
    deployments: Deployment[];
  } = {
    app: {
      name: 'hello-busybox',
      repoUrl: 'file:///repo',
      secretEnvKeys: [],
      createdAt: '2026-11-24T09:00:00Z',
      updatedAt: '2026-11-24T09:00:00Z',
      currentDeployment: {
        id: '2',
        app: 'hello-busybox',
        status: 'running',
        createdAt: '2026-11-24T09:05:00Z',
        updatedAt: '2026-11-24T09:05:30Z',
      },
      url: 'http://127.0.0.1:32768',
    },
    deployments: [
      {
        id: '3',
        app: 'hello-busybox',
        status: 'building',
        createdAt: '2026-11-24T09:10:00Z',
        updatedAt: '2026-11-24T09:10:00Z',
        startedAt: '2026-11-24T09:10:00Z',
      },
      {
        id: '2',
        app: 'hello-busybox',
        status: 'running',
        imageTag: 'slipway-hello-busybox:2',
        commitSha: '1234567890abcdef',
        url: 'http://127.0.0.1:32768',
        createdAt: '2026-11-24T09:05:00Z',
        updatedAt: '2026-11-24T09:05:30Z',
        startedAt: '2026-11-24T09:05:00Z',
        finishedAt: '2026-11-24T09:05:42Z',
      },
      {
        id: '1',
        app: 'hello-busybox',
        status: 'superseded',
        imageTag: 'slipway-hello-busybox:1',
        // It served before 2 replaced it: a rollback target.
        containerId: 'c-1',
        createdAt: '2026-11-24T09:00:00Z',
        updatedAt: '2026-11-24T09:05:30Z',
        startedAt: '2026-11-24T09:00:00Z',
        finishedAt: '2026-11-24T09:00:20Z',
      },
    ],
  };

  // The backend's own messages (deploy/router.ts, store/DeploymentStore.ts).
  const noApp = (name: string) =>
    apiError(
      404,
      'NotFoundError',
      `No app named "${name}"; create it with POST /api/slipway/apps first.`,
    );
  const noDeployment = (id: string) =>
    apiError(
      404,
      'NotFoundError',
      `No deployment with id "${id}"; list them with GET /apps/:name/deployments.`,
    );
  const appOf = (request: SpecRequest) =>
    state.app?.name === request.pathParams.name ? state.app : undefined;
  const deploymentOf = (request: SpecRequest) =>
    state.deployments.find(d => d.id === request.pathParams.id);
  const queue = (app: string, extra: Partial<Deployment>) => {
    const now = new Date().toISOString();
    const deployment: Deployment = {
      id: String(Math.max(0, ...state.deployments.map(d => Number(d.id))) + 1),
      app,
      status: 'pending',
      createdAt: now,
      updatedAt: now,
      ...extra,
    };
    state.deployments.unshift(deployment);
    return json(deployment, 202);
  };

  double
    .on('GetApp', r => (appOf(r) ? json(appOf(r)) : noApp(r.pathParams.name)))
    .on('ListDeployments', r =>
      appOf(r)
        ? json({
            items: state.deployments.filter(d => d.app === r.pathParams.name),
          })
        : noApp(r.pathParams.name),
    )
    .on('Deploy', r =>
      appOf(r)
        ? queue(r.pathParams.name, { ref: (r.body as { ref?: string })?.ref })
        : noApp(r.pathParams.name),
    )
    .on('Rollback', r =>
      appOf(r)
        ? queue(r.pathParams.name, {
            rollbackOf: (r.body as { toDeploymentId?: string })?.toDeploymentId,
          })
        : noApp(r.pathParams.name),
    )
    .on('CancelDeployment', r => {
      const deployment = deploymentOf(r);
      if (!deployment) return noDeployment(r.pathParams.id);
      Object.assign(deployment, {
        status: 'cancelled',
        updatedAt: new Date().toISOString(),
      });
      return json(deployment, 202);
    })
    .on('GetDeploymentLogs', r => {
      if (!deploymentOf(r)) return noDeployment(r.pathParams.id);
      // A follow stays open for the test; a read of the stored log has none.
      return r.query.follow === 'true' ? sse() : json({ items: [] });
    });

  return Object.assign(state, {
    double,
    events,
    api: double.client(),
    /** The log follows the client reads now. */
    logs: () => double.openStreams('GetDeploymentLogs'),
  });
}

/** A log line as the backend streams it. */
export function logMessage(id: string, line: string): SseMessage {
  return {
    event: 'log',
    id,
    data: { id, step: 'build', line, createdAt: '2026-11-24T09:10:01Z' },
  };
}

/** A permission API that refuses everything and records what was asked. */
export function denyingPermissionApi() {
  const requested: string[] = [];
  return {
    requested,
    api: {
      authorize: async (request: { permission: { name: string } }) => {
        requested.push(request.permission.name);
        return { result: AuthorizeResult.DENY as AuthorizeResult.DENY };
      },
    },
  };
}

/** Asserts that every deployment action was asked for, refused and hidden. */
export async function expectNoDeploymentActions(requested: string[]) {
  await screen.findAllByTestId('deployment-row');
  // Every button's permission was asked for and refused.
  await waitFor(() =>
    expect([...new Set(requested)].sort()).toEqual([
      'slipway.deployment.cancel',
      'slipway.deployment.create',
      'slipway.deployment.rollback',
    ]),
  );
  await new Promise(r => setTimeout(r, 50));
  for (const name of ['Deploy', 'Cancel', 'Roll back to this']) {
    expect(screen.queryByRole('button', { name })).not.toBeInTheDocument();
  }
}
