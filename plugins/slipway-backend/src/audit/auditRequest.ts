import type { AuditorService } from '@backstage/backend-plugin-api';
import type { NextFunction, Request, Response } from 'express';

/** What an audit event carries besides who asked (JSON). */
export type AuditMeta = NonNullable<
  Parameters<AuditorService['createEvent']>[0]['meta']
>;

/** The error a failed response reports (Backstage's error body), as an Error. */
function errorOf(res: Response, body: any): Error {
  const error = new Error(
    typeof body?.error?.message === 'string'
      ? body.error.message
      : `answered ${res.statusCode}`,
  );
  if (typeof body?.error?.name === 'string') error.name = body.error.name;
  return error;
}

/**
 * Middleware in front of a route that changes state: the auditor records
 * who asked (from the request's credentials), what (`eventId` and `meta`),
 * and the outcome once the response is sent: succeeded with its status, or
 * failed with the error the response reports (a refused permission
 * included). A handler may add to the success meta through
 * `res.locals.auditMeta` (e.g. the id of what it created).
 */
export function auditRequest(
  auditor: AuditorService,
  eventId: string,
  metaOf: (req: Request) => AuditMeta = () => ({}),
) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const event = await auditor.createEvent({
      eventId,
      severityLevel: 'medium',
      request: req,
      meta: metaOf(req),
    });
    let errorBody: unknown;
    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      if (res.statusCode >= 400) errorBody = body;
      return json(body);
    };
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      const outcome =
        res.writableFinished && res.statusCode < 400
          ? event.success({
              meta: { status: res.statusCode, ...res.locals.auditMeta },
            })
          : event.fail({
              error: res.writableFinished
                ? errorOf(res, errorBody)
                : new Error('the client went away before the answer'),
              meta: { status: res.statusCode, ...res.locals.auditMeta },
            });
      // The answer is out; a failing audit log must not crash the process.
      outcome.catch(() => {});
    };
    res.once('finish', finish);
    res.once('close', finish);
    next();
  };
}
