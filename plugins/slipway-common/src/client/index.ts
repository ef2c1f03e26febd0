export * from './sse';
export * from './types';
export * from './SlipwayHttpClient';
