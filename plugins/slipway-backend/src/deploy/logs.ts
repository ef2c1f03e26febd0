import { EventEmitter } from 'node:events';
import { DeployStore } from './DeployStore';

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
 * values are masked before a line is stored, whatever printed them.
 */
export class DeploymentLogWriter {
  private buffer: { step: string; line: string }[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private readonly secrets: string[];

  constructor(
    private readonly store: DeployStore,
    private readonly signals: DeploymentSignals,
    private readonly deploymentId: string,
    secretValues: string[],
  ) {
    // Masking very short values would garble ordinary output.
    this.secrets = secretValues.filter(v => v.length >= 4);
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
          this.signals.notify(this.deploymentId);
        }
      })
      .catch(() => {
        // A lost log batch must not fail the deployment itself.
      });
    return this.flushing;
  }
}
