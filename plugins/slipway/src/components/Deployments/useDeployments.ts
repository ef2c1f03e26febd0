import { alertApiRef, useApi } from '@backstage/core-plugin-api';
import {
  type Deployment,
  type SlipwayApp,
} from '@slipway/plugin-slipway-common';
import { useCallback, useState } from 'react';
import { slipwayApiRef } from '../../api';
import { describeError } from '../../lib/format';
import { useLiveReload } from '../../live/useLiveReload';

/**
 * The app and its latest deployments, reloaded live on deploy events, and
 * `act` to run a deploy, cancel or rollback: it selects the deployment the
 * action returns, tells the user how it went and reloads the list.
 */
export function useDeployments(appName: string) {
  const api = useApi(slipwayApiRef);
  const alertApi = useApi(alertApiRef);
  const [app, setApp] = useState<SlipwayApp>();
  const [deployments, setDeployments] = useState<Deployment[]>();
  const [error, setError] = useState<Error>();
  const [selectedId, setSelectedId] = useState<string>();
  const [busy, setBusy] = useState(false);

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

  return {
    app,
    deployments,
    error,
    selectedId,
    setSelectedId,
    busy,
    act,
    connection,
    scheduleLoad,
  };
}
