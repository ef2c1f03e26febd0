import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  EmptyState,
  InfoCard,
  MissingAnnotationEmptyState,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import { Box, Button, Grid } from '@material-ui/core';
import {
  slipwayCancelPermission,
  slipwayDeployPermission,
  slipwayRollbackPermission,
  type Deployment,
} from '@slipway/plugin-slipway-common';
import { slipwayApiRef } from '../../api';
import { SLIPWAY_APP_ANNOTATION } from '../../lib/annotations';
import { ConnectionIndicator } from '../../live/ConnectionIndicator';
import { HttpLink } from '../common/HttpLink';
import { DeploymentLogs } from './DeploymentLogs';
import { DeploymentsTable } from './DeploymentsTable';
import { useDeployments } from './useDeployments';

// Per app: a policy may let owners act on their own apps only.
function useAppPermissions(appName: string) {
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
  return { canDeploy, canRollback, canCancel };
}

function LoadError(props: {
  appName: string;
  entityRef: string;
  error: Error;
}) {
  const { appName, entityRef, error } = props;
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

function DeployButton(props: { busy: boolean; onClick(): void }) {
  return (
    <Box p={1}>
      <Button
        variant="contained"
        color="primary"
        disabled={props.busy}
        onClick={props.onClick}
      >
        Deploy
      </Button>
    </Box>
  );
}

function ServingAt(props: { url: string }) {
  return (
    <Box mb={2}>
      Serving at <HttpLink url={props.url} />
    </Box>
  );
}

function NoDeployments() {
  return (
    <EmptyState
      missing="data"
      title="No deployments yet"
      description="Deploy the app to see its build and run here."
    />
  );
}

function DeploymentLogCard(props: {
  deployment: Deployment;
  onChange(): void;
}) {
  return (
    <Grid item xs={12}>
      <InfoCard title="Build and run log">
        <DeploymentLogs
          deployment={props.deployment}
          onStatus={props.onChange}
          onEnd={props.onChange}
        />
      </InfoCard>
    </Grid>
  );
}

function DeploymentsView(props: { appName: string; entityRef: string }) {
  const { appName, entityRef } = props;
  const api = useApi(slipwayApiRef);
  const { canDeploy, canRollback, canCancel } = useAppPermissions(appName);
  const { app, deployments, error, busy, act, ...live } =
    useDeployments(appName);

  if (error && !deployments) {
    return <LoadError appName={appName} entityRef={entityRef} error={error} />;
  }
  if (!deployments) return <Progress />;

  const selected =
    deployments.find(d => d.id === live.selectedId) ??
    deployments[0] ??
    undefined;
  const currentId = app?.currentDeployment?.id;

  return (
    <Grid container spacing={3}>
      <Grid item xs={12}>
        <InfoCard
          title={`Deployments of ${appName}`}
          subheader={<ConnectionIndicator state={live.connection} />}
          action={
            canDeploy.allowed ? (
              <DeployButton
                busy={busy}
                onClick={() => act('Deploy', () => api.deploy(appName))}
              />
            ) : undefined
          }
        >
          {app?.url && <ServingAt url={app.url} />}
          {deployments.length === 0 ? (
            <NoDeployments />
          ) : (
            <DeploymentsTable
              deployments={deployments}
              currentId={currentId}
              selectedId={selected?.id}
              onSelect={live.setSelectedId}
              appName={appName}
              canCancel={canCancel.allowed}
              canRollback={canRollback.allowed}
              busy={busy}
              act={act}
            />
          )}
        </InfoCard>
      </Grid>
      {selected && (
        <DeploymentLogCard deployment={selected} onChange={live.scheduleLoad} />
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
