/**
 * A GitHub stand-in for tests (GitHub is not reachable from the machines
 * Slipway is tested on).
 *
 * @packageDocumentation
 */
export * from './GithubTestServer';
export * from './types';
