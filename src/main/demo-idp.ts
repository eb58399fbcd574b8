import { z } from 'zod';
import { startDemoIdentityProvider } from '../adapters/demo-idp/demo-identity-provider.ts';
import { createLogger } from '../adapters/pino/logger.ts';
import { resolveEnvOrExit } from './resolve-env.ts';

/**
 * The demo OpenID Connect provider of `deploy/docker` (one user with a password), run from the
 * Baton image: `node src/main/demo-idp.ts`. Demo only; not Baton's own configuration, so its
 * variables are its own, validated here and named in every error.
 */
const variables = z.object({
  DEMO_IDP_ISSUER: z.url({ protocol: /^https?$/, error: 'expected the issuer URL, e.g. http://idp.localhost:5556' }),
  DEMO_IDP_HOST: z.string().min(1, 'expected a host name or address').default('0.0.0.0'),
  DEMO_IDP_PORT: z.coerce
    .number({ error: 'expected a port' })
    .int('expected a port')
    .min(1, 'expected a port')
    .max(65535, 'expected a port')
    .optional(),
  DEMO_IDP_CLIENT_ID: z.string().min(1, 'expected the client id Baton uses (OIDC_CLIENT_ID)'),
  DEMO_IDP_CLIENT_SECRET: z.string().min(16, 'expected at least 16 characters (OIDC_CLIENT_SECRET)'),
  DEMO_IDP_REDIRECT_URIS: z.string().min(1, 'expected BATON_PUBLIC_URL + /auth/callback (comma-separated for several)'),
  DEMO_IDP_USER_EMAIL: z.email('expected an e-mail address'),
  DEMO_IDP_USER_PASSWORD: z.string().min(8, 'expected at least 8 characters'),
  DEMO_IDP_USER_NAME: z.string().min(1).default('Demo Admin'),
});

async function main(): Promise<void> {
  const settings = resolveEnvOrExit(variables, process.env);
  const logger = createLogger({ level: 'info', format: 'json' });
  const issuer = new URL(settings.DEMO_IDP_ISSUER);
  // Listening on the issuer's port keeps one URL valid inside the network and from the browser.
  const port = settings.DEMO_IDP_PORT ?? Number(issuer.port || (issuer.protocol === 'https:' ? 443 : 80));
  const idp = await startDemoIdentityProvider({
    issuer: settings.DEMO_IDP_ISSUER.replace(/\/+$/, ''),
    host: settings.DEMO_IDP_HOST,
    port,
    clientId: settings.DEMO_IDP_CLIENT_ID,
    clientSecret: settings.DEMO_IDP_CLIENT_SECRET,
    redirectUris: settings.DEMO_IDP_REDIRECT_URIS.split(',')
      .map((uri) => uri.trim())
      .filter((uri) => uri !== ''),
    user: {
      email: settings.DEMO_IDP_USER_EMAIL,
      password: settings.DEMO_IDP_USER_PASSWORD,
      name: settings.DEMO_IDP_USER_NAME,
    },
    logger,
  });
  const stop = () => {
    idp.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

await main();
