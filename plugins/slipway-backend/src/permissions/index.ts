export * from './rules';
export { registerSlipwayPermissions } from './register';
