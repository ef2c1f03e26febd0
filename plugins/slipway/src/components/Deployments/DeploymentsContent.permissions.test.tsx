import { renderTestApp } from '@backstage/frontend-test-utils';
import { screen } from '@testing-library/react';
import { createTestEntityPage } from '@backstage/plugin-catalog-react/testUtils';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { entityDeploymentsContent } from '../../alpha';
import { slipwayApiRef } from '../../api';
import {
  appEntity,
  denyingPermissionApi,
  deploymentsBackend,
  expectNoDeploymentActions,
} from '../../__testUtils__/deploymentFixtures';

// Kept in its own file: usePermission caches answers per module instance, so
// a user who may not deploy must not share a module with one who may.

describe('deployment actions for users without the permission (new frontend system)', () => {
  it('are hidden in the new frontend system', async () => {
    const permissions = denyingPermissionApi();
    renderTestApp({
      extensions: [
        createTestEntityPage({ entity: appEntity }),
        entityDeploymentsContent,
      ],
      apis: [
        [slipwayApiRef, deploymentsBackend().api],
        [permissionApiRef, permissions.api],
      ],
    });
    await expectNoDeploymentActions(permissions.requested);
    expect(screen.getAllByTestId('deployment-row')).toHaveLength(3);
  });
});
