import { LogViewer, WarningPanel } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { Box, Typography } from '@material-ui/core';
import {
  FINISHED_DEPLOYMENT_STATUSES,
  type Deployment,
  type DeploymentStatus,
} from '@slipway/plugin-slipway-common';
import { useEffect, useState } from 'react';
import { slipwayApiRef } from '../../api';
import { describeError } from '../../lib/format';

export function isActive(status: DeploymentStatus): boolean {
  return !FINISHED_DEPLOYMENT_STATUSES.includes(status);
}

type FollowState =
  | { status: 'live' }
  | { status: 'reconnecting'; error: Error; delayMs: number };

/** "following live", or "reconnecting…" while the client waits to resume. */
function FollowIndicator(props: { state: FollowState }) {
  const { state } = props;
  const live = state.status === 'live';
  return (
    <Typography
      variant="caption"
      color={live ? 'primary' : 'textSecondary'}
      role="status"
      aria-label={live ? 'Following logs live' : 'Reconnecting to the live log'}
      title={
        state.status === 'reconnecting'
          ? `The log stream broke off (${
              state.error.message
            }); retrying in ${Math.ceil(state.delayMs / 1000)} s`
          : undefined
      }
    >
      {live ? '● following live' : '○ reconnecting…'}
    </Typography>
  );
}

/**
 * Build and run log of one deployment. While the deployment is active the log
 * follows live (SSE through `fetchApi`) until the deployment ends; the API
 * client resumes a broken stream by itself, this view only shows that it is
 * reconnecting.
 */
export function DeploymentLogs(props: {
  deployment: Deployment;
  onStatus?: (status: DeploymentStatus) => void;
  onEnd?: () => void;
}) {
  const { deployment, onStatus, onEnd } = props;
  const api = useApi(slipwayApiRef);
  const [lines, setLines] = useState<string[]>([]);
  const [following, setFollowing] = useState<FollowState>();
  const [error, setError] = useState<Error>();
  const follow = isActive(deployment.status);

  useEffect(() => {
    const controller = new AbortController();
    setLines([]);
    setError(undefined);
    setFollowing(follow ? { status: 'live' } : undefined);
    api
      .readDeploymentLogs(deployment.id, {
        follow,
        signal: controller.signal,
        onOpen: () => {
          if (follow) setFollowing({ status: 'live' });
        },
        onReconnecting: info =>
          setFollowing({
            status: 'reconnecting',
            error: info.error,
            delayMs: info.delayMs,
          }),
        onLines: batch =>
          setLines(current =>
            current.concat(
              batch.map(l => (l.step ? `[${l.step}] ${l.line}` : l.line)),
            ),
          ),
        onStatus: status => onStatus?.(status),
      })
      .then(() => {
        if (!controller.signal.aborted && follow) onEnd?.();
      })
      .catch(e => {
        if (!controller.signal.aborted) setError(e);
      })
      .finally(() => {
        if (!controller.signal.aborted) setFollowing(undefined);
      });
    return () => controller.abort();
    // Re-open only for another deployment or when it starts/stops being active.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, deployment.id, follow]);

  return (
    <Box>
      <Box display="flex" alignItems="center" mb={1} style={{ gap: 12 }}>
        <Typography variant="subtitle2">
          Logs of deployment {deployment.id}
        </Typography>
        {following && <FollowIndicator state={following} />}
      </Box>
      {error && (
        <WarningPanel
          title="Could not read the deployment log"
          message={describeError(error)}
        />
      )}
      <Box height={360} data-testid="deployment-logs">
        <LogViewer
          text={lines.length > 0 ? lines.join('\n') : '(no log lines yet)'}
        />
      </Box>
    </Box>
  );
}
