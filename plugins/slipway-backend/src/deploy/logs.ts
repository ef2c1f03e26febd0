import type { LoggerService } from '@backstage/backend-plugin-api';
import { EventEmitter } from 'node:events';
import { errorMessage } from './cleanup';
import { DeployStore } from './DeployStore';
import { DroppedLines } from './store/DeploymentLogStore';

/** The smallest log cap honoured: a few long lines must fit. */
export const MIN_LOG_BYTES = 64 * 1024;

/**
 * In-process wake-ups for log followers and status watchers, so a follower
 * sees a new line as soon as it is stored. Followers on another instance
 * still see it through their bounded poll of the database.
 */
export class DeploymentSignals {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  notify(deploymentId: string): void {
    this.emitter.emit(deploymentId);
  }

  /** Resolves on the next notification for the deployment or after `ms`. */
  wait(deploymentId: string, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise(resolve => {
      let timer: NodeJS.Timeout | undefined = undefined;
      const done = () => {
        clearTimeout(timer);
        this.emitter.off(deploymentId, done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      timer = setTimeout(done, ms);
      this.emitter.once(deploymentId, done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}

/**
 * Collects a deployment's log lines and stores them in small batches. Secret
 * values are masked before a line is stored, whatever printed them. Beyond
 * `maxBytes` stored bytes the oldest lines are dropped (down to 80 % of the
 * cap, so this happens rarely): the end of the log is kept, behind a marker
 * line that says how much was dropped.
 */
export class DeploymentLogWriter {
  private buffer: { step: string; line: string }[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private readonly secrets: string[];
  private readonly maxBytes: number;
  private storedBytes = 0;
  private readonly dropped: DroppedLines = { lines: 0, bytes: 0 };

  constructor(
    private readonly store: DeployStore,
    private readonly signals: DeploymentSignals,
    private readonly deploymentId: string,
    secretValues: string[],
    maxBytes = 5 * 1024 * 1024,
    /** Told (at warn) about log batches that could not be stored. */
    private readonly logger?: Pick<LoggerService, 'warn'>,
  ) {
    // Masking very short values would garble ordinary output.
    this.secrets = secretValues.filter(v => v.length >= 4);
    this.maxBytes = Math.max(MIN_LOG_BYTES, maxBytes);
  }

  /** Adds a line; stored within about 100 ms. */
  write(step: string, line: string): void {
    let text = line.replace(/\s+$/, '');
    for (const secret of this.secrets) {
      text = text.split(secret).join('***');
    }
    this.buffer.push({ step, line: text.slice(0, 8000) });
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.flush();
      }, 100);
    }
  }

  /** Stores everything written so far. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const lines = this.buffer;
    this.buffer = [];
    this.flushing = this.flushing
      .then(async () => {
        if (lines.length) {
          await this.store.logs.append(this.deploymentId, lines);
          this.storedBytes += lines.reduce(
            (sum, l) => sum + Buffer.byteLength(l.line),
            0,
          );
          await this.enforceCap();
          this.signals.notify(this.deploymentId);
        }
      })
      .catch(error => {
        // A lost log batch must not fail the deployment itself. A database
        // error may quote the statement and so the lines: only its cause is
        // logged.
        const message = errorMessage(error);
        const quoted = message.lastIndexOf(' - ');
        const cause = quoted < 0 ? message : message.slice(quoted + 3);
        this.logger?.warn(
          `Could not store ${lines.length} log lines of deployment ${this.deploymentId}: ${cause}`,
        );
      });
    return this.flushing;
  }

  private async enforceCap(): Promise<void> {
    if (this.storedBytes <= this.maxBytes) return;
    const target = Math.floor(this.maxBytes * 0.8);
    const dropped = await this.store.logs.dropOldest(
      this.deploymentId,
      this.storedBytes - target,
      now => {
        const lines = this.dropped.lines + now.lines;
        const bytes = this.dropped.bytes + now.bytes;
        return `[slipway] ${lines} earlier lines (${bytes} bytes) were dropped: a deployment's log is capped at ${this.maxBytes} bytes (slipway.deploy.logs.maxBytesPerDeployment) and its end is kept.`;
      },
    );
    this.dropped.lines += dropped.lines;
    this.dropped.bytes += dropped.bytes;
    this.storedBytes -= dropped.bytes;
  }
}

/**
 * Writes one chunk to a slow reader's stream: when the stream's buffer is
 * full, waits for `drain` before returning, so a follower holds at most its
 * buffer plus one event in memory. Resolves false when the stream closed,
 * `signal` aborted or no drain came within `drainTimeoutMs`: the caller ends
 * the stream (the client resumes with Last-Event-ID).
 */
export function writeWithBackpressure(
  out: NodeJS.WritableStream & { writableNeedDrain?: boolean },
  chunk: string,
  signal: AbortSignal,
  drainTimeoutMs = 60_000,
): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  if (out.write(chunk)) return Promise.resolve(true);
  return new Promise(resolve => {
    const listeners = { drain: () => {}, close: () => {} };
    const timer = setTimeout(() => listeners.close(), drainTimeoutMs);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      out.removeListener('drain', listeners.drain);
      out.removeListener('close', listeners.close);
      signal.removeEventListener('abort', listeners.close);
      resolve(ok);
    };
    listeners.drain = () => done(true);
    listeners.close = () => done(false);
    out.once('drain', listeners.drain);
    out.once('close', listeners.close);
    signal.addEventListener('abort', listeners.close, { once: true });
  });
}
