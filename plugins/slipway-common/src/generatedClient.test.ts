import { DefaultApiClient } from './generated';
import { useTestServer } from './__testUtils__/testServer';

// The client generated from the backend's openapi.yaml (yarn
// schema:generate), against a real HTTP server: what its methods send.
describe('DefaultApiClient', () => {
  const server = useTestServer();
  const seen: Array<{
    method?: string;
    url?: string;
    headers: Record<string, string | string[] | undefined>;
    body: string;
  }> = [];
  beforeEach(() => {
    seen.length = 0;
    server.handler = (req, res) => {
      let body = '';
      req.on('data', chunk => {
        body += chunk;
      });
      req.on('end', () => {
        seen.push({
          method: req.method,
          url: req.url,
          headers: req.headers,
          body,
        });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"items":[]}');
      });
    };
  });

  const client = () =>
    new DefaultApiClient({
      discoveryApi: {
        getBaseUrl: async pluginId => {
          expect(pluginId).toBe('slipway');
          return server.baseUrl;
        },
      },
    });

  it('encodes path parameters, so a slash stays inside its segment', async () => {
    await client().getApp({ path: { name: 'a/b' } });
    await client().listDeployments({
      path: { name: '../x?y#z' },
      query: { limit: 5 },
    });
    expect(seen.map(r => `${r.method} ${r.url}`)).toEqual([
      'GET /api/slipway/apps/a%2Fb',
      'GET /api/slipway/apps/..%2Fx%3Fy%23z/deployments?limit=5',
    ]);
  });

  it('sends the query in the spec order, leaving out what is not given', async () => {
    const response = await client().listEvents({
      query: {
        cursor: 'c 1',
        entityRef: 'component:default/shop',
        kind: 'push',
      },
    });
    expect(await response.json()).toEqual({ items: [] });
    expect(seen[0].url).toBe(
      '/api/slipway/events?kind=push&entityRef=component%3Adefault%2Fshop&cursor=c+1',
    );
  });

  it('sends the token and a JSON body only when given', async () => {
    await client().deploy(
      { path: { name: 'shop' }, body: { ref: 'main' } },
      { token: 'secret-token' },
    );
    await client().deploy({ path: { name: 'shop' } });
    await client().cancelDeployment({ path: { id: '7' } }, { token: 't2' });
    expect(
      seen.map(r => [
        r.method,
        r.url,
        r.headers.authorization,
        r.headers['content-type'],
        r.body,
      ]),
    ).toEqual([
      [
        'POST',
        '/api/slipway/apps/shop/deployments',
        'Bearer secret-token',
        'application/json',
        '{"ref":"main"}',
      ],
      ['POST', '/api/slipway/apps/shop/deployments', undefined, undefined, ''],
      ['POST', '/api/slipway/deployments/7/cancel', 'Bearer t2', undefined, ''],
    ]);
  });

  it('sends header parameters as headers, leaving out what is not given', async () => {
    await client().postGithubWebhook({
      header: {
        'x-hub-signature-256': 'sha256=00',
        'x-github-event': 'ping',
        'x-github-delivery': 'd-1',
      },
      body: { zen: 'Keep it logically awesome.' },
    });
    expect(seen[0].headers).toMatchObject({
      'x-hub-signature-256': 'sha256=00',
      'x-github-event': 'ping',
      'x-github-delivery': 'd-1',
      'content-type': 'application/json',
    });
    expect(seen[0].headers).not.toHaveProperty('x-github-hook-id');
    expect(seen[0].headers).not.toHaveProperty('authorization');
    expect(seen[0].body).toBe('{"zen":"Keep it logically awesome."}');
  });

  it('hands back non-2xx answers as they are, for the caller to check', async () => {
    const failing = new DefaultApiClient({
      discoveryApi: { getBaseUrl: async () => server.baseUrl },
      fetchApi: {
        fetch: async () =>
          new Response('{"error":{"name":"NotFoundError","message":"x"}}', {
            status: 404,
          }),
      },
    });
    const response = await failing.getDeployment({ path: { id: '1' } });
    expect(response.status).toBe(404);
    expect(seen).toEqual([]);
  });
});
