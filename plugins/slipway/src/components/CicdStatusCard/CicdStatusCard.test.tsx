import { Entity } from '@backstage/catalog-model';
import { renderTestApp } from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { createTestEntityPage } from '@backstage/plugin-catalog-react/testUtils';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import type {
  CicdStatus,
  WorkflowRunSummary,
} from '@slipway/plugin-slipway-common';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { entityCicdStatusCard } from '../../alpha';
import { slipwayApiRef } from '../../api';
import { EntityCicdStatusCard } from '../../plugin';
import { makeEvent, serveEvents } from '../../__testUtils__/oasisEvents';
import {
  apiError,
  json,
  SpecFetch,
  type SpecReply,
} from '../../__testUtils__/specFetch';

const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'shop',
    annotations: { 'github.com/project-slug': 'acme/shop' },
  },
  spec: { type: 'service' },
};

function run(
  name: string,
  conclusion: string | null,
  runNumber: number,
): WorkflowRunSummary {
  return {
    name,
    runId: runNumber * 100,
    runNumber,
    status: conclusion ? 'completed' : 'in_progress',
    conclusion,
    headSha: 'abcdef1234567890',
    url: `https://github.com/acme/shop/actions/runs/${runNumber * 100}`,
    startedAt: '2026-11-24T09:00:00Z',
    updatedAt: '2026-11-24T09:02:05Z',
  };
}

function cicdStatus(): CicdStatus {
  return {
    repo: 'acme/shop',
    defaultBranch: 'main',
    branches: [
      {
        branch: 'main',
        workflows: [run('CI', 'success', 12), run('Release', 'failure', 3)],
      },
      { branch: 'feature/x', workflows: [run('CI', null, 13)] },
    ],
    deployment: {
      id: '7',
      app: 'shop',
      status: 'running',
      commitSha: 'fedcba9876543210',
      url: 'http://127.0.0.1:32768',
      createdAt: '2026-11-24T09:00:00Z',
      updatedAt: '2026-11-24T09:01:00Z',
    },
    webhook: { connected: true, lastDeliveryAt: '2026-11-24T09:02:05Z' },
  };
}

/** GET /cicd/status answering `reply` (the status above unless changed), and the event routes. */
function statusBackend() {
  const double = new SpecFetch();
  const state: { reply: SpecReply } = { reply: json(cicdStatus()) };
  double.on('GetCicdStatus', () => state.reply);
  return Object.assign(state, {
    double,
    events: serveEvents(double),
    api: double.client(),
    loads: () => double.calls('GetCicdStatus'),
  });
}

function renderCard(
  backend: ReturnType<typeof statusBackend>,
  subject: Entity = entity,
) {
  return renderTestApp({
    extensions: [
      createTestEntityPage({ entity: subject }),
      entityCicdStatusCard,
    ],
    apis: [[slipwayApiRef, backend.api]],
  });
}

describe('EntityCicdStatusCard (new frontend system)', () => {
  it('shows the latest run per workflow on the default branch, with links, durations and the deployment', async () => {
    const backend = statusBackend();
    renderCard(backend);
    const table = await screen.findByRole('table', {
      name: 'Latest workflow runs',
    });
    const rows = within(table).getAllByTestId('workflow-run');
    expect(rows).toHaveLength(2);
    expect(within(rows[0]).getByRole('link', { name: /^CI/ })).toHaveAttribute(
      'href',
      'https://github.com/acme/shop/actions/runs/1200',
    );
    expect(rows[0]).toHaveTextContent('#12');
    expect(rows[0]).toHaveTextContent('success');
    expect(rows[0]).toHaveTextContent('abcdef1');
    expect(rows[0]).toHaveTextContent('2m 05s');
    expect(rows[1]).toHaveTextContent('failure');
    const deployment = screen.getByTestId('current-deployment');
    expect(deployment).toHaveTextContent('running');
    expect(deployment).toHaveTextContent('fedcba9');
    // As a browser resolves it.
    expect(within(deployment).getByRole('link')).toHaveAttribute(
      'href',
      'http://127.0.0.1:32768/',
    );
    expect(
      screen.queryByText('GitHub webhook not connected'),
    ).not.toBeInTheDocument();
    // Every load asks for the entity's status, and nothing else.
    expect(backend.loads().length).toBeGreaterThan(0);
    for (const load of backend.loads()) {
      expect(load.query).toEqual({ entityRef: 'component:default/shop' });
    }
  });

  it('switches branches', async () => {
    renderCard(statusBackend());
    await screen.findByRole('table', { name: 'Latest workflow runs' });
    fireEvent.mouseDown(screen.getByRole('button', { name: /main/ }));
    fireEvent.click(await screen.findByRole('option', { name: 'feature/x' }));
    await waitFor(() =>
      expect(screen.getAllByTestId('workflow-run')).toHaveLength(1),
    );
    expect(screen.getByTestId('workflow-run')).toHaveTextContent('in progress');
  });

  it('updates live when an event of the entity arrives, without polling', async () => {
    const backend = statusBackend();
    renderCard(backend);
    await screen.findByRole('table', { name: 'Latest workflow runs' });
    await waitFor(() => expect(backend.events.open()).toHaveLength(1));
    expect(backend.events.streamRequests()[0].query).toEqual({
      entityRef: 'component:default/shop',
    });
    const loadsBefore = backend.loads().length;

    const next = cicdStatus();
    next.branches[0].workflows[0] = run('CI', 'failure', 14);
    backend.reply = json(next);
    backend.events.emit(makeEvent(99, { status: 'failure' }));
    await waitFor(() =>
      expect(screen.getAllByTestId('workflow-run')[0]).toHaveTextContent('#14'),
    );
    expect(screen.getAllByTestId('workflow-run')[0]).toHaveTextContent(
      'failure',
    );
    // One reload per burst of events, and no timer-driven reloads.
    await new Promise(r => setTimeout(r, 200));
    expect(backend.loads().length - loadsBefore).toBe(1);
  });

  it('warns with the fix when the webhook is not connected', async () => {
    const backend = statusBackend();
    backend.reply = json({
      ...cicdStatus(),
      webhook: { connected: false, lastDeliveryAt: null },
    });
    renderCard(backend);
    expect(
      await screen.findByText(/GitHub webhook not connected/),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/slipway:github:webhook:register/),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/\/api\/slipway\/webhooks\/github/),
    ).toBeInTheDocument();
  });

  it('says what failed when the status cannot be loaded', async () => {
    const backend = statusBackend();
    // What the backend answers for an entity the caller may not read.
    backend.reply = apiError(
      404,
      'NotFoundError',
      'No entity component:default/shop in the catalog, or you may not read it',
    );
    renderCard(backend);
    expect(
      await screen.findByText(
        /Could not load the CI\/CD status of component:default\/shop/,
      ),
    ).toBeInTheDocument();
    expect(
      screen.getAllByText(/No entity component:default\/shop in the catalog/)
        .length,
    ).toBeGreaterThan(0);
  });

  it('is not shown for entities without the annotations', async () => {
    const backend = statusBackend();
    renderCard(backend, {
      ...entity,
      metadata: { name: 'plain' },
    });
    // Give the page time to render before asserting absence.
    await new Promise(r => setTimeout(r, 200));
    expect(screen.queryByText('CI/CD')).not.toBeInTheDocument();
    expect(backend.double.requests).toEqual([]);
  });
});

describe('EntityCicdStatusCard (legacy app system)', () => {
  it('renders the status for an annotated entity', async () => {
    const backend = statusBackend();
    await renderInTestApp(
      <TestApiProvider apis={[[slipwayApiRef, backend.api]]}>
        <EntityProvider entity={entity}>
          <EntityCicdStatusCard />
        </EntityProvider>
      </TestApiProvider>,
    );
    expect(
      await screen.findByRole('table', { name: 'Latest workflow runs' }),
    ).toBeInTheDocument();
    expect(screen.getAllByTestId('workflow-run')).toHaveLength(2);
  });

  it('shows the missing-annotation empty state for entities without the annotations', async () => {
    const backend = statusBackend();
    await renderInTestApp(
      <TestApiProvider apis={[[slipwayApiRef, backend.api]]}>
        <EntityProvider entity={{ ...entity, metadata: { name: 'plain' } }}>
          <EntityCicdStatusCard />
        </EntityProvider>
      </TestApiProvider>,
    );
    expect(await screen.findByText(/Missing Annotation/i)).toBeInTheDocument();
    expect(
      screen.getAllByText(/github.com\/project-slug/).length,
    ).toBeGreaterThan(0);
    expect(backend.double.requests).toEqual([]);
  });
});
