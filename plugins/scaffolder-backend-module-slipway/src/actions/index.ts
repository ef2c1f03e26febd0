import { Config } from '@backstage/config';
import { TemplateAction } from '@backstage/plugin-scaffolder-node';

/** Everything the Slipway actions are built from. */
export interface SlipwayActionsOptions {
  config: Config;
}

/**
 * All `slipway:*` scaffolder actions.
 */
export function createSlipwayActions(
  _options: SlipwayActionsOptions,
): TemplateAction<any, any, any>[] {
  return [];
}
