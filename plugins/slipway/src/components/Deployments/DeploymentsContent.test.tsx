import { mockApis, renderTestApp } from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { createTestEntityPage } from '@backstage/plugin-catalog-react/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { ResponseError } from '@backstage/errors';
import {
  act,
  fireEvent,
  screen,
  waitFor,
  within,
} from '@testing-library/react';
import { entityDeploymentsContent } from '../../alpha';
import { slipwayApiRef } from '../../api';
import { EntityDeploymentsContent } from '../../plugin';
import { FakeSlipwayApi, makeEvent } from '../../__testUtils__/FakeSlipwayApi';
import {
  appEntity as entity,
  deploymentsApi,
} from '../../__testUtils__/deploymentFixtures';

function renderTab(api: FakeSlipwayApi, allow: boolean) {
  return renderTestApp({
    extensions: [createTestEntityPage({ entity }), entityDeploymentsContent],
    apis: [
      [slipwayApiRef, api],
      mockApis.permission({
        authorize: allow ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
      }),
    ],
  });
}

describe('EntityDeploymentsContent (new frontend system)', () => {
  beforeAll(() => {
    // The log viewer sizes itself from its parent; jsdom has no layout.
    jest
      .spyOn(HTMLElement.prototype, 'offsetHeight', 'get')
      .mockReturnValue(400);
    jest
      .spyOn(HTMLElement.prototype, 'offsetWidth', 'get')
      .mockReturnValue(800);
    jest.spyOn(HTMLElement.prototype, 'getBoundingClientRect').mockReturnValue({
      width: 800,
      height: 400,
      top: 0,
      left: 0,
      bottom: 400,
      right: 800,
      x: 0,
      y: 0,
      toJSON: () => ({}),
    } as DOMRect);
  });
  afterAll(() => jest.restoreAllMocks());

  it('lists deployments with status and duration, and offers actions to permitted users', async () => {
    const api = deploymentsApi();
    renderTab(api, true);
    const rows = await screen.findAllByTestId('deployment-row');
    expect(rows.map(r => r.getAttribute('data-status'))).toEqual([
      'building',
      'running',
      'superseded',
    ]);
    expect(rows[1]).toHaveTextContent('d2 (serving)');
    expect(rows[1]).toHaveTextContent('42s');
    expect(rows[1]).toHaveTextContent('1234567');
    expect(rows[2]).toHaveTextContent('20s');
    expect(
      within(rows[0]).getByRole('button', { name: 'Cancel' }),
    ).toBeInTheDocument();
    expect(
      within(rows[2]).getByRole('button', { name: 'Roll back to this' }),
    ).toBeInTheDocument();
    // The serving deployment cannot be "rolled back" to.
    expect(
      within(rows[1]).queryByRole('button', { name: 'Roll back to this' }),
    ).not.toBeInTheDocument();

    fireEvent.click(screen.getByRole('button', { name: 'Deploy' }));
    await waitFor(() => expect(api.calls).toContain('deploy hello-busybox {}'));
    fireEvent.click(
      within(rows[2]).getByRole('button', { name: 'Roll back to this' }),
    );
    await waitFor(() =>
      expect(api.calls).toContain('rollback hello-busybox d1'),
    );
  });

  it('offers no rollback to a deployment that never served (the engine would refuse it)', async () => {
    const api = deploymentsApi();
    // Superseded while it was still building: no container ever ran it.
    api.deployments[2] = { ...api.deployments[2], containerId: undefined };
    renderTab(api, true);
    const rows = await screen.findAllByTestId('deployment-row');
    expect(rows[2]).toHaveAttribute('data-status', 'superseded');
    expect(
      within(rows[2]).queryByRole('button', { name: 'Roll back to this' }),
    ).not.toBeInTheDocument();
    expect(
      within(rows[0]).getByRole('button', { name: 'Cancel' }),
    ).toBeInTheDocument();
  });

  it('cancels an active deployment', async () => {
    const api = deploymentsApi();
    renderTab(api, true);
    const rows = await screen.findAllByTestId('deployment-row');
    fireEvent.click(within(rows[0]).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(api.calls).toContain('cancel d3'));
    await waitFor(() =>
      expect(screen.getAllByTestId('deployment-row')[0]).toHaveAttribute(
        'data-status',
        'cancelled',
      ),
    );
  });

  it('follows the logs of a running deployment live and refreshes on deploy events', async () => {
    const api = deploymentsApi();
    renderTab(api, true);
    await screen.findAllByTestId('deployment-row');
    await waitFor(() => expect(api.logs).toHaveLength(1));
    expect(api.logs[0]).toMatchObject({ id: 'd3', follow: true });
    expect(
      screen.getByRole('status', { name: 'Following logs live' }),
    ).toBeInTheDocument();

    act(() => api.logs[0].onLines([{ line: 'Step 1/3 : FROM scratch' }]));
    expect(
      await screen.findByText(/Step 1\/3 : FROM scratch/),
    ).toBeInTheDocument();
    act(() => api.logs[0].onLines([{ line: 'Successfully built 0123abcd' }]));
    expect(
      await screen.findByText(/Successfully built 0123abcd/),
    ).toBeInTheDocument();

    // The deploy engine reports the switch as an OASIS event; the list follows.
    api.deployments[0] = {
      ...api.deployments[0],
      status: 'running',
      finishedAt: '2026-11-24T09:10:40Z',
    };
    await waitFor(() => expect(api.streams).toHaveLength(1));
    expect(api.streams[0].filter).toEqual({ source: 'slipway.deploy' });
    act(() =>
      api.emit(
        makeEvent(50, {
          source: 'slipway.deploy',
          kind: 'deployment',
          module: 'DEPLOY',
          status: 'success',
        }),
      ),
    );
    await waitFor(() =>
      expect(screen.getAllByTestId('deployment-row')[0]).toHaveAttribute(
        'data-status',
        'running',
      ),
    );
    // Finished: the live log follow ends.
    await waitFor(() =>
      expect(
        screen.queryByRole('status', { name: 'Following logs live' }),
      ).not.toBeInTheDocument(),
    );
  });

  it('shows that the live log is reconnecting, then following again, and a refused stream as an error', async () => {
    const api = deploymentsApi();
    renderTab(api, true);
    await screen.findAllByTestId('deployment-row');
    await waitFor(() => expect(api.logs).toHaveLength(1));
    act(() => {
      api.logs[0].onOpen?.();
      api.logs[0].onLines([{ id: '1', line: 'Step 1/3 : FROM scratch' }]);
    });
    await waitFor(() =>
      expect(screen.getByText(/Step 1\/3 : FROM scratch/)).toBeInTheDocument(),
    );

    // The client lost the stream and waits before it reconnects.
    act(() =>
      api.logs[0].onReconnecting?.({
        attempt: 1,
        delayMs: 1000,
        error: new TypeError('terminated'),
        lastEventId: '1',
      }),
    );
    const reconnecting = await screen.findByRole('status', {
      name: 'Reconnecting to the live log',
    });
    expect(reconnecting).toHaveTextContent('reconnecting…');
    expect(reconnecting).toHaveAttribute(
      'title',
      'The log stream broke off (terminated); retrying in 1 s',
    );
    expect(
      screen.queryByRole('status', { name: 'Following logs live' }),
    ).not.toBeInTheDocument();
    // What was read before stays on screen.
    expect(screen.getByText(/Step 1\/3 : FROM scratch/)).toBeInTheDocument();

    // Back: the indicator follows live again and the next lines append.
    act(() => {
      api.logs[0].onOpen?.();
      api.logs[0].onLines([{ id: '2', line: 'Step 2/3 : COPY . .' }]);
    });
    expect(
      await screen.findByRole('status', { name: 'Following logs live' }),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('status', { name: 'Reconnecting to the live log' }),
    ).not.toBeInTheDocument();
    await waitFor(() =>
      expect(screen.getByText(/Step 2\/3 : COPY/)).toBeInTheDocument(),
    );

    // The deployment is gone (404): shown, and nothing claims to follow.
    act(() =>
      api.logs[0].reject(new Error('No deployment with id d3; it was deleted')),
    );
    await waitFor(() =>
      expect(
        screen.getByText(/Could not read the deployment log/),
      ).toBeInTheDocument(),
    );
    expect(screen.getByText(/No deployment with id d3/)).toBeInTheDocument();
    expect(screen.queryByRole('status', { name: /live/ })).toBeNull();
    expect(api.logs).toHaveLength(1);
  });

  it('explains an app the deploy engine does not know', async () => {
    const api = deploymentsApi();
    api.app = await ResponseError.fromResponse(
      new Response(
        JSON.stringify({
          error: {
            name: 'NotFoundError',
            message: 'No app named hello-busybox',
          },
          request: { method: 'GET', url: '/apps/hello-busybox' },
          response: { statusCode: 404 },
        }),
        { status: 404, headers: { 'content-type': 'application/json' } },
      ) as any,
    );
    renderTab(api, true);
    expect(
      await screen.findByText('No Slipway app named "hello-busybox"'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/slipway:deploy scaffolder action/),
    ).toBeInTheDocument();
  });
});

describe('EntityDeploymentsContent (legacy app system)', () => {
  it('shows the missing-annotation empty state without slipway.dev/app', async () => {
    await renderInTestApp(
      <TestApiProvider apis={[[slipwayApiRef, new FakeSlipwayApi()]]}>
        <EntityProvider entity={{ ...entity, metadata: { name: 'plain' } }}>
          <EntityDeploymentsContent />
        </EntityProvider>
      </TestApiProvider>,
    );
    expect(await screen.findByText(/Missing Annotation/i)).toBeInTheDocument();
  });
});
