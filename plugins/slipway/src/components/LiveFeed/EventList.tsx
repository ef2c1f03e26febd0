import { Box, Typography } from '@material-ui/core';
import { makeStyles } from '@material-ui/core/styles';
import type { OasisEvent } from '@slipway/plugin-slipway-common';
import { CSSProperties, memo, useEffect, useRef } from 'react';
import { areEqual, FixedSizeList, ListChildComponentProps } from 'react-window';
import { formatRelative } from '../../lib/format';
import { OasisStatusLabel } from '../common/StatusLabel';
import { HttpLink } from '../common/HttpLink';

/** Height of one event row in pixels; the list is virtualized on it. */
export const EVENT_ROW_HEIGHT = 64;

const useStyles = makeStyles(theme => ({
  row: {
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(2),
    padding: theme.spacing(0, 2),
    borderBottom: `1px solid ${theme.palette.divider}`,
    boxSizing: 'border-box',
  },
  status: { width: 120, flexShrink: 0 },
  main: { minWidth: 0, flex: 1 },
  title: {
    fontWeight: 500,
    whiteSpace: 'nowrap',
    overflow: 'hidden',
    textOverflow: 'ellipsis',
  },
  facts: {
    color: theme.palette.text.secondary,
    whiteSpace: 'nowrap',
    overflow: 'hidden',
    textOverflow: 'ellipsis',
  },
  time: {
    flexShrink: 0,
    color: theme.palette.text.secondary,
    width: 120,
    textAlign: 'right',
  },
}));

function factsOf(event: OasisEvent): string {
  const meta = event.meta ?? {};
  let workflow: string | undefined;
  if (typeof meta.workflowName === 'string') workflow = meta.workflowName;
  else if (typeof meta.workflow === 'string') workflow = meta.workflow;
  return [
    event.kind,
    event.module,
    event.vtid !== 'UNSET' ? event.vtid : undefined,
    workflow,
    event.repo ? `${event.repo}${event.ref ? `@${event.ref}` : ''}` : event.ref,
    event.source,
  ]
    .filter(Boolean)
    .join(' · ');
}

/** One event: status, title (linked), the facts users filter on, and time. */
export const EventRow = memo(function EventRowView(props: {
  event: OasisEvent;
  style?: CSSProperties;
}) {
  const classes = useStyles();
  const { event, style } = props;
  return (
    <div
      className={classes.row}
      style={{ ...style, height: EVENT_ROW_HEIGHT }}
      data-testid="oasis-event"
      data-event-id={event.id}
    >
      <div className={classes.status}>
        <OasisStatusLabel status={event.status} />
      </div>
      <div className={classes.main}>
        <Typography variant="body2" className={classes.title}>
          {/* Event links always point outside Backstage (GitHub, the app);
              a plain anchor keeps a row cheap to render at 10,000 events. */}
          <HttpLink url={event.link} plain>
            {event.title}
          </HttpLink>
        </Typography>
        <Typography variant="caption" component="div" className={classes.facts}>
          {factsOf(event)}
        </Typography>
      </div>
      <Typography
        variant="caption"
        className={classes.time}
        title={event.createdAt}
      >
        {formatRelative(event.createdAt)}
      </Typography>
    </div>
  );
});

const Row = memo(function VirtualRow({
  index,
  style,
  data,
}: ListChildComponentProps<OasisEvent[]>) {
  return <EventRow event={data[index]} style={style} />;
},
areEqual);

/**
 * Virtualized list of events, newest first. Only the rows in view are in the
 * DOM, so it stays fast with tens of thousands of events. When the user has
 * scrolled down, events added on top keep the rows in view from moving.
 *
 * @public
 */
export function EventList(props: {
  events: OasisEvent[];
  height?: number;
  width?: number | string;
}) {
  const { events, height = 600, width = '100%' } = props;
  const listRef = useRef<FixedSizeList<OasisEvent[]>>(null);
  const offsetRef = useRef(0);
  const firstIdRef = useRef<string | undefined>(events[0]?.id);

  useEffect(() => {
    const previousFirst = firstIdRef.current;
    firstIdRef.current = events[0]?.id;
    if (!previousFirst || offsetRef.current === 0) return;
    const added = events.findIndex(e => e.id === previousFirst);
    if (added > 0) {
      listRef.current?.scrollTo(offsetRef.current + added * EVENT_ROW_HEIGHT);
    }
  }, [events]);

  if (events.length === 0) {
    return (
      <Box p={3}>
        <Typography color="textSecondary">No events match.</Typography>
      </Box>
    );
  }
  return (
    <FixedSizeList
      ref={listRef}
      height={Math.min(height, events.length * EVENT_ROW_HEIGHT)}
      width={width}
      itemCount={events.length}
      itemSize={EVENT_ROW_HEIGHT}
      itemData={events}
      itemKey={(index, data) => data[index].id}
      overscanCount={4}
      onScroll={({ scrollOffset }) => {
        offsetRef.current = scrollOffset;
      }}
    >
      {Row}
    </FixedSizeList>
  );
}
