export interface Config {
  slipway?: {
    /**
     * URL prefixes that templates may be extracted from (shared with the
     * deploy engine). Defaults to the hosts configured in `integrations`.
     */
    allowedRepositories?: string[];
    github?: {
      /**
       * Where GitHub should deliver webhooks for this Backstage, used by
       * `slipway:github:webhook:register` when the step gives no webhookUrl.
       * Default: the external base URL of the slipway backend plugin +
       * `/webhooks/github`. Set it when GitHub reaches Backstage through a
       * different public address.
       */
      webhookUrl?: string;
      /**
       * Further URLs `slipway:github:webhook:register` may register a hook
       * to (a step's `webhookUrl`), compared as whole URLs (scheme, host,
       * port, path and query). Without an entry here a template can only
       * point hooks at this Backstage's own endpoint (`webhookUrl` above,
       * or the default from discovery): a hook sends every event of the
       * repository, or organization, to its URL.
       */
      allowedWebhookUrls?: string[];
    };
  };
}
