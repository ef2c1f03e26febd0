import type { OasisEventFilter } from '@slipway/plugin-slipway-common';
import { useCallback, useEffect, useRef } from 'react';
import type { ConnectionState } from './LiveEventStream';
import { useLiveEvents } from './useLiveEvents';

/** A burst of events (one deploy step after another) reloads once. */
const RELOAD_DELAY_MS = 250;

/**
 * Runs `load` now, and again shortly after matching events arrive or the
 * stream (re)connects, so nothing missed while offline stays stale. For views
 * built from a backend summary rather than from the events themselves.
 * `scheduleLoad` lets other signals (e.g. a log stream) ask for a reload.
 */
export function useLiveReload(
  filter: OasisEventFilter,
  load: () => Promise<void>,
): { connection: ConnectionState; scheduleLoad: () => void } {
  const timer = useRef<ReturnType<typeof setTimeout>>();

  const scheduleLoad = useCallback(() => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      load();
    }, RELOAD_DELAY_MS);
  }, [load]);

  useEffect(() => {
    load();
    return () => {
      if (timer.current) clearTimeout(timer.current);
    };
  }, [load]);

  const connection = useLiveEvents(filter, {
    onEvents: scheduleLoad,
    onOpen: scheduleLoad,
  });
  return { connection, scheduleLoad };
}
