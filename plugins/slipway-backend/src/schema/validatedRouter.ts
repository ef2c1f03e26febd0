import { createValidatedOpenApiRouter } from '@backstage/backend-openapi-utils';
import express from 'express';
import { spec } from './openapi/generated/router';

/**
 * A router whose requests are checked against `openapi.yaml` before any
 * handler runs (a request that breaks the contract gets 400 with the
 * validator's message, in Backstage's error shape). It parses JSON bodies
 * (up to 1 MB) for every request that reaches it, so the webhook route,
 * which needs the raw bytes, is mounted before any router made here.
 */
export function createValidatedRouter(): express.Router {
  return createValidatedOpenApiRouter(spec as any, {
    middleware: [express.json({ limit: '1mb' })],
  }) as unknown as express.Router;
}
