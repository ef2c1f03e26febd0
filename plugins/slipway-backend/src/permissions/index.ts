export { registerSlipwayPermissions } from './register';
