/*
 * The double has teeth: answers and requests the spec does not describe
 * fail, so a fixture that drifts from the backend cannot pass.
 */
import { makeEvent, oasisMessage } from './oasisEvents';
import {
  apiError,
  BASE_URL,
  json,
  sse,
  settleSpecFetches,
  SpecFetch,
  SpecViolation,
} from './specFetch';

const deployment = {
  id: '7',
  app: 'shop',
  status: 'running',
  createdAt: '2026-11-24T09:00:00Z',
  updatedAt: '2026-11-24T09:01:00Z',
};

/** Runs `action`, expects it to reject, and returns the breaches it caused. */
async function breaches(double: SpecFetch, action: () => Promise<unknown>) {
  await expect(action()).rejects.toThrow();
  const found = double.takeViolations();
  expect(found).not.toHaveLength(0);
  return found.join('\n');
}

describe('the spec-validated fetch double', () => {
  it('passes answers the spec describes through the real client', async () => {
    const double = new SpecFetch({
      'GET /deployments/{id}': () => json(deployment),
    });
    await expect(double.client().getDeployment('7')).resolves.toEqual(
      deployment,
    );
    expect(double.calls('GetDeployment')[0].pathParams).toEqual({ id: '7' });
  });

  it('fails an answer with a field of the wrong type', async () => {
    const double = new SpecFetch({
      GetDeployment: () => json({ ...deployment, id: 7 }),
    });
    const found = await breaches(double, () =>
      double.client().getDeployment('7'),
    );
    expect(found).toMatch(
      /The answer 200 to GET \/api\/slipway\/deployments\/7 \(GetDeployment\) does not match the spec: \/id must be string/,
    );
  });

  it('fails an answer that lacks a required field or has a value outside its enum', async () => {
    const { createdAt: _createdAt, ...withoutCreatedAt } = deployment;
    const double = new SpecFetch({
      GetDeployment: () => json(withoutCreatedAt),
      ListDeployments: () =>
        json({ items: [{ ...deployment, status: 'done' }] }),
    });
    expect(
      await breaches(double, () => double.client().getDeployment('7')),
    ).toMatch(/must have required property 'createdAt'/);
    expect(
      await breaches(double, () => double.client().listDeployments('shop')),
    ).toMatch(/\/items\/0\/status must be equal to one of the allowed values/);
  });

  it("fails a status code the operation does not document, and an error not in Backstage's shape", async () => {
    const double = new SpecFetch({
      GetDeployment: () => apiError(418, 'TeapotError', 'short and stout'),
      GetApp: () => json({ message: 'not found' }, 404),
    });
    expect(
      await breaches(double, () => double.client().getDeployment('7')),
    ).toMatch(/The answer 418 .* is not documented; it answers 200, 401, 404/);
    expect(
      await breaches(double, () => double.client().getApp('shop')),
    ).toMatch(/must have required property 'error'/);
  });

  it('fails an undocumented route, method or query parameter', async () => {
    const double = new SpecFetch();
    expect(
      await breaches(double, () =>
        double.fetch(`${BASE_URL}/deployments/7/restart`, { method: 'POST' }),
      ),
    ).toMatch(
      /POST \/api\/slipway\/deployments\/7\/restart: openapi.yaml documents no path/,
    );
    expect(
      await breaches(double, () =>
        double.fetch(`${BASE_URL}/deployments/7`, { method: 'DELETE' }),
      ),
    ).toMatch(/documents \/deployments\/\{id\} only for GET/);
    expect(
      await breaches(double, () =>
        double.fetch(`${BASE_URL}/events?limit=0&colour=red`),
      ),
    ).toMatch(
      /query parameter limit=.*must be >= 1; query parameter colour is not documented/,
    );
  });

  it('fails a request body the spec rejects', async () => {
    const double = new SpecFetch({ Rollback: () => json(deployment, 202) });
    expect(
      await breaches(double, () =>
        double.client().rollback('shop', { toDeploymentId: 'd1' }),
      ),
    ).toMatch(/body \{"toDeploymentId":"d1"\}: \/toDeploymentId must match/);
  });

  it('fails a handler name the spec does not have, and a documented request no handler answers', async () => {
    expect(
      () => new SpecFetch({ 'GET /apps/{name}/status': () => json({}) }),
    ).toThrow(/openapi.yaml has no operation GET \/apps\/\{name\}\/status/);
    const double = new SpecFetch();
    expect(
      await breaches(double, () => double.client().getApp('shop')),
    ).toMatch(/\(GetApp\) is in the spec, but this test answers only nothing/);
  });

  it('checks each stream message against the schema the spec names for its event', async () => {
    const double = new SpecFetch({ StreamEvents: () => sse() });
    const received: string[] = [];
    const done = double
      .client()
      .streamEvents({}, { onEvent: e => received.push(e.id) });
    await new Promise(r => setTimeout(r, 20));
    const [stream] = double.openStreams('StreamEvents');
    stream.heartbeat();
    stream.send(oasisMessage(makeEvent(1)));
    expect(() =>
      stream.send({ event: 'oasis', data: { ...makeEvent(2), status: 'ok' } }),
    ).toThrow(SpecViolation);
    expect(() =>
      stream.send({ event: 'log', data: { id: '3', line: 'x' } }),
    ).toThrow(/event "log" is not documented \(only oasis\)/);
    stream.end();
    await done;
    expect(received).toEqual(['1']);
    expect(double.takeViolations().join('\n')).toMatch(
      /StreamEvents stream message .* is not a OasisEvent: \/status must be equal to one of the allowed values/,
    );
  });

  it('fails the test after it ends when the code under test swallowed the breach', async () => {
    const double = new SpecFetch({
      GetDeployment: () => json({ ...deployment, status: 'done' }),
    });
    // A view would catch this and show an error panel.
    await double
      .client()
      .getDeployment('7')
      .catch(() => undefined);
    expect(() => settleSpecFetches()).toThrow(
      /The test broke the API contract \(openapi.yaml\):\n- The answer 200 to GET \/api\/slipway\/deployments\/7 \(GetDeployment\) does not match the spec: \/status must be equal to one of the allowed values/,
    );
  });
});
