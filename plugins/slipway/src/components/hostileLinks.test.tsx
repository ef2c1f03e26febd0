/*
 * URLs from the API are data: a stored `javascript:` (or `data:`, or
 * relative) link must neither run nor take a view down. Every view that
 * renders one gets such data here.
 */
import { mockApis, renderTestApp } from '@backstage/frontend-test-utils';
import { createTestEntityPage } from '@backstage/plugin-catalog-react/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { screen, waitFor, within } from '@testing-library/react';
import { entityCicdStatusCard, entityDeploymentsContent } from '../alpha';
import { slipwayApiRef } from '../api';
import type { CicdStatus } from '@slipway/plugin-slipway-common';
import {
  appEntity,
  deploymentsBackend,
} from '../__testUtils__/deploymentFixtures';
import { makeEvent, serveEvents } from '../__testUtils__/oasisEvents';
import { json, SpecFetch } from '../__testUtils__/specFetch';
import { LiveFeed } from './LiveFeed';

/* eslint-disable no-script-url -- hostile data is what these tests render */
const HOSTILE = [
  'javascript:alert(document.cookie)',
  'JavaScript:fetch("/api/slipway/apps",{method:"DELETE"})',
  '\u0001java\tscript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  '/api/slipway/apps',
];
/* eslint-enable no-script-url */

/** No anchor on the page points anywhere but http(s). */
function expectOnlyHttpLinks() {
  for (const anchor of document.querySelectorAll('a[href]')) {
    expect(anchor.getAttribute('href')).toMatch(/^(https?:\/\/|\/(?!api))/);
  }
}

describe('links from the API', () => {
  it('the live feed shows events with hostile links as plain titles', async () => {
    const double = new SpecFetch();
    serveEvents(double, [
      ...HOSTILE.map((link, i) =>
        makeEvent(i + 1, { title: `HOSTILE ${i + 1}`, link }),
      ),
      makeEvent(99, {
        title: 'CICDL-WORKFLOW-COMPLETED 99',
        link: 'https://github.com/acme/shop/actions/runs/99',
      }),
    ]);
    await renderInTestApp(<LiveFeed />, {
      apis: [[slipwayApiRef, double.client()]],
    });
    expect(
      await screen.findByRole('link', { name: 'CICDL-WORKFLOW-COMPLETED 99' }),
    ).toHaveAttribute('href', 'https://github.com/acme/shop/actions/runs/99');
    for (let i = 1; i <= HOSTILE.length; i++) {
      expect(screen.getByText(`HOSTILE ${i}`)).toBeInTheDocument();
      expect(
        screen.queryByRole('link', { name: `HOSTILE ${i}` }),
      ).not.toBeInTheDocument();
    }
    expectOnlyHttpLinks();
  });

  it('the CI/CD card shows runs and a deployment with hostile URLs as text', async () => {
    const status: CicdStatus = {
      repo: 'acme/shop',
      defaultBranch: 'main',
      branches: [
        {
          branch: 'main',
          workflows: HOSTILE.map((url, i) => ({
            name: `Workflow ${i}`,
            runId: i + 1,
            runNumber: i + 1,
            status: 'completed',
            conclusion: 'success',
            headSha: 'abcdef1234567890',
            url,
            startedAt: '2026-11-24T09:00:00Z',
            updatedAt: '2026-11-24T09:02:05Z',
          })),
        },
      ],
      deployment: {
        id: '7',
        app: 'shop',
        status: 'running',
        url: HOSTILE[0],
        createdAt: '2026-11-24T09:00:00Z',
        updatedAt: '2026-11-24T09:01:00Z',
      },
      webhook: { connected: true, lastDeliveryAt: '2026-11-24T09:02:05Z' },
    };
    const double = new SpecFetch({ GetCicdStatus: () => json(status) });
    serveEvents(double);
    renderTestApp({
      extensions: [
        createTestEntityPage({
          entity: {
            apiVersion: 'backstage.io/v1alpha1',
            kind: 'Component',
            metadata: {
              name: 'shop',
              annotations: { 'github.com/project-slug': 'acme/shop' },
            },
            spec: { type: 'service' },
          },
        }),
        entityCicdStatusCard,
      ],
      apis: [[slipwayApiRef, double.client()]],
    });
    const table = await screen.findByRole('table', {
      name: 'Latest workflow runs',
    });
    const rows = within(table).getAllByTestId('workflow-run');
    expect(rows).toHaveLength(HOSTILE.length);
    rows.forEach((row, i) => {
      expect(row).toHaveTextContent(`Workflow ${i}`);
      expect(within(row).queryByRole('link')).not.toBeInTheDocument();
    });
    const deployment = screen.getByTestId('current-deployment');
    expect(deployment).toHaveTextContent(HOSTILE[0]);
    expect(within(deployment).queryByRole('link')).not.toBeInTheDocument();
    expectOnlyHttpLinks();
  });

  it('the deployments tab shows hostile app and deployment URLs as text', async () => {
    const backend = deploymentsBackend();
    backend.app = { ...backend.app!, url: HOSTILE[1] };
    backend.deployments = backend.deployments.map(d =>
      d.status === 'running' ? { ...d, url: HOSTILE[0] } : d,
    );
    renderTestApp({
      extensions: [
        createTestEntityPage({ entity: appEntity }),
        entityDeploymentsContent,
      ],
      apis: [
        [slipwayApiRef, backend.api],
        mockApis.permission({ authorize: AuthorizeResult.ALLOW }),
      ],
    });
    const rows = await screen.findAllByTestId('deployment-row');
    expect(rows).toHaveLength(3);
    const running = rows.find(
      r => r.getAttribute('data-status') === 'running',
    )!;
    expect(running).toHaveTextContent(HOSTILE[0]);
    expect(within(running).queryByRole('link')).not.toBeInTheDocument();
    await waitFor(() =>
      expect(screen.getByText(/Serving at/)).toHaveTextContent(HOSTILE[1]),
    );
    expectOnlyHttpLinks();
  });
});
