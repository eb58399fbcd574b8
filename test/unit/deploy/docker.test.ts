import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configVariables, resolveConfig } from '../../../src/app/config.ts';

// Read here; built and run for real by test/containers/stack.test.ts (with podman).
const dir = 'deploy/docker';
const composeText = readFileSync(join(dir, 'docker-compose.yml'), 'utf8');
const scaleText = readFileSync(join(dir, 'docker-compose.scale.yml'), 'utf8');
const scale = parse(scaleText) as { services: Record<string, { environment?: Record<string, string> }> };
const compose = parse(composeText) as {
  services: Record<
    string,
    {
      image?: string;
      build?: { context: string; dockerfile: string };
      environment?: Record<string, string>;
      ports?: string[];
      depends_on?: Record<string, { condition: string }>;
      healthcheck?: { test: string[] };
      volumes?: string[];
    }
  >;
  volumes: Record<string, unknown>;
};
const dockerfile = readFileSync(join(dir, 'Dockerfile'), 'utf8');

/** Replaces `${NAME:-default}` with its default, as compose does when NAME is unset. */
/** What an operator must provide (compose's `${NAME:?message}` refuses to start without it). */
const required: Record<string, string> = {
  BATON_CREDENTIAL_KEYS: `key-1:${'A'.repeat(43)}=`,
  POSTGRES_PASSWORD: 'pw',
  OIDC_CLIENT_SECRET: 's'.repeat(32),
  BATON_SANDBOX_TOKEN: 't'.repeat(32),
  DEMO_USER_PASSWORD: 'p'.repeat(12),
};
const withDefaults = (value: string) =>
  value
    .replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1')
    .replace(/\$\{([A-Z_]+):\?[^}]*\}/g, (_, name: string) => required[name] ?? '');

describe('docker-compose.yml', () => {
  const baton = compose.services.baton!;
  const postgres = compose.services.postgres!;

  it('builds Baton from a Dockerfile that exists', () => {
    expect(baton.build).toBeDefined();
    expect(existsSync(join(dir, baton.build!.context, baton.build!.dockerfile))).toBe(true);
  });

  it('runs Postgres 16 on a named volume with a healthcheck, and Baton waits for it to be healthy', () => {
    expect(withDefaults(postgres.image ?? '')).toMatch(/^postgres:16/);
    const volume = postgres.volumes?.[0]?.split(':')[0];
    expect(Object.keys(compose.volumes)).toContain(volume);
    expect(postgres.healthcheck?.test.join(' ')).toContain('pg_isready');
    expect(baton.depends_on?.postgres?.condition).toBe('service_healthy');
  });

  it('only sets variables that Baton reads, and they form a valid production configuration', () => {
    const env = Object.fromEntries(
      Object.entries(baton.environment ?? {}).map(([k, v]) => [k, withDefaults(String(v))]),
    );
    for (const name of Object.keys(env))
      expect(Object.keys(configVariables), `${name} is not a Baton variable`).toContain(name);
    const config = resolveConfig(env);
    expect(config.env).toBe('production');
    expect(config.database.url).toContain('@postgres:5432/');
    expect(config.sandboxes.provider).toMatchObject({ kind: 'http', url: 'http://standin-plane:8790' });
    expect(config.identity.oidc?.issuer).toBe('http://idp.localhost:5556');
  });

  it('gives the second replica of the scale-out file a valid configuration of Baton variables, with Redis', () => {
    const env = Object.fromEntries(
      Object.entries(scale.services['baton-2']?.environment ?? {}).map(([k, v]) => [k, withDefaults(String(v))]),
    );
    for (const name of Object.keys(env))
      expect(Object.keys(configVariables), `${name} is not a Baton variable`).toContain(name);
    expect(resolveConfig(env).realtime.redisUrl).toBe('redis://redis:6379');
  });

  it('uses no empty defaults (podman-compose 1.0 passes `${NAME:-}` on literally)', () => {
    for (const text of [composeText, scaleText]) expect(text).not.toMatch(/\$\{[A-Z_]+:-\}/);
  });

  it('publishes the port Baton listens on', () => {
    const env = baton.environment ?? {};
    const containerPort = withDefaults(baton.ports?.[0] ?? '')
      .split(':')
      .pop();
    expect(containerPort).toBe(String(env.PORT));
    expect(dockerfile).toContain(`EXPOSE ${env.PORT}`);
  });
});

describe('Dockerfile', () => {
  it('is multi-stage, installs production dependencies only and runs as a non-root user', () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER (?!root)\w+/m);
    // The data directory is a volume the runtime user owns (the image's own files belong to root).
    expect(dockerfile).toContain('BATON_DATA_DIR=/var/lib/baton');
    expect(dockerfile).toMatch(/chown node:node \/var\/lib\/baton/);
    expect(dockerfile).toMatch(/^VOLUME \/var\/lib\/baton$/m);
  });

  it('checks health on /readyz and copies what the server needs at run time', () => {
    expect(dockerfile).toMatch(/HEALTHCHECK[\s\S]*\/readyz/);
    for (const path of ['src', 'migrations', 'package.json']) {
      expect(dockerfile).toContain(`COPY --chown=root:root ${path}`);
      expect(existsSync(path)).toBe(true);
    }
    expect(dockerfile).toContain('src/main/server.ts');
    expect(existsSync('src/main/server.ts')).toBe(true);
  });
});
