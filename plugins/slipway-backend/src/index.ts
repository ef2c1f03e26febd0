/**
 * The Slipway backend plugin.
 *
 * @packageDocumentation
 */
export { slipwayPlugin as default } from './plugin';
export {
  slipwayAppPermissionResourceRef,
  slipwayAppPermissionRules,
  isAppEntityOwner,
  hasAppName,
  slipwayAppConditions,
  createSlipwayAppConditionalDecision,
} from './permissions';
export type { SlipwayAppResource, SlipwayAppQuery } from './permissions';
