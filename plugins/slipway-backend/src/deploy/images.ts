import type { LoggerService } from '@backstage/backend-plugin-api';
import type Docker from 'dockerode';
import { errorMessage } from './cleanup';
import { DeployStore } from './DeployStore';
import { InstallationNames } from './names';

/**
 * Keeps the images of the newest `keep` deployments that served (the
 * rollback targets) and those a deployment still needs; removes the app's
 * other images. Returns the removed tags.
 */
export async function pruneImages(options: {
  docker: Docker;
  store: DeployStore;
  /** Only this installation's images are considered. */
  names: InstallationNames;
  app: string;
  keep: number;
  /** Told at debug which images stay for now, and why. */
  logger?: Pick<LoggerService, 'debug'>;
}): Promise<string[]> {
  const { docker, store, app } = options;
  const repository = options.names.imageRepository(app);
  const images = await docker.listImages({
    // Images are found by name (the installation is part of it): build-time
    // labels would each cost the legacy builder an extra layer and container.
    filters: JSON.stringify({ reference: [`${repository}:*`] }),
  });
  const keep = await store.deployments.imageTagsToKeep(app, options.keep);
  const removed: string[] = [];
  for (const tag of images.flatMap(image => image.RepoTags ?? [])) {
    if (!tag.startsWith(`${repository}:`) || keep.has(tag)) continue;
    try {
      await docker.getImage(tag).remove({ noprune: false });
      removed.push(tag);
    } catch (error) {
      // In use by a container or already gone: try again next time.
      options.logger?.debug(
        `Kept image ${tag} for now, it could not be removed: ${errorMessage(
          error,
        )}`,
      );
    }
  }
  return removed;
}
