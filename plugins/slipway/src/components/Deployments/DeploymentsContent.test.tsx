import { mockApis, renderTestApp } from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { createTestEntityPage } from '@backstage/plugin-catalog-react/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { entityDeploymentsContent } from '../../alpha';
import { slipwayApiRef } from '../../api';
import { EntityDeploymentsContent } from '../../plugin';
import {
  appEntity as entity,
  deploymentsBackend,
  logMessage,
} from '../../__testUtils__/deploymentFixtures';
import { makeEvent } from '../../__testUtils__/oasisEvents';
import { SpecFetch } from '../../__testUtils__/specFetch';

function renderTab(
  backend: ReturnType<typeof deploymentsBackend>,
  allow: boolean,
) {
  return renderTestApp({
    extensions: [createTestEntityPage({ entity }), entityDeploymentsContent],
    apis: [
      [slipwayApiRef, backend.api],
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
    const backend = deploymentsBackend();
    renderTab(backend, true);
    const rows = await screen.findAllByTestId('deployment-row');
    expect(rows.map(r => r.getAttribute('data-status'))).toEqual([
      'building',
      'running',
      'superseded',
    ]);
    expect(rows[1]).toHaveTextContent('2 (serving)');
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
    await waitFor(() => expect(backend.double.calls('Deploy')).toHaveLength(1));
    expect(backend.double.calls('Deploy')[0]).toMatchObject({
      pathParams: { name: 'hello-busybox' },
      body: {},
    });
    // The queued deployment is listed and its log followed.
    await waitFor(() =>
      expect(screen.getAllByTestId('deployment-row')[0]).toHaveAttribute(
        'data-status',
        'pending',
      ),
    );
    fireEvent.click(
      within(rows[2]).getByRole('button', { name: 'Roll back to this' }),
    );
    await waitFor(() =>
      expect(backend.double.calls('Rollback')).toHaveLength(1),
    );
    expect(backend.double.calls('Rollback')[0]).toMatchObject({
      pathParams: { name: 'hello-busybox' },
      body: { toDeploymentId: '1' },
    });
  });

  it('offers no rollback to a deployment that never served (the engine would refuse it)', async () => {
    const backend = deploymentsBackend();
    // Superseded while it was still building: no container ever ran it.
    backend.deployments[2] = {
      ...backend.deployments[2],
      containerId: undefined,
    };
    renderTab(backend, true);
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
    const backend = deploymentsBackend();
    renderTab(backend, true);
    const rows = await screen.findAllByTestId('deployment-row');
    fireEvent.click(within(rows[0]).getByRole('button', { name: 'Cancel' }));
    await waitFor(() =>
      expect(backend.double.calls('CancelDeployment')).toHaveLength(1),
    );
    expect(backend.double.calls('CancelDeployment')[0].pathParams).toEqual({
      id: '3',
    });
    await waitFor(() =>
      expect(screen.getAllByTestId('deployment-row')[0]).toHaveAttribute(
        'data-status',
        'cancelled',
      ),
    );
  });

  it('follows the logs of a running deployment live and refreshes on deploy events', async () => {
    const backend = deploymentsBackend();
    renderTab(backend, true);
    await screen.findAllByTestId('deployment-row');
    await waitFor(() => expect(backend.logs()).toHaveLength(1));
    const [log] = backend.logs();
    expect(log.request).toMatchObject({
      pathParams: { id: '3' },
      query: { follow: 'true' },
    });
    expect(
      screen.getByRole('status', { name: 'Following logs live' }),
    ).toBeInTheDocument();

    log.send(logMessage('1', 'Step 1/3 : FROM scratch'));
    expect(
      await screen.findByText(/Step 1\/3 : FROM scratch/),
    ).toBeInTheDocument();
    log.send(logMessage('2', 'Successfully built 0123abcd'));
    expect(
      await screen.findByText(/Successfully built 0123abcd/),
    ).toBeInTheDocument();

    // The deploy engine reports the switch as an OASIS event; the list follows.
    backend.deployments[0] = {
      ...backend.deployments[0],
      status: 'running',
      finishedAt: '2026-11-24T09:10:40Z',
    };
    await waitFor(() => expect(backend.events.open()).toHaveLength(1));
    expect(backend.events.streamRequests()[0].query).toEqual({
      source: 'slipway.deploy',
    });
    backend.events.emit(
      makeEvent(50, {
        source: 'slipway.deploy',
        kind: 'deployment',
        module: 'DEPLOY',
        status: 'success',
      }),
    );
    await waitFor(() =>
      expect(screen.getAllByTestId('deployment-row')[0]).toHaveAttribute(
        'data-status',
        'running',
      ),
    );
    // Finished: the live log follow ends, and its stream is closed.
    await waitFor(() =>
      expect(
        screen.queryByRole('status', { name: 'Following logs live' }),
      ).not.toBeInTheDocument(),
    );
    await waitFor(() => expect(backend.logs()).toHaveLength(0));
  });

  it('shows that the live log is reconnecting, then following again, and a refused stream as an error', async () => {
    const backend = deploymentsBackend();
    renderTab(backend, true);
    await screen.findAllByTestId('deployment-row');
    await waitFor(() => expect(backend.logs()).toHaveLength(1));
    backend.logs()[0].send(logMessage('1', 'Step 1/3 : FROM scratch'));
    await waitFor(() =>
      expect(screen.getByText(/Step 1\/3 : FROM scratch/)).toBeInTheDocument(),
    );

    // The connection breaks; the client waits (1 s) before it reconnects.
    backend.logs()[0].break();
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

    // Back after the last line it saw: the indicator follows live again and
    // the next lines append.
    await waitFor(() => expect(backend.logs()).toHaveLength(1));
    const resumed = backend.logs()[0];
    expect(resumed.request.headers['last-event-id']).toBe('1');
    resumed.send(logMessage('2', 'Step 2/3 : COPY . .'));
    expect(
      await screen.findByRole('status', { name: 'Following logs live' }),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('status', { name: 'Reconnecting to the live log' }),
    ).not.toBeInTheDocument();
    await waitFor(() =>
      expect(screen.getByText(/Step 2\/3 : COPY/)).toBeInTheDocument(),
    );

    // The deployment is deleted and the stream breaks: the reconnect gets
    // 404, which is shown, and nothing claims to follow or tries again.
    backend.deployments.splice(0, 1);
    resumed.break();
    await waitFor(() =>
      expect(
        screen.getByText(/Could not read the deployment log/),
      ).toBeInTheDocument(),
    );
    expect(screen.getByText(/No deployment with id "3"/)).toBeInTheDocument();
    expect(screen.queryByRole('status', { name: /live/ })).toBeNull();
    await new Promise(r => setTimeout(r, 1500));
    expect(backend.double.calls('GetDeploymentLogs')).toHaveLength(3);
    expect(backend.logs()).toHaveLength(0);
  });

  it('explains an app the deploy engine does not know', async () => {
    const backend = deploymentsBackend();
    // The backend answers 404 (as it does for an app it does not know).
    backend.app = undefined;
    renderTab(backend, true);
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
      // A double that answers nothing: any request fails the test.
      <TestApiProvider apis={[[slipwayApiRef, new SpecFetch().client()]]}>
        <EntityProvider entity={{ ...entity, metadata: { name: 'plain' } }}>
          <EntityDeploymentsContent />
        </EntityProvider>
      </TestApiProvider>,
    );
    expect(await screen.findByText(/Missing Annotation/i)).toBeInTheDocument();
  });
});
