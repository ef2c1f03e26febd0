import { LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import {
  DefaultGithubCredentialsProvider,
  ScmIntegrations,
} from '@backstage/integration';
import { Octokit } from '@octokit/rest';
import { EntityRefResolver } from '../oasis/EntityRefResolver';
import { mapWorkflowRun } from '../oasis/githubMapping';
import { VtidExtractor } from '../oasis/vtid';
import type { WebhookSourceStore } from '../webhooks/WebhookSourceStore';
import { WebhookProcessor } from '../webhooks/WebhookProcessor';
import type { GithubPollStateStore } from './GithubPollStateStore';
import { pollTargets } from './pollTargets';

/** Effective `slipway.cicd.polling` settings. */
export interface PollingConfig {
  enabled: boolean;
  frequencySeconds: number;
  /** A repository is polled when its webhook has been silent this long. */
  silentAfterMinutes: number;
  /** Runs read per repository and poll (GitHub's per_page, at most 100). */
  perPage: number;
  /** The GitHub host in `integrations.github` to poll. */
  host: string;
  /** `owner/repo`s an admin allows polling besides the automatic ones. */
  repositories: string[];
}

/** Reads `slipway.cicd.polling` and `slipway.github.host`. */
export function readPollingConfig(config: Config): PollingConfig {
  const c = config.getOptionalConfig('slipway.cicd.polling');
  return {
    enabled: c?.getOptionalBoolean('enabled') ?? true,
    frequencySeconds: c?.getOptionalNumber('frequencySeconds') ?? 60,
    silentAfterMinutes: c?.getOptionalNumber('silentAfterMinutes') ?? 10,
    perPage: Math.min(100, c?.getOptionalNumber('perPage') ?? 30),
    host: config.getOptionalString('slipway.github.host') ?? 'github.com',
    repositories: c?.getOptionalStringArray('repositories') ?? [],
  };
}

/** Outcome of one polling round, per repository. */
export interface PollReport {
  polled: string[];
  notModified: string[];
  skipped: string[];
  rateLimited: string[];
  failed: string[];
  stored: number;
}

/**
 * The fallback for repositories whose webhook is silent (broken, or GitHub
 * not reaching us), among those {@link pollTargets} allows: reads their recent workflow runs from
 * the REST API and stores them as the same workflow_run events, deduplicated
 * against what the webhook delivers.
 *
 * Requests are conditional (ETag): GitHub answers 304 without counting it
 * against the rate limit, and Octokit throws a 304 as an error. On a rate
 * limit the poller waits until GitHub's reset time before asking again.
 */
export class GithubWorkflowPoller {
  readonly #sources: Pick<
    WebhookSourceStore,
    'pingedRepositories' | 'lastDeliveries'
  >;
  readonly #pollState: GithubPollStateStore;
  readonly #processor: WebhookProcessor;
  readonly #entityRefs: EntityRefResolver;
  readonly #vtid: VtidExtractor;
  readonly #config: Config;
  readonly #polling: PollingConfig;
  readonly #logger?: LoggerService;

  constructor(options: {
    /** The hooks seen: which repositories pinged, when each delivered. */
    sources: Pick<WebhookSourceStore, 'pingedRepositories' | 'lastDeliveries'>;
    pollState: GithubPollStateStore;
    processor: WebhookProcessor;
    entityRefs: EntityRefResolver;
    vtid: VtidExtractor;
    config: Config;
    logger?: LoggerService;
  }) {
    this.#sources = options.sources;
    this.#pollState = options.pollState;
    this.#processor = options.processor;
    this.#entityRefs = options.entityRefs;
    this.#vtid = options.vtid;
    this.#config = options.config;
    this.#polling = readPollingConfig(options.config);
    this.#logger = options.logger;
  }

  get settings(): PollingConfig {
    return this.#polling;
  }

  /** One round over the repositories {@link pollTargets} allows. */
  async pollOnce(now = new Date()): Promise<PollReport> {
    const report: PollReport = {
      polled: [],
      notModified: [],
      skipped: [],
      rateLimited: [],
      failed: [],
      stored: 0,
    };
    const repos = await pollTargets({
      sources: this.#sources,
      entityRefs: this.#entityRefs,
      configured: this.#polling.repositories,
    });
    if (repos.length === 0) {
      return report;
    }
    const clientFor = this.#githubClients();
    if (!clientFor) {
      return report;
    }
    const silentSince =
      now.getTime() - this.#polling.silentAfterMinutes * 60_000;
    const lastDelivery = await this.#sources.lastDeliveries(repos);
    const states = await this.#pollState.getMany(repos);

    let rateLimitedUntil: Date | undefined;
    for (const repo of repos) {
      const state = states.get(repo);
      const next = state?.nextPollAt ? state.nextPollAt.getTime() : 0;
      if ((lastDelivery.get(repo) ?? 0) > silentSince || next > now.getTime()) {
        report.skipped.push(repo);
        continue;
      }
      if (rateLimitedUntil) {
        // The limit is per token: every repository waits.
        await this.#pollState.save(repo, { nextPollAt: rateLimitedUntil });
        report.rateLimited.push(repo);
        continue;
      }
      rateLimitedUntil = await this.#pollRepository(
        repo,
        state?.etag,
        clientFor,
        now,
        report,
      );
    }
    return report;
  }

  /**
   * An Octokit per owner, made on first use; undefined (and a warning) when
   * `integrations.github` has no entry for the polled host.
   */
  #githubClients():
    | ((owner: string, name: string) => Promise<Octokit>)
    | undefined {
    const integrations = ScmIntegrations.fromConfig(this.#config);
    const integration = integrations.github.byHost(this.#polling.host);
    if (!integration) {
      this.#logger?.warn(
        `No integrations.github entry for host ${
          this.#polling.host
        }; the CI/CD polling fallback is idle`,
      );
      return undefined;
    }
    const credentials =
      DefaultGithubCredentialsProvider.fromIntegrations(integrations);
    const clients = new Map<string, Octokit>();
    return async (owner, name) => {
      let octokit = clients.get(owner);
      if (!octokit) {
        // GitHub App installations are per owner; a token is per owner too.
        const { token } = await credentials.getCredentials({
          url: `https://${this.#polling.host}/${owner}/${name}`,
        });
        octokit = new Octokit({
          baseUrl: integration.config.apiBaseUrl,
          auth: token,
          userAgent: 'backstage-slipway',
        });
        clients.set(owner, octokit);
      }
      return octokit;
    };
  }

  /**
   * Reads one repository's recent runs and stores them; returns when polling
   * may resume if GitHub answered with a rate limit.
   */
  async #pollRepository(
    repo: string,
    etag: string | null | undefined,
    clientFor: (owner: string, name: string) => Promise<Octokit>,
    now: Date,
    report: PollReport,
  ): Promise<Date | undefined> {
    const [owner, name] = repo.split('/');
    try {
      const octokit = await clientFor(owner, name);
      const response = await octokit.request(
        'GET /repos/{owner}/{repo}/actions/runs',
        {
          owner,
          repo: name,
          per_page: this.#polling.perPage,
          headers: etag ? { 'if-none-match': etag } : {},
        },
      );
      const runs = [...(response.data.workflow_runs ?? [])].reverse();
      for (const run of runs) {
        const mapped = mapWorkflowRun(
          run,
          { repository: run.repository },
          { vtid: this.#vtid },
          { polled: true },
        );
        report.stored += (await this.#processor.ingest(mapped)).length;
      }
      await this.#pollState.save(repo, {
        etag: (response.headers.etag as string | undefined) ?? null,
        lastPolledAt: now,
        nextPollAt: null,
        lastError: null,
      });
      report.polled.push(repo);
      return undefined;
    } catch (error: any) {
      return this.#recordPollError(repo, error, now, report);
    }
  }

  /**
   * Saves what a failed request means for the repository: not modified (304),
   * rate limited (returns when polling resumes) or failed (backs off).
   */
  async #recordPollError(
    repo: string,
    error: any,
    now: Date,
    report: PollReport,
  ): Promise<Date | undefined> {
    const status: number | undefined = error?.status;
    const headers: Record<string, string | undefined> =
      error?.response?.headers ?? {};
    if (status === 304) {
      await this.#pollState.save(repo, {
        lastPolledAt: now,
        nextPollAt: null,
        lastError: null,
      });
      report.notModified.push(repo);
      return undefined;
    }
    if (
      status === 429 ||
      (status === 403 &&
        (headers['x-ratelimit-remaining'] === '0' || headers['retry-after']))
    ) {
      const rateLimitedUntil = rateLimitReset(headers, now);
      this.#logger?.warn(
        `GitHub rate limit reached while polling ${repo}; polling resumes at ${rateLimitedUntil.toISOString()}`,
      );
      await this.#pollState.save(repo, {
        nextPollAt: rateLimitedUntil,
        lastError: `rate limited (HTTP ${status})`,
      });
      report.rateLimited.push(repo);
      return rateLimitedUntil;
    }
    this.#logger?.warn(`Polling workflow runs of ${repo} failed: ${error}`);
    await this.#pollState.save(repo, {
      lastPolledAt: now,
      // Back off a failing repository for a few rounds.
      nextPollAt: new Date(
        now.getTime() + 5 * this.#polling.frequencySeconds * 1000,
      ),
      lastError: String(error?.message ?? error).slice(0, 1000),
    });
    report.failed.push(repo);
    return undefined;
  }
}

function rateLimitReset(
  headers: Record<string, string | undefined>,
  now: Date,
): Date {
  const retryAfter = Number(headers['retry-after']);
  if (Number.isFinite(retryAfter) && retryAfter > 0) {
    return new Date(now.getTime() + retryAfter * 1000);
  }
  const reset = Number(headers['x-ratelimit-reset']);
  if (Number.isFinite(reset) && reset * 1000 > now.getTime()) {
    return new Date(reset * 1000);
  }
  return new Date(now.getTime() + 60_000);
}
