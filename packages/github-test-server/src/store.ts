import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  GithubAccount,
  GithubTestDelivery,
  GithubTestHook,
  GithubTestRepo,
  GithubTestRequest,
  GithubTestToken,
} from './types';

/** What a test may set on a repository it creates directly. */
export type NewRepoFields = Partial<
  Pick<GithubTestRepo, 'description' | 'private' | 'defaultBranch' | 'topics'>
>;

/**
 * Everything the server knows, in memory, and the bare git repositories
 * behind its repositories. Logins and repository names are looked up case
 * insensitively, as on GitHub.
 */
export class GithubStore {
  readonly accounts = new Map<string, GithubAccount>();
  readonly tokens = new Map<string, GithubTestToken>();
  readonly repos = new Map<string, GithubTestRepo>();
  readonly hooks: GithubTestHook[] = [];
  readonly deliveries: GithubTestDelivery[] = [];
  readonly requests: GithubTestRequest[] = [];
  // One sequence for accounts, repositories and hooks, so that no two
  // objects share an id (node ids are derived from them).
  private nextId = 1000;

  constructor(readonly reposDir: string) {}

  newId(): number {
    return this.nextId++;
  }

  addAccount(
    login: string,
    type: GithubAccount['type'],
    members: string[],
    owners: string[] = [],
  ): GithubAccount {
    const account: GithubAccount = {
      login,
      id: this.newId(),
      type,
      members,
      owners,
    };
    this.accounts.set(login.toLowerCase(), account);
    return account;
  }

  account(login: string): GithubAccount | undefined {
    return this.accounts.get(login.toLowerCase());
  }

  repo(owner: string, name: string): GithubTestRepo | undefined {
    return this.repos.get(`${owner}/${name}`.toLowerCase());
  }

  repoPath(owner: string, name: string): string {
    return path.join(
      this.reposDir,
      owner.toLowerCase(),
      `${name.toLowerCase()}.git`,
    );
  }

  hooksOf(target: string): GithubTestHook[] {
    return this.hooks.filter(
      hook => hook.target.toLowerCase() === target.toLowerCase(),
    );
  }

  createRepo(
    owner: string,
    name: string,
    fields: NewRepoFields = {},
  ): GithubTestRepo {
    const now = new Date().toISOString();
    const repo: GithubTestRepo = {
      id: this.newId(),
      owner: this.account(owner)!.login,
      name,
      description: fields.description ?? null,
      private: fields.private ?? false,
      visibility: fields.private ? 'private' : 'public',
      defaultBranch: fields.defaultBranch ?? 'main',
      topics: fields.topics ?? [],
      createdAt: now,
      updatedAt: now,
      pushedAt: null,
      size: 0,
      hasIssues: true,
      homepage: null,
    };
    this.repos.set(`${owner}/${name}`.toLowerCase(), repo);
    const dir = this.repoPath(owner, name);
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    execFileSync('git', [
      'init',
      '-q',
      '--bare',
      '-b',
      repo.defaultBranch,
      dir,
    ]);
    // GitHub serves partial clones and fetches by commit, and accepts
    // pushes over HTTP; http-backend does none of these by default.
    for (const [key, value] of [
      ['uploadpack.allowFilter', 'true'],
      ['uploadpack.allowAnySHA1InWant', 'true'],
      ['http.receivepack', 'true'],
    ]) {
      execFileSync('git', ['-C', dir, 'config', key, value]);
    }
    return repo;
  }

  /** The branches of a repository's git repository (none while empty). */
  branches(repo: GithubTestRepo): string[] {
    return execFileSync(
      'git',
      [
        '--git-dir',
        this.repoPath(repo.owner, repo.name),
        'for-each-ref',
        '--format=%(refname:short)',
        'refs/heads/',
      ],
      { encoding: 'utf8' },
    )
      .split('\n')
      .filter(Boolean);
  }

  /** Points the git repository's HEAD (what clones check out) at a branch. */
  setHead(repo: GithubTestRepo, branch: string): void {
    execFileSync('git', [
      '--git-dir',
      this.repoPath(repo.owner, repo.name),
      'symbolic-ref',
      'HEAD',
      `refs/heads/${branch}`,
    ]);
  }

  /**
   * What GitHub updates after a push: `pushed_at`, `size`, and — for the
   * first push into an empty repository, whose default branch does not
   * exist yet — the default branch, which becomes the branch pushed.
   */
  afterPush(repo: GithubTestRepo): void {
    repo.pushedAt = new Date().toISOString();
    const counts = execFileSync(
      'git',
      [
        '--git-dir',
        this.repoPath(repo.owner, repo.name),
        'count-objects',
        '-v',
      ],
      { encoding: 'utf8' },
    );
    const kib = (key: string) =>
      Number(counts.match(new RegExp(`^${key}: (\\d+)$`, 'm'))?.[1] ?? 0);
    repo.size = kib('size') + kib('size-pack');
    const branches = this.branches(repo);
    if (branches.length > 0 && !branches.includes(repo.defaultBranch)) {
      repo.defaultBranch = branches[0];
      this.setHead(repo, branches[0]);
    }
  }
}
