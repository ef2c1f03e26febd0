import { ApiRouter } from '../api';
import { GithubJson, GithubSite } from '../json';
import { RateLimit } from '../rateLimit';
import { GithubStore } from '../store';
import { Webhooks } from '../webhooks';

/** What the route modules share: the router they add to and the server's parts. */
export interface RouteContext {
  router: ApiRouter;
  store: GithubStore;
  json: GithubJson;
  site: GithubSite;
  rateLimit: RateLimit;
  webhooks: Webhooks;
  /** Ping a hook as soon as it is created, as GitHub does. */
  pingOnHookCreate: boolean;
}
