export interface Config {
  /** Configuration of the Slipway suite. */
  slipway?: {
    /**
     * URL prefixes that templates may be extracted from and apps deployed
     * from. Defaults to the hosts configured in `integrations`. `file://`
     * URLs are accepted only when a listed prefix allows them (tests, demos).
     */
    allowedRepositories?: string[];

    /**
     * Settings of the example permission policy (packages/backend
     * permissionPolicy.ts); your own policy may read them too.
     */
    permission?: {
      /**
       * Groups whose members may do everything in Slipway, and the only ones
       * the example policy lets read raw webhook deliveries
       * (slipway.delivery.read), reprocess them and register organization
       * webhooks. Default: [group:default/admins].
       */
      adminGroups?: string[];
    };

    /** Encryption at rest of apps' secret env. */
    secrets?: {
      /**
       * AES-256-GCM keys: `key` is base64 of 32 random bytes
       * (`openssl rand -base64 32`), `id` is stored with every value it
       * encrypts. The first key encrypts, every listed key decrypts: to
       * rotate, put a new key first and keep the old one after it; values of
       * older keys are re-encrypted with the first at startup, after which
       * the old key may go. Without keys, an app may have secret env only
       * when the database is in memory (a key is generated per process);
       * otherwise secret env is refused with an error naming this setting.
       * @visibility secret
       */
      encryptionKeys?: Array<{
        /** Letters, digits, `_`, `.` or `-`, at most 64. */
        id: string;
        /**
         * Base64 of 32 bytes.
         * @visibility secret
         */
        key: string;
      }>;
    };

    /** GitHub webhook receiver. */
    github?: {
      /**
       * Secrets that verify `X-Hub-Signature-256`; any one of them verifies,
       * so a secret can be rotated. With none, the webhook answers 503.
       * @visibility secret
       */
      webhookSecrets?: string[];
      /**
       * Bytes of webhook bodies not yet verified (their HMAC is checked only
       * once the whole body is read) that all requests together may hold in
       * memory. A delivery that would go beyond it is answered 503 with
       * Retry-After before its body is read, and nothing is stored; GitHub
       * shows it as failed and it can be redelivered. Default 67108864 (64 MB).
       */
      maxUnverifiedBytesInFlight?: number;
      /**
       * Seconds within which a webhook request's whole body must arrive once
       * its headers did; a slower one (a client trickling bytes to hold its
       * share of maxUnverifiedBytesInFlight) is answered 408, its connection
       * closed and nothing stored. GitHub sends a delivery at once and waits
       * 10 s for the answer. Default 20.
       */
      unverifiedBodyTimeoutSeconds?: number;
      /**
       * Host of the `integrations.github` entry the CI/CD polling fallback
       * uses (API base URL and token come from there). Default github.com.
       */
      host?: string;
    };

    /** VTID extraction for OASIS events. */
    vtid?: {
      /**
       * Regular expression; its first match in the PR title, the branch,
       * then the commit messages is the event's VTID. A named group `layer`
       * gives the layer, else the middle of a three-part id.
       * Default `\b[A-Z]{2,10}-[A-Z]{2,10}-\d{4}\b`.
       */
      pattern?: string;
    };

    /**
     * Auto-deploy of apps with `autoDeploy`. It acts only on triggers that
     * signed GitHub deliveries (or Slipway's own poller) recorded with their
     * events, never on events published through `POST /events`.
     */
    autoDeploy?: {
      /**
       * Whether this instance acts on auto-deploy triggers. With false it
       * still records them (with each delivery) and another instance, or this
       * one once it is true again, acts on them. Default true.
       */
      enabled?: boolean;
      /**
       * Safety poll for triggers recorded by other instances or left pending
       * by one that stopped, in ms. Deliveries this instance stores wake it at
       * once. Default 5000.
       */
      pollIntervalMs?: number;
    };

    /** The OASIS events table and its stream. */
    events?: {
      /** Events and deliveries older than this are deleted hourly. Default 90. */
      retentionDays?: number;
      /** How long catalog lookups of entityRef are cached, at most 60. Default 60. */
      entityCacheSeconds?: number;
      /** `GET /events/stream`. */
      stream?: {
        /**
         * How often each instance reads the table for events stored by other
         * instances. On PostgreSQL their commits wake the reader at once
         * (LISTEN/NOTIFY); the poll is the safety net. Default 250.
         */
        pollIntervalMs?: number;
        /** Comment heartbeat interval. Default 15. */
        heartbeatSeconds?: number;
        /** Live events held per slow subscriber before it replays from the table instead. Default 500. */
        maxBufferedEvents?: number;
        /** Longest wait for an id whose transaction may still commit (PostgreSQL). Default 30. */
        maxGapWaitSeconds?: number;
        /**
         * Streams one user (or service) may hold open at once on one
         * backend instance; one more is refused with 429. Default 10.
         */
        maxConnectionsPerUser?: number;
        /**
         * Events one connection replays after its Last-Event-ID (or
         * `since`). When more are waiting it sends a `replay-limit` event
         * `{ message, lastEventId }` and ends; the client resumes from that
         * id (a new request, checked again) or loads the rest with
         * `GET /events`. Default 1000.
         */
        maxReplayEvents?: number;
        /**
         * A stream ends after this long and the client resumes with
         * Last-Event-ID, a new request whose credentials are checked again
         * (an expired or revoked token reads no further). Default 60.
         */
        maxConnectionMinutes?: number;
      };
    };

    /** Who may read what: Slipway's reads follow the catalog. */
    access?: {
      /**
       * How long the answer "may this user read this entity" (the catalog
       * asked with the user's credentials) is reused, at most 300. A revoked
       * user stops seeing the entity's events, apps, deployments and logs,
       * open streams included, within this time. Default 30.
       */
      cacheTtlSeconds?: number;
      /** Answers kept in all (users × entities); the oldest go first. Default 10000. */
      cacheMaxEntries?: number;
    };

    /** CI/CD status. */
    cicd?: {
      /** Polls GitHub's workflow runs of repositories whose webhook is silent. */
      polling?: {
        /** Default true (idle without an integrations.github entry for the host). */
        enabled?: boolean;
        /** Default 60. */
        frequencySeconds?: number;
        /** A repository is polled after its webhook has been silent this long. Default 10. */
        silentAfterMinutes?: number;
        /** Runs read per repository and round, at most 100. Default 30. */
        perPage?: number;
        /**
         * `owner/repo`s to poll besides the automatic ones: a repository
         * whose own webhook pinged Slipway and one a Slipway app deploys
         * from. A repository an entity merely annotates is never polled
         * (the integration token may read repositories the entity's author
         * cannot). An organization hook's repositories are listed here.
         */
        repositories?: string[];
      };
    };

    /** Docker deploy engine. */
    deploy?: {
      /** How to reach the Docker engine. Default: DOCKER_HOST, else /var/run/docker.sock. */
      docker?: {
        /** Unix socket of the engine. */
        socketPath?: string;
        /** TCP host of the engine (instead of socketPath). */
        host?: string;
        /** TCP port of the engine, default 2375. */
        port?: number;
        /** http or https, default http. */
        protocol?: 'http' | 'https';
      };
      /** Domain for Traefik Host() rules: `<app>.<baseDomain>`. Default `localhost`. */
      baseDomain?: string;
      /** Host address container ports are published on. Default 127.0.0.1. */
      publishHost?: string;
      /** Directory for clones and build contexts. Default: the OS temp dir. */
      workDir?: string;
      /** Builds run at the same time across the engine. Default 2. */
      maxConcurrentBuilds?: number;
      /**
       * Images of the newest deployments that served, kept per app for
       * rollback (images still in use are always kept). Default 5.
       */
      keepImages?: number;
      /** Seconds the old container keeps serving after a switch. Default 2. */
      drainSeconds?: number;
      /** Seconds a stopped container gets between SIGTERM and SIGKILL. Default 10. */
      stopTimeoutSeconds?: number;
      /** Safety poll for deployments queued by another instance, in ms. Default 5000. */
      pollIntervalMs?: number;
      /** A deployment whose instance sent no heartbeat for this long is failed and cleaned up, in ms. Default 30000. */
      staleAfterMs?: number;
      /** Interval of the Docker HEALTHCHECK given to containers (Traefik routes by it), in ms. Default 1000. */
      dockerHealthIntervalMs?: number;
      /** Limits of `docker build`, so one build cannot take the host down. */
      build?: {
        /** Memory of a build, default 2048. */
        memoryMb?: number;
        /** CPUs of a build, default 1. */
        cpus?: number;
        /** A longer build fails, default 900 (same as timeouts.buildSeconds, which wins). */
        timeoutSeconds?: number;
      };
      /**
       * Separates Slipway installations that share one Docker engine: it is
       * the label `slipway.installation` of every container and network, and
       * part of image, container, network and Traefik router names unless it
       * is `default` (then the names are `slipway-<app>:<id>`, `<app>-<id>`,
       * network `slipway-<app>`; otherwise `<id>--` is put before the app
       * name). Listing and cleanup only touch this installation's objects.
       * 1-20 lowercase letters, digits and single dashes. Default `default`.
       */
      installationId?: string;
      /**
       * Safe defaults of app containers: `no-new-privileges`, a PID limit,
       * memory and CPU limits, a size-capped json-file log, and the app's own
       * bridge network. A request for more than a maximum is refused (400).
       */
      containers?: {
        /** Max processes per container, default 512. */
        pidsLimit?: number;
        /** Memory of an app that asks for none, default 512. */
        defaultMemoryMb?: number;
        /** Most memory an app may ask for (resources.memoryMb), default 4096. */
        maxMemoryMb?: number;
        /** CPUs of an app that asks for none, default 1. */
        defaultCpus?: number;
        /** Most CPUs an app may ask for (resources.cpus), default 4. */
        maxCpus?: number;
        /** json-file log driver max-size of a container's own log, default "10m". */
        logMaxSize?: string;
        /** json-file log driver max-file, default 3. */
        logMaxFiles?: number;
        /** true runs containers without no-new-privileges (setuid works). Default false. */
        allowPrivilegeEscalation?: boolean;
        /**
         * A container (e.g. Traefik) connected to every app network so it can
         * reach the apps. Unset: none is connected.
         */
        proxyContainer?: string;
        /**
         * Per-app loosening (or tightening) by an admin, by app name: any of
         * pidsLimit, defaultMemoryMb, maxMemoryMb, defaultCpus, maxCpus,
         * logMaxSize, logMaxFiles, allowPrivilegeEscalation.
         */
        apps?: {
          [app: string]: {
            pidsLimit?: number;
            defaultMemoryMb?: number;
            maxMemoryMb?: number;
            defaultCpus?: number;
            maxCpus?: number;
            logMaxSize?: string;
            logMaxFiles?: number;
            allowPrivilegeEscalation?: boolean;
          };
        };
      };
      /** Time bounds of the steps; a step over its bound fails the deployment and frees its build slot. */
      timeouts?: {
        /** Fetching the source (a hung git remote), default 300. */
        cloneSeconds?: number;
        /** `docker build`, default 900 (or build.timeoutSeconds). */
        buildSeconds?: number;
        /** Each Docker API call other than the build stream, default 60. */
        dockerApiSeconds?: number;
        /** Health wait of a new container unless the app sets healthCheck.timeoutSeconds, default 60. */
        healthSeconds?: number;
      };
      /** Deployment logs (build and step output) as stored. */
      logs?: {
        /**
         * Bytes kept per deployment, default 5242880 (5 MB), at least 65536.
         * Beyond it the oldest lines are dropped (down to 80 %) and the first
         * line says how many lines and bytes were dropped; the end is kept.
         */
        maxBytesPerDeployment?: number;
      };
    };
  };
}
