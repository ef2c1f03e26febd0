import type Docker from 'dockerode';
import { DeployStore } from './DeployStore';

/**
 * Keeps the newest `keep` images of an app (and always those a deployment
 * still needs)
 * for rollback, and removes the older ones. Returns the removed tags.
 */
export async function pruneImages(options: {
  docker: Docker;
  store: DeployStore;
  app: string;
  keep: number;
}): Promise<string[]> {
  const { docker, store, app } = options;
  const images = await docker.listImages({
    // Images are found by name: build-time labels would each cost the
    // legacy builder an extra layer and container.
    filters: JSON.stringify({ reference: [`slipway-${app}:*`] }),
  });
  const tags = images
    .flatMap(image => image.RepoTags ?? [])
    .filter(tag => tag.startsWith(`slipway-${app}:`))
    .map(tag => ({ tag, id: Number(tag.slice(tag.lastIndexOf(':') + 1)) }))
    .filter(t => Number.isFinite(t.id))
    .sort((a, b) => b.id - a.id);
  const inUse = await store.imageTagsInUse(app);
  const removed: string[] = [];
  for (const [index, { tag }] of tags.entries()) {
    if (index < options.keep || inUse.has(tag)) continue;
    try {
      await docker.getImage(tag).remove({ noprune: false });
      removed.push(tag);
    } catch {
      // In use by a container or already gone: try again next time.
    }
  }
  return removed;
}
