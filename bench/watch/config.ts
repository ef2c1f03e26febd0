/** Settings of the watch benchmark, from the environment. */
export const SECRET = 'bench-secret';
export const DELIVERIES = Number(process.env.BENCH_DELIVERIES ?? 3000);
export const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
export const RATE = Number(process.env.BENCH_RATE ?? 200);
export const RATE_SECONDS = Number(process.env.BENCH_RATE_SECONDS ?? 10);
export const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1000);
export const STREAM_EVENTS = Number(process.env.BENCH_STREAM_EVENTS ?? 100);
/** Which targets run: memory, backend, file, pg (default all). */
export const ONLY = (
  process.env.BENCH_TARGETS ?? 'memory,backend,file,pg'
).split(',');
export const PG_URL =
  process.env.BENCH_PG_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432';
