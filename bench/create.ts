/*
 * yarn bench:create — what slipway:template:extract saves.
 *
 * Generates a template repository with 50 service templates in
 * subdirectories and more than 200 MB of history (every commit replaces a
 * 1 MiB incompressible asset of one template), serves it over local HTTP
 * (git http-backend behind the GitHub test server), then measures, in the
 * same run, the time and the bytes sent by the server for
 *   - slipway:template:extract of one subdirectory, and
 *   - a full `git clone` of the same repository.
 * Each is run RUNS times; medians are reported. Target: extract at least 5×
 * less time and data.
 *
 * Options (environment): BENCH_COMMITS (default 220), BENCH_BLOB_MIB (1),
 * BENCH_RUNS (3). The generated repository is cached in the OS temp
 * directory between runs.
 */
import { ConfigReader } from '@backstage/config';
import { GithubTestServer } from '@slipway/github-test-server';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTemplateExtractAction } from '../plugins/scaffolder-backend-module-slipway/src/actions/templateExtract';

const TEMPLATES = 50;
const COMMITS = Number(process.env.BENCH_COMMITS ?? 220);
const BLOB_MIB = Number(process.env.BENCH_BLOB_MIB ?? 1);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const TARGET = 'template-17';

const cacheDir = path.join(os.tmpdir(), `slipway-bench-${COMMITS}x${BLOB_MIB}`);
const sourceRepo = path.join(cacheDir, 'templates.git');

const name = (i: number) => `template-${String(i).padStart(2, '0')}`;

/** Streams a history into `git fast-import`: fast, and no work tree. */
async function generate(): Promise<void> {
  if (fs.existsSync(path.join(cacheDir, 'done'))) {
    return;
  }
  fs.rmSync(cacheDir, { recursive: true, force: true });
  fs.mkdirSync(cacheDir, { recursive: true });
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', sourceRepo]);
  const child = spawn('git', ['fast-import', '--quiet'], {
    cwd: sourceRepo,
    stdio: ['pipe', 'inherit', 'inherit'],
  });
  const write = (data: string | Buffer) =>
    new Promise<void>(resolve => {
      if (child.stdin.write(data)) resolve();
      else child.stdin.once('drain', () => resolve());
    });
  const file = async (filePath: string, content: Buffer | string) => {
    const buffer = Buffer.isBuffer(content) ? content : Buffer.from(content);
    await write(`M 100644 inline ${filePath}\ndata ${buffer.length}\n`);
    await write(buffer);
    await write('\n');
  };
  const start = Date.now();
  for (let c = 0; c < COMMITS; c++) {
    const message = `commit ${c}`;
    await write(
      `commit refs/heads/main\ncommitter Bench <bench@example.com> ${
        1700000000 + c
      } +0000\ndata ${message.length}\n${message}\n`,
    );
    if (c === 0) {
      for (let t = 0; t < TEMPLATES; t++) {
        const dir = name(t);
        await file(
          `${dir}/README.md`,
          `# \${{ values.name }}\n\nTemplate ${dir}.\n`,
        );
        await file(
          `${dir}/Dockerfile`,
          'FROM scratch\nCOPY www /www\nCMD ["/bin/busybox", "httpd", "-f", "-p", "${{ values.port }}"]\n',
        );
        await file(`${dir}/www/index.html`, `<h1>\${{ values.name }}</h1>\n`);
        await file(
          `${dir}/assets/blob.bin`,
          randomBytes(BLOB_MIB * 1024 * 1024),
        );
      }
    } else {
      await file(
        `${name(c % TEMPLATES)}/assets/blob.bin`,
        randomBytes(BLOB_MIB * 1024 * 1024),
      );
    }
    await write('\n');
  }
  child.stdin.end();
  await new Promise<void>((resolve, reject) =>
    child.on('close', code =>
      code === 0 ? resolve() : reject(new Error(`fast-import exited ${code}`)),
    ),
  );
  // No gc: fast-import already wrote one pack, and random assets do not
  // delta-compress (an aggressive gc of 200 MB takes many minutes here).
  fs.writeFileSync(path.join(cacheDir, 'done'), `${Date.now() - start} ms\n`);
}

function dirSize(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += dirSize(full);
    else if (entry.isFile()) total += fs.statSync(full).size;
  }
  return total;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;

const logger: any = {
  info: () => {},
  debug: () => {},
  warn: (m: string) => console.warn(m),
  error: (m: string) => console.error(m),
  child: () => logger,
};

async function main() {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-bench-run-'));
  const github = await GithubTestServer.start();
  try {
    console.log(
      `Generating ${TEMPLATES} templates, ${COMMITS} commits × ${BLOB_MIB} MiB (cached in ${cacheDir})…`,
    );
    await generate();
    const historyBytes = dirSize(path.join(sourceRepo, 'objects'));
    console.log(`Repository objects on disk: ${mib(historyBytes)}`);

    github.addOrg('bench');
    github.createRepo('bench', 'templates');
    execFileSync('git', [
      '-C',
      sourceRepo,
      'push',
      '-q',
      '--mirror',
      github.repoPath('bench', 'templates'),
    ]);
    const url = `${github.baseUrl}/bench/templates.git`;

    const action = createTemplateExtractAction({
      config: new ConfigReader({
        slipway: { allowedRepositories: [`${github.baseUrl}/`] },
      }),
    });
    const bytesOf = (from: number) =>
      github.requests.slice(from).reduce((sum, r) => sum + (r.bytes ?? 0), 0);

    const extract = { ms: [] as number[], bytes: [] as number[], files: 0 };
    const clone = { ms: [] as number[], bytes: [] as number[] };
    for (let run = 0; run < RUNS; run++) {
      // Extract: the action as the scaffolder runs it.
      const workspace = fs.mkdtempSync(path.join(scratch, 'ws-'));
      const outputs: Record<string, unknown> = {};
      let from = github.requests.length;
      let t0 = performance.now();
      await action.handler({
        input: {
          repoUrl: url,
          path: TARGET,
          values: { name: 'bench', port: 8080 },
        },
        workspacePath: workspace,
        logger,
        output: (k: string, v: unknown) => {
          outputs[k] = v;
        },
        createTemporaryDirectory: async () =>
          fs.mkdtempSync(path.join(scratch, 'tmp-')),
        checkpoint: async ({ fn }: { fn: () => Promise<any> }) => fn(),
        getInitiatorCredentials: async () => ({} as any),
        task: { id: 'bench' },
      } as any);
      extract.ms.push(performance.now() - t0);
      extract.bytes.push(bytesOf(from));
      extract.files = Number(outputs.fileCount);

      // Full clone of the same repository over the same server.
      from = github.requests.length;
      t0 = performance.now();
      // Asynchronous: the server runs in this process.
      await promisify(execFile)(
        'git',
        ['clone', '-q', url, path.join(scratch, `clone-${run}`)],
        {
          env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
          maxBuffer: 64 * 1024 * 1024,
        },
      );
      clone.ms.push(performance.now() - t0);
      clone.bytes.push(bytesOf(from));
    }

    const result = {
      date: new Date().toISOString(),
      machine: `${os.cpus().length} cores, ${Math.round(
        os.totalmem() / 1024 ** 3,
      )} GiB, ${os.platform()} ${os.release()}`,
      repository: {
        templates: TEMPLATES,
        commits: COMMITS,
        blobMiB: BLOB_MIB,
        objectsBytes: historyBytes,
      },
      runs: RUNS,
      extract: {
        medianMs: Math.round(median(extract.ms)),
        medianBytes: median(extract.bytes),
        files: extract.files,
      },
      fullClone: {
        medianMs: Math.round(median(clone.ms)),
        medianBytes: median(clone.bytes),
      },
    };
    const timeRatio = result.fullClone.medianMs / result.extract.medianMs;
    const dataRatio = result.fullClone.medianBytes / result.extract.medianBytes;
    console.log('');
    console.log(`| (median of ${RUNS}) | time | bytes sent by the server |`);
    console.log('|---|---|---|');
    console.log(
      `| slipway:template:extract (${TARGET}, ${extract.files} files) | ${
        result.extract.medianMs
      } ms | ${mib(result.extract.medianBytes)} |`,
    );
    console.log(
      `| full git clone | ${result.fullClone.medianMs} ms | ${mib(
        result.fullClone.medianBytes,
      )} |`,
    );
    console.log(
      `| ratio | ${timeRatio.toFixed(1)}× less time | ${dataRatio.toFixed(
        0,
      )}× less data |`,
    );
    console.log('');
    console.log(JSON.stringify({ ...result, timeRatio, dataRatio }));
    if (timeRatio < 5 || dataRatio < 5) {
      console.error(
        'Target missed: extract should take at least 5× less time and data than a full clone.',
      );
      process.exitCode = 1;
    }
  } finally {
    await github.close();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
