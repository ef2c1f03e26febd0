import type {
  CicdStatus,
  Deployment,
  WorkflowRunSummary,
} from '@slipway/plugin-slipway-common';
import { EntityRefResolver } from '../oasis/EntityRefResolver';
import type { OasisEventStore } from '../oasis/OasisEventStore';
import type { WebhookSourceStore } from '../webhooks/WebhookSourceStore';

/** How many recent workflow_run events the status is built from. */
const WINDOW = 2000;

/** Finds the deployment serving an entity (supplied by the deploy engine). */
export type DeploymentLookup = (
  entityRef: string,
) => Promise<(Deployment & { url?: string }) | null>;

interface Candidate {
  summary: WorkflowRunSummary;
  order: [number, number, bigint];
  branch: string;
}

function newer(a: Candidate['order'], b: Candidate['order']): boolean {
  if (a[0] !== b[0]) return a[0] > b[0];
  if (a[1] !== b[1]) return a[1] > b[1];
  return a[2] > b[2];
}

/**
 * `GET /cicd/status`: the latest run of each workflow on each branch,
 * built from stored workflow_run events (webhook and polled alike), the
 * default branch first, then the most recently active.
 */
export class CicdStatusService {
  readonly #sources: Pick<WebhookSourceStore, 'liveness'>;
  readonly #events: Pick<
    OasisEventStore,
    'latestRepoOfEntity' | 'recentWorkflowRuns'
  >;
  readonly #entityRefs: EntityRefResolver;
  readonly #deploymentLookup?: DeploymentLookup;

  constructor(options: {
    /** The hooks seen, for the webhook's liveness. */
    sources: Pick<WebhookSourceStore, 'liveness'>;
    /** The events store, which owns `oasis_events`. */
    events: Pick<OasisEventStore, 'latestRepoOfEntity' | 'recentWorkflowRuns'>;
    entityRefs: EntityRefResolver;
    deploymentLookup?: DeploymentLookup;
  }) {
    this.#sources = options.sources;
    this.#events = options.events;
    this.#entityRefs = options.entityRefs;
    this.#deploymentLookup = options.deploymentLookup;
  }

  async status(entityRef: string): Promise<CicdStatus> {
    const ref = entityRef.toLowerCase();
    const repo =
      (await this.#entityRefs.repoForEntity(ref)) ??
      (await this.#events.latestRepoOfEntity(ref));
    const deployment = this.#deploymentLookup
      ? await this.#deploymentLookup(ref)
      : null;
    if (!repo) {
      return {
        repo: null,
        defaultBranch: null,
        branches: [],
        deployment,
        webhook: { connected: false, lastDeliveryAt: null },
      };
    }

    const events = await this.#events.recentWorkflowRuns(repo, WINDOW);
    let displayRepo = repo;
    let defaultBranch: string | null = null;
    const latest = new Map<string, Candidate>();
    for (const event of events) {
      const m = event.meta as Record<string, any>;
      displayRepo = event.repo ?? displayRepo;
      defaultBranch ??=
        typeof m.defaultBranch === 'string' ? m.defaultBranch : null;
      const branch = event.ref ?? '(no branch)';
      const workflowKey = String(m.workflowId ?? m.workflow ?? event.title);
      const key = `${branch}\u0000${workflowKey}`;
      const candidate: Candidate = {
        branch,
        order: [
          Number(m.runNumber ?? 0),
          Number(m.runAttempt ?? 1),
          BigInt(event.id),
        ],
        summary: {
          name: String(m.workflow ?? 'workflow'),
          runId: m.runId,
          runNumber: m.runNumber ?? undefined,
          status: m.githubStatus ?? githubStatusOf(event.status),
          conclusion: m.conclusion ?? null,
          headSha: m.headSha ?? undefined,
          url: event.link ?? undefined,
          startedAt: m.runStartedAt ?? undefined,
          updatedAt: m.updatedAt ?? event.createdAt,
        },
      };
      const current = latest.get(key);
      if (!current || newer(candidate.order, current.order)) {
        latest.set(key, candidate);
      }
    }

    const byBranch = new Map<string, WorkflowRunSummary[]>();
    for (const c of latest.values()) {
      byBranch.set(c.branch, [...(byBranch.get(c.branch) ?? []), c.summary]);
    }
    const lastUpdate = (runs: WorkflowRunSummary[]) =>
      Math.max(...runs.map(r => Date.parse(r.updatedAt ?? '') || 0));
    const branches = [...byBranch.entries()]
      .map(([branch, workflows]) => ({
        branch,
        workflows: workflows.sort((a, b) => a.name.localeCompare(b.name)),
      }))
      .sort((a, b) => {
        if (a.branch === defaultBranch) return -1;
        if (b.branch === defaultBranch) return 1;
        return lastUpdate(b.workflows) - lastUpdate(a.workflows);
      });

    return {
      repo: displayRepo,
      defaultBranch,
      branches,
      deployment,
      webhook: await this.#sources.liveness(repo),
    };
  }
}

function githubStatusOf(status: string): string {
  if (status === 'queued' || status === 'in_progress') {
    return status;
  }
  return 'completed';
}
