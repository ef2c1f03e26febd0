import { parseAppInput } from './validation';

const base = { name: 'orders-api', repoUrl: 'https://github.com/acme/orders' };

describe('parseAppInput', () => {
  it('fills the defaults of a new app', () => {
    expect(parseAppInput(base, 'create')).toEqual({
      name: 'orders-api',
      repoUrl: 'https://github.com/acme/orders',
      contextPath: '.',
      dockerfilePath: 'Dockerfile',
      port: 8080,
      env: {},
      secretEnv: {},
      resources: { memoryMb: undefined, cpus: undefined },
    });
  });

  it('looks for the Dockerfile in the build context unless told otherwise', () => {
    expect(
      parseAppInput({ ...base, contextPath: 'services/api' }, 'create'),
    ).toMatchObject({
      contextPath: 'services/api',
      dockerfilePath: 'services/api/Dockerfile',
    });
    expect(
      parseAppInput(
        {
          ...base,
          contextPath: 'services/api',
          dockerfilePath: 'ops/Dockerfile',
        },
        'create',
      ),
    ).toMatchObject({ dockerfilePath: 'ops/Dockerfile' });
  });

  it('changes only the fields an update names, and clears a ref set to null', () => {
    const update = parseAppInput({ ref: null, port: 9000 }, 'update');
    expect(update).toEqual({ ref: undefined, port: 9000 });
    // The key is there: the store clears the ref instead of keeping it.
    expect(Object.keys(update)).toContain('ref');
    expect(parseAppInput({ ref: 'release/1.2' }, 'update')).toEqual({
      ref: 'release/1.2',
    });
  });

  it.each([
    [{ name: 'other' }, 'update', /cannot be renamed/],
    [{ colour: 'blue' }, 'update', /Unknown field\(s\) colour; allowed: name/],
    [{ name: 'orders-api' }, 'create', /repoUrl is required/],
    [
      { ...base, port: 70000 },
      'create',
      /port must be an integer from 1 to 65535/,
    ],
    [{ ...base, env: { '1X': 'a' } }, 'create', /invalid variable name "1X"/],
    [
      { ...base, resources: [] },
      'create',
      /resources must be \{ memoryMb\?, cpus\? \}/,
    ],
    [
      { ...base, resources: { cpus: 0.001 } },
      'create',
      /resources\.cpus must be a number from 0\.01 to 1024/,
    ],
    [{ healthCheck: { path: 'healthz' } }, 'update', /must start with "\/"/],
    [{ healthCheck: { path: '/a b' } }, 'update', /plain URL path/],
    [
      { healthCheck: { path: '/ok', intervalSeconds: 301 } },
      'update',
      /healthCheck\.intervalSeconds must be an integer from 1 to 300/,
    ],
    [{ ref: '-x' }, 'update', /ref/],
  ] as const)('refuses %j (%s)', (body, mode, message) => {
    expect(() => parseAppInput(body, mode)).toThrow(message);
  });

  it('does not echo a secret value it refuses', () => {
    expect(() =>
      parseAppInput({ ...base, secretEnv: { TOKEN: 12345 } }, 'create'),
    ).toThrow(/^secretEnv\.TOKEN must be a string\.$/);
  });

  it('keeps a health check it accepts, and drops one set to null', () => {
    expect(
      parseAppInput(
        { healthCheck: { path: '/healthz', timeoutSeconds: 30 } },
        'update',
      ),
    ).toEqual({
      healthCheck: {
        path: '/healthz',
        timeoutSeconds: 30,
        intervalSeconds: undefined,
      },
    });
    expect(parseAppInput({ healthCheck: null }, 'update')).toEqual({
      healthCheck: undefined,
    });
  });
});
