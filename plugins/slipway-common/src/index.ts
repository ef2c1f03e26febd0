/**
 * Common types, permissions and the API client of the Slipway suite.
 *
 * @packageDocumentation
 */
export * from './types';
export * from './permissions';
export * from './links';
export * from './client';
export * from './rules';
