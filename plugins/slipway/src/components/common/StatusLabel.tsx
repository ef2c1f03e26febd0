import {
  StatusAborted,
  StatusError,
  StatusOK,
  StatusPending,
  StatusRunning,
  StatusWarning,
} from '@backstage/core-components';
import type {
  DeploymentStatus,
  OasisStatus,
} from '@slipway/plugin-slipway-common';
import { ReactNode } from 'react';

type Tone = 'ok' | 'error' | 'running' | 'pending' | 'aborted' | 'warning';

const icons: Record<Tone, (props: { children?: ReactNode }) => JSX.Element> = {
  ok: StatusOK,
  error: StatusError,
  running: StatusRunning,
  pending: StatusPending,
  aborted: StatusAborted,
  warning: StatusWarning,
};

function toneOfOasis(status: OasisStatus | string): Tone {
  switch (status) {
    case 'success':
      return 'ok';
    case 'failure':
      return 'error';
    case 'in_progress':
      return 'running';
    case 'queued':
      return 'pending';
    case 'cancelled':
    case 'skipped':
      return 'aborted';
    default:
      return 'pending';
  }
}

function toneOfDeployment(status: DeploymentStatus | string): Tone {
  switch (status) {
    case 'running':
      return 'ok';
    case 'failed':
      return 'error';
    case 'cancelled':
    case 'superseded':
      return 'aborted';
    case 'pending':
      return 'pending';
    default:
      return 'running';
  }
}

/** GitHub run status plus conclusion as one OASIS-like status. */
export function runStatus(status: string, conclusion?: string | null): string {
  if (status !== 'completed') {
    return status === 'in_progress' ? 'in_progress' : 'queued';
  }
  switch (conclusion) {
    case 'success':
      return 'success';
    case 'cancelled':
      return 'cancelled';
    case 'skipped':
    case 'neutral':
      return 'skipped';
    default:
      return 'failure';
  }
}

/** Status icon and word for an OASIS event or a workflow run. */
export function OasisStatusLabel({ status }: { status: OasisStatus | string }) {
  const Icon = icons[toneOfOasis(status)];
  return <Icon>{status.replace('_', ' ')}</Icon>;
}

/** Status icon and word for a deployment. */
export function DeploymentStatusLabel({
  status,
}: {
  status: DeploymentStatus | string;
}) {
  const Icon = icons[toneOfDeployment(status)];
  return <Icon>{status.replace('_', ' ')}</Icon>;
}
