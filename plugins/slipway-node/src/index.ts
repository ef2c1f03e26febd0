/**
 * Service refs, extension points and shared helpers for backend plugins that
 * work with the Slipway suite.
 *
 * @packageDocumentation
 */
export * from './oasisEventsService';
export * from './allowedRepositories';
export * from './git';
export * from './credentials';
export * from './appPermissions';
