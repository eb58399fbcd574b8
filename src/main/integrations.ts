import { createGitHubAppClient } from '../adapters/github/github-app-client.ts';
import { createGoogleDriveClient } from '../adapters/google/google-drive-client.ts';
import { createGoogleOAuthClient } from '../adapters/google/google-oauth-client.ts';
import type { Database } from '../adapters/postgres/database.ts';
import { createIntegrationStore } from '../adapters/postgres/integration-store.ts';
import type { Config } from '../app/config.ts';
import type { AppContext } from '../app/context.ts';
import type { GoogleClients, IntegrationDeps } from '../app/integrations/integration-deps.ts';
import { credentialVault } from '../app/integrations/vault.ts';
import type { GitHubApp } from '../ports/github.ts';

/**
 * The integrations' dependencies, on Node and in the Worker alike: the store, the sealed-secret
 * vault, a GitHub App client per connection (kept, so its App JWT is reused), and Google's clients
 * when configured.
 */
export function createIntegrations(config: Config, db: Database, app: AppContext): IntegrationDeps {
  const clients = new Map<string, GitHubApp>();
  const githubApp: IntegrationDeps['githubApp'] = ({ appId, privateKeyPem }) => {
    const key = `${appId}\n${privateKeyPem}`;
    let client = clients.get(key);
    if (client === undefined) {
      client = createGitHubAppClient({ appId, privateKeyPem, apiUrl: config.integrations.githubApiUrl });
      if (clients.size >= 100) clients.clear();
      clients.set(key, client);
    }
    return client;
  };
  const g = config.integrations.google;
  let google: GoogleClients | undefined;
  if (g !== undefined) {
    const base = g.baseUrl;
    const endpoints =
      base === undefined
        ? {}
        : {
            authUrl: `${base}/o/oauth2/v2/auth`,
            tokenUrl: `${base}/token`,
            revokeUrl: `${base}/revoke`,
            allowInsecureHttp: base.startsWith('http:'),
          };
    google = {
      oauth: createGoogleOAuthClient({ clientId: g.clientId, clientSecret: g.clientSecret, ...endpoints }),
      drive: createGoogleDriveClient(base === undefined ? {} : { apiUrl: base }),
    };
  }
  return { ctx: app, integrations: createIntegrationStore(db), vault: credentialVault(app), githubApp, google };
}
