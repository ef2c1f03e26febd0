import { ConfigReader } from '@backstage/config';
import { RepositoryAllowList } from './allowedRepositories';

describe('RepositoryAllowList', () => {
  it('defaults to the hosts of the configured integrations', () => {
    const list = RepositoryAllowList.fromConfig(
      new ConfigReader({
        integrations: {
          github: [{ host: 'github.com' }, { host: 'ghe.example.com' }],
        },
      }),
    );
    expect(list.isAllowed('https://github.com/acme/templates')).toBe(true);
    expect(list.isAllowed('https://GHE.example.com/acme/x.git')).toBe(true);
    expect(list.isAllowed('https://gitlab.example.org/acme/x')).toBe(false);
    // file:// is never allowed unless a prefix lists it.
    expect(list.isAllowed('file:///srv/templates')).toBe(false);
  });

  it('allows file:// only under a listed file prefix', () => {
    const list = RepositoryAllowList.fromConfig(
      new ConfigReader({
        slipway: { allowedRepositories: ['file:///srv/git/'] },
      }),
    );
    expect(list.isAllowed('file:///srv/git/templates')).toBe(true);
    expect(list.isAllowed('file:///etc/passwd')).toBe(false);
    expect(list.isAllowed('file:///srv/git/../../etc')).toBe(false);
    expect(list.isAllowed('https://github.com/acme/x')).toBe(false);
  });

  it('refuses with a message naming the setting and never echoes credentials', () => {
    const list = new RepositoryAllowList(['https://github.com/acme/']);
    expect(() =>
      list.assertAllowed('https://github.com/other/x', 'deploy an app'),
    ).toThrow(/slipway\.allowedRepositories/);
    expect(() =>
      list.assertAllowed('https://github.com/other/x', 'deploy an app'),
    ).toThrow(/Refused to deploy an app/);

    let message = '';
    try {
      list.assertAllowed(
        'https://user:s3cr3t@github.com/acme/x',
        'extract a template',
      );
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/credentials in repository URLs/);
    expect(message).not.toContain('s3cr3t');
  });

  it('rejects unsupported schemes and malformed URLs', () => {
    const list = new RepositoryAllowList(['https://github.com/']);
    expect(() => list.assertAllowed('ssh://github.com/a/b', 'clone')).toThrow(
      /ssh: scheme is not supported/,
    );
    expect(() => list.assertAllowed('not a url', 'clone')).toThrow(
      /not a valid repository URL/,
    );
    expect(list.isAllowed('not a url')).toBe(false);
  });
});
