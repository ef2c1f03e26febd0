import { ConfigReader } from '@backstage/config';
import { GithubTestServer } from '@slipway/github-test-server';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export const TOKENS = {
  alice: 'ghp_alice_full_access_0001',
  weak: 'ghp_alice_read_user_only_0002',
  app: 'ghs_app_installation_acme_0003',
  bob: 'ghp_bob_full_access_0004',
};

/** A GitHub test server with users alice and bob, org acme (alice a member). */
export async function startGithub(): Promise<GithubTestServer> {
  const github = await GithubTestServer.start();
  github.addUser('alice');
  github.addUser('bob');
  github.addOrg('acme', ['alice']);
  github.addToken({
    token: TOKENS.alice,
    kind: 'classic',
    login: 'alice',
    scopes: ['repo', 'admin:org_hook', 'admin:repo_hook'],
  });
  github.addToken({
    token: TOKENS.weak,
    kind: 'classic',
    login: 'alice',
    scopes: ['read:user'],
  });
  github.addToken({
    token: TOKENS.app,
    kind: 'app',
    installationOwner: 'acme',
  });
  github.addToken({
    token: TOKENS.bob,
    kind: 'classic',
    login: 'bob',
    scopes: ['repo'],
  });
  return github;
}

/** Config with the test server as the only GitHub integration. */
export function githubConfig(
  github: GithubTestServer,
  token = TOKENS.alice,
  extra: object = {},
) {
  return new ConfigReader({
    integrations: { github: [github.integrationConfig(token)] },
    slipway: { allowedRepositories: ['file://', `${github.baseUrl}/`] },
    ...extra,
  });
}

/** Runs git asynchronously (the server lives in this process). */
export async function gitAsync(args: string[], cwd?: string): Promise<string> {
  const { stdout } = await promisify(execFile)('git', args, {
    cwd,
    timeout: 30_000,
  });
  return stdout.trim();
}
