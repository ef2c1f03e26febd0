export { EntityLiveFeed } from './EntityLiveFeedContent';
