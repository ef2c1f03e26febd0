import { DefaultApiClient } from '@slipway/plugin-slipway-common/generated';
import { spec } from './openapi/generated/router';

// The client in @slipway/plugin-slipway-common is generated from this
// package's openapi.yaml (yarn schema:generate); here the two meet. What
// its methods send is tested in that package (src/generatedClient.test.ts).

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

function operations() {
  const found: Array<{ id: string; stream: boolean }> = [];
  for (const item of Object.values(spec.paths) as any[]) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const answers = Object.entries(operation.responses as object)
        .filter(([code]) => code.startsWith('2'))
        .map(([, r]: [string, any]) => Object.keys(r.content ?? {}));
      found.push({
        id: operation.operationId,
        stream: answers.every(
          types =>
            types.length > 0 && types.every(t => t === 'text/event-stream'),
        ),
      });
    }
  }
  return found;
}

describe('DefaultApiClient generated from openapi.yaml', () => {
  it('has one method per operationId, except the Server-Sent Events ones', () => {
    const client = new DefaultApiClient({
      discoveryApi: { getBaseUrl: async () => 'http://unused' },
    }) as unknown as Record<string, unknown>;
    const methodOf = (id: string) => id.charAt(0).toLowerCase() + id.slice(1);
    const all = operations();
    expect(all.filter(o => o.stream).map(o => o.id)).toEqual(['StreamEvents']);
    for (const { id, stream } of all) {
      expect([id, typeof client[methodOf(id)]]).toEqual([
        id,
        stream ? 'undefined' : 'function',
      ]);
    }
    const own = Object.getOwnPropertyNames(DefaultApiClient.prototype).filter(
      name => name !== 'constructor',
    );
    expect(own.sort()).toEqual(
      all
        .filter(o => !o.stream)
        .map(o => methodOf(o.id))
        .sort(),
    );
  });
});
