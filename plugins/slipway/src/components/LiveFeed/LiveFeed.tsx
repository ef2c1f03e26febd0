import { InfoCard, ResponseErrorPanel } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import {
  Box,
  Button,
  LinearProgress,
  MenuItem,
  TextField,
  Typography,
} from '@material-ui/core';
import PauseIcon from '@material-ui/icons/Pause';
import PlayIcon from '@material-ui/icons/PlayArrow';
import {
  compareEventIds,
  OASIS_STATUSES,
  type OasisEvent,
  type OasisEventFilter,
  type OasisStatus,
} from '@slipway/plugin-slipway-common';
import { memo, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import useDebounce from 'react-use/esm/useDebounce';
import { slipwayApiRef } from '../../api';
import { ConnectionIndicator } from '../../live/ConnectionIndicator';
import { useLiveEvents } from '../../live/useLiveEvents';
import { EventList } from './EventList';

const KNOWN_KINDS = [
  'workflow_run',
  'workflow_job',
  'check_run',
  'check_suite',
  'pull_request',
  'push',
  'deployment',
  'auto_deploy',
];

/**
 * Props of {@link LiveFeed}.
 *
 * @public
 */
export interface LiveFeedProps {
  /** Fixed filters, e.g. `{ entityRef }` on an entity page. */
  scope?: OasisEventFilter;
  /** Events per "load older" page (1–500). */
  pageSize?: number;
  /** Height of the list in pixels. */
  height?: number;
  title?: string;
}

// Search text per event, built once: filtering 10,000 events on every live
// append must not re-serialize their meta each time.
const searchText = new WeakMap<OasisEvent, string>();

function matchesText(event: OasisEvent, needle: string): boolean {
  let haystack = searchText.get(event);
  if (haystack === undefined) {
    haystack = [
      event.title,
      event.kind,
      event.module,
      event.vtid,
      event.repo,
      event.ref,
      event.source,
      event.status,
      JSON.stringify(event.meta ?? {}),
    ]
      .join('\n')
      .toLowerCase();
    searchText.set(event, haystack);
  }
  return haystack.includes(needle);
}

// Its own memoized component: a live append re-renders the list, not the
// filter fields.
const FeedToolbar = memo(function FeedToolbarView(props: {
  kind: string;
  kinds: string[];
  onKind(kind: string): void;
  status: OasisStatus | '';
  onStatus(status: OasisStatus | ''): void;
  vtid: string;
  onVtid(vtid: string): void;
  text: string;
  onText(text: string): void;
  paused: boolean;
  pendingCount: number;
  onPause(): void;
  onResume(): void;
}) {
  return (
    <Box
      display="flex"
      flexWrap="wrap"
      alignItems="center"
      px={2}
      py={1}
      style={{ gap: 12 }}
    >
      <TextField
        select
        label="Kind"
        SelectProps={{ inputProps: { 'aria-label': 'Kind' } }}
        value={props.kind}
        onChange={e => props.onKind(e.target.value as string)}
        style={{ minWidth: 150 }}
        size="small"
        variant="outlined"
      >
        <MenuItem value="">All kinds</MenuItem>
        {props.kinds.map(k => (
          <MenuItem key={k} value={k}>
            {k}
          </MenuItem>
        ))}
      </TextField>
      <TextField
        select
        label="Status"
        SelectProps={{ inputProps: { 'aria-label': 'Status' } }}
        value={props.status}
        onChange={e => props.onStatus(e.target.value as OasisStatus | '')}
        style={{ minWidth: 140 }}
        size="small"
        variant="outlined"
      >
        <MenuItem value="">All statuses</MenuItem>
        {OASIS_STATUSES.map(s => (
          <MenuItem key={s} value={s}>
            {s}
          </MenuItem>
        ))}
      </TextField>
      <TextField
        label="VTID"
        inputProps={{ 'aria-label': 'VTID' }}
        placeholder="DEV-CICDL-0031"
        value={props.vtid}
        onChange={e => props.onVtid(e.target.value)}
        size="small"
        variant="outlined"
      />
      <TextField
        label="Search"
        inputProps={{ 'aria-label': 'Search' }}
        placeholder="title, repo, workflow…"
        value={props.text}
        onChange={e => props.onText(e.target.value)}
        size="small"
        variant="outlined"
      />
      <Box flex={1} />
      {props.paused ? (
        <Button
          variant="contained"
          color="primary"
          startIcon={<PlayIcon />}
          onClick={props.onResume}
        >
          Resume{props.pendingCount > 0 ? ` (${props.pendingCount} new)` : ''}
        </Button>
      ) : (
        <Button
          variant="outlined"
          startIcon={<PauseIcon />}
          onClick={props.onPause}
        >
          Pause
        </Button>
      )}
    </Box>
  );
});

/**
 * History of OASIS events with live events on top: filters, "load older"
 * paging, pause and resume, and a connection indicator. After a dropped
 * connection it resumes from the last event id, so nothing is missed or
 * shown twice.
 *
 * @public
 */
export function LiveFeed(props: LiveFeedProps) {
  const { scope, pageSize = 50, height = 600, title = 'Live feed' } = props;
  const api = useApi(slipwayApiRef);

  const [kind, setKind] = useState('');
  const [status, setStatus] = useState<OasisStatus | ''>('');
  const [vtidInput, setVtidInput] = useState('');
  const [vtid, setVtid] = useState('');
  const [text, setText] = useState('');
  useDebounce(() => setVtid(vtidInput.trim()), 400, [vtidInput]);

  const filter = useMemo<OasisEventFilter>(
    () => ({
      ...scope,
      kind: kind || undefined,
      status: status || undefined,
      vtid: vtid || undefined,
    }),
    [scope, kind, status, vtid],
  );
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

  const visible = useMemo(() => {
    const needle = text.trim().toLowerCase();
    return needle ? events.filter(e => matchesText(e, needle)) : events;
  }, [events, text]);
  const kinds = useMemo(
    () => Array.from(new Set([...KNOWN_KINDS, kind].filter(Boolean))).sort(),
    [kind],
  );

  return (
    <InfoCard
      title={title}
      subheader={
        <Box display="flex" alignItems="center" style={{ gap: 16 }}>
          <ConnectionIndicator state={connection} paused={paused} />
          <Typography variant="body2" color="textSecondary">
            {visible.length} of {events.length} loaded events shown
          </Typography>
        </Box>
      }
      noPadding
    >
      <FeedToolbar
        kind={kind}
        kinds={kinds}
        onKind={setKind}
        status={status}
        onStatus={setStatus}
        vtid={vtidInput}
        onVtid={setVtidInput}
        text={text}
        onText={setText}
        paused={paused}
        pendingCount={pendingCount}
        onPause={pause}
        onResume={resume}
      />
      {loading && <LinearProgress />}
      {error && (
        <Box px={2} pb={2}>
          <ResponseErrorPanel
            title="Could not load Slipway events"
            error={error}
          />
        </Box>
      )}
      {!error && (!loading || events.length > 0) && (
        <EventList events={visible} height={height} />
      )}
      <Box display="flex" justifyContent="center" p={1}>
        <Button
          onClick={loadOlder}
          disabled={!nextCursor || loading}
          aria-label="Load older events"
        >
          {nextCursor ? 'Load older' : 'No older events'}
        </Button>
      </Box>
    </InfoCard>
  );
}
