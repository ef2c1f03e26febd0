/**
 * One Docker API call with a time bound: the call gets an abort signal that
 * fires after `seconds` (or when `outer` aborts), and a call that ignores it
 * is abandoned at the same moment. A timeout fails with a message naming the
 * call and `slipway.deploy.timeouts.dockerApiSeconds`.
 */
export async function timedDockerCall<T>(
  what: string,
  seconds: number,
  call: (abortSignal: AbortSignal) => Promise<T>,
  outer?: AbortSignal,
): Promise<T> {
  const timeout = new AbortController();
  const abortSignal = outer
    ? AbortSignal.any([outer, timeout.signal])
    : timeout.signal;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new Error(
        `the Docker engine did not answer ${what} within ${seconds} s (slipway.deploy.timeouts.dockerApiSeconds)`,
      );
      reject(error);
      timeout.abort(error);
    }, seconds * 1000);
  });
  try {
    return await Promise.race([call(abortSignal), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** A Docker client error's HTTP status, if any. */
export function statusOf(error: unknown): number {
  return (error as { statusCode?: number })?.statusCode ?? 0;
}
