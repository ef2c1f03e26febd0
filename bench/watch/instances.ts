/* Starting, measuring and stopping backend instances of the watch benchmark. */
import { fork, ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A port free on 127.0.0.1 right now (the whole backend needs one up front). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = http.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Forks `script` as a server instance (BENCH_ROLE=server). */
export async function startInstance(
  script: string,
  db: string,
  url: string,
  stack: 'router' | 'backend' = 'router',
): Promise<{ child: ChildProcess; port: number }> {
  const port = stack === 'backend' ? await freePort() : 0;
  return new Promise((resolve, reject) => {
    const child = fork(script, [], {
      env: {
        ...process.env,
        BENCH_ROLE: 'server',
        BENCH_STACK: stack,
        BENCH_PORT: String(port),
        BENCH_DB: db,
        BENCH_DB_URL: url,
      },
      execArgv: process.execArgv,
      // The whole backend logs every request (as in production): dropped.
      stdio: [
        'ignore',
        stack === 'backend' ? 'ignore' : 'inherit',
        'inherit',
        'ipc',
      ],
    });
    const onMessage = (m: any) => {
      if (m && typeof m.port === 'number') {
        child.off('message', onMessage);
        resolve({ child, port: m.port });
      }
    };
    child.on('message', onMessage);
    child.once('exit', code => reject(new Error(`server exited with ${code}`)));
  });
}

/** CPU time the instance spent since cpu-start, in ms. */
export function cpuSince(child: ChildProcess): Promise<number> {
  return new Promise(resolve => {
    const onMessage = (m: any) => {
      if (m && typeof m.cpuMs === 'number') {
        child.off('message', onMessage);
        resolve(m.cpuMs);
      }
    };
    child.on('message', onMessage);
    child.send('cpu-stop');
  });
}

export function stopInstance(child: ChildProcess): Promise<void> {
  return new Promise(resolve => {
    child.once('exit', () => resolve());
    child.send('stop');
  });
}
