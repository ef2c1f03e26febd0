/**
 * Slipway frontend plugin. Legacy app system exports by name; the new
 * frontend system uses the default export of `/alpha`.
 *
 * @packageDocumentation
 */
import type { JSX } from 'react';
import * as legacy from './plugin';

export { slipwayPlugin } from './plugin';

// The extensions of the legacy app system, re-exported with their types
// spelled out: the inferred ones name the internal components.

/**
 * The platform-wide Slipway live console (legacy app system); mount it at
 * `/slipway`.
 *
 * @public
 */
export const SlipwayConsolePage: (props: {
  pageSize?: number;
  height?: number;
}) => JSX.Element = legacy.SlipwayConsolePage;

/**
 * CI/CD status card for entity pages (legacy app system): latest run per
 * workflow, the current deployment and the webhook state, live.
 *
 * @public
 */
export const EntityCicdStatusCard: () => JSX.Element =
  legacy.EntityCicdStatusCard;

/**
 * "Live feed" entity tab (legacy app system); route it at `/live-feed`.
 *
 * @public
 */
export const EntityLiveFeedContent: (props: {
  pageSize?: number;
  height?: number;
}) => JSX.Element = legacy.EntityLiveFeedContent;

/**
 * "Deployments" entity tab (legacy app system); route it at `/deployments`.
 *
 * @public
 */
export const EntityDeploymentsContent: () => JSX.Element =
  legacy.EntityDeploymentsContent;
export { slipwayApiRef, SlipwayClient } from './api';
export type { SlipwayApi } from './api';
export {
  isSlipwayCicdAvailable,
  isSlipwayAppAvailable,
} from './lib/annotations';
export { LiveFeed, EventList } from './components/LiveFeed';
export type { LiveFeedProps } from './components/LiveFeed';
export type { ConnectionState } from './live/LiveEventStream';
