export { registerSlipwayPermissions } from './register';
export { createEntityClaimCheck } from './entityClaims';
export type { EntityClaimCheck } from './entityClaims';
