import {
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import type { Request } from 'express';
import {
  EntityReadAccess,
  readAccessSettings,
  ReadScope,
} from './EntityReadAccess';

export type { ReadScope, Readable } from './EntityReadAccess';
export { EntityReadAccess, readAccessSettings } from './EntityReadAccess';

/** Answers "what may the caller of this request read". */
export interface ReadAccess {
  /** The caller's scope; a request without credentials is refused (401). */
  scopeOf(req: Request): Promise<ReadScope>;
}

/** Builds the plugin's read checks from `slipway.access`. */
export function createReadAccess(options: {
  config: Config;
  catalog: CatalogService;
  permissions: PermissionsService;
  httpAuth: HttpAuthService;
}): ReadAccess {
  const access = new EntityReadAccess({
    catalog: options.catalog,
    permissions: options.permissions,
    settings: readAccessSettings(options.config),
  });
  return {
    async scopeOf(req) {
      const credentials = await options.httpAuth.credentials(req, {
        allow: ['user', 'service'],
      });
      return access.scope(credentials);
    },
  };
}
