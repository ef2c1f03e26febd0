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
import { act, screen, waitFor } from '@testing-library/react';
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
import { FakeSlipwayApi, makeEvent } from './__testUtils__/FakeSlipwayApi';

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
    const api = new FakeSlipwayApi();
    api.events = [makeEvent(1)];
    renderTestApp({
      extensions: [createTestEntityPage({ entity }), entityLiveFeedContent],
      apis: [[slipwayApiRef, api]],
    });
    await waitFor(() =>
      expect(
        screen.getByRole('status', { name: 'Connection: Live' }),
      ).toBeInTheDocument(),
    );
    expect(api.streamCalls[0].filter).toEqual({
      entityRef: 'component:default/shop',
    });
    act(() => api.emit(makeEvent(2, { title: 'CICDL-PR-OPENED' })));
    expect(await screen.findByText('CICDL-PR-OPENED')).toBeInTheDocument();
  });

  it('serves the console page at /slipway', async () => {
    const tester = createExtensionTester(slipwayConsolePage);
    expect(tester.get(coreExtensionData.routePath)).toBe('/slipway');
    const api = new FakeSlipwayApi();
    api.events = [makeEvent(1, { title: 'PLATFORM-EVENT' })];
    await renderInNewTestApp(tester.reactElement(), {
      apis: [[slipwayApiRef, api]],
    });
    expect(await screen.findByText('PLATFORM-EVENT')).toBeInTheDocument();
    expect(screen.getByText('Platform live feed')).toBeInTheDocument();
    // Platform-wide: the stream is not narrowed to one entity.
    await waitFor(() => expect(api.streamCalls[0]?.filter).toEqual({}));
  });
});

describe('legacy app system exports', () => {
  it('is the slipway plugin', () => {
    expect(legacyPlugin.getId()).toBe('slipway');
  });

  it('renders the console page', async () => {
    const api = new FakeSlipwayApi();
    api.events = [makeEvent(1, { title: 'LEGACY-EVENT' })];
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
    const api = new FakeSlipwayApi();
    api.events = [makeEvent(1, { title: 'ENTITY-EVENT' })];
    await renderInTestApp(
      <TestApiProvider apis={[[slipwayApiRef, api]]}>
        <EntityProvider entity={entity}>
          <EntityLiveFeedContent />
        </EntityProvider>
      </TestApiProvider>,
    );
    expect(await screen.findByText('ENTITY-EVENT')).toBeInTheDocument();
    expect(api.calls[0]).toBe(
      'listEvents {"entityRef":"component:default/shop","limit":50}',
    );
  });
});
