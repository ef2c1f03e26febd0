import { InputError } from '@backstage/errors';
import { spawn } from 'node:child_process';

/**
 * Options for {@link runGit}.
 *
 * @public
 */
export interface RunGitOptions {
  /** Arguments after `git`; never built from a shell string. */
  args: string[];
  cwd?: string;
  /**
   * HTTP token for the remote. Passed to git through GIT_CONFIG_* environment
   * variables as an Authorization header, so it never appears in a URL, in
   * argv (visible in `ps`) or in git's own output.
   */
  token?: string;
  /** Called with each line git prints on stderr (progress), token-free. */
  onLine?: (line: string) => void;
  /** Aborts the git process (e.g. a cancelled deployment). */
  signal?: AbortSignal;
}

/**
 * Runs the git CLI and resolves with its stdout. Fails with git's message
 * (token redacted) when it exits non-zero.
 *
 * @public
 */
export function runGit(options: RunGitOptions): Promise<string> {
  const { args, cwd, token, onLine, signal } = options;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: 'echo',
    LC_ALL: 'C',
  };
  if (token) {
    const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
    env.GIT_CONFIG_COUNT = '1';
    env.GIT_CONFIG_KEY_0 = 'http.extraHeader';
    env.GIT_CONFIG_VALUE_0 = `Authorization: Basic ${basic}`;
  }
  const redact = (text: string) =>
    token ? text.split(token).join('***') : text;

  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd, env, signal });
    const stdout: Buffer[] = [];
    let stderr = '';
    let pending = '';
    child.stdout.on('data', chunk => stdout.push(chunk));
    child.stderr.on('data', chunk => {
      const text = redact(chunk.toString('utf8'));
      stderr = (stderr + text).slice(-8000);
      if (onLine) {
        pending += text;
        const lines = pending.split(/\r?\n|\r/);
        pending = lines.pop() ?? '';
        lines.filter(Boolean).forEach(onLine);
      }
    });
    child.on('error', error => reject(error));
    child.on('close', code => {
      if (pending && onLine) onLine(pending);
      if (code === 0) {
        resolve(Buffer.concat(stdout).toString('utf8'));
      } else {
        const message = stderr.trim().split('\n').slice(-5).join('\n');
        reject(
          new Error(
            `git ${args[0]} failed (exit ${code}): ${message || 'no output'}`,
          ),
        );
      }
    });
  });
}

const SHA = /^[0-9a-f]{7,64}$/i;

/**
 * Validates a branch, tag or commit sha before it reaches git: no leading
 * `-` (it would be read as an option), nothing git's check-ref-format
 * refuses. Returns the ref unchanged.
 *
 * @public
 */
export function validateGitRef(ref: string, what = 'ref'): string {
  const problem = (() => {
    if (!ref) return 'it is empty';
    if (ref.length > 255) return 'it is longer than 255 characters';
    if (ref.startsWith('-')) return 'it starts with "-"';
    if (SHA.test(ref)) return undefined;
    // eslint-disable-next-line no-control-regex
    if (/[\x00-\x20\x7f~^:?*[\\]/.test(ref))
      return 'it contains a space, control character or one of ~ ^ : ? * [ \\';
    if (ref.includes('..') || ref.includes('@{') || ref.includes('//'))
      return 'it contains "..", "@{" or "//"';
    if (ref.startsWith('/') || ref.endsWith('/') || ref.endsWith('.'))
      return 'it starts or ends with "/" or ends with "."';
    if (ref.endsWith('.lock') || ref.split('/').some(p => p.startsWith('.')))
      return 'a component starts with "." or ends with ".lock"';
    return undefined;
  })();
  if (problem) {
    throw new InputError(
      `Invalid git ${what} "${ref.slice(
        0,
        80,
      )}": ${problem}. Use a branch, tag or commit sha.`,
    );
  }
  return ref;
}
