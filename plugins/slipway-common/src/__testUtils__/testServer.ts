import http from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * A real HTTP server for the tests of one `describe`: it records every
 * request and answers with `handler`; `baseUrl` is its `/api/slipway`.
 */
export function useTestServer() {
  let server: http.Server;
  const state = {
    baseUrl: '',
    requests: [] as http.IncomingMessage[],
    handler: (_req: http.IncomingMessage, res: http.ServerResponse) => {
      res.writeHead(500).end();
    },
  };
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      state.requests.push(req);
      state.handler(req, res);
    });
    await new Promise<void>(resolve =>
      server.listen(0, '127.0.0.1', () => resolve()),
    );
    state.baseUrl = `http://127.0.0.1:${
      (server.address() as AddressInfo).port
    }/api/slipway`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise(resolve => server.close(resolve));
  });
  beforeEach(() => {
    state.requests.length = 0;
  });
  return state;
}
