/**
 * Service refs and extension points for backend plugins that work with the
 * Slipway suite.
 *
 * @packageDocumentation
 */
export * from './oasisEventsService';
