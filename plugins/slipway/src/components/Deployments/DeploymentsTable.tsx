import { useApi } from '@backstage/core-plugin-api';
import {
  Box,
  Button,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
} from '@material-ui/core';
import {
  rollbackProblem,
  type Deployment,
} from '@slipway/plugin-slipway-common';
import { slipwayApiRef } from '../../api';
import { formatDuration, formatRelative, shortSha } from '../../lib/format';
import { DeploymentStatusLabel } from '../common/StatusLabel';
import { HttpLink } from '../common/HttpLink';
import { isActive } from './DeploymentLogs';

/** What the user may do with the deployments of one app. */
export interface DeploymentActions {
  appName: string;
  canCancel: boolean;
  canRollback: boolean;
  busy: boolean;
  act(label: string, action: () => Promise<Deployment>): void;
}

function DeploymentRowActions(
  props: DeploymentActions & { deployment: Deployment; currentId?: string },
) {
  const { deployment: d, currentId, appName, busy, act } = props;
  const api = useApi(slipwayApiRef);
  return (
    <TableCell align="right">
      {props.canCancel && isActive(d.status) && (
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
      {props.canRollback && rollbackProblem(d, currentId) === undefined && (
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
  );
}

function DeploymentRow(
  props: DeploymentActions & {
    deployment: Deployment;
    currentId?: string;
    selected: boolean;
    onSelect(id: string): void;
  },
) {
  const { deployment: d, currentId, selected, onSelect, ...actions } = props;
  return (
    <TableRow
      hover
      selected={selected}
      onClick={() => onSelect(d.id)}
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
            (isActive(d.status) ? new Date().toISOString() : undefined),
        )}
      </TableCell>
      <TableCell>
        {d.url && d.status === 'running' ? <HttpLink url={d.url} /> : null}
      </TableCell>
      <DeploymentRowActions {...actions} deployment={d} currentId={currentId} />
    </TableRow>
  );
}

/**
 * One row a deployment: status, commit, start and duration, its URL while it
 * runs, and cancel / roll back buttons for users allowed to.
 */
export function DeploymentsTable(
  props: DeploymentActions & {
    deployments: Deployment[];
    currentId?: string;
    selectedId?: string;
    onSelect(id: string): void;
  },
) {
  const { deployments, currentId, selectedId, onSelect, ...actions } = props;
  return (
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
          <DeploymentRow
            key={d.id}
            {...actions}
            deployment={d}
            currentId={currentId}
            selected={d.id === selectedId}
            onSelect={onSelect}
          />
        ))}
      </TableBody>
    </Table>
  );
}
