import { useApi } from '@backstage/core-plugin-api';
import type {
  OasisEvent,
  OasisEventFilter,
} from '@slipway/plugin-slipway-common';
import { useEffect, useRef, useState } from 'react';
import { slipwayApiRef } from '../api';
import { ConnectionState, LiveEventStream } from './LiveEventStream';

/**
 * Subscribes to `/events/stream` with the given filter while `enabled`.
 * `onEvents` receives batches, oldest first, with no duplicates; the latest
 * callback is always used, so it need not be memoized.
 */
export function useLiveEvents(
  filter: OasisEventFilter,
  options: {
    enabled?: boolean;
    lastEventId?: string;
    onEvents: (events: OasisEvent[]) => void;
    onOpen?: () => void;
  },
): ConnectionState {
  const api = useApi(slipwayApiRef);
  const [state, setState] = useState<ConnectionState>({
    status: 'connecting',
    attempts: 0,
  });
  const callbacks = useRef(options);
  callbacks.current = options;
  const enabled = options.enabled ?? true;
  const filterKey = JSON.stringify(filter);

  useEffect(() => {
    if (!enabled) return undefined;
    const stream = new LiveEventStream(api, JSON.parse(filterKey), {
      lastEventId: callbacks.current.lastEventId,
      onEvents: events => callbacks.current.onEvents(events),
      onState: next => {
        setState(next);
        if (next.status === 'live') callbacks.current.onOpen?.();
      },
    });
    stream.start();
    return () => stream.stop();
    // lastEventId only seeds a new subscription; it changes with every event.
  }, [api, filterKey, enabled]);

  return state;
}
