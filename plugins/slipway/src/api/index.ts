export * from './SlipwayApi';
