/**
 * Slipway frontend plugin. Legacy app system exports by name; the new
 * frontend system uses the default export of `/alpha`.
 *
 * @packageDocumentation
 */
export {
  slipwayPlugin,
  SlipwayConsolePage,
  EntityCicdStatusCard,
  EntityLiveFeedContent,
  EntityDeploymentsContent,
} from './plugin';
export { slipwayApiRef, SlipwayClient } from './api';
export type { SlipwayApi } from './api';
export {
  isSlipwayCicdAvailable,
  isSlipwayAppAvailable,
} from './lib/annotations';
export { LiveFeed, EventList } from './components/LiveFeed';
export type { LiveFeedProps } from './components/LiveFeed';
export type { ConnectionState } from './live/LiveEventStream';
