/*
 * Captures what the real auditor service (backend-defaults'
 * auditorServiceFactory, which writes to the plugin's logger with
 * `isAuditEvent: true`) records, through a logger service factory.
 */
import {
  coreServices,
  createServiceFactory,
  LoggerService,
} from '@backstage/backend-plugin-api';

/** One audit record as the auditor logged it. */
export interface AuditRecord {
  plugin: string;
  eventId: string;
  status: 'initiated' | 'succeeded' | 'failed';
  actor: { actorId?: string };
  meta?: Record<string, unknown>;
  error?: string;
}

function capturingLogger(
  fields: Record<string, unknown>,
  sink: AuditRecord[],
): LoggerService {
  const write = (_message: string, meta?: unknown) => {
    if (!fields.isAuditEvent) return;
    const extra =
      meta instanceof Error
        ? { error: meta.message }
        : (meta as Record<string, unknown> | undefined);
    sink.push({ ...fields, ...extra } as unknown as AuditRecord);
  };
  return {
    error: write,
    warn: write,
    info: write,
    debug: write,
    child: meta => capturingLogger({ ...fields, ...meta }, sink),
  };
}

/** A logger factory for `startTestBackend` and the audit records it saw. */
export function auditLog() {
  const records: AuditRecord[] = [];
  const factory = createServiceFactory({
    service: coreServices.logger,
    deps: { plugin: coreServices.pluginMetadata },
    factory: ({ plugin }) =>
      capturingLogger({ plugin: plugin.getId() }, records),
  });
  /** The finished (succeeded or failed) records of an event. */
  const outcomes = (eventId: string) =>
    records.filter(r => r.eventId === eventId && r.status !== 'initiated');
  /** Waits until `count` outcomes of the event are recorded (bounded). */
  const waitFor = async (eventId: string, count = 1, timeoutMs = 5000) => {
    const deadline = Date.now() + timeoutMs;
    while (outcomes(eventId).length < count && Date.now() < deadline) {
      await new Promise(resolve => setTimeout(resolve, 20));
    }
    return outcomes(eventId);
  };
  return { factory, records, outcomes, waitFor };
}
