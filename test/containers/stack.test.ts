import { copyFileSync, mkdtempSync, readFileSync, rmSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi } from '../support/api.ts';
import { eventually } from '../support/eventually.ts';
import { connectClient, type RealtimeClient } from '../support/realtime-client.ts';
import { LocalBrowser } from './browser.ts';
import { freePort } from '../../src/adapters/node-net/free-port.ts';
import { run, whyNoEngine, writeContainersConf } from './engine.ts';

/**
 * deploy/docker as a self-hoster runs it, for real: base images made on this machine (no registry is
 * reachable here), the Baton image built from the working tree, the compose stack started with
 * podman-compose, a person signing in at the stack's demo provider, a recipe with an agent step (on
 * the stand-in plane) and an approval run to the end, Baton restarted without losing anything; then
 * the scale-out files: two replicas behind the proxy, with Redis, and a live edit through one
 * replica seen through the other.
 */
const skipped = whyNoEngine();
if (skipped !== undefined) console.warn(`test/containers skipped: ${skipped}`);

const repo = process.cwd();
const email = 'admin@example.com';
const node = ['node', '--experimental-strip-types', '--disable-warning=ExperimentalWarning'];

describe.skipIf(skipped !== undefined)('the self-hosting container stack', () => {
  const dir = mkdtempSync(join(tmpdir(), 'baton-stack-'));
  const project = `batontest${process.pid}`;
  const imageTag = `localhost/baton-test-app:${project}`;
  const env = { ...process.env, CONTAINERS_CONF: writeContainersConf(dir) };
  const files = ['-f', 'docker-compose.yml'];
  const scaleFiles = [...files, '-f', 'docker-compose.scale.yml'];
  let ports: { baton: number; idp: number; proxy: number };
  let publicUrl: string;
  let composed = files;
  let failed = false;

  const compose = (args: readonly string[], timeoutMs = 240_000) =>
    run('podman-compose', ['-p', project, ...composed, ...args], { cwd: dir, env, timeoutMs });
  const podman = (args: readonly string[], options: { allowFailure?: boolean; timeoutMs?: number } = {}) =>
    run('podman', args, { env, ...options });
  const container = (service: string) => `${project}_${service}_1`;
  /** A replica's own address on the compose network (reachable from this host as root). */
  const addressOf = async (service: string) => {
    const format = '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}';
    return `http://${(await podman(['inspect', '-f', format, container(service)])).stdout.trim()}:8787`;
  };
  const ready = (url: string) =>
    eventually(
      async () => (await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5_000) })).ok,
      180_000,
      `${url}/readyz`,
    );

  beforeAll(async () => {
    // Until the stack is up, a failure shows the containers' logs too (afterAll prints them).
    failed = true;
    // Published on every address of the host, so free on all of them.
    const onEvery = () => freePort({ host: '0.0.0.0' });
    ports = { baton: await onEvery(), idp: await onEvery(), proxy: await onEvery() };
    publicUrl = `http://localhost:${ports.baton}`;
    // 1. Base images (cached by content hash: minutes the first time, seconds after).
    const images = Object.fromEntries(
      (
        await run('bash', ['deploy/docker/images/build.sh', join(tmpdir(), 'baton-container-images')], {
          env,
          timeoutMs: 600_000,
        })
      ).stdout
        .trim()
        .split('\n')
        .map((line) => line.split('=') as [string, string]),
    );
    // 2. Baton's image from the working tree, on the local Node image (layers cached by podman).
    await podman(
      [
        'build',
        '--quiet',
        '--build-arg',
        `NODE_IMAGE=${images.BATON_NODE_IMAGE}`,
        '-f',
        'deploy/docker/Dockerfile',
        '-t',
        imageTag,
        repo,
      ],
      { timeoutMs: 600_000 },
    );
    // 3. The deploy files, and the .env the README creates, plus this run's images and ports.
    for (const file of ['docker-compose.yml', 'docker-compose.scale.yml', 'nginx.conf'])
      copyFileSync(join(repo, 'deploy/docker', file), join(dir, file));
    const envBlock = /^cat > \.env <<EOF\n[\s\S]*?\nEOF$/m.exec(readFileSync(join(repo, 'README.md'), 'utf8'))?.[0];
    expect(envBlock, 'the README creates .env with a heredoc').toBeDefined();
    await run('bash', ['-euo', 'pipefail', '-c', envBlock!], { cwd: dir });
    appendFileSync(
      join(dir, '.env'),
      Object.entries({
        BATON_IMAGE: imageTag,
        BATON_POSTGRES_IMAGE: images.BATON_POSTGRES_IMAGE,
        BATON_REDIS_IMAGE: images.BATON_REDIS_IMAGE,
        BATON_PROXY_IMAGE: images.BATON_PROXY_IMAGE,
        BATON_HOST_PORT: ports.baton,
        BATON_PUBLIC_URL: publicUrl,
        DEMO_IDP_PORT: ports.idp,
        OIDC_ISSUER: `http://idp.localhost:${ports.idp}`,
        BATON_PROXY_PORT: ports.proxy,
      })
        .map(([name, value]) => `${name}=${value}\n`)
        .join(''),
    );
    // 4. Up. podman-compose 1.0 starts Baton without waiting for Postgres: it restarts until it can.
    await compose(['up', '-d']);
    await ready(publicUrl);
    failed = false;
  }, 900_000);

  afterAll(async () => {
    if (failed) {
      for (const service of ['baton', 'baton-2', 'standin-plane', 'idp.localhost', 'proxy', 'postgres']) {
        const logs = await podman(['logs', '--tail', '40', container(service)], { allowFailure: true });
        console.error(`--- ${service}\n${logs.stdout}${logs.stderr}`);
      }
    }
    // The containers with their anonymous volumes (the images declare VOLUMEs some services do not
    // mount), then the project's named volumes and network.
    const ids = (
      await podman(['ps', '-aq', '--filter', `label=io.podman.compose.project=${project}`], { allowFailure: true })
    ).stdout
      .split('\n')
      .filter((id) => id !== '');
    if (ids.length > 0) await podman(['rm', '-f', '-v', ...ids], { allowFailure: true, timeoutMs: 180_000 });
    await run('podman-compose', ['-p', project, ...scaleFiles, 'down', '-v'], {
      cwd: dir,
      env,
      allowFailure: true,
      timeoutMs: 180_000,
    });
    await podman(['network', 'rm', '-f', `${project}_default`], { allowFailure: true }); // podman-compose 1.0 leaves it
    await podman(['rmi', imageTag], { allowFailure: true });
    rmSync(dir, { recursive: true, force: true });
  }, 300_000);

  /** Marks the run failed (for the logs in afterAll) when `body` throws. */
  const step = (body: () => Promise<void>) => async () => {
    try {
      await body();
    } catch (error) {
      failed = true;
      throw error;
    }
  };

  let token: string;
  let workspaceId: string;
  let dashboardId: string;
  let executionId: string;
  let todoId: string;
  const api = (method: string, path: string, body?: unknown) => callApi(publicUrl, method, path, token, body);

  it(
    'signs a person in at the demo provider (the password is checked) through the authorization-code flow',
    step(async () => {
      const browser = new LocalBrowser();
      const login = await browser.request(`${publicUrl}/auth/login`);
      expect(login.status).toBe(302);
      expect(login.headers.location).toContain(`http://idp.localhost:${ports.idp}/`);
      const form = await browser.follow(login.headers.location!);
      expect(form.status).toBe(200);
      const action = new URL(/action="([^"]+)"/.exec(form.body)![1]!, form.url).toString();
      const wrong = await browser.request(action, { method: 'POST', form: { email, password: 'not-the-password' } });
      expect(wrong.status).toBe(401);
      const password = /^DEMO_USER_PASSWORD=(.+)$/m.exec(readFileSync(join(dir, '.env'), 'utf8'))![1]!;
      const back = await browser.follow(action, (next) => next.startsWith(`${publicUrl}/auth/callback`), {
        method: 'POST',
        form: { email, password },
      });
      const callback = await browser.request(back.url);
      expect(callback.status, callback.body).toBe(302);
      const me = await fetch(`${publicUrl}/v1/me`, { headers: { cookie: browser.cookieHeader('localhost') } });
      expect(me.status).toBe(200);
      expect(JSON.stringify(await me.json())).toContain(email);
    }),
  );

  it(
    'mints a first admin token inside the stack (the command prints the token alone)',
    step(async () => {
      const minted = await podman([
        'exec',
        container('baton'),
        ...node,
        'src/main/cli.ts',
        'admin',
        'create-token',
        '--email',
        email,
        '--workspace',
        'Demo',
      ]);
      expect(minted.stdout).toMatch(/^\S+\n$/);
      token = minted.stdout.trim();
      const workspaces = await api('GET', '/v1/workspaces');
      expect(workspaces.status).toBe(200);
      workspaceId = (workspaces.body.workspaces as Array<{ id: string; name: string }>).find(
        (w) => w.name === 'Demo',
      )!.id;
    }),
  );

  it(
    'runs a recipe with an agent step on the stand-in plane and an approval to the end',
    step(async () => {
      dashboardId = (await api('POST', `/v1/workspaces/${workspaceId}/dashboards`, { name: 'Releases' })).body
        .id as string;
      todoId = (await api('POST', `/v1/dashboards/${dashboardId}/items`, { kind: 'todo', title: 'Ship the stack' }))
        .body.id as string;
      expect(
        (await api('POST', `/v1/workspaces/${workspaceId}/agent-profiles`, { name: 'coder', model: 'm' })).status,
      ).toBe(201);
      const yaml = `
name: release
steps:
  - { id: build, kind: agent, profile: coder, prompt: build it, input: { duration: 100, output: { built: true } }, \
timeout: 60s }
  - { id: gate, kind: approval, prompt: "ship it?" }
  - { id: tell, kind: notify, channel: dashboard, message: "built \${steps.build.output.built}" }
`;
      const recipe = await api('POST', `/v1/workspaces/${workspaceId}/recipes`, { yaml });
      expect(recipe.status, JSON.stringify(recipe.body)).toBe(201);
      const started = await api('POST', `/v1/recipes/${recipe.body.id as string}/executions`, { dashboardId });
      expect(started.status, JSON.stringify(started.body)).toBe(201);
      executionId = started.body.id as string;
      await eventually(
        async () => (await api('GET', `/v1/executions/${executionId}`)).body.steps?.gate?.status === 'waiting',
        120_000,
        'the agent step to finish and the approval to wait',
      );
      expect((await api('POST', `/v1/executions/${executionId}/steps/gate/approve`)).status).toBeLessThan(300);
      const done = await eventually(
        async () => {
          const ex = (await api('GET', `/v1/executions/${executionId}`)).body;
          return ex.status === 'succeeded' ? ex : undefined;
        },
        60_000,
        'the execution to succeed',
      );
      expect(done.steps.build.status).toBe('succeeded');
      expect(done.steps.tell.status).toBe('succeeded');
    }),
  );

  it(
    'keeps the execution and the dashboard across a restart of the Baton container',
    step(async () => {
      const before = (await api('GET', `/v1/executions/${executionId}`)).body;
      await podman(['restart', container('baton')], { timeoutMs: 60_000 });
      await ready(publicUrl);
      expect((await api('GET', `/v1/executions/${executionId}`)).body).toEqual(before);
      const items = (await api('GET', `/v1/dashboards/${dashboardId}/items`)).body.items as Array<{
        id: string;
        title: string;
      }>;
      expect(items.find((i) => i.id === todoId)?.title).toBe('Ship the stack');
    }),
  );

  it(
    'scales out: two replicas behind the proxy share live dashboards through Redis',
    step(async () => {
      composed = scaleFiles;
      // podman-compose 1.0 does not recreate changed containers: recreate them all (volumes stay).
      await compose(['up', '-d', '--force-recreate']);
      const proxy = `http://127.0.0.1:${ports.proxy}`;
      await ready(proxy);
      const [one, two] = [await addressOf('baton'), await addressOf('baton-2')];
      await Promise.all([ready(one), ready(two)]);
      // Still the same data (the volumes outlived the recreation).
      expect((await callApi(proxy, 'GET', `/v1/executions/${executionId}`, token)).body.status).toBe('succeeded');

      const clients: RealtimeClient[] = [
        connectClient(one, dashboardId, { token }),
        connectClient(two, dashboardId, { token }),
        connectClient(proxy, dashboardId, { token }),
      ];
      try {
        await eventually(() => clients.every((c) => c.provider.isSynced), 30_000, 'every client to sync');
        clients[0]!.doc.getArray<string>('log').push(['edited through replica one']);
        await eventually(
          () => clients[1]!.doc.getArray<string>('log').toArray().includes('edited through replica one'),
          30_000,
          'the edit to reach replica two',
        );
        clients[1]!.doc.getArray<string>('log').push(['edited through replica two']);
        await eventually(
          () => clients[0]!.doc.getArray<string>('log').toArray().includes('edited through replica two'),
          30_000,
          'the edit to reach replica one',
        );
        await eventually(
          () => clients[2]!.doc.getArray<string>('log').length === 2,
          30_000,
          'both edits to reach the client behind the proxy',
        );
      } finally {
        for (const client of clients) client.destroy();
      }
    }),
  );
});
