export { LiveFeed } from './LiveFeed';
export type { LiveFeedProps } from './LiveFeed';
export { EventList, EventRow, EVENT_ROW_HEIGHT } from './EventList';
