import { useApi } from '@backstage/core-plugin-api';
import {
  compareEventIds,
  type OasisEvent,
  type OasisEventFilter,
} from '@slipway/plugin-slipway-common';
import { useCallback, useEffect, useRef, useState } from 'react';
import { slipwayApiRef } from '../../api';
import { useLiveEvents } from '../../live/useLiveEvents';

/**
 * The events that match `filter`: the first page, live events on top (held
 * back while paused), and `loadOlder` for the next page. A new filter starts
 * over from its first page.
 */
export function useEventFeed(filter: OasisEventFilter, pageSize: number) {
  const api = useApi(slipwayApiRef);
  const filterKey = JSON.stringify(filter);

  const [events, setEvents] = useState<OasisEvent[]>([]);
  const ids = useRef(new Set<string>());
  const [nextCursor, setNextCursor] = useState<string | undefined>();
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<Error | undefined>();
  // The stream starts once the first page is in, from its newest event, so
  // there is no gap between history and live events.
  const [streamFrom, setStreamFrom] = useState<
    { filterKey: string; lastEventId: string } | undefined
  >();
  const [paused, setPaused] = useState(false);
  const pending = useRef<OasisEvent[]>([]);
  const [pendingCount, setPendingCount] = useState(0);

  useEffect(() => {
    let cancelled = false;
    setLoading(true);
    setError(undefined);
    setEvents([]);
    ids.current = new Set();
    pending.current = [];
    setPendingCount(0);
    setStreamFrom(undefined);
    api
      .listEvents(JSON.parse(filterKey), { limit: pageSize })
      .then(page => {
        if (cancelled) return;
        ids.current = new Set(page.items.map(e => e.id));
        setEvents(page.items);
        setNextCursor(page.nextCursor);
        setStreamFrom({ filterKey, lastEventId: page.items[0]?.id ?? '0' });
      })
      .catch(e => {
        if (!cancelled) setError(e);
      })
      .finally(() => {
        if (!cancelled) setLoading(false);
      });
    return () => {
      cancelled = true;
    };
  }, [api, filterKey, pageSize]);

  const prepend = useCallback((batch: OasisEvent[]) => {
    const fresh: OasisEvent[] = [];
    for (let i = batch.length - 1; i >= 0; i--) {
      if (!ids.current.has(batch[i].id)) {
        ids.current.add(batch[i].id);
        fresh.push(batch[i]);
      }
    }
    if (fresh.length === 0) return;
    fresh.sort((a, b) => compareEventIds(b.id, a.id));
    setEvents(current => fresh.concat(current));
  }, []);

  const pausedRef = useRef(paused);
  pausedRef.current = paused;
  const connection = useLiveEvents(filter, {
    enabled: streamFrom?.filterKey === filterKey,
    lastEventId: streamFrom?.lastEventId,
    onEvents: batch => {
      if (pausedRef.current) {
        pending.current.push(...batch);
        setPendingCount(pending.current.length);
      } else {
        prepend(batch);
      }
    },
  });

  const resume = useCallback(() => {
    setPaused(false);
    prepend(pending.current);
    pending.current = [];
    setPendingCount(0);
  }, [prepend]);
  const pause = useCallback(() => setPaused(true), []);

  const loadOlder = async () => {
    if (!nextCursor) return;
    setLoading(true);
    try {
      const page = await api.listEvents(filter, {
        limit: pageSize,
        cursor: nextCursor,
      });
      const older = page.items.filter(e => !ids.current.has(e.id));
      older.forEach(e => ids.current.add(e.id));
      setEvents(current => current.concat(older));
      setNextCursor(page.nextCursor);
    } catch (e) {
      setError(e as Error);
    } finally {
      setLoading(false);
    }
  };

  return {
    events,
    nextCursor,
    loading,
    error,
    connection,
    paused,
    pendingCount,
    pause,
    resume,
    loadOlder,
  };
}
