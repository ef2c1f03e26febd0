export interface Config {
  /** Configuration of the Slipway suite. */
  slipway?: {
    /**
     * URL prefixes that templates may be extracted from and apps deployed
     * from. Defaults to the hosts configured in `integrations`. `file://`
     * URLs are accepted only when a listed prefix allows them (tests, demos).
     */
    allowedRepositories?: string[];

    /** GitHub webhook receiver. */
    github?: {
      /**
       * Secrets that verify `X-Hub-Signature-256`; any one of them verifies,
       * so a secret can be rotated. With none, the webhook answers 503.
       * @visibility secret
       */
      webhookSecrets?: string[];
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
      /** Images kept per app for rollback. Default 5. */
      keepImages?: number;
    };
  };
}
