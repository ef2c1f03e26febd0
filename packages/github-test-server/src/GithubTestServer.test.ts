import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { GithubTestServer } from './GithubTestServer';

jest.setTimeout(30_000);

describe('GithubTestServer', () => {
  let github: GithubTestServer;
  let receiver: http.Server;
  let received: { headers: http.IncomingHttpHeaders; body: string }[];
  let receiverUrl: string;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ghts-'));

  beforeAll(async () => {
    github = await GithubTestServer.start();
    github.addUser('alice');
    github.addUser('bob');
    github.addOrg('acme', ['alice']);
    github.addToken({
      token: 'alice-token',
      kind: 'classic',
      login: 'alice',
      scopes: ['repo', 'admin:org_hook'],
    });
    github.addToken({
      token: 'weak-token',
      kind: 'classic',
      login: 'alice',
      scopes: ['read:user'],
    });
    github.addToken({
      token: 'app-token',
      kind: 'app',
      installationOwner: 'acme',
    });
    received = [];
    receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', c => (body += c));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(202).end('{}');
      });
    });
    await new Promise<void>(r => receiver.listen(0, '127.0.0.1', () => r()));
    receiverUrl = `http://127.0.0.1:${
      (receiver.address() as AddressInfo).port
    }/hook`;
  });

  afterAll(async () => {
    await github.close();
    await new Promise(r => receiver.close(r));
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const ALICE_BASIC = Buffer.from('x-access-token:alice-token').toString(
    'base64',
  );
  /** git with a header, asynchronously: the server runs in this process. */
  const gitIn = (
    cwd: string,
    args: string[],
    header = `Authorization: Basic ${ALICE_BASIC}`,
  ) =>
    promisify(execFile)('git', ['-c', `http.extraHeader=${header}`, ...args], {
      cwd,
      env: {
        ...process.env,
        GIT_TERMINAL_PROMPT: '0',
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@e',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@e',
      },
      timeout: 30_000,
    });

  const api = (method: string, p: string, token?: string, body?: unknown) =>
    fetch(`${github.apiBaseUrl}${p}`, {
      method,
      headers: {
        ...(token ? { authorization: `token ${token}` } : {}),
        'content-type': 'application/json',
      },
      body: body ? JSON.stringify(body) : undefined,
    });

  it('answers users, orgs and the authenticated user in GitHub shapes', async () => {
    const user = await (await api('GET', '/user', 'alice-token')).json();
    expect(user).toMatchObject({
      login: 'alice',
      type: 'User',
      html_url: `${github.baseUrl}/alice`,
    });
    expect((await (await api('GET', '/users/acme')).json()).type).toBe(
      'Organization',
    );
    const bad = await api('GET', '/user', 'nope');
    expect(bad.status).toBe(401);
    expect((await bad.json()).message).toBe('Bad credentials');
    const app = await api('GET', '/user', 'app-token');
    expect(app.status).toBe(403);
    expect((await app.json()).message).toBe(
      'Resource not accessible by integration',
    );
  });

  it('creates repositories, refuses duplicates and missing scopes like GitHub', async () => {
    const created = await api('POST', '/orgs/acme/repos', 'alice-token', {
      name: 'svc',
      private: true,
    });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({
      full_name: 'acme/svc',
      private: true,
      clone_url: `${github.baseUrl}/acme/svc.git`,
    });
    const again = await api('POST', '/orgs/acme/repos', 'alice-token', {
      name: 'svc',
    });
    expect(again.status).toBe(422);
    expect((await again.json()).errors[0].message).toBe(
      'name already exists on this account',
    );
    const weak = await api('POST', '/user/repos', 'weak-token', { name: 'x' });
    expect(weak.status).toBe(404);
    expect(weak.headers.get('x-accepted-oauth-scopes')).toBe(
      'repo, public_repo',
    );
    expect(weak.headers.get('x-oauth-scopes')).toBe('read:user');
  });

  it('serves git push and clone over smart HTTP, with token checks', async () => {
    github.createRepo('acme', 'gitsvc', { private: true });
    const work = path.join(tmp, 'work');
    fs.mkdirSync(work);
    fs.writeFileSync(path.join(work, 'a.txt'), 'hello');
    const git = (
      args: string[],
      cwd = work,
      header = `Authorization: Basic ${ALICE_BASIC}`,
    ) => gitIn(cwd, args, header);
    await git(['init', '-q', '-b', 'main']);
    await git(['add', '-A']);
    await git(['commit', '-q', '-m', 'first']);
    await git(['push', '-q', `${github.baseUrl}/acme/gitsvc.git`, 'main']);
    expect(github.repo('acme', 'gitsvc')!.pushedAt).not.toBeNull();
    await git(
      [
        'clone',
        '-q',
        `${github.baseUrl}/acme/gitsvc.git`,
        path.join(tmp, 'clone'),
      ],
      tmp,
    );
    expect(fs.readFileSync(path.join(tmp, 'clone/a.txt'), 'utf8')).toBe(
      'hello',
    );
    const raw = await fetch(
      `${github.apiBaseUrl}/repos/acme/gitsvc/contents/a.txt?ref=main`,
      {
        headers: {
          authorization: 'token alice-token',
          accept: 'application/vnd.github.v3.raw',
        },
      },
    );
    expect(await raw.text()).toBe('hello');
    const doc = await (
      await api('GET', '/repos/acme/gitsvc/contents/a.txt', 'alice-token')
    ).json();
    expect(doc).toMatchObject({
      type: 'file',
      encoding: 'base64',
      path: 'a.txt',
      content: Buffer.from('hello').toString('base64'),
    });
    expect((await api('GET', '/repos/acme/gitsvc/contents/a.txt')).status).toBe(
      404,
    );
    await expect(
      git(
        [
          'clone',
          '-q',
          `${github.baseUrl}/acme/gitsvc.git`,
          path.join(tmp, 'c2'),
        ],
        tmp,
        'X-None: 1',
      ),
    ).rejects.toThrow(/Authentication failed|could not read Username|401/);
  }, 60_000);

  it('creates hooks, refuses a duplicate URL and sends signed pings', async () => {
    const res = await api('POST', '/repos/acme/svc/hooks', 'alice-token', {
      name: 'web',
      config: { url: receiverUrl, content_type: 'json', secret: 's3cret' },
      events: ['push'],
    });
    expect(res.status).toBe(201);
    const hook = await res.json();
    expect(hook).toMatchObject({
      type: 'Repository',
      config: { url: receiverUrl, content_type: 'json', secret: '********' },
    });
    const dup = await api('POST', '/repos/acme/svc/hooks', 'alice-token', {
      config: { url: receiverUrl },
    });
    expect(dup.status).toBe(422);
    expect((await dup.json()).errors[0].message).toBe(
      'Hook already exists on this repository',
    );
    expect(
      (
        await api(
          'POST',
          `/repos/acme/svc/hooks/${hook.id}/pings`,
          'alice-token',
        )
      ).status,
    ).toBe(204);
    await github.settle();
    const pings = received.filter(r => r.headers['x-github-event'] === 'ping');
    expect(pings).toHaveLength(2); // one on creation, one requested
    for (const ping of pings) {
      const expected = `sha256=${createHmac('sha256', 's3cret')
        .update(ping.body)
        .digest('hex')}`;
      expect(ping.headers['x-hub-signature-256']).toBe(expected);
      expect(JSON.parse(ping.body)).toMatchObject({
        hook_id: hook.id,
        repository: { full_name: 'acme/svc' },
      });
    }
    const listed = await (
      await api('GET', '/repos/acme/svc/hooks', 'alice-token')
    ).json();
    expect(listed[0].last_response).toEqual({
      code: 202,
      status: 'active',
      message: 'OK',
    });
    // An update that does not send the secret again removes it.
    const updated = await api(
      'PATCH',
      `/repos/acme/svc/hooks/${hook.id}`,
      'alice-token',
      { config: { url: receiverUrl, content_type: 'json' } },
    );
    expect((await updated.json()).config).not.toHaveProperty('secret');
  });

  it('answers for an empty repository as GitHub does, and makes the first pushed branch its default', async () => {
    github.createRepo('acme', 'blank');
    const repo = async () =>
      (await api('GET', '/repos/acme/blank', 'alice-token')).json();
    expect(await repo()).toMatchObject({ size: 0, default_branch: 'main' });
    const contents = await api(
      'GET',
      '/repos/acme/blank/contents/README.md',
      'alice-token',
    );
    expect(contents.status).toBe(404);
    expect((await contents.json()).message).toBe('This repository is empty.');
    const noBranch = await api('PATCH', '/repos/acme/blank', 'alice-token', {
      default_branch: 'trunk',
    });
    expect(noBranch.status).toBe(422);

    const work = fs.mkdtempSync(path.join(tmp, 'blank-'));
    fs.writeFileSync(path.join(work, 'a.txt'), 'x'.repeat(4096));
    const git = (args: string[]) => gitIn(work, args);
    await git(['init', '-q', '-b', 'trunk']);
    await git(['add', '-A']);
    await git(['commit', '-q', '-m', 'first']);
    await git(['push', '-q', `${github.baseUrl}/acme/blank.git`, 'trunk']);
    const pushed = await repo();
    expect(pushed.default_branch).toBe('trunk');
    expect(pushed.size).toBeGreaterThan(0);
    expect(
      (await git(['ls-remote', '--symref', `${github.baseUrl}/acme/blank.git`]))
        .stdout,
    ).toMatch(/^ref: refs\/heads\/trunk\tHEAD$/m);
    // A later branch does not take the default over.
    await git(['push', '-q', `${github.baseUrl}/acme/blank.git`, 'trunk:dev']);
    expect((await repo()).default_branch).toBe('trunk');
    const changed = await api('PATCH', '/repos/acme/blank', 'alice-token', {
      default_branch: 'dev',
    });
    expect(changed.status).toBe(200);
    expect((await changed.json()).default_branch).toBe('dev');
  }, 60_000);

  it('lets only organization owners manage organization hooks, shown in the org-hook shape', async () => {
    github.addUser('carol');
    github.addOrg('widgets', ['alice', 'carol'], ['alice']);
    github.addToken({
      token: 'carol-token',
      kind: 'classic',
      login: 'carol',
      scopes: ['admin:org_hook'],
    });
    const body = {
      name: 'web',
      config: { url: receiverUrl, content_type: 'json', secret: 's' },
      events: ['push'],
    };
    const member = await api(
      'POST',
      '/orgs/widgets/hooks',
      'carol-token',
      body,
    );
    expect(member.status).toBe(404);
    expect(
      (await api('GET', '/orgs/widgets/hooks', 'carol-token')).status,
    ).toBe(404);
    const owner = await api('POST', '/orgs/widgets/hooks', 'alice-token', body);
    expect(owner.status).toBe(201);
    const hook = await owner.json();
    // The properties of GitHub's "org-hook" schema: no test_url and no
    // last_response, unlike a repository hook.
    expect(Object.keys(hook).sort()).toEqual([
      'active',
      'config',
      'created_at',
      'deliveries_url',
      'events',
      'id',
      'name',
      'ping_url',
      'type',
      'updated_at',
      'url',
    ]);
    expect(hook).toMatchObject({
      type: 'Organization',
      url: `${github.apiBaseUrl}/orgs/widgets/hooks/${hook.id}`,
      config: { url: receiverUrl, secret: '********' },
    });
    expect(github.hooksOf('widgets')).toHaveLength(1);
    await github.settle();
  });

  it('reports rate limits as GitHub does', async () => {
    const reset = Math.floor(Date.now() / 1000) + 120;
    github.setRateLimit(0, reset);
    const res = await api('GET', '/users/acme', 'alice-token');
    expect(res.status).toBe(403);
    expect(res.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(res.headers.get('x-ratelimit-reset')).toBe(String(reset));
    expect((await res.json()).message).toMatch(/API rate limit exceeded/);
    github.setRateLimit(5000);
  });
});
