/**
 * Slipway frontend plugin. Legacy app system exports by name; the new
 * frontend system uses the default export of `/alpha`.
 *
 * @packageDocumentation
 */
export { slipwayPlugin, SlipwayConsolePage } from './plugin';
export { slipwayApiRef, SlipwayClient } from './api';
export type { SlipwayApi } from './api';
