/*
 * Leak check for Jest workers: preload it (NODE_OPTIONS="--require
 * ./.ci/leak-check.cjs", with SLIPWAY_LEAK_LOG naming a file) and every
 * Jest worker that is told to end and is still alive 300 ms later writes
 * what keeps its event loop alive: timers with where they were set,
 * sockets with their addresses, servers, child processes. Jest force-exits
 * a worker 500 ms after telling it to end and prints "A worker process has
 * failed to exit gracefully"; this names the handle.
 *
 * Every entry is one JSON line with the process id and wall-clock time:
 * a worker notes "end" (told to end), "alive" (the 300 ms check, with its
 * handles) and "exit"; Jest's main process notes "kill" (a force-exit).
 * A kill of a worker whose "exit" came first means the worker had gone and
 * the main process was too busy to see it within 500 ms: a false alarm.
 * A kill with neither "exit" nor "alive" means the worker was still busy.
 * Outside Jest it does nothing.
 */
'use strict';
const fs = require('node:fs');
const util = require('node:util');

const CHILD_MESSAGE_END = 2;
const log = process.env.SLIPWAY_LEAK_LOG;

function describe(handle) {
  const type = handle?.constructor?.name ?? typeof handle;
  if (type === 'Timeout' || type === 'Immediate') {
    const fn = handle._onTimeout ?? handle._onImmediate;
    const source = fn ? String(fn).replace(/\s+/g, ' ').slice(0, 240) : '';
    return { type, ms: handle._idleTimeout, hasRef: handle.hasRef?.(), source };
  }
  if (type === 'Socket' || type === 'TLSSocket') {
    return {
      type,
      local: `${handle.localAddress ?? ''}:${handle.localPort ?? ''}`,
      remote: `${handle.remoteAddress ?? handle._host ?? ''}:${
        handle.remotePort ?? ''
      }`,
      path: handle._pipeName ?? handle.path,
      stdio:
        handle === process.stdout ||
        handle === process.stderr ||
        handle === process.stdin,
    };
  }
  if (type === 'Server') {
    const address = handle.address?.();
    return { type, address };
  }
  if (type === 'ChildProcess') {
    return { type, pid: handle.pid, args: handle.spawnargs?.slice(0, 6) };
  }
  return { type };
}

/**
 * Timers are not handles, so where each was made is recorded: the global
 * setTimeout and setInterval (which Jest's node environment hands to tests)
 * note the stack of every timer, and fired or cleared ones are pruned.
 */
function trackTimers() {
  const live = new Map();
  const where = () =>
    (new Error().stack ?? '')
      .split('\n')
      .slice(3)
      .map(line => line.trim().replace(/^at /, ''))
      .filter(
        line => !line.includes('node:internal') && !line.includes('leak-check'),
      )
      .slice(0, 6)
      .join(' < ');
  for (const name of ['setTimeout', 'setInterval']) {
    const original = globalThis[name];
    const tracked = function (...args) {
      const timer = original.apply(this, args);
      live.set(timer, where());
      if (live.size > 5000) {
        for (const t of live.keys()) if (t._destroyed) live.delete(t);
      }
      return timer;
    };
    if (original[util.promisify.custom]) {
      tracked[util.promisify.custom] = original[util.promisify.custom];
    }
    globalThis[name] = tracked;
  }
  return () =>
    [...live.entries()]
      .filter(([t]) => !t._destroyed && t.hasRef?.())
      .map(([t, stack]) => ({
        type: 'Timeout',
        ms: t._idleTimeout,
        repeat: t._repeat !== null && t._repeat !== undefined,
        stack,
      }));
}

const append = entry =>
  fs.appendFileSync(
    log,
    `${JSON.stringify({ pid: process.pid, at: Date.now(), ...entry })}\n`,
  );

/** Jest's main process: when it kills a worker. */
function watchWorkersFromParent() {
  const { ChildProcess } = require('node:child_process');
  const isWorker = child =>
    (child.spawnargs ?? []).some(a => a.includes('jest-worker'));
  const kill = ChildProcess.prototype.kill;
  ChildProcess.prototype.kill = function (signal) {
    if (isWorker(this)) append({ event: 'kill', worker: this.pid, signal });
    return kill.call(this, signal);
  };
}

if (log && typeof process.send !== 'function') {
  watchWorkersFromParent();
}

if (log && typeof process.send === 'function') {
  const liveTimers = trackTimers();
  const onMessage = message => {
    if (!Array.isArray(message) || message[0] !== CHILD_MESSAGE_END) return;
    // A 'message' listener keeps the IPC channel (and the worker) alive.
    process.off('message', onMessage);
    const endAt = Date.now();
    const note = append;
    note({ event: 'end' });
    process.once('exit', () => note({ event: 'exit', ms: Date.now() - endAt }));
    const timer = setTimeout(() => {
      const handles = process
        ._getActiveHandles()
        .map(describe)
        .filter(
          h =>
            !h.stdio &&
            !(h.type === 'Socket' && !h.remote.replace(':', '') && !h.path),
        );
      const resources = process.getActiveResourcesInfo();
      const timers = liveTimers();
      note({
        event: 'alive',
        ms: Date.now() - endAt,
        resources,
        handles,
        timers,
      });
    }, 300);
    timer.unref();
  };
  process.on('message', onMessage);
}
