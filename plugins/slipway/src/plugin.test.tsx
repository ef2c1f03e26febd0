import { Entity } from '@backstage/catalog-model';
import { coreExtensionData } from '@backstage/frontend-plugin-api';
import {
  createExtensionTester,
  renderInTestApp as renderInNewTestApp,
  renderTestApp,
} from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { createTestEntityPage } from '@backstage/plugin-catalog-react/testUtils';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { screen, waitFor } from '@testing-library/react';
import slipwayPlugin, {
  entityLiveFeedContent,
  slipwayConsolePage,
} from './alpha';
import { slipwayApiRef } from './api';
import {
  EntityLiveFeedContent,
  SlipwayConsolePage,
  slipwayPlugin as legacyPlugin,
} from './plugin';
import { Route, Routes } from 'react-router-dom';
import {
  RealBackend,
  startRealBackend,
  streamRequests,
} from './__testUtils__/realBackend';

let backend: RealBackend;
beforeAll(async () => {
  backend = await startRealBackend({ catalog: true });
});
afterAll(() => backend?.stop());

const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'shop',
    annotations: { 'github.com/project-slug': 'acme/shop' },
  },
  spec: { type: 'service' },
};

describe('new frontend system plugin', () => {
  it('is the slipway plugin with the API, console page, card and both tabs', () => {
    expect(slipwayPlugin.id).toBe('slipway');
    // The ids a platform team uses in app-config to configure or disable them.
    for (const id of [
      'api:slipway',
      'page:slipway',
      'entity-card:slipway/cicd-status',
      'entity-content:slipway/live-feed',
      'entity-content:slipway/deployments',
    ] as const) {
      expect(slipwayPlugin.getExtension(id)).toBeDefined();
    }
  });

  it('mounts the live feed tab at /live-feed titled "Live feed", with configurable paging', () => {
    const tester = createExtensionTester(entityLiveFeedContent, {
      config: { pageSize: 200 },
    });
    expect(tester.get(coreExtensionData.routePath)).toBe('/live-feed');
    expect(tester.get(EntityContentBlueprint.dataRefs.title)).toBe('Live feed');
    // The predicate filter is handed to the catalog as an expression or a
    // function; either way it must be there.
    expect(tester.snapshot().outputs).toEqual(
      expect.arrayContaining([
        'core.routing.path',
        'catalog.entity-content-title',
      ]),
    );
  });

  it('renders the live feed tab for an entity, streaming its events', async () => {
    await backend.publish({ entityRef: 'component:default/shop' });
    const { api, requests } = backend.client();
    renderTestApp({
      extensions: [createTestEntityPage({ entity }), entityLiveFeedContent],
      apis: [[slipwayApiRef, api]],
    });
    await waitFor(() =>
      expect(
        screen.getByRole('status', { name: 'Connection: Live' }),
      ).toBeInTheDocument(),
    );
    expect(streamRequests(requests)[0].path).toBe(
      '/events/stream?entityRef=component%3Adefault%2Fshop',
    );
    await backend.publish({
      title: 'CICDL-PR-OPENED',
      entityRef: 'component:default/shop',
    });
    expect(await screen.findByText('CICDL-PR-OPENED')).toBeInTheDocument();
  });

  it('serves the console page at /slipway', async () => {
    const tester = createExtensionTester(slipwayConsolePage);
    expect(tester.get(coreExtensionData.routePath)).toBe('/slipway');
    await backend.publish({ title: 'PLATFORM-EVENT' });
    const { api, requests } = backend.client();
    await renderInNewTestApp(tester.reactElement(), {
      apis: [[slipwayApiRef, api]],
    });
    expect(await screen.findByText('PLATFORM-EVENT')).toBeInTheDocument();
    expect(screen.getByText('Platform live feed')).toBeInTheDocument();
    // Platform-wide: the stream is not narrowed to one entity.
    await waitFor(() =>
      expect(streamRequests(requests)[0]?.path).toBe('/events/stream'),
    );
  });
});

describe('legacy app system exports', () => {
  it('is the slipway plugin', () => {
    expect(legacyPlugin.getId()).toBe('slipway');
  });

  it('renders the console page', async () => {
    await backend.publish({ title: 'LEGACY-EVENT' });
    const { api } = backend.client();
    await renderInTestApp(
      <TestApiProvider apis={[[slipwayApiRef, api]]}>
        <Routes>
          <Route path="/*" element={<SlipwayConsolePage />} />
        </Routes>
      </TestApiProvider>,
    );
    expect(await screen.findByText('LEGACY-EVENT')).toBeInTheDocument();
    expect(await screen.findByText('Slipway backend')).toBeInTheDocument();
  });

  it('renders the live feed tab', async () => {
    await backend.publish({
      title: 'ENTITY-EVENT',
      entityRef: 'component:default/shop',
    });
    const { api, requests } = backend.client();
    await renderInTestApp(
      <TestApiProvider apis={[[slipwayApiRef, api]]}>
        <EntityProvider entity={entity}>
          <EntityLiveFeedContent />
        </EntityProvider>
      </TestApiProvider>,
    );
    expect(await screen.findByText('ENTITY-EVENT')).toBeInTheDocument();
    expect(requests[0].path).toBe(
      '/events?entityRef=component%3Adefault%2Fshop&limit=50',
    );
  });
});
