import { EntityProvider } from '@backstage/plugin-catalog-react';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { renderInTestApp, TestApiProvider } from '@backstage/test-utils';
import { screen } from '@testing-library/react';
import { slipwayApiRef } from '../../api';
import { EntityDeploymentsContent } from '../../plugin';
import {
  appEntity,
  denyingPermissionApi,
  deploymentsBackend,
  expectNoDeploymentActions,
} from '../../__testUtils__/deploymentFixtures';

// Own file: usePermission caches answers per module instance.
describe('deployment actions for users without the permission (legacy app system)', () => {
  it('are hidden in the legacy app system', async () => {
    const permissions = denyingPermissionApi();
    await renderInTestApp(
      <TestApiProvider
        apis={[
          [slipwayApiRef, deploymentsBackend().api],
          [permissionApiRef, permissions.api],
        ]}
      >
        <EntityProvider entity={appEntity}>
          <EntityDeploymentsContent />
        </EntityProvider>
      </TestApiProvider>,
    );
    await expectNoDeploymentActions(permissions.requested);
    expect(screen.getAllByTestId('deployment-row')).toHaveLength(3);
  });
});
