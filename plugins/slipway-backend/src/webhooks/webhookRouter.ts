import { LoggerService } from '@backstage/backend-plugin-api';
import {
  AuthenticationError,
  InputError,
  ServiceUnavailableError,
} from '@backstage/errors';
import express from 'express';
import Router from 'express-promise-router';
import { verifyGithubSignature } from './signature';
import { UnverifiedBodyBudget } from './UnverifiedBodyBudget';
import { WebhookProcessor } from './WebhookProcessor';

/** GitHub's own limit on a delivery; anything larger is refused with 413. */
export const MAX_WEBHOOK_BYTES = 25 * 1024 * 1024;

/** Seconds a client refused for lack of budget is asked to wait. */
const RETRY_AFTER_SECONDS = 5;

/** Default of `slipway.github.unverifiedBodyTimeoutSeconds`. */
export const DEFAULT_BODY_TIMEOUT_SECONDS = 20;

const EVENT_NAME = /^[a-z][a-z0-9_]{0,63}$/;
const DELIVERY_ID = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;

/**
 * `POST /webhooks/github`: unauthenticated (the plugin adds an auth policy
 * for this path only), so nothing is read, parsed or stored before the
 * HMAC of the raw bytes matches one of the configured secrets.
 */
export function createWebhookRouter(options: {
  processor: WebhookProcessor;
  /** Read per request, so a config reload rotates secrets. */
  secrets: () => string[];
  logger: LoggerService;
  /** `slipway.github.maxUnverifiedBytesInFlight`; default 64 MB. */
  maxUnverifiedBytesInFlight?: number;
  /** `slipway.github.unverifiedBodyTimeoutSeconds`; default 20. */
  bodyTimeoutSeconds?: number;
}): express.Router {
  const { processor, secrets, logger } = options;
  const budget = new UnverifiedBodyBudget(options.maxUnverifiedBytesInFlight);
  const bodyTimeoutSeconds =
    options.bodyTimeoutSeconds ?? DEFAULT_BODY_TIMEOUT_SECONDS;
  if (!(bodyTimeoutSeconds > 0)) {
    throw new Error(
      'slipway.github.unverifiedBodyTimeoutSeconds must be a positive number',
    );
  }
  const router = Router();

  router.post(
    '/webhooks/github',
    (req, res, next) => {
      // Refuse before reading the body: never accept unsigned deliveries.
      if (secrets().length === 0) {
        throw new ServiceUnavailableError(
          'GitHub webhooks are disabled: set slipway.github.webhookSecrets to the secret configured on the GitHub hook',
        );
      }
      // Refuse an announced oversize body at once; the body parser would
      // read all of it first.
      const length = declaredLength(req);
      if (length !== undefined && length > MAX_WEBHOOK_BYTES) {
        res.setHeader('Connection', 'close');
        throw payloadTooLarge();
      }
      // Bound the memory that bodies nobody has verified yet may take:
      // reserve the body's size (the largest allowed when it is not
      // announced) before reading it, until the response ends.
      const release = budget.tryReserve(length ?? MAX_WEBHOOK_BYTES);
      if (!release) {
        res.setHeader('Connection', 'close');
        res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
        throw new ServiceUnavailableError(
          `Too many webhook bytes are being received at once (slipway.github.maxUnverifiedBytesInFlight is ${budget.limit}); nothing was stored, redeliver the delivery later`,
        );
      }
      res.once('close', release);
      // A client that trickles its body would hold its reservation: the
      // whole body must arrive within the deadline (GitHub sends it at once).
      const deadline = setTimeout(
        () => refuseSlowBody(req, res, bodyTimeoutSeconds),
        bodyTimeoutSeconds * 1000,
      );
      const stop = () => clearTimeout(deadline);
      req.once('end', stop);
      res.once('close', stop);
      next();
    },
    express.raw({ type: () => true, limit: MAX_WEBHOOK_BYTES }),
    async (req, res) => {
      const body: Buffer = Buffer.isBuffer(req.body)
        ? req.body
        : Buffer.alloc(0);
      const signature = req.header('x-hub-signature-256');
      if (!signature) {
        throw new AuthenticationError(
          'Missing X-Hub-Signature-256: configure the same secret on the GitHub hook and in slipway.github.webhookSecrets',
        );
      }
      if (!verifyGithubSignature(secrets(), body, signature)) {
        throw new AuthenticationError(
          'X-Hub-Signature-256 does not match: the hook secret differs from slipway.github.webhookSecrets',
        );
      }
      const event = req.header('x-github-event');
      const deliveryId = req.header('x-github-delivery');
      if (!event || !EVENT_NAME.test(event)) {
        throw new InputError(
          'Missing or invalid X-GitHub-Event header: expected a GitHub event name such as workflow_run',
        );
      }
      if (!deliveryId || !DELIVERY_ID.test(deliveryId)) {
        throw new InputError(
          'Missing or invalid X-GitHub-Delivery header: expected the delivery GUID GitHub sends',
        );
      }
      const rawPayload = payloadText(req.header('content-type'), body);
      let payload: unknown;
      try {
        payload = JSON.parse(rawPayload);
      } catch {
        throw new InputError(
          'The delivery body is not valid JSON: set the hook content type to application/json',
        );
      }
      if (!payload || typeof payload !== 'object' || Array.isArray(payload)) {
        throw new InputError('The delivery body must be a JSON object');
      }

      const hookId = req.header('x-github-hook-id');
      const outcome = await processor.receive({
        deliveryId,
        event,
        hookId: hookId && /^\d{1,32}$/.test(hookId) ? hookId : undefined,
        payload: payload as Record<string, unknown>,
        rawPayload,
      });
      if (outcome.result === 'duplicate') {
        res.status(200).json({ delivery: deliveryId, result: 'duplicate' });
        return;
      }
      if (outcome.result === 'failed') {
        logger.warn(
          `GitHub delivery ${deliveryId} (${event}) stored but could not be mapped`,
        );
      }
      res.status(202).json({ delivery: deliveryId, result: outcome.result });
    },
  );

  return router;
}

/**
 * Answers 408 to a request whose body did not arrive in time and closes its
 * connection (which gives its reservation back); nothing is stored.
 */
function refuseSlowBody(
  req: express.Request,
  res: express.Response,
  seconds: number,
) {
  if (!res.headersSent) {
    res.setHeader('Connection', 'close');
    res.status(408).json({
      error: {
        name: 'RequestTimeoutError',
        message: `The delivery body did not arrive within ${seconds} s (slipway.github.unverifiedBodyTimeoutSeconds); nothing was stored`,
      },
      request: { method: req.method, url: req.originalUrl },
      response: { statusCode: 408 },
    });
  }
  res.once('finish', () => req.socket.destroy());
  if (res.writableFinished) req.socket.destroy();
}

/**
 * The body length a request announces: its Content-Length, 0 for a request
 * with neither Content-Length nor chunked encoding (it has no body), and
 * `undefined` for a chunked one.
 */
function declaredLength(req: express.Request): number | undefined {
  const header = req.header('content-length');
  if (header !== undefined) return Number(header);
  return req.header('transfer-encoding') ? undefined : 0;
}

function payloadTooLarge(): Error {
  const error = new Error(
    `The delivery is larger than ${MAX_WEBHOOK_BYTES} bytes, GitHub's own limit for webhook payloads`,
  );
  error.name = 'PayloadTooLargeError';
  return Object.assign(error, { statusCode: 413 });
}

/**
 * GitHub sends either JSON or `payload=<json>` form encoding, depending on
 * the hook's content type. The signature covers the bytes as sent.
 */
function payloadText(contentType: string | undefined, body: Buffer): string {
  const text = body.toString('utf8');
  if (contentType?.startsWith('application/x-www-form-urlencoded')) {
    const payload = new URLSearchParams(text).get('payload');
    if (payload === null) {
      throw new InputError(
        'The form-encoded delivery has no payload field: set the hook content type to application/json',
      );
    }
    return payload;
  }
  return text;
}
