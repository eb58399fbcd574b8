import { describe, expect, it } from 'vitest';
import {
  checkHost,
  checkResolvedAddress,
  classifyIp,
  EgressRefusedError,
  emptyAllowList,
  parseEgressAllowList,
} from '../../../src/domain/network/address-policy.ts';
import { formatIp, inCidr, parseCidr, parseIp } from '../../../src/domain/network/ip-address.ts';

const classOf = (text: string) => {
  const ip = parseIp(text);
  if (ip === undefined) throw new Error(`not an address: ${text}`);
  return classifyIp(ip);
};

describe('address classes', () => {
  it('names every non-public IPv4 range', () => {
    const table: Array<[string, string]> = [
      ['127.0.0.1', 'loopback'],
      ['127.255.0.9', 'loopback'],
      ['10.1.2.3', 'private'],
      ['172.16.0.1', 'private'],
      ['172.31.255.255', 'private'],
      ['192.168.1.1', 'private'],
      ['100.64.0.1', 'carrier-grade NAT'],
      ['100.127.255.254', 'carrier-grade NAT'],
      ['169.254.1.1', 'link-local'],
      ['169.254.169.254', 'cloud-metadata'],
      ['0.0.0.0', 'unspecified'],
      ['224.0.0.1', 'multicast'],
      ['255.255.255.255', 'broadcast'],
      ['240.0.0.1', 'reserved'],
      ['192.0.2.10', 'reserved'],
    ];
    for (const [address, expected] of table) expect(classOf(address), address).toBe(expected);
  });

  it('lets public IPv4 addresses through, including the neighbours of private ranges', () => {
    for (const address of [
      '8.8.8.8',
      '1.1.1.1',
      '172.15.255.255',
      '172.32.0.0',
      '100.63.255.255',
      '100.128.0.0',
      '11.0.0.0',
      '192.169.0.1',
      '169.253.255.255',
    ])
      expect(classOf(address), address).toBeNull();
  });

  it('names every non-public IPv6 range', () => {
    const table: Array<[string, string]> = [
      ['::1', 'loopback'],
      ['::', 'unspecified'],
      ['fc00::1', 'unique-local'],
      ['fdab:1234::9', 'unique-local'],
      ['fd00:ec2::254', 'cloud-metadata'],
      ['fe80::1', 'link-local'],
      ['febf::1', 'link-local'],
      ['ff02::1', 'multicast'],
      ['2001:db8::1', 'reserved'],
    ];
    for (const [address, expected] of table) expect(classOf(address), address).toBe(expected);
    expect(classOf('2606:4700:4700::1111')).toBeNull();
  });

  it('judges IPv6 forms that carry an IPv4 address by that address', () => {
    expect(classOf('::ffff:127.0.0.1')).toBe('loopback');
    expect(classOf('::ffff:7f00:1')).toBe('loopback');
    expect(classOf('::ffff:169.254.169.254')).toBe('cloud-metadata');
    expect(classOf('::ffff:10.0.0.1')).toBe('private');
    expect(classOf('::127.0.0.1')).toBe('loopback'); // IPv4-compatible
    expect(classOf('::8.8.8.8')).toBe('reserved'); // IPv4-compatible, deprecated
    expect(classOf('64:ff9b::192.168.0.1')).toBe('private'); // NAT64
    expect(classOf('2002:7f00:1::')).toBe('loopback'); // 6to4
    expect(classOf('::ffff:8.8.8.8')).toBeNull();
  });
});

describe('addresses and ranges', () => {
  it('parses only the standard forms', () => {
    for (const text of [
      '1.2.3',
      '1.2.3.4.5',
      '256.1.1.1',
      '01.2.3.4',
      '1.2.3.4/8',
      ':::',
      '1::2::3',
      '12345::',
      '::ffff:1.2.3',
      'g::1',
      '',
    ])
      expect(parseIp(text), text).toBeUndefined();
    expect(formatIp(parseIp('[::1]')!)).toBe('::1');
    expect(formatIp(parseIp('fe80::1%eth0')!)).toBe('fe80::1');
    expect(formatIp(parseIp('2001:0db8:0000:0000:0000:0000:0000:0001')!)).toBe('2001:db8::1');
    expect(formatIp(parseIp('1:0:0:2:0:0:0:3')!)).toBe('1:0:0:2::3');
  });

  it('matches CIDR ranges bit by bit', () => {
    const net = parseCidr('10.1.0.0/17')!;
    expect(inCidr(parseIp('10.1.127.255')!, net)).toBe(true);
    expect(inCidr(parseIp('10.1.128.0')!, net)).toBe(false);
    expect(inCidr(parseIp('::ffff:10.1.0.1')!, net)).toBe(false);
    expect(inCidr(parseIp('fd12:3456::1')!, parseCidr('fd12::/16')!)).toBe(true);
    expect(inCidr(parseIp('1.2.3.4')!, parseCidr('0.0.0.0/0')!)).toBe(true);
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
    expect(parseCidr('::/129')).toBeUndefined();
  });
});

describe('the egress check', () => {
  it('refuses literal non-public hosts and loopback or metadata names before any lookup', () => {
    expect(checkHost('127.0.0.1', emptyAllowList)).toEqual({
      allowed: false,
      address: '127.0.0.1',
      addressClass: 'loopback',
    });
    expect(checkHost('[::ffff:7f00:1]', emptyAllowList)).toMatchObject({ allowed: false, addressClass: 'loopback' });
    expect(checkHost('localhost', emptyAllowList)).toMatchObject({ allowed: false, addressClass: 'loopback' });
    expect(checkHost('api.LOCALHOST.', emptyAllowList)).toMatchObject({ allowed: false, addressClass: 'loopback' });
    expect(checkHost('metadata.google.internal', emptyAllowList)).toMatchObject({
      allowed: false,
      addressClass: 'cloud-metadata',
    });
    expect(checkHost('8.8.8.8', emptyAllowList)).toEqual({ allowed: true });
    expect(checkHost('hooks.example.com', emptyAllowList)).toBe('resolve');
  });

  it('checks each resolved address, with what the operator allows', () => {
    const { list, invalid } = parseEgressAllowList(' 127.0.0.1, 10.20.0.0/16 ,hooks.internal,fd00::/8,');
    expect(invalid).toEqual([]);
    expect(checkResolvedAddress('anything.example', '127.0.0.1', list)).toEqual({ allowed: true });
    expect(checkResolvedAddress('anything.example', '::ffff:127.0.0.1', list)).toEqual({ allowed: true });
    expect(checkResolvedAddress('anything.example', '127.0.0.2', list)).toMatchObject({
      allowed: false,
      addressClass: 'loopback',
    });
    expect(checkResolvedAddress('anything.example', '10.20.3.4', list)).toEqual({ allowed: true });
    expect(checkResolvedAddress('anything.example', '10.21.3.4', list)).toMatchObject({
      allowed: false,
      address: '10.21.3.4',
      addressClass: 'private',
    });
    expect(checkResolvedAddress('Hooks.Internal.', '192.168.7.7', list)).toEqual({ allowed: true });
    expect(checkHost('hooks.internal', list)).toEqual({ allowed: true });
    expect(checkResolvedAddress('x.example', 'fd12::1', list)).toEqual({ allowed: true });
    expect(checkResolvedAddress('x.example', 'not an address', list)).toMatchObject({ allowed: false });
  });

  it('reports entries of the allow list it cannot read', () => {
    expect(parseEgressAllowList('10.0.0.0/33, http://x, 1.2.3, ok.example, -bad').invalid).toEqual([
      '10.0.0.0/33',
      'http://x',
      '1.2.3',
      '-bad',
    ]);
  });

  it('says which address was refused, why, and how to allow it', () => {
    const verdict = checkHost('127.0.0.1', emptyAllowList);
    if (verdict === 'resolve' || verdict.allowed) throw new Error('expected a refusal');
    const error = new EgressRefusedError(verdict);
    expect(error.message).toBe('refused: 127.0.0.1 is a loopback address; allow it with BATON_EGRESS_ALLOW');
    expect(error.code).toBe('egress_refused');
  });
});
