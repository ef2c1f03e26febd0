import { spawn } from 'node:child_process';
import { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Serves one smart-HTTP git request through `git http-backend` (CGI), as
 * GitHub's git endpoints would: `info/refs`, `git-upload-pack`,
 * `git-receive-pack`. `remoteUser` enables pushes (http-backend allows
 * receive-pack only for an authenticated user).
 */
export function serveGit(options: {
  req: IncomingMessage;
  res: ServerResponse;
  projectRoot: string;
  /** `/<owner>/<repo>.git/<rest>` relative to projectRoot. */
  pathInfo: string;
  query: string;
  remoteUser?: string;
  /** Called when git is done, with the response body bytes sent. */
  onFinished?: (exitCode: number | null, bytesSent: number) => void;
}): void {
  const { req, res, projectRoot, pathInfo, query, remoteUser, onFinished } =
    options;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GIT_PROJECT_ROOT: projectRoot,
    GIT_HTTP_EXPORT_ALL: '1',
    PATH_INFO: pathInfo,
    REQUEST_METHOD: req.method ?? 'GET',
    QUERY_STRING: query,
    CONTENT_TYPE: req.headers['content-type'] ?? '',
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
    GIT_CONFIG_NOSYSTEM: '1',
  };
  if (req.headers['content-encoding']) {
    env.HTTP_CONTENT_ENCODING = String(req.headers['content-encoding']);
  }
  if (req.headers['git-protocol']) {
    env.GIT_PROTOCOL = String(req.headers['git-protocol']);
  }
  if (remoteUser) {
    env.REMOTE_USER = remoteUser;
  }
  const child = spawn('git', ['http-backend'], { env });
  req.pipe(child.stdin);
  child.stdin.on('error', () => {});

  let headerBuffer: Buffer = Buffer.alloc(0);
  let headersDone = false;
  let bytesSent = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersDone) {
      bytesSent += chunk.length;
      res.write(chunk);
      return;
    }
    headerBuffer = Buffer.concat([headerBuffer, chunk]);
    const end = headerBuffer.indexOf('\r\n\r\n');
    if (end === -1) {
      return;
    }
    headersDone = true;
    let status = 200;
    for (const line of headerBuffer.subarray(0, end).toString().split('\r\n')) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === 'status') {
        status = parseInt(value, 10);
      } else if (name) {
        res.setHeader(name, value);
      }
    }
    res.statusCode = status;
    const rest = headerBuffer.subarray(end + 4);
    bytesSent += rest.length;
    res.write(rest);
  });
  let stderr = '';
  child.stderr.on('data', chunk => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  child.on('close', code => {
    if (!headersDone) {
      res.statusCode = 500;
      res.end(`git http-backend failed: ${stderr}`);
    } else {
      res.end();
    }
    onFinished?.(code, bytesSent);
  });
}
