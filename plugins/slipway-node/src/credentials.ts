import { Config } from '@backstage/config';
import {
  DefaultGithubCredentialsProvider,
  ScmIntegrations,
} from '@backstage/integration';

/**
 * Finds the token Backstage `integrations` hold for a repository URL
 * (a personal access token or a GitHub App installation token), or
 * undefined for URLs no integration covers (e.g. file://).
 *
 * @public
 */
export async function tokenForRepositoryUrl(
  config: Config,
  url: string,
): Promise<string | undefined> {
  if (url.startsWith('file:')) {
    return undefined;
  }
  const integrations = ScmIntegrations.fromConfig(config);
  if (integrations.github.byUrl(url)) {
    const provider =
      DefaultGithubCredentialsProvider.fromIntegrations(integrations);
    const { token } = await provider.getCredentials({ url });
    return token;
  }
  const other = integrations.byUrl(url) as
    | { config: { token?: string } }
    | undefined;
  return other?.config.token;
}
