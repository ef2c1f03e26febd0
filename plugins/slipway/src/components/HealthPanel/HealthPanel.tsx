import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
  StatusError,
  StatusOK,
  StructuredMetadataTable,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import type { ComponentHealth } from '@slipway/plugin-slipway-common';
import useAsync from 'react-use/esm/useAsync';
import { slipwayApiRef } from '../../api';

function Status({ health }: { health: ComponentHealth }) {
  return health.status === 'ok' ? (
    <StatusOK>ok</StatusOK>
  ) : (
    <StatusError>unavailable</StatusError>
  );
}

/**
 * Shows whether the Slipway backend reaches its database and Docker engine,
 * with the reason when it does not.
 *
 * @internal
 */
export function HealthPanel() {
  const api = useApi(slipwayApiRef);
  const { value, loading, error } = useAsync(() => api.getHealth(), [api]);

  if (loading) {
    return <Progress />;
  }
  if (error || !value) {
    return <ResponseErrorPanel error={error ?? new Error('No answer')} />;
  }
  return (
    <InfoCard title="Slipway backend">
      <StructuredMetadataTable
        metadata={{
          Database: (
            <>
              <Status health={value.database} /> {value.database.client}{' '}
              {value.database.message}
            </>
          ),
          'Docker engine': (
            <>
              <Status health={value.docker} /> {value.docker.endpoint}
              {value.docker.apiVersion
                ? ` (API ${value.docker.apiVersion})`
                : ''}{' '}
              {value.docker.message}
            </>
          ),
        }}
      />
    </InfoCard>
  );
}
