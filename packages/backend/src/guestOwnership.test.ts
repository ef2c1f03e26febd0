/*
 * The quick start under the example policy: the guest of app-config.yaml
 * signs in as the catalog user of examples/org.yaml, whose group owns the
 * example entities, so the policy's owner rule lets the guest deploy them.
 */
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import authPlugin from '@backstage/plugin-auth-backend';
import guestProvider from '@backstage/plugin-auth-backend-module-guest-provider';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { slipwayDeployPermission } from '@slipway/plugin-slipway-common';
import { slipwayAppPermissionRules } from '@slipway/plugin-slipway-node';
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'yaml';
import { SlipwayExamplePolicy } from './permissionPolicy';
import { inMemoryDatabases } from '@slipway/test-utils';

jest.setTimeout(60_000);

const root = path.resolve(__dirname, '../../..');
const appConfig = yaml.parse(
  fs.readFileSync(path.join(root, 'app-config.yaml'), 'utf8'),
);

describe('the guest of the quick start', () => {
  it('signs in as user:default/guest of group:default/guests, which owns the example entities, so the example policy lets it deploy them', async () => {
    const backend = await startTestBackend({
      features: [
        inMemoryDatabases(),
        authPlugin,
        guestProvider,
        catalogPlugin,
        mockServices.rootConfig.factory({
          data: {
            app: { baseUrl: 'http://localhost:3000' },
            auth: {
              ...appConfig.auth,
              providers: {
                guest: {
                  ...appConfig.auth.providers.guest,
                  // Tests do not run with NODE_ENV=development.
                  dangerouslyAllowOutsideDevelopment: true,
                },
              },
            },
            catalog: {
              ...appConfig.catalog,
              processingInterval: { seconds: 1 },
              locations: appConfig.catalog.locations
                .filter((l: any) => !l.target.includes('templates'))
                .map((l: any) => ({
                  ...l,
                  target: path.join(root, l.target.replace(/^(\.\.\/)+/, '')),
                })),
            },
          },
        }),
      ],
    });
    try {
      const deadline = Date.now() + 30_000;
      let identity: any;
      // The catalog ingests the user asynchronously; bounded retries.
      while (Date.now() < deadline) {
        const response = await fetch(
          `http://127.0.0.1:${
            (backend.server.address() as any).port
          }/api/auth/guest/refresh`,
          { headers: { 'x-requested-with': 'XMLHttpRequest' } },
        );
        const body = await response.json();
        identity = body.backstageIdentity?.identity;
        if (identity?.ownershipEntityRefs?.includes('group:default/guests')) {
          break;
        }
        await new Promise(resolve => setTimeout(resolve, 500));
      }
      expect(identity).toEqual({
        type: 'user',
        userEntityRef: 'user:default/guest',
        ownershipEntityRefs: expect.arrayContaining([
          'user:default/guest',
          'group:default/guests',
        ]),
      });

      const examples = yaml
        .parseAllDocuments(
          fs.readFileSync(path.join(root, 'examples/entities.yaml'), 'utf8'),
        )
        .map(doc => doc.toJSON())
        .filter(entity => entity?.kind === 'Component');
      expect(examples.length).toBeGreaterThan(0);
      const policy = SlipwayExamplePolicy.fromConfig(new ConfigReader({}));
      const decision: any = await policy.handle(
        { permission: slipwayDeployPermission },
        { info: identity } as any,
      );
      expect(decision.result).toBe(AuthorizeResult.CONDITIONAL);
      for (const entity of examples) {
        const app = {
          name: entity.metadata.name,
          entityRef: `component:default/${entity.metadata.name}`,
          ownerRefs: [`group:default/${entity.spec.owner}`],
        };
        expect(
          slipwayAppPermissionRules.isAppEntityOwner.apply(
            app,
            decision.conditions.params,
          ),
        ).toBe(true);
      }
    } finally {
      await backend.stop();
    }
  });
});
