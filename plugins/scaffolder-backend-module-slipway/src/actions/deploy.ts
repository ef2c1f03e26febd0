import {
  AuthService,
  BackstageCredentials,
  DiscoveryService,
} from '@backstage/backend-plugin-api';
import { InputError, ResponseError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import type {
  Deployment,
  DeploymentStatus,
} from '@slipway/plugin-slipway-common';
import {
  appNameProblem,
  FINISHED_DEPLOYMENT_STATUSES,
} from '@slipway/plugin-slipway-common';
import { waitForEntity } from '../slipway/waitForEntity';
import { callSlipway, slipwayJson } from '../slipway/backendClient';
import { examples } from './deploy.examples';

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/**
 * `slipway:deploy`: registers or updates the app in the Slipway deploy
 * engine, queues a deployment and (by default) waits until it runs.
 *
 * @internal
 */
export function createDeployAction(options: {
  discovery: DiscoveryService;
  auth: AuthService;
}) {
  const { discovery, auth } = options;

  return createTemplateAction({
    id: 'slipway:deploy',
    description:
      'Creates or updates the app in the Slipway deploy engine as the user who runs the template (their slipway permissions decide), queues a deployment and optionally waits until it is running.',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        name: z =>
          z.string({
            description: 'App name (lowercase letters, digits and hyphens).',
          }),
        repoUrl: z =>
          z.string({
            description:
              'Git URL to build from (e.g. the remoteUrl of slipway:github:repo:create). Must be allowed by slipway.allowedRepositories.',
          }),
        ref: z =>
          z.string({ description: 'Branch, tag or sha to deploy.' }).optional(),
        contextPath: z =>
          z
            .string({
              description: 'Docker build context inside the repository.',
            })
            .optional(),
        dockerfilePath: z =>
          z
            .string({ description: 'Dockerfile path inside the context.' })
            .optional(),
        port: z =>
          z
            .number({ description: 'Container port the app listens on.' })
            .int()
            .optional(),
        env: z =>
          z
            .record(z.string(), z.string(), {
              description: 'Environment variables.',
            })
            .optional(),
        healthCheck: z =>
          z
            .object(
              {
                path: z.string(),
                timeoutSeconds: z.number().optional(),
                intervalSeconds: z.number().optional(),
              },
              { description: 'HTTP health check of the container.' },
            )
            .optional(),
        entityRef: z =>
          z.string({ description: 'Catalog entity of the app.' }).optional(),
        entityWaitSeconds: z =>
          z
            .number({
              description:
                'How long to wait for the catalog to serve entityRef (an entity registered by an earlier step is processed asynchronously); default 60.',
            })
            .min(0)
            .max(600)
            .optional(),
        wait: z =>
          z
            .boolean({
              description: 'Wait until the deployment is running (true).',
            })
            .optional(),
        timeoutSeconds: z =>
          z
            .number({ description: 'How long to wait (600).' })
            .int()
            .positive()
            .max(3600)
            .optional(),
      },
      output: {
        deploymentId: z => z.string({ description: 'The queued deployment.' }),
        url: z =>
          z.string({
            description: 'Where the deployment answers (once running).',
          }),
        status: z =>
          z.string({ description: 'Deployment status when the action ended.' }),
      },
    },
    async handler(ctx) {
      const { input } = ctx;
      // The backend's own rule (-common), so a name the action accepts is
      // never refused by the deploy engine afterwards.
      const nameProblem = appNameProblem(input.name);
      if (nameProblem) throw new InputError(nameProblem);
      // As the user who runs the template: a user without slipway.app.update
      // on an app cannot change it through a template.
      const onBehalfOf = await ctx.getInitiatorCredentials();
      const call = { discovery, auth, onBehalfOf, signal: ctx.signal };
      const fields = {
        repoUrl: input.repoUrl,
        ref: input.ref,
        contextPath: input.contextPath,
        dockerfilePath: input.dockerfilePath,
        port: input.port,
        env: input.env,
        healthCheck: input.healthCheck,
        entityRef: input.entityRef,
      };

      if (ctx.isDryRun) {
        ctx.logger.info(
          `Dry run: would create or update the app ${input.name} from ${input.repoUrl} and queue a deployment`,
        );
        ctx.output('deploymentId', 'dry-run');
        ctx.output('url', '');
        ctx.output('status', 'pending');
        return;
      }

      if (input.entityRef) {
        const served = await waitForEntity(
          call,
          input.entityRef,
          input.entityWaitSeconds ?? 60,
          () =>
            ctx.logger.info(
              `Waiting for the catalog to serve ${input.entityRef} (registered by an earlier step?)`,
            ),
        );
        if (!served) {
          ctx.logger.warn(
            `The catalog does not serve ${input.entityRef} to you; Slipway will refuse an app for it`,
          );
        }
      }

      const name = input.name;
      const queued = await ctx
        .checkpoint<{ id: string; status: string; url: string }>({
          key: `slipway.deploy.queue:${input.name}`,
          fn: async () => {
            const existing = await callSlipway(call, (api, requestOptions) =>
              api.getApp({ path: { name } }, requestOptions),
            );
            let deployment: Deployment;
            if (existing.status === 404) {
              ctx.logger.info(`Creating the app ${input.name}`);
              ({ deployment } = await slipwayJson(
                await callSlipway(call, (api, requestOptions) =>
                  api.createApp({ body: { name, ...fields } }, requestOptions),
                ),
              ));
            } else {
              await slipwayJson(existing);
              ctx.logger.info(
                `Updating the app ${input.name} and queueing a deployment`,
              );
              await slipwayJson(
                await callSlipway(call, (api, requestOptions) =>
                  api.updateApp(
                    { path: { name }, body: fields },
                    requestOptions,
                  ),
                ),
              );
              deployment = await slipwayJson(
                await callSlipway(call, (api, requestOptions) =>
                  api.deploy(
                    {
                      path: { name },
                      body: input.ref ? { ref: input.ref } : {},
                    },
                    requestOptions,
                  ),
                ),
              );
            }
            return {
              id: String(deployment.id),
              status: deployment.status,
              url: deployment.url ?? '',
            };
          },
        })
        .catch(async error => {
          throw describeSlipwayError(error, input.name, onBehalfOf);
        });
      ctx.logger.info(`Queued deployment ${queued.id} of ${input.name}`);

      let last: { status: string; url: string; error?: string } = queued;
      if (input.wait !== false) {
        const deadline = Date.now() + (input.timeoutSeconds ?? 600) * 1000;
        // Bounded: one poll per second until the deadline.
        while (
          !FINISHED_DEPLOYMENT_STATUSES.includes(
            last.status as DeploymentStatus,
          )
        ) {
          if (Date.now() > deadline) {
            throw new Error(
              `Deployment ${queued.id} of ${input.name} did not finish within ${
                input.timeoutSeconds ?? 600
              } s (last status: ${
                last.status
              }). It keeps running in Slipway; follow it on the Deployments tab or GET /api/slipway/deployments/${
                queued.id
              }/logs.`,
            );
          }
          if (ctx.signal?.aborted) throw ctx.signal.reason;
          await sleep(1000);
          const current = await slipwayJson(
            await callSlipway(call, (api, requestOptions) =>
              api.getDeployment({ path: { id: queued.id } }, requestOptions),
            ),
          );
          if (current.status !== last.status) {
            ctx.logger.info(`Deployment ${queued.id}: ${current.status}`);
          }
          last = {
            status: current.status,
            url: current.url ?? '',
            error: current.error,
          };
        }
        if (last.status !== 'running') {
          throw new Error(
            `Deployment ${queued.id} of ${input.name} ended ${last.status}${
              last.error ? `: ${last.error}` : ''
            }. Its log: GET /api/slipway/deployments/${
              queued.id
            }/logs (or the Deployments tab).`,
          );
        }
        ctx.logger.info(`${input.name} is running at ${last.url}`);
      }
      ctx.output('deploymentId', queued.id);
      ctx.output('url', last.url);
      ctx.output('status', last.status);
    },
  });
}

function describeSlipwayError(
  error: unknown,
  name: string,
  onBehalfOf: BackstageCredentials,
): Error {
  if (error instanceof ResponseError) {
    const status = error.response.status;
    const message = error.body?.error?.message ?? error.message;
    if (status === 401 || status === 403) {
      const principal = onBehalfOf.principal as {
        type: string;
        userEntityRef?: string;
        subject?: string;
      };
      const who =
        principal.userEntityRef ?? principal.subject ?? principal.type;
      return new Error(
        `The Slipway deploy engine refused to deploy ${name} (${status}) for ${who}, who runs this template: ${message}. The template acts as its user: the permission policy must grant that user the permission named (e.g. by owning the app's catalog entity).`,
      );
    }
    return new Error(
      `The Slipway deploy engine refused to deploy ${name} (${status}): ${message}`,
    );
  }
  return error as Error;
}
