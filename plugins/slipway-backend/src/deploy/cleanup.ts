import type { LoggerService } from '@backstage/backend-plugin-api';
import { statusOf } from './dockerCalls';

/** The part of a logger that best-effort cleanup reports to. */
export type CleanupLogger = Pick<LoggerService, 'warn' | 'debug'>;

/** One registered cleanup (see {@link CleanupStack.defer}). */
export interface Deferred {
  /** Runs it now (once) and takes it off the stack. */
  run(): Promise<void>;
  /** Takes it off the stack without running it: the resource must survive. */
  release(): void;
}

interface Entry {
  description: string;
  fn: () => Promise<unknown>;
}

/** The message of an error, for a log line. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Logs a best-effort cleanup that did not work: a 404 (already gone) is
 * expected and logged at debug, anything else at warn. Messages name the
 * resource and the error, never values of the deployment's env.
 */
export function logCleanupFailure(
  logger: CleanupLogger,
  description: string,
  error: unknown,
): void {
  const line = `Could not ${description}: ${errorMessage(error)}`;
  if (statusOf(error) === 404) logger.debug(`${line} (already gone)`);
  else logger.warn(line);
}

/**
 * Cleanup registered as each resource is created: `defer` after creating
 * (or right before creating, when the creation itself can leave something
 * behind), `unwind` on failure or cancel runs what is left in reverse
 * order, each step on its own (a failing one is logged and the next one
 * still runs), and `release` on success hands what must survive (e.g. the
 * container that now serves) over to a new stack, which is unwound only if
 * that resource has to go after all.
 */
export class CleanupStack {
  private entries: Entry[] = [];

  constructor(private readonly logger: CleanupLogger) {}

  /** Registers `fn`, described as e.g. "remove container x". */
  defer(description: string, fn: () => Promise<unknown>): Deferred {
    const entry: Entry = { description, fn };
    this.entries.push(entry);
    return {
      run: async () => {
        if (this.take(entry)) await this.runOne(entry);
      },
      release: () => {
        this.take(entry);
      },
    };
  }

  /** How many cleanups are registered. */
  get size(): number {
    return this.entries.length;
  }

  /** Runs every registered cleanup, newest first; never throws. */
  async unwind(): Promise<void> {
    while (this.entries.length) {
      await this.runOne(this.entries.pop()!);
    }
  }

  /**
   * Takes every registered cleanup off this stack, without running it, and
   * returns them as a stack of their own.
   */
  release(): CleanupStack {
    const released = new CleanupStack(this.logger);
    released.entries = this.entries;
    this.entries = [];
    return released;
  }

  private take(entry: Entry): boolean {
    const index = this.entries.indexOf(entry);
    if (index < 0) return false;
    this.entries.splice(index, 1);
    return true;
  }

  private async runOne(entry: Entry): Promise<void> {
    try {
      await entry.fn();
    } catch (error) {
      logCleanupFailure(this.logger, entry.description, error);
    }
  }
}
