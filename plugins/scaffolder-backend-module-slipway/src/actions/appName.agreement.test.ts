import { mockCredentials } from '@backstage/backend-test-utils';
import {
  APP_NAME_PATTERN_SOURCE,
  appNameProblem,
} from '@slipway/plugin-slipway-common';
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'yaml';
import { mockContext, removeTempDirs } from '../__testUtils__/fixtures';
import { startSlipwayBackend } from '../__testUtils__/slipwayBackend';
import { createDeployAction } from './deploy';

jest.setTimeout(120_000);

/**
 * One app-name rule everywhere: the example template's form, the
 * `slipway:deploy` action and the deploy engine's POST /apps accept exactly
 * the names `appNameProblem` of -common accepts. Before this rule lived in
 * one place the action took 63 characters and `--`, which the engine then
 * refused after the repository had been created.
 */
const NAMES: Array<[name: string, valid: boolean]> = [
  ['ab', true],
  ['orders-api', true],
  ['a1', true],
  [`a${'b'.repeat(39)}`, true], // 40 characters
  [`a${'b'.repeat(40)}`, false], // 41
  [`a${'b'.repeat(62)}`, false], // 63: the action's old limit
  ['a', false],
  ['a--b', false], // kept for installation prefixes
  ['orders-', false],
  ['-orders', false],
  ['1orders', false],
  ['Orders', false],
  ['orders_api', false],
  ['orders.api', false],
  ['ordérs', false],
  ['', false],
  ['orders api', false],
];

const templatePath = path.resolve(
  __dirname,
  '../../../../examples/templates/create-microservice/template.yaml',
);

function templateNamePattern(): string {
  const doc = yaml.parse(fs.readFileSync(templatePath, 'utf8'));
  const step = doc.spec.parameters.find((p: any) => p.properties?.name);
  return step.properties.name.pattern;
}

describe('app names: template, scaffolder action and deploy engine agree', () => {
  let slipway: Awaited<ReturnType<typeof startSlipwayBackend>>;

  beforeAll(async () => {
    slipway = await startSlipwayBackend({
      slipway: {
        allowedRepositories: ['file://'],
        github: { webhookSecrets: ['x'] },
        cicd: { polling: { enabled: false } },
        // Nothing here builds: the queued deployments fail at the engine.
        deploy: { docker: { host: '127.0.0.1', port: 9 } },
      },
    });
  });
  afterAll(async () => {
    await slipway?.stop();
    removeTempDirs();
  });

  it('the template form uses the rule of -common as it is', () => {
    expect(templateNamePattern()).toBe(APP_NAME_PATTERN_SOURCE);
  });

  it.each(NAMES)('%p: valid %p everywhere', async (name, valid) => {
    expect(appNameProblem(name) === undefined).toBe(valid);

    // The template form (JSON Schema `pattern`: an ECMA-262 regex search).
    expect(new RegExp(templateNamePattern()).test(name)).toBe(valid);

    // The scaffolder action, in a dry run (no call is made).
    const action = createDeployAction({
      discovery: slipway.discovery,
      auth: slipway.auth,
    });
    const run = action.handler(
      mockContext(
        { name, repoUrl: 'file:///nowhere' },
        { isDryRun: true },
      ) as any,
    );
    const outcome = await run.then(
      () => 'accepted',
      (error: Error) => error.message,
    );
    expect(outcome).toBe(valid ? 'accepted' : appNameProblem(name));

    // The deploy engine itself.
    const response = await fetch(`${slipway.baseUrl}/api/slipway/apps`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: mockCredentials.user.header(),
      },
      body: JSON.stringify({ name, repoUrl: 'file:///nowhere', port: 8080 }),
    });
    const body = await response.json();
    expect({
      status: response.status,
      name: body.app?.name,
      message: body.error?.message,
    }).toEqual(
      valid
        ? { status: 201, name, message: undefined }
        : { status: 400, name: undefined, message: appNameProblem(name) },
    );
  });
});
