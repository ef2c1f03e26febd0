import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { GithubTestServer } from '@slipway/github-test-server';
import { createTestDatabases } from '@slipway/test-utils';
import { EntityRefResolver } from '../oasis/EntityRefResolver';
import { OasisEventStore } from '../oasis/OasisEventStore';
import { VtidExtractor } from '../oasis/vtid';
import { repoEntity } from '../webhooks/__testUtils__/testBackend';
import { WebhookProcessor } from '../webhooks/WebhookProcessor';
import { createWatchStores } from '../watchStores';
import { GithubWorkflowPoller } from './GithubWorkflowPoller';

jest.setTimeout(60_000);

const databases = createTestDatabases();
const TOKEN = 'ghp_polltargets';

/*
 * The integration token may read a private repository of another owner.
 * An entity that merely annotates it must not make the poller read it;
 * the app's repository, a repository whose own hook pinged Slipway and one
 * the admin lists are polled.
 */
describe('polling fallback: which repositories it reads', () => {
  it.each(databases.eachSupportedId())(
    'reads only registered, deployed or listed repositories on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const github = await GithubTestServer.start();
      try {
        github.addUser('alice');
        github.addOrg('acme', ['alice']);
        github.addOrg('victim', ['alice']);
        github.addToken({
          token: TOKEN,
          kind: 'classic',
          login: 'alice',
          scopes: ['repo'],
        });
        for (const [owner, name, priv] of [
          ['victim', 'private', true],
          ['acme', 'app-repo', false],
          ['acme', 'hooked', false],
          ['acme', 'listed', false],
          ['acme', 'noisy', false],
        ] as const) {
          github.createRepo(owner, name, { private: priv });
        }
        const config = new ConfigReader({
          integrations: { github: [github.integrationConfig(TOKEN)] },
          slipway: {
            github: { host: github.host },
            cicd: { polling: { repositories: ['acme/listed'] } },
          },
        });
        const store = await OasisEventStore.create({ knex });
        const entityRefs = new EntityRefResolver({
          catalog: catalogServiceMock({
            entities: [
              repoEntity('sneaky', 'victim/private'),
              repoEntity('noisy', 'acme/noisy'),
              repoEntity('shop', 'acme/app-repo'),
            ],
          }),
          auth: mockServices.auth(),
          apps: async () => [
            { name: 'shop', repoUrl: `${github.baseUrl}/acme/app-repo.git` },
          ],
        });
        const vtid = new VtidExtractor();
        const stores = createWatchStores(store);
        const processor = new WebhookProcessor({
          stores,
          entityRefs,
          vtid,
        });
        // acme/hooked's own hook pinged Slipway; acme/noisy only delivered a
        // push (an org hook, say), which registers nothing.
        await processor.receive({
          deliveryId: 'hooked-ping',
          event: 'ping',
          payload: {
            zen: 'Design for failure.',
            hook_id: 7,
            hook: { id: 7, type: 'Repository' },
            repository: { full_name: 'acme/hooked' },
          },
          rawPayload: '{}',
        });
        await processor.receive({
          deliveryId: 'noisy-push',
          event: 'push',
          payload: {
            ref: 'refs/heads/main',
            repository: { full_name: 'acme/noisy' },
            commits: [],
          },
          rawPayload: '{}',
        });
        const poller = new GithubWorkflowPoller({
          sources: stores.sources,
          pollState: stores.pollState,
          processor,
          entityRefs,
          vtid,
          config,
        });

        // Silent for long enough that every allowed repository is due.
        const report = await poller.pollOnce(
          new Date(Date.now() + 60 * 60_000),
        );
        const asked = github.requests
          .filter(r => r.path.endsWith('/actions/runs'))
          .map(r => r.path);
        expect(asked.sort()).toEqual([
          '/api/v3/repos/acme/app-repo/actions/runs',
          '/api/v3/repos/acme/hooked/actions/runs',
          '/api/v3/repos/acme/listed/actions/runs',
        ]);
        expect(github.requests.some(r => r.path.includes('victim'))).toBe(
          false,
        );
        expect(github.requests.some(r => r.path.includes('noisy'))).toBe(false);
        const touched = [
          ...report.polled,
          ...report.notModified,
          ...report.failed,
          ...report.skipped,
        ];
        expect(touched).not.toContain('victim/private');
        expect(touched).toContain('acme/app-repo');
      } finally {
        await github.close();
      }
    },
  );
});
