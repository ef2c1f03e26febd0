import { timedDockerCall } from './dockerCalls';
import { InstallationNames } from './names';
import { PipelineDeps } from './pipeline';
import { publishedUrl } from './steps/run';

/**
 * Keeps the `url` of serving deployments true to the engine. Containers
 * restart by themselves (`unless-stopped`), for example after the Docker
 * engine restarted, and then get a new ephemeral host port: the stored URL
 * would point nowhere. One container list per call finds the ports now
 * published; changed URLs are stored and logged on the deployment.
 * Returns the ids whose URL changed.
 */
export async function reconcilePublishedUrls(
  deps: Pick<PipelineDeps, 'store' | 'docker' | 'deployConfig' | 'signals'>,
): Promise<string[]> {
  const { store, docker, deployConfig } = deps;
  const serving = await store.deployments.listServing();
  if (serving.length === 0) return [];
  const containers = await timedDockerCall(
    'list containers',
    deployConfig.timeouts.dockerApiSeconds,
    abortSignal =>
      docker.listContainers({
        filters: JSON.stringify({
          label: ['slipway.deployment'],
          status: ['running'],
        }),
        abortSignal,
      } as object),
  );
  const names = new InstallationNames(deployConfig.installationId);
  const byId = new Map(
    containers.filter(c => names.owns(c.Labels)).map(c => [c.Id, c]),
  );
  const changed: string[] = [];
  for (const deployment of serving) {
    const container = deployment.containerId
      ? byId.get(deployment.containerId)
      : undefined;
    const published = container?.Ports.find(
      p => p.PublicPort && p.Type === 'tcp',
    );
    if (!published) continue;
    const url = publishedUrl(deployConfig.publishHost, published.PublicPort);
    if (url === deployment.url) continue;
    await store.deployments.setFields(deployment.id, { url });
    await store.logs.append(deployment.id, [
      {
        step: 'engine',
        line: `The container was started again by the Docker engine and is now published at ${url} (was ${
          deployment.url ?? 'unknown'
        })`,
      },
    ]);
    deps.signals.notify(deployment.id);
    changed.push(deployment.id);
  }
  return changed;
}
