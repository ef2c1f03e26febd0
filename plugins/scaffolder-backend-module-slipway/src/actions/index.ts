import {
  AuthService,
  DiscoveryService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { TemplateAction } from '@backstage/plugin-scaffolder-node';
import { createDeployAction } from './deploy';
import { createGithubRepoCreateAction } from './githubRepoCreate';
import { createGithubWebhookRegisterAction } from './githubWebhookRegister';
import { createTemplateExtractAction } from './templateExtract';

/** Everything the Slipway actions are built from. */
export interface SlipwayActionsOptions {
  config: Config;
  discovery: DiscoveryService;
  auth: AuthService;
  /** Checks the initiator's permissions (an organization hook needs one). */
  permissions: PermissionsService;
}

/**
 * All `slipway:*` scaffolder actions.
 */
export function createSlipwayActions(
  options: SlipwayActionsOptions,
): TemplateAction<any, any, any>[] {
  return [
    createTemplateExtractAction(options),
    createGithubRepoCreateAction(options),
    createGithubWebhookRegisterAction(options),
    createDeployAction(options),
  ];
}
