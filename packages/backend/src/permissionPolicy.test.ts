import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import permissionPlugin from '@backstage/plugin-permission-backend';
import {
  AuthorizeResult,
  ConditionalPolicyDecision,
  createPermission,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import type { PolicyQueryUser } from '@backstage/plugin-permission-node';
import {
  slipwayAppCreatePermission,
  slipwayAppDeletePermission,
  slipwayAppUpdatePermission,
  slipwayCancelPermission,
  slipwayDeliveryReadPermission,
  slipwayDeliveryReprocessPermission,
  slipwayDeployPermission,
  slipwayEventCreatePermission,
  slipwayGithubOrgWebhookCreatePermission,
  slipwayRollbackPermission,
} from '@slipway/plugin-slipway-common';
import {
  SlipwayAppResource,
  slipwayAppPermissionRules,
} from '@slipway/plugin-slipway-node';
import {
  SlipwayExamplePolicy,
  slipwayExamplePolicyModule,
} from './permissionPolicy';
import { inMemoryDatabases } from '@slipway/test-utils';

const user = (ref: string, groups: string[] = []): PolicyQueryUser =>
  ({
    identity: {
      type: 'user',
      userEntityRef: ref,
      ownershipEntityRefs: [ref, ...groups],
    },
    info: { userEntityRef: ref, ownershipEntityRefs: [ref, ...groups] },
    token: 'unused',
    credentials: {} as any,
  } as PolicyQueryUser);

const ALICE = user('user:default/alice', ['group:default/team-a']);
const BOB = user('user:default/bob', ['group:default/team-b']);
const ADMIN = user('user:default/root', ['group:default/admins']);

/** An app whose entity team-a owns. */
const teamAApp: SlipwayAppResource = {
  name: 'orders',
  entityRef: 'component:default/orders',
  ownerRefs: ['group:default/team-a'],
};

/** Resolves a decision for one app, with the rules the backend registers. */
function allows(decision: PolicyDecision, app: SlipwayAppResource): boolean {
  if (decision.result !== AuthorizeResult.CONDITIONAL) {
    return decision.result === AuthorizeResult.ALLOW;
  }
  const { conditions } = decision as ConditionalPolicyDecision;
  if (!('rule' in conditions)) throw new Error('expected a single condition');
  const rule = Object.values(slipwayAppPermissionRules).find(
    r => r.name === conditions.rule,
  )!;
  return rule.apply(app, conditions.params as any);
}

const appChanges = [
  slipwayAppUpdatePermission,
  slipwayAppDeletePermission,
  slipwayDeployPermission,
  slipwayRollbackPermission,
  slipwayCancelPermission,
];
const adminOnly = [
  slipwayDeliveryReadPermission,
  slipwayDeliveryReprocessPermission,
  slipwayGithubOrgWebhookCreatePermission,
];

describe('SlipwayExamplePolicy', () => {
  const policy = SlipwayExamplePolicy.fromConfig(new ConfigReader({}));

  it('lets owners of the app entity change, deploy, roll back, cancel and delete it, conditionally on the owner rule', async () => {
    for (const permission of appChanges) {
      const decision = await policy.handle({ permission }, ALICE);
      expect(decision).toEqual({
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'slipway',
        resourceType: 'slipway-app',
        conditions: {
          rule: 'IS_APP_ENTITY_OWNER',
          resourceType: 'slipway-app',
          params: {
            claims: ['user:default/alice', 'group:default/team-a'],
          },
        },
      });
      expect(allows(decision, teamAApp)).toBe(true);
    }
  });

  it('refuses the same changes to a non-owner of the app', async () => {
    for (const permission of appChanges) {
      const decision = await policy.handle({ permission }, BOB);
      expect(allows(decision, teamAApp)).toBe(false);
      // An app without a registered entity has no owner at all.
      expect(
        allows(await policy.handle({ permission }, ALICE), {
          name: 'loose',
          ownerRefs: [],
        }),
      ).toBe(false);
    }
  });

  it('grants raw deliveries, reprocessing and organization webhooks to admins only', async () => {
    for (const permission of adminOnly) {
      expect(await policy.handle({ permission }, ALICE)).toEqual({
        result: AuthorizeResult.DENY,
      });
      expect(await policy.handle({ permission }, ADMIN)).toEqual({
        result: AuthorizeResult.ALLOW,
      });
    }
    // Admins may also change any app, owned or not.
    expect(
      allows(
        await policy.handle({ permission: slipwayDeployPermission }, ADMIN),
        teamAApp,
      ),
    ).toBe(true);
  });

  it('lets every signed-in user register apps, publish events and read the catalog', async () => {
    const catalogRead = createPermission({
      name: 'catalog.entity.read',
      attributes: { action: 'read' },
      resourceType: 'catalog-entity',
    });
    for (const permission of [
      slipwayAppCreatePermission,
      slipwayEventCreatePermission,
      catalogRead,
    ]) {
      expect(await policy.handle({ permission }, BOB)).toEqual({
        result: AuthorizeResult.ALLOW,
      });
    }
  });

  it('reads the admin groups from slipway.permission.adminGroups', async () => {
    const configured = SlipwayExamplePolicy.fromConfig(
      new ConfigReader({
        slipway: { permission: { adminGroups: ['group:default/Team-B'] } },
      }),
    );
    const permission = slipwayDeliveryReadPermission;
    expect((await configured.handle({ permission }, BOB)).result).toBe(
      AuthorizeResult.ALLOW,
    );
    // The default group no longer counts once the setting names others.
    expect((await configured.handle({ permission }, ADMIN)).result).toBe(
      AuthorizeResult.DENY,
    );
  });

  it('allows backend plugins acting as themselves', async () => {
    expect(
      await policy.handle({ permission: slipwayDeliveryReadPermission }),
    ).toEqual({ result: AuthorizeResult.ALLOW });
  });
});

describe('slipwayExamplePolicyModule', () => {
  it('installs the policy in the real permission backend, admin groups from config', async () => {
    const backend = await startTestBackend({
      features: [
        inMemoryDatabases(),
        permissionPlugin,
        slipwayExamplePolicyModule,
        mockServices.rootConfig.factory({
          data: {
            permission: { enabled: true },
            // The mock user info gives each user only their own ref as claim.
            slipway: { permission: { adminGroups: ['user:default/root'] } },
          },
        }),
      ],
    });
    try {
      const decide = async (userRef: string, permission: any) => {
        const response = await fetch(
          `http://127.0.0.1:${
            (backend.server.address() as any).port
          }/api/permission/authorize`,
          {
            method: 'POST',
            headers: {
              authorization: mockCredentials.user.header(userRef),
              'content-type': 'application/json',
            },
            body: JSON.stringify({ items: [{ id: '1', permission }] }),
          },
        );
        const body = await response.json();
        expect(response.status).toBe(200);
        return body.items[0];
      };
      const read = slipwayDeliveryReadPermission;
      expect((await decide('user:default/root', read)).result).toBe(
        AuthorizeResult.ALLOW,
      );
      expect((await decide('user:default/bob', read)).result).toBe(
        AuthorizeResult.DENY,
      );
      expect(
        (await decide('user:default/bob', slipwayAppCreatePermission)).result,
      ).toBe(AuthorizeResult.ALLOW);
    } finally {
      await backend.stop();
    }
  });
});
