import { InfoCard, ResponseErrorPanel } from '@backstage/core-components';
import { Box, Button, LinearProgress, Typography } from '@material-ui/core';
import {
  type OasisEvent,
  type OasisEventFilter,
  type OasisStatus,
} from '@slipway/plugin-slipway-common';
import { useMemo, useState } from 'react';
import useDebounce from 'react-use/esm/useDebounce';
import { ConnectionIndicator } from '../../live/ConnectionIndicator';
import { type ConnectionState } from '../../live/LiveEventStream';
import { EventList } from './EventList';
import { FeedToolbar } from './FeedToolbar';
import { useEventFeed } from './useEventFeed';

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

// The filter fields; the VTID goes into the filter once typing pauses.
function useFeedFilter(scope: OasisEventFilter | undefined) {
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
  return {
    kind,
    setKind,
    status,
    setStatus,
    vtidInput,
    setVtidInput,
    text,
    setText,
    filter,
  };
}

function FeedSubheader(props: {
  connection: ConnectionState;
  paused: boolean;
  shown: number;
  loaded: number;
}) {
  return (
    <Box display="flex" alignItems="center" style={{ gap: 16 }}>
      <ConnectionIndicator state={props.connection} paused={props.paused} />
      <Typography variant="body2" color="textSecondary">
        {props.shown} of {props.loaded} loaded events shown
      </Typography>
    </Box>
  );
}

function LoadOlderButton(props: {
  hasOlder: boolean;
  loading: boolean;
  onClick(): void;
}) {
  return (
    <Box display="flex" justifyContent="center" p={1}>
      <Button
        onClick={props.onClick}
        disabled={!props.hasOlder || props.loading}
        aria-label="Load older events"
      >
        {props.hasOlder ? 'Load older' : 'No older events'}
      </Button>
    </Box>
  );
}

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
  const fields = useFeedFilter(scope);
  const { kind, text } = fields;
  const feed = useEventFeed(fields.filter, pageSize);
  const { events, nextCursor, loading, error } = feed;

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
        <FeedSubheader
          connection={feed.connection}
          paused={feed.paused}
          shown={visible.length}
          loaded={events.length}
        />
      }
      noPadding
    >
      <FeedToolbar
        kind={kind}
        kinds={kinds}
        onKind={fields.setKind}
        status={fields.status}
        onStatus={fields.setStatus}
        vtid={fields.vtidInput}
        onVtid={fields.setVtidInput}
        text={text}
        onText={fields.setText}
        paused={feed.paused}
        pendingCount={feed.pendingCount}
        onPause={feed.pause}
        onResume={feed.resume}
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
      <LoadOlderButton
        hasOlder={!!nextCursor}
        loading={loading}
        onClick={feed.loadOlder}
      />
    </InfoCard>
  );
}
