import type Docker from 'dockerode';
import fs from 'node:fs/promises';
import path from 'node:path';
import tar from 'tar-fs';
import { inspectImageToRun } from '../launch';
import type { PipelineRun } from '../PipelineRun';

/** Options of {@link buildImage}. */
export interface BuildImageOptions {
  docker: Docker;
  /** The checkout. */
  sourceDir: string;
  /** Build context, relative to the checkout. */
  contextPath: string;
  /** Dockerfile, relative to the checkout. */
  dockerfilePath: string;
  tag: string;
  limits: { memoryMb: number; cpus: number; timeoutSeconds: number };
  log: (line: string) => void;
  signal: AbortSignal;
}

async function assertInside(root: string, relative: string, what: string) {
  const resolved = path.resolve(root, relative);
  const real = await fs.realpath(resolved).catch(() => undefined);
  const realRoot = await fs.realpath(root);
  if (!real || !(real === realRoot || real.startsWith(realRoot + path.sep))) {
    throw new Error(
      `${what} "${relative}" does not exist in the repository (or leaves it through a symlink); check contextPath and dockerfilePath.`,
    );
  }
  return real;
}

/**
 * Step 2 — build: streams the context as a tar to the engine and stores its
 * output line by line. Memory, CPU and time limits keep one build from
 * starving the host.
 */
export async function buildImage(options: BuildImageOptions): Promise<void> {
  const { docker, log, signal } = options;
  const context = await assertInside(
    options.sourceDir,
    options.contextPath,
    'The build context',
  );
  const dockerfile = await assertInside(
    options.sourceDir,
    options.dockerfilePath,
    'The Dockerfile',
  );
  // The engine reads the Dockerfile from inside the context tar.
  const dockerfileInContext = path.relative(context, dockerfile);
  if (dockerfileInContext.startsWith('..')) {
    throw new Error(
      `The Dockerfile "${options.dockerfilePath}" is outside the build context "${options.contextPath}"; move it into the context or widen contextPath.`,
    );
  }

  const timeout = AbortSignal.timeout(options.limits.timeoutSeconds * 1000);
  const combined = AbortSignal.any([signal, timeout]);
  const pack = tar.pack(context, {
    // The checkout's own metadata never belongs in an image.
    ignore: name => path.relative(context, name).split(path.sep)[0] === '.git',
  });

  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.buildImage(
      pack as unknown as NodeJS.ReadableStream,
      {
        t: options.tag,
        dockerfile: dockerfileInContext.split(path.sep).join('/'),
        forcerm: true,
        memory: options.limits.memoryMb * 1024 * 1024,
        memswap: options.limits.memoryMb * 1024 * 1024,
        cpuperiod: 100000,
        cpuquota: Math.round(options.limits.cpus * 100000),
        abortSignal: combined,
      } as Docker.ImageBuildOptions,
    );
  } catch (error) {
    if (timeout.aborted) throw buildTimeout(options.limits.timeoutSeconds);
    throw error;
  }

  await new Promise<void>((resolve, reject) => {
    let failure: string | undefined;
    docker.modem.followProgress(
      stream,
      (error: Error | null) => {
        if (timeout.aborted)
          reject(buildTimeout(options.limits.timeoutSeconds));
        else if (error) reject(error);
        else if (failure) reject(new Error(failure));
        else resolve();
      },
      (event: { stream?: string; error?: string; status?: string }) => {
        if (event.error) {
          failure = event.error.trim();
          log(failure);
        }
        const text = event.stream ?? event.status;
        if (text) {
          text
            .split(/\r?\n/)
            .filter(line => line.trim() !== '')
            .forEach(log);
        }
      },
    );
    combined.addEventListener(
      'abort',
      () => {
        (stream as unknown as { destroy?: () => void }).destroy?.();
        reject(
          timeout.aborted
            ? buildTimeout(options.limits.timeoutSeconds)
            : new Error('The build was aborted'),
        );
      },
      { once: true },
    );
  });
}

function buildTimeout(seconds: number) {
  return new Error(
    `the build took longer than ${seconds} s (slipway.deploy.timeouts.buildSeconds)`,
  );
}

/**
 * The build step of the pipeline: the image of the checkout, tagged for
 * this deployment. Its removal is registered before the build starts, so a
 * failed or cancelled build leaves no half-tagged image behind.
 */
export async function buildStep(
  run: PipelineRun,
  source: { dir: string; commitSha: string },
): Promise<string> {
  const { docker, deployConfig } = run.deps;
  const { config } = run.claimed;
  const imageTag = run.names.imageTag(run.claimed.app, run.id);
  await run.advance('building', 'build', {
    commitSha: source.commitSha,
    imageTag,
  });
  run.cleanup.defer(`remove image ${imageTag}`, () =>
    docker.getImage(imageTag).remove({ force: true }),
  );
  await buildImage({
    docker,
    sourceDir: source.dir,
    contextPath: config.contextPath,
    dockerfilePath: config.dockerfilePath,
    tag: imageTag,
    limits: deployConfig.build,
    log: run.log,
    signal: run.signal,
  });
  return imageTag;
}

/**
 * A rollback's stand-in for source and build: the earlier deployment's
 * image, which must still exist. Nothing is created, so nothing is
 * registered for cleanup (the image belongs to the earlier deployment).
 */
export async function reuseImageStep(run: PipelineRun): Promise<string> {
  const imageTag = run.claimed.imageTag!;
  run.stepName = 'source';
  run.log(
    `Rollback of deployment ${run.claimed.rollbackOf}: reusing image ${imageTag}, no rebuild`,
  );
  await inspectImageToRun(run.deps, imageTag, true, run.signal);
  await run.advance('building', 'build', { imageTag });
  run.log('Skipped: the image already exists');
  return imageTag;
}
