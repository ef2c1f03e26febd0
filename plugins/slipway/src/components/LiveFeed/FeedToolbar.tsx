import { Box, Button, MenuItem, TextField } from '@material-ui/core';
import PauseIcon from '@material-ui/icons/Pause';
import PlayIcon from '@material-ui/icons/PlayArrow';
import {
  OASIS_STATUSES,
  type OasisStatus,
} from '@slipway/plugin-slipway-common';
import { memo } from 'react';

function FilterSelect<T extends string>(props: {
  label: string;
  allLabel: string;
  options: readonly T[];
  value: T | '';
  onChange(value: T | ''): void;
  minWidth: number;
}) {
  return (
    <TextField
      select
      label={props.label}
      SelectProps={{ inputProps: { 'aria-label': props.label } }}
      value={props.value}
      onChange={e => props.onChange(e.target.value as T | '')}
      style={{ minWidth: props.minWidth }}
      size="small"
      variant="outlined"
    >
      <MenuItem value="">{props.allLabel}</MenuItem>
      {props.options.map(o => (
        <MenuItem key={o} value={o}>
          {o}
        </MenuItem>
      ))}
    </TextField>
  );
}

function FilterText(props: {
  label: string;
  placeholder: string;
  value: string;
  onChange(value: string): void;
}) {
  return (
    <TextField
      label={props.label}
      inputProps={{ 'aria-label': props.label }}
      placeholder={props.placeholder}
      value={props.value}
      onChange={e => props.onChange(e.target.value)}
      size="small"
      variant="outlined"
    />
  );
}

function PauseResumeButton(props: {
  paused: boolean;
  pendingCount: number;
  onPause(): void;
  onResume(): void;
}) {
  return props.paused ? (
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
  );
}

// Its own memoized component: a live append re-renders the list, not the
// filter fields.
export const FeedToolbar = memo(function FeedToolbarView(props: {
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
      <FilterSelect
        label="Kind"
        allLabel="All kinds"
        options={props.kinds}
        value={props.kind}
        onChange={props.onKind}
        minWidth={150}
      />
      <FilterSelect
        label="Status"
        allLabel="All statuses"
        options={OASIS_STATUSES}
        value={props.status}
        onChange={props.onStatus}
        minWidth={140}
      />
      <FilterText
        label="VTID"
        placeholder="DEV-CICDL-0031"
        value={props.vtid}
        onChange={props.onVtid}
      />
      <FilterText
        label="Search"
        placeholder="title, repo, workflow…"
        value={props.text}
        onChange={props.onText}
      />
      <Box flex={1} />
      <PauseResumeButton {...props} />
    </Box>
  );
});
