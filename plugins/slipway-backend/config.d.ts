export interface Config {
  /** Configuration of the Slipway suite. */
  slipway?: {
    /**
     * URL prefixes that templates may be extracted from and apps deployed
     * from. Defaults to the hosts configured in `integrations`. `file://`
     * URLs are accepted only when a listed prefix allows them (tests, demos).
     */
    allowedRepositories?: string[];

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
      };
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
        /** A longer build fails, default 900. */
        timeoutSeconds?: number;
      };
    };
  };
}
