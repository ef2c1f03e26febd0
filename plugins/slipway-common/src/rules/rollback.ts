import type { Deployment } from '../types';

/**
 * True when a deployment once served traffic: it runs now, or it ran and a
 * newer one replaced it (a deployment superseded while still queued or
 * building never had a container).
 *
 * @public
 */
export function hasServed(
  deployment: Pick<Deployment, 'status' | 'containerId'>,
): boolean {
  return (
    deployment.status === 'running' ||
    (deployment.status === 'superseded' && Boolean(deployment.containerId))
  );
}

/**
 * Why an app cannot be rolled back to `candidate`, as a message for the
 * user, or `undefined` when it can as far as the deployment record tells.
 * The backend refuses the same cases with 409 and also checks what only it
 * can see (the image still exists on the engine).
 *
 * @public
 */
export function rollbackProblem(
  candidate: Pick<Deployment, 'id' | 'status' | 'containerId' | 'imageTag'>,
  currentDeploymentId?: string,
): string | undefined {
  if (candidate.id === currentDeploymentId) {
    return `Deployment ${candidate.id} is the one serving now.`;
  }
  if (!hasServed(candidate) || !candidate.imageTag) {
    return `Deployment ${candidate.id} never served (status ${candidate.status}); roll back to one that ran successfully.`;
  }
  return undefined;
}
