import { EntityRefResolver } from '../oasis/EntityRefResolver';
import type { WebhookSourceStore } from '../webhooks/WebhookSourceStore';

/**
 * The repositories the polling fallback may read with the integration
 * token: the ones Slipway has a registered webhook for (a signed `ping`
 * from that repository's own hook was stored), the ones a Slipway app
 * deploys from, and the ones an admin lists in
 * `slipway.cicd.polling.repositories`. A catalog annotation alone is not
 * enough: anyone who may register an entity could name someone else's
 * private repository and have its runs published as events.
 */
export async function pollTargets(options: {
  sources: Pick<WebhookSourceStore, 'pingedRepositories'>;
  entityRefs: EntityRefResolver;
  configured: string[];
}): Promise<string[]> {
  const repos = new Set<string>(await options.sources.pingedRepositories());
  for (const repo of await options.entityRefs.appRepositories()) {
    repos.add(repo);
  }
  for (const repo of options.configured) repos.add(repo.toLowerCase());
  return [...repos].filter(r => /^[^/\s]+\/[^/\s]+$/.test(r)).sort();
}
