import { parseAppInput } from './validation';

const autoDeploy = (value: unknown) =>
  parseAppInput({ autoDeploy: value }, 'update').autoDeploy;

describe('autoDeploy settings', () => {
  it('defaults requireGreenCi to true and keeps named workflows once each', () => {
    expect(autoDeploy({ branch: 'main' })).toEqual({
      branch: 'main',
      requireGreenCi: true,
    });
    expect(
      autoDeploy({
        branch: 'main',
        requiredWorkflows: ['CI', '.github/workflows/e2e.yml', 'CI'],
      }),
    ).toEqual({
      branch: 'main',
      requireGreenCi: true,
      requiredWorkflows: ['CI', '.github/workflows/e2e.yml'],
    });
    expect(autoDeploy(null)).toBeUndefined();
  });

  it.each([
    [
      { branch: 'main', requiredWorkflows: 'CI' },
      /list of 1 to 20 workflow names/,
    ],
    [
      { branch: 'main', requiredWorkflows: [] },
      /list of 1 to 20 workflow names/,
    ],
    [
      { branch: 'main', requiredWorkflows: [''] },
      /list of 1 to 20 workflow names/,
    ],
    [
      { branch: 'main', requiredWorkflows: [7] },
      /list of 1 to 20 workflow names/,
    ],
    [
      {
        branch: 'main',
        requiredWorkflows: Array.from({ length: 21 }, (_, i) => `w${i}`),
      },
      /list of 1 to 20 workflow names/,
    ],
    [
      { branch: 'main', requireGreenCi: false, requiredWorkflows: ['CI'] },
      /requiredWorkflows needs requireGreenCi: true/,
    ],
    [
      { branch: 'main', requireGreenCI: true },
      /Unknown autoDeploy field\(s\) requireGreenCI/,
    ],
    [{ branch: '-main' }, /autoDeploy.branch/],
    [{ requireGreenCi: true }, /autoDeploy must be \{ branch/],
  ])('refuses %j', (value, message) => {
    expect(() => autoDeploy(value)).toThrow(message);
  });
});
