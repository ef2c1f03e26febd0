import { describeError } from './pipeline';

const ENDPOINT = 'unix:///var/run/docker.sock';

/** An error as Node's net and fs modules make them. */
function systemError(message: string, fields: Record<string, string>) {
  return Object.assign(new Error(message), fields);
}

describe('describeError', () => {
  it('names the engine when connecting to it failed', () => {
    const error = systemError('connect ENOENT /var/run/docker.sock', {
      code: 'ENOENT',
      syscall: 'connect',
      address: '/var/run/docker.sock',
    });
    expect(describeError(error, ENDPOINT)).toBe(
      `the Docker engine at ${ENDPOINT} is not reachable (ENOENT); start it or fix slipway.deploy.docker`,
    );
  });

  it('keeps a file error about a path (a vanished build context) as it is', () => {
    const error = systemError(
      "ENOENT: no such file or directory, lstat '/tmp/ctx/Dockerfile'",
      { code: 'ENOENT', syscall: 'lstat', path: '/tmp/ctx/Dockerfile' },
    );
    expect(describeError(error, ENDPOINT)).toBe(
      "ENOENT: no such file or directory, lstat '/tmp/ctx/Dockerfile'",
    );
  });

  it("uses the engine's own message of an API error", () => {
    const error = Object.assign(new Error('(HTTP code 400) bad parameter'), {
      json: { message: 'invalid reference format ' },
    });
    expect(describeError(error, ENDPOINT)).toBe('invalid reference format');
  });
});
