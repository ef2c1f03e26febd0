import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  EmptyState,
  InfoCard,
  MissingAnnotationEmptyState,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { alertApiRef, useApi } from '@backstage/core-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  Box,
  Button,
  Grid,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
} from '@material-ui/core';
import {
  rollbackProblem,
  slipwayCancelPermission,
  slipwayDeployPermission,
  slipwayRollbackPermission,
  type Deployment,
  type SlipwayApp,
} from '@slipway/plugin-slipway-common';
import { useCallback, useState } from 'react';
import { slipwayApiRef } from '../../api';
import { SLIPWAY_APP_ANNOTATION } from '../../lib/annotations';
import {
  describeError,
  formatDuration,
  formatRelative,
  shortSha,
} from '../../lib/format';
import { ConnectionIndicator } from '../../live/ConnectionIndicator';
import { useLiveReload } from '../../live/useLiveReload';
import { DeploymentStatusLabel } from '../common/StatusLabel';
import { HttpLink } from '../common/HttpLink';
import { DeploymentLogs, isActive } from './DeploymentLogs';

function DeploymentsView(props: { appName: string; entityRef: string }) {
  const { appName, entityRef } = props;
  const api = useApi(slipwayApiRef);
  const alertApi = useApi(alertApiRef);
  const [app, setApp] = useState<SlipwayApp>();
  const [deployments, setDeployments] = useState<Deployment[]>();
  const [error, setError] = useState<Error>();
  const [selectedId, setSelectedId] = useState<string>();
  const [busy, setBusy] = useState(false);

  // Per app: a policy may let owners act on their own apps only.
  const canDeploy = usePermission({
    permission: slipwayDeployPermission,
    resourceRef: appName,
  });
  const canRollback = usePermission({
    permission: slipwayRollbackPermission,
    resourceRef: appName,
  });
  const canCancel = usePermission({
    permission: slipwayCancelPermission,
    resourceRef: appName,
  });

  const load = useCallback(async () => {
    try {
      const [nextApp, page] = await Promise.all([
        api.getApp(appName),
        api.listDeployments(appName, { limit: 50 }),
      ]);
      setApp(nextApp);
      setDeployments(page.items);
      setError(undefined);
    } catch (e) {
      setError(e as Error);
    }
  }, [api, appName]);

  // Deploy steps are OASIS events; any of them may change this list.
  const { connection, scheduleLoad } = useLiveReload(
    { source: 'slipway.deploy' },
    load,
  );

  const act = async (label: string, action: () => Promise<Deployment>) => {
    setBusy(true);
    try {
      const deployment = await action();
      setSelectedId(deployment.id);
      alertApi.post({
        message: `${label}: deployment ${deployment.id} is ${deployment.status}`,
        severity: 'success',
        display: 'transient',
      });
      await load();
    } catch (e) {
      alertApi.post({
        message: `${label} failed: ${describeError(e as Error)}`,
        severity: 'error',
      });
    } finally {
      setBusy(false);
    }
  };

  if (error && !deployments) {
    if ((error as { statusCode?: number }).statusCode === 404) {
      return (
        <EmptyState
          missing="data"
          title={`No Slipway app named "${appName}"`}
          description={`The ${SLIPWAY_APP_ANNOTATION} annotation of ${entityRef} names an app the deploy engine does not know. Create it with the slipway:deploy scaffolder action or POST /api/slipway/apps.`}
        />
      );
    }
    return (
      <ResponseErrorPanel
        title={`Could not load the deployments of ${appName}`}
        error={error}
      />
    );
  }
  if (!deployments) return <Progress />;

  const selected =
    deployments.find(d => d.id === selectedId) ?? deployments[0] ?? undefined;
  const currentId = app?.currentDeployment?.id;

  return (
    <Grid container spacing={3}>
      <Grid item xs={12}>
        <InfoCard
          title={`Deployments of ${appName}`}
          subheader={<ConnectionIndicator state={connection} />}
          action={
            canDeploy.allowed ? (
              <Box p={1}>
                <Button
                  variant="contained"
                  color="primary"
                  disabled={busy}
                  onClick={() => act('Deploy', () => api.deploy(appName))}
                >
                  Deploy
                </Button>
              </Box>
            ) : undefined
          }
        >
          {app?.url && (
            <Box mb={2}>
              Serving at <HttpLink url={app.url} />
            </Box>
          )}
          {deployments.length === 0 ? (
            <EmptyState
              missing="data"
              title="No deployments yet"
              description="Deploy the app to see its build and run here."
            />
          ) : (
            <Table size="small" aria-label="Deployments">
              <TableHead>
                <TableRow>
                  <TableCell>Deployment</TableCell>
                  <TableCell>Status</TableCell>
                  <TableCell>Commit</TableCell>
                  <TableCell>Started</TableCell>
                  <TableCell>Duration</TableCell>
                  <TableCell>URL</TableCell>
                  <TableCell />
                </TableRow>
              </TableHead>
              <TableBody>
                {deployments.map(d => (
                  <TableRow
                    key={d.id}
                    hover
                    selected={d.id === selected?.id}
                    onClick={() => setSelectedId(d.id)}
                    style={{ cursor: 'pointer' }}
                    data-testid="deployment-row"
                    data-status={d.status}
                  >
                    <TableCell>
                      {d.id}
                      {d.id === currentId ? ' (serving)' : ''}
                      {d.rollbackOf ? ` ↩ ${d.rollbackOf}` : ''}
                    </TableCell>
                    <TableCell>
                      <DeploymentStatusLabel status={d.status} />
                      {d.error && (
                        <Box color="error.main" fontSize="small">
                          {d.error}
                        </Box>
                      )}
                    </TableCell>
                    <TableCell>
                      <code>{shortSha(d.commitSha)}</code>
                      {d.ref ? ` ${d.ref}` : ''}
                    </TableCell>
                    <TableCell title={d.startedAt ?? d.createdAt}>
                      {formatRelative(d.startedAt ?? d.createdAt)}
                    </TableCell>
                    <TableCell>
                      {formatDuration(
                        d.startedAt ?? d.createdAt,
                        d.finishedAt ??
                          (isActive(d.status)
                            ? new Date().toISOString()
                            : undefined),
                      )}
                    </TableCell>
                    <TableCell>
                      {d.url && d.status === 'running' ? (
                        <HttpLink url={d.url} />
                      ) : null}
                    </TableCell>
                    <TableCell align="right">
                      {canCancel.allowed && isActive(d.status) && (
                        <Button
                          size="small"
                          disabled={busy}
                          onClick={e => {
                            e.stopPropagation();
                            act('Cancel', () => api.cancelDeployment(d.id));
                          }}
                        >
                          Cancel
                        </Button>
                      )}
                      {canRollback.allowed &&
                        rollbackProblem(d, currentId) === undefined && (
                          <Button
                            size="small"
                            disabled={busy}
                            onClick={e => {
                              e.stopPropagation();
                              act('Rollback', () =>
                                api.rollback(appName, {
                                  toDeploymentId: d.id,
                                }),
                              );
                            }}
                          >
                            Roll back to this
                          </Button>
                        )}
                    </TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          )}
        </InfoCard>
      </Grid>
      {selected && (
        <Grid item xs={12}>
          <InfoCard title="Build and run log">
            <DeploymentLogs
              deployment={selected}
              onStatus={scheduleLoad}
              onEnd={scheduleLoad}
            />
          </InfoCard>
        </Grid>
      )}
    </Grid>
  );
}

/**
 * The "Deployments" entity tab: deployments of the entity's Slipway app with
 * status and duration, deploy / roll back / cancel for users allowed to, and
 * build logs that follow live while a deployment runs.
 *
 * @public
 */
export function DeploymentsContent() {
  const { entity } = useEntity();
  const appName = entity.metadata.annotations?.[SLIPWAY_APP_ANNOTATION];
  if (!appName) {
    return <MissingAnnotationEmptyState annotation={SLIPWAY_APP_ANNOTATION} />;
  }
  return (
    <DeploymentsView appName={appName} entityRef={stringifyEntityRef(entity)} />
  );
}
