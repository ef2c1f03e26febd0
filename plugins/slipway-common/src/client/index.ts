export * from './sse';
export * from './types';
export * from './SlipwayHttpClient';
export {
  compareEventIds,
  isRetryableStreamError,
  reconnectDelay,
} from './reconnect';
export type { ReconnectInfo, ReconnectOptions } from './reconnect';
