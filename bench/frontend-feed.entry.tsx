/*
 * Browser side of the live-feed benchmark: mounts the real LiveFeed (the
 * component behind EntityLiveFeedContent and SlipwayConsolePage) with an
 * in-page Slipway API that serves N history events and pushes live events on
 * demand. bench/frontend-feed.mjs drives it in Chromium.
 */
import { ApiProvider, ConfigReader } from '@backstage/core-app-api';
import { configApiRef } from '@backstage/core-plugin-api';
import { UnifiedThemeProvider, themes } from '@backstage/theme';
import type { OasisEvent, SlipwayApi } from '@slipway/plugin-slipway-common';
import { Profiler } from 'react';
import { createRoot } from 'react-dom/client';
import { MemoryRouter } from 'react-router-dom';
import { slipwayApiRef } from '../plugins/slipway/src/api';
import { LiveFeed } from '../plugins/slipway/src/components/LiveFeed';

const statuses = [
  'success',
  'failure',
  'in_progress',
  'queued',
  'info',
] as const;
const kinds = ['workflow_run', 'check_run', 'pull_request', 'push'];

function event(id: number): OasisEvent {
  return {
    id: String(id),
    createdAt: new Date(Date.now() - (100000 - id) * 1000).toISOString(),
    vtid:
      id % 3 === 0
        ? `DEV-CICDL-${String(id % 10000).padStart(4, '0')}`
        : 'UNSET',
    layer: id % 3 === 0 ? 'CICDL' : 'UNSET',
    module: 'WORKFLOW',
    source: 'github.actions',
    kind: kinds[id % kinds.length],
    status: statuses[id % statuses.length],
    title: `CICDL-WORKFLOW-COMPLETED #${id}`,
    ref: 'main',
    link:
      id % 2 === 0 ? `https://github.com/acme/shop/actions/runs/${id}` : null,
    repo: 'acme/shop',
    entityRef: 'component:default/shop',
    meta: { workflowName: 'CI', runNumber: id, conclusion: 'success' },
  };
}

let push: ((e: OasisEvent) => void) | undefined;
// React's own measure of render + commit work per update (Profiler).
let reactMs = 0;
let nextId = 0;

function benchApi(historySize: number): SlipwayApi {
  const unused = () => Promise.reject(new Error('not used by the benchmark'));
  return {
    getHealth: unused,
    getCicdStatus: unused,
    getApp: unused,
    listDeployments: unused,
    getDeployment: unused,
    deploy: unused,
    rollback: unused,
    cancelDeployment: unused,
    readDeploymentLogs: unused,
    async listEvents() {
      const items: OasisEvent[] = [];
      for (let id = historySize; id >= 1; id--) items.push(event(id));
      nextId = historySize + 1;
      return { items };
    },
    streamEvents(_filter, options) {
      return new Promise<void>(() => {
        push = options.onEvent;
        options.onOpen?.();
      });
    },
  };
}

function waitForRow(id: string): Promise<void> {
  return new Promise(resolve => {
    const selector = `[data-event-id="${id}"]`;
    if (document.querySelector(selector)) {
      resolve();
      return;
    }
    const observer = new MutationObserver(() => {
      if (document.querySelector(selector)) {
        observer.disconnect();
        resolve();
      }
    });
    observer.observe(document.body, { childList: true, subtree: true });
  });
}

const nextFrame = () =>
  new Promise<void>(resolve =>
    requestAnimationFrame(() => setTimeout(resolve, 0)),
  );

declare global {
  interface Window {
    slipwayBench: {
      mount(n: number): Promise<{ renderMs: number; rowsInDom: number }>;
      append(
        times: number,
      ): Promise<{ commitMs: number[]; frameMs: number[]; reactMs: number[] }>;
    };
  }
}

window.slipwayBench = {
  async mount(n) {
    const container = document.getElementById('root')!;
    const apis = [
      [slipwayApiRef, benchApi(n)],
      [configApiRef, new ConfigReader({})],
    ] as const;
    const registry = {
      get: (ref: { id: string }) =>
        apis.find(([r]) => r.id === ref.id)?.[1] as any,
    };
    const start = performance.now();
    createRoot(container).render(
      <ApiProvider apis={registry}>
        <UnifiedThemeProvider theme={themes.light}>
          <MemoryRouter>
            <Profiler
              id="feed"
              onRender={(_id, _phase, actualDuration) => {
                reactMs += actualDuration;
              }}
            >
              <LiveFeed pageSize={n} height={640} />
            </Profiler>
          </MemoryRouter>
        </UnifiedThemeProvider>
      </ApiProvider>,
    );
    await waitForRow(String(n));
    await nextFrame();
    const renderMs = performance.now() - start;
    // Wait for the stream to open before appending.
    while (!push) await nextFrame();
    return {
      renderMs,
      rowsInDom: document.querySelectorAll('[data-testid="oasis-event"]')
        .length,
    };
  },
  async append(times) {
    const commitMs: number[] = [];
    const frameMs: number[] = [];
    const reactWork: number[] = [];
    for (let i = 0; i < times; i++) {
      const e = event(nextId++);
      reactMs = 0;
      const start = performance.now();
      push!(e);
      await waitForRow(e.id);
      commitMs.push(performance.now() - start);
      reactWork.push(reactMs);
      await nextFrame();
      frameMs.push(performance.now() - start);
    }
    return { commitMs, frameMs, reactMs: reactWork };
  },
};
