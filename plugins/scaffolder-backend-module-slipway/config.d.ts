export interface Config {
  slipway?: {
    /**
     * URL prefixes that templates may be extracted from (shared with the
     * deploy engine). Defaults to the hosts configured in `integrations`.
     */
    allowedRepositories?: string[];
  };
}
