import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  InfoCard,
  MissingAnnotationEmptyState,
  Progress,
  ResponseErrorPanel,
  WarningPanel,
} from '@backstage/core-components';
import { discoveryApiRef, useApi } from '@backstage/core-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import {
  Box,
  MenuItem,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  TextField,
  Typography,
} from '@material-ui/core';
import type { CicdStatus } from '@slipway/plugin-slipway-common';
import { useCallback, useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { slipwayApiRef } from '../../api';
import {
  GITHUB_SLUG_ANNOTATION,
  isSlipwayCicdAvailable,
  SLIPWAY_APP_ANNOTATION,
} from '../../lib/annotations';
import { formatDuration, formatRelative, shortSha } from '../../lib/format';
import { ConnectionIndicator } from '../../live/ConnectionIndicator';
import { useLiveReload } from '../../live/useLiveReload';
import {
  DeploymentStatusLabel,
  OasisStatusLabel,
  runStatus,
} from '../common/StatusLabel';
import { HttpLink } from '../common/HttpLink';

/** Coalesces bursts of events (a push starts several workflows) into one reload. */

function WebhookWarning({ repo }: { repo: string | null }) {
  const discovery = useApi(discoveryApiRef);
  const { value: baseUrl } = useAsync(
    () => discovery.getBaseUrl('slipway'),
    [discovery],
  );
  const hookUrl = `${baseUrl ?? '<backend>/api/slipway'}/webhooks/github`;
  return (
    <WarningPanel
      title="GitHub webhook not connected"
      message={
        <>
          Slipway has received no delivery
          {repo ? (
            <>
              {' '}
              from <b>{repo}</b>
            </>
          ) : null}
          , so this card falls back to polling GitHub and may lag. To fix it,
          add a webhook in the repository settings (
          {repo ? (
            <HttpLink url={`https://github.com/${repo}/settings/hooks`}>
              Settings → Webhooks
            </HttpLink>
          ) : (
            'Settings → Webhooks'
          )}
          ) with payload URL <code>{hookUrl}</code>, content type{' '}
          <code>application/json</code>, the secret from{' '}
          <code>slipway.github.webhookSecrets</code>, and the events workflow
          runs, check runs, pull requests and pushes — or run the{' '}
          <code>slipway:github:webhook:register</code> scaffolder action.
        </>
      }
    />
  );
}

function WorkflowTable({
  workflows,
}: {
  workflows: CicdStatus['branches'][number]['workflows'];
}) {
  if (workflows.length === 0) {
    return (
      <Typography color="textSecondary">
        No workflow runs on this branch yet.
      </Typography>
    );
  }
  return (
    <Table size="small" aria-label="Latest workflow runs">
      <TableHead>
        <TableRow>
          <TableCell>Workflow</TableCell>
          <TableCell>Status</TableCell>
          <TableCell>Commit</TableCell>
          <TableCell>Duration</TableCell>
          <TableCell>Updated</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {workflows.map(run => (
          <TableRow key={`${run.name}-${run.runId}`} data-testid="workflow-run">
            <TableCell>
              <HttpLink url={run.url}>{run.name}</HttpLink>
              {run.runNumber !== undefined ? ` #${run.runNumber}` : ''}
            </TableCell>
            <TableCell>
              <OasisStatusLabel
                status={runStatus(run.status, run.conclusion)}
              />
            </TableCell>
            <TableCell>
              <code>{shortSha(run.headSha)}</code>
            </TableCell>
            <TableCell>
              {run.status === 'completed'
                ? formatDuration(run.startedAt, run.updatedAt)
                : ''}
            </TableCell>
            <TableCell title={run.updatedAt}>
              {formatRelative(run.updatedAt)}
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

function DeploymentSummary({
  deployment,
}: {
  deployment: NonNullable<CicdStatus['deployment']>;
}) {
  return (
    <Box mt={2} data-testid="current-deployment">
      <Typography variant="subtitle2">Current deployment</Typography>
      <Box display="flex" flexWrap="wrap" style={{ gap: 16 }}>
        <DeploymentStatusLabel status={deployment.status} />
        {deployment.url && <HttpLink url={deployment.url} />}
        {deployment.commitSha && (
          <Typography variant="body2">
            commit <code>{shortSha(deployment.commitSha)}</code>
          </Typography>
        )}
        <Typography variant="body2" color="textSecondary">
          since{' '}
          {formatRelative(
            deployment.finishedAt ??
              deployment.startedAt ??
              deployment.updatedAt ??
              deployment.createdAt,
          )}
        </Typography>
      </Box>
    </Box>
  );
}

function CicdStatusView({ entityRef }: { entityRef: string }) {
  const api = useApi(slipwayApiRef);
  const [status, setStatus] = useState<CicdStatus>();
  const [error, setError] = useState<Error>();
  const [branch, setBranch] = useState<string>();

  const load = useCallback(async () => {
    try {
      const next = await api.getCicdStatus(entityRef);
      setStatus(next);
      setError(undefined);
    } catch (e) {
      setError(e as Error);
    }
  }, [api, entityRef]);

  // Every event of this entity may change a run or the deployment.
  const { connection } = useLiveReload({ entityRef }, load);

  if (error && !status) {
    return (
      <ResponseErrorPanel
        title={`Could not load the CI/CD status of ${entityRef}`}
        error={error}
      />
    );
  }
  if (!status) return <Progress />;

  const branches = status.branches ?? [];
  const selected =
    branch ?? status.defaultBranch ?? branches[0]?.branch ?? undefined;
  const workflows = branches.find(b => b.branch === selected)?.workflows ?? [];

  return (
    <>
      <Box
        display="flex"
        alignItems="center"
        justifyContent="space-between"
        mb={2}
        style={{ gap: 16 }}
      >
        <Box display="flex" alignItems="center" style={{ gap: 16 }}>
          {status.repo && (
            <HttpLink url={`https://github.com/${status.repo}`}>
              {status.repo}
            </HttpLink>
          )}
          {branches.length > 0 && (
            <TextField
              select
              size="small"
              label="Branch"
              value={selected ?? ''}
              onChange={e => setBranch(e.target.value as string)}
              style={{ minWidth: 140 }}
            >
              {branches.map(b => (
                <MenuItem key={b.branch} value={b.branch}>
                  {b.branch}
                  {b.branch === status.defaultBranch ? ' (default)' : ''}
                </MenuItem>
              ))}
            </TextField>
          )}
        </Box>
        <ConnectionIndicator state={connection} />
      </Box>
      {error && (
        <Box mb={2}>
          <ResponseErrorPanel
            title="Showing the last known status: the latest reload failed"
            error={error}
          />
        </Box>
      )}
      {!status.webhook?.connected && <WebhookWarning repo={status.repo} />}
      <WorkflowTable workflows={workflows} />
      {status.deployment && (
        <DeploymentSummary deployment={status.deployment} />
      )}
    </>
  );
}

/**
 * The CI/CD status card: latest run per workflow with a branch selector, the
 * current deployment, and a warning when the webhook is not connected.
 * Updates live from the Slipway event stream.
 *
 * @public
 */
export function CicdStatusCard() {
  const { entity } = useEntity();
  if (!isSlipwayCicdAvailable(entity)) {
    return (
      <InfoCard title="CI/CD">
        <MissingAnnotationEmptyState
          annotation={[GITHUB_SLUG_ANNOTATION, SLIPWAY_APP_ANNOTATION]}
        />
      </InfoCard>
    );
  }
  return (
    <InfoCard title="CI/CD" subheader="Latest runs, from the Slipway backend">
      <CicdStatusView entityRef={stringifyEntityRef(entity)} />
    </InfoCard>
  );
}
