/* eslint-disable no-script-url -- script URLs are what these tests refuse */
import { httpUrl } from './links';

describe('httpUrl', () => {
  it('keeps absolute http and https URLs', () => {
    expect(
      httpUrl('https://github.com/octo-org/octo-repo/actions/runs/1'),
    ).toBe('https://github.com/octo-org/octo-repo/actions/runs/1');
    expect(httpUrl('http://127.0.0.1:32768')).toBe('http://127.0.0.1:32768/');
    expect(httpUrl('HTTPS://Example.com/a')).toBe('https://example.com/a');
  });

  it.each([
    'javascript:alert(1)',
    'JavaScript:alert(document.cookie)',
    ' javascript:alert(1)',
    'java\tscript:alert(1)',
    '\u0001javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox(1)',
    'file:///etc/passwd',
    '//evil.example.com/x',
    '/catalog',
    'github.com/octo-org',
    'http://',
    '',
  ])('refuses %j', value => {
    expect(httpUrl(value)).toBeUndefined();
  });

  it('refuses values that are not strings', () => {
    expect(httpUrl(undefined)).toBeUndefined();
    expect(httpUrl(null)).toBeUndefined();
    expect(httpUrl({ href: 'https://x.example' })).toBeUndefined();
  });
});
