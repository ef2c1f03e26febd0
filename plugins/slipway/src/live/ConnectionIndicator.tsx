import { Box, Tooltip, Typography } from '@material-ui/core';
import { makeStyles } from '@material-ui/core/styles';
import { ConnectionState } from './LiveEventStream';

const useStyles = makeStyles(theme => ({
  dot: {
    display: 'inline-block',
    width: 10,
    height: 10,
    borderRadius: '50%',
    marginRight: theme.spacing(1),
  },
  live: { backgroundColor: theme.palette.success.main },
  connecting: { backgroundColor: theme.palette.warning.main },
  down: { backgroundColor: theme.palette.error.main },
  paused: { backgroundColor: theme.palette.grey[500] },
}));

function describe(state: ConnectionState, paused?: boolean): string {
  if (paused && state.status === 'live') return 'Paused';
  switch (state.status) {
    case 'live':
      return 'Live';
    case 'connecting':
      return 'Connecting…';
    case 'reconnecting':
      return state.retryInMs !== undefined
        ? `Reconnecting in ${Math.ceil(state.retryInMs / 1000)} s`
        : 'Reconnecting…';
    default:
      return 'Disconnected';
  }
}

/**
 * Shows whether a live view is connected to the event stream, and why not.
 */
export function ConnectionIndicator(props: {
  state: ConnectionState;
  paused?: boolean;
}) {
  const classes = useStyles();
  const { state, paused } = props;
  const text = describe(state, paused);
  let tone = classes.down;
  if (paused && state.status === 'live') tone = classes.paused;
  else if (state.status === 'live') tone = classes.live;
  else if (state.status === 'connecting') tone = classes.connecting;
  return (
    <Tooltip
      title={
        state.error
          ? `Last connection ended: ${state.error.message}`
          : 'Updates arrive from the Slipway event stream'
      }
    >
      <Box
        display="inline-flex"
        alignItems="center"
        role="status"
        aria-label={`Connection: ${text}`}
        data-connection={paused ? 'paused' : state.status}
      >
        <span className={`${classes.dot} ${tone}`} />
        <Typography variant="body2">{text}</Typography>
      </Box>
    </Tooltip>
  );
}
