import { Entity } from '@backstage/catalog-model';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { screen, waitFor } from '@testing-library/react';
import { FakeSlipwayApi } from './FakeSlipwayApi';

export const appEntity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'hello-busybox',
    annotations: { 'slipway.dev/app': 'hello-busybox' },
  },
  spec: { type: 'service' },
};

export function deploymentsApi() {
  const api = new FakeSlipwayApi();
  api.app = {
    name: 'hello-busybox',
    repoUrl: 'file:///repo',
    createdAt: '2026-11-24T09:00:00Z',
    updatedAt: '2026-11-24T09:00:00Z',
    currentDeployment: {
      id: 'd2',
      app: 'hello-busybox',
      status: 'running',
      createdAt: '2026-11-24T09:05:00Z',
      updatedAt: '2026-11-24T09:05:30Z',
    },
    url: 'http://127.0.0.1:32768',
  };
  api.deployments = [
    {
      id: 'd3',
      app: 'hello-busybox',
      status: 'building',
      createdAt: '2026-11-24T09:10:00Z',
      updatedAt: '2026-11-24T09:10:00Z',
      startedAt: '2026-11-24T09:10:00Z',
    },
    {
      id: 'd2',
      app: 'hello-busybox',
      status: 'running',
      imageTag: 'slipway-hello-busybox:d2',
      commitSha: '1234567890abcdef',
      url: 'http://127.0.0.1:32768',
      createdAt: '2026-11-24T09:05:00Z',
      updatedAt: '2026-11-24T09:05:30Z',
      startedAt: '2026-11-24T09:05:00Z',
      finishedAt: '2026-11-24T09:05:42Z',
    },
    {
      id: 'd1',
      app: 'hello-busybox',
      status: 'superseded',
      imageTag: 'slipway-hello-busybox:d1',
      // It served before d2 replaced it: a rollback target.
      containerId: 'c-d1',
      createdAt: '2026-11-24T09:00:00Z',
      updatedAt: '2026-11-24T09:05:30Z',
      startedAt: '2026-11-24T09:00:00Z',
      finishedAt: '2026-11-24T09:00:20Z',
    },
  ];
  return api;
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
