import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from '../../../src/app/config.ts';

const resolve = (value: string | undefined) =>
  resolveConfig({ BATON_ENV: 'test', ...(value === undefined ? {} : { BATON_TRUST_PROXY: value }) });

describe('BATON_TRUST_PROXY', () => {
  it('is false by default, and takes true or the proxies as fastify accepts them', async () => {
    expect(resolve(undefined).trustProxy).toBe(false);
    expect(resolve('false').trustProxy).toBe(false);
    expect(resolve('true').trustProxy).toBe(true);
    expect(resolve(' 10.0.0.0/8, 127.0.0.1 ').trustProxy).toBe('10.0.0.0/8,127.0.0.1');
    // A hop count: the number of proxies in front of Baton (0 is none).
    expect(resolve('1').trustProxy).toBe(1);
    expect(resolve('2').trustProxy).toBe(2);
    expect(resolve('0').trustProxy).toBe(false);
    for (const value of ['loopback', 'loopback,uniquelocal', '::1', 'fd00::/8,192.168.1.10/32', '172.16.0.0/12']) {
      const { trustProxy } = resolve(value);
      // fastify compiles the list when it starts: every accepted value must compile.
      expect(typeof trustProxy).toBe('string');
      const app = Fastify({ trustProxy: trustProxy as string });
      await app.ready();
      await app.close();
    }
  });

  it('refuses anything that is not a hop count, an address, a range or a named range', () => {
    for (const value of [
      '-1',
      '1.5',
      '1,loopback',
      'yes',
      '10.0.0.0/33',
      '300.1.1.1',
      '10.0.0.1,',
      'example.com',
      'loopback;rm',
    ]) {
      expect(() => resolve(value), value).toThrow(ConfigError);
      try {
        resolve(value);
      } catch (error) {
        expect((error as ConfigError).problems.map((p) => p.variable)).toEqual(['BATON_TRUST_PROXY']);
      }
    }
  });
});
