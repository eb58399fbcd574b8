import type { Config } from '../app/config.ts';

/**
 * Where the console may open terminal WebSockets (its CSP's connect-src): BATON_TERMINAL_ORIGINS,
 * plus the plane's own origin for the local and http providers, since their sandboxes' attach URLs
 * are on the plane (`ws://<plane>/v1/sandboxes/<id>/terminal`). Fly's depend on the image: configure them.
 */
export function terminalOrigins(config: Config, localPlaneUrl: string | undefined): string[] {
  const provider = config.sandboxes.provider;
  const planeUrl = provider.kind === 'http' ? provider.url : provider.kind === 'local' ? localPlaneUrl : undefined;
  const origins = [...config.sandboxes.terminalOrigins];
  if (planeUrl !== undefined && planeUrl !== '') {
    const url = new URL(planeUrl);
    origins.push(`${url.protocol === 'https:' ? 'wss:' : 'ws:'}//${url.host}`);
  }
  return [...new Set(origins)];
}
