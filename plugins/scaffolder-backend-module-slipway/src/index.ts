/**
 * Scaffolder actions of the Slipway suite.
 *
 * @packageDocumentation
 */
export { scaffolderModuleSlipway as default } from './module';
