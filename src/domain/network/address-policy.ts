import { DomainError } from '../errors.ts';
import { embeddedIpv4, formatIp, inCidr, parseCidr, parseIp, type Cidr, type IpAddress } from './ip-address.ts';

/**
 * Where Baton may send a request whose address recipe or trigger data chose (a webhook step's URL):
 * anywhere public, never into the network Baton runs in (its own loopback, the private networks,
 * link-local and the cloud metadata service that hands out credentials), unless the operator allows
 * it. Checked on the address a connection actually goes to, after DNS resolution.
 */
export type AddressClass =
  | 'loopback'
  | 'private'
  | 'carrier-grade NAT'
  | 'link-local'
  | 'cloud-metadata'
  | 'unique-local'
  | 'unspecified'
  | 'multicast'
  | 'broadcast'
  | 'reserved';

/** How each class reads in a refusal ("127.0.0.1 is a loopback address"). */
const described: Record<AddressClass, string> = {
  loopback: 'a loopback address',
  private: 'a private address',
  'carrier-grade NAT': 'a carrier-grade NAT (shared) address',
  'link-local': 'a link-local address',
  'cloud-metadata': 'a cloud metadata address',
  'unique-local': 'a unique-local address',
  unspecified: 'an unspecified address',
  multicast: 'a multicast address',
  broadcast: 'a broadcast address',
  reserved: 'a reserved (non-public) address',
};

const range = (text: string): Cidr => parseCidr(text)!;

/** First match wins: the metadata addresses sit inside link-local and unique-local ranges. */
const ipv4Classes: ReadonlyArray<readonly [Cidr, AddressClass]> = [
  [range('169.254.169.254/32'), 'cloud-metadata'],
  [range('0.0.0.0/8'), 'unspecified'],
  [range('10.0.0.0/8'), 'private'],
  [range('100.64.0.0/10'), 'carrier-grade NAT'],
  [range('127.0.0.0/8'), 'loopback'],
  [range('169.254.0.0/16'), 'link-local'],
  [range('172.16.0.0/12'), 'private'],
  [range('192.0.0.0/24'), 'reserved'],
  [range('192.0.2.0/24'), 'reserved'],
  [range('192.88.99.0/24'), 'reserved'],
  [range('192.168.0.0/16'), 'private'],
  [range('198.18.0.0/15'), 'reserved'],
  [range('198.51.100.0/24'), 'reserved'],
  [range('203.0.113.0/24'), 'reserved'],
  [range('224.0.0.0/4'), 'multicast'],
  [range('255.255.255.255/32'), 'broadcast'],
  [range('240.0.0.0/4'), 'reserved'],
];

const ipv6Classes: ReadonlyArray<readonly [Cidr, AddressClass]> = [
  [range('fd00:ec2::254/128'), 'cloud-metadata'],
  [range('::/128'), 'unspecified'],
  [range('::1/128'), 'loopback'],
  [range('64:ff9b:1::/48'), 'private'],
  [range('100::/64'), 'reserved'],
  // Teredo and ORCHID/documentation: tunnels and ranges that are never a webhook receiver.
  [range('2001::/32'), 'reserved'],
  [range('2001:10::/28'), 'reserved'],
  [range('2001:db8::/32'), 'reserved'],
  [range('fc00::/7'), 'unique-local'],
  [range('fe80::/10'), 'link-local'],
  [range('fec0::/10'), 'private'],
  [range('ff00::/8'), 'multicast'],
];

/** IPv6 ranges that carry an IPv4 address (at the byte offset), judged by that address. */
const ipv4Carriers: ReadonlyArray<readonly [Cidr, number]> = [
  [range('::ffff:0:0/96'), 12], // IPv4-mapped
  [range('64:ff9b::/96'), 12], // NAT64
  [range('2002::/16'), 2], // 6to4
];

/** IPv4-compatible IPv6 (`::a.b.c.d`, deprecated): nothing legitimate uses it any more. */
const ipv4Compatible = range('::/96');

/** Host names that always mean this machine or the cloud metadata service, whatever DNS says. */
const metadataNames = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
]);

/** The class of a non-public address; null for a public one. */
export function classifyIp(ip: IpAddress): AddressClass | null {
  if (ip.version === 4) return ipv4Classes.find(([r]) => inCidr(ip, r))?.[1] ?? null;
  for (const [carrier, offset] of ipv4Carriers) if (inCidr(ip, carrier)) return classifyIp(embeddedIpv4(ip, offset));
  const direct = ipv6Classes.find(([r]) => inCidr(ip, r))?.[1];
  if (direct !== undefined) return direct;
  if (inCidr(ip, ipv4Compatible)) return classifyIp(embeddedIpv4(ip, 12)) ?? 'reserved';
  return null;
}

/** What the operator allows despite the classes (`BATON_EGRESS_ALLOW`): host names, addresses, ranges. */
export interface EgressAllowList {
  /** Lowercase host names without a trailing dot; a request to one of these is not checked further. */
  readonly hosts: ReadonlySet<string>;
  readonly ranges: readonly Cidr[];
}

/** Nothing allowed beyond public addresses. */
export const emptyAllowList: EgressAllowList = { hosts: new Set(), ranges: [] };

/**
 * Parses a comma-separated allow list of host names (`hooks.internal`), addresses (`127.0.0.1`,
 * `::1`) and CIDR ranges (`10.1.0.0/16`). Entries that are none of these are returned as `invalid`.
 */
export function parseEgressAllowList(text: string): { list: EgressAllowList; invalid: string[] } {
  const hosts = new Set<string>();
  const ranges: Cidr[] = [];
  const invalid: string[] = [];
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const cidr = parseCidr(entry);
    if (cidr !== undefined) ranges.push(cidr);
    else if (isHostName(entry)) hosts.add(normalHost(entry));
    else invalid.push(entry);
  }
  return { list: { hosts, ranges }, invalid };
}

/** A DNS name (labels of letters, digits and hyphens), not something that looks like a broken address. */
function isHostName(text: string): boolean {
  const labels = normalHost(text).split('.');
  return labels.every((l) => /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?$/.test(l)) && !/^\d+$/.test(labels.at(-1)!);
}

/** A host name as compared: lowercase, no brackets, no trailing dot. */
export function normalHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

/** The outcome of a check: go ahead, or refused because `address` is of `addressClass`. */
export type EgressVerdict =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly address: string; readonly addressClass: AddressClass };

const allowed: EgressVerdict = { allowed: true };

/**
 * Checks a URL's host before any DNS lookup: allowed by name, refused when it is a literal
 * non-public address or a name that means loopback or the metadata service, otherwise `resolve`
 * (each address it resolves to is then checked with `checkResolvedAddress`).
 */
export function checkHost(host: string, allow: EgressAllowList): EgressVerdict | 'resolve' {
  const name = normalHost(host);
  if (allow.hosts.has(name)) return allowed;
  const ip = parseIp(name);
  if (ip !== undefined) return checkResolvedAddress(name, formatIp(ip), allow);
  if (name === 'localhost' || name.endsWith('.localhost'))
    return { allowed: false, address: name, addressClass: 'loopback' };
  if (metadataNames.has(name)) return { allowed: false, address: name, addressClass: 'cloud-metadata' };
  return 'resolve';
}

/**
 * Checks one address a host resolved to (or the literal address itself), just before connecting
 * to it: allowed when it is public, its host name is allowed, or it is in an allowed range.
 */
export function checkResolvedAddress(host: string, address: string, allow: EgressAllowList): EgressVerdict {
  if (allow.hosts.has(normalHost(host))) return allowed;
  const ip = parseIp(address);
  // Whatever a resolver answers that is not an address is not connected to.
  if (ip === undefined) return { allowed: false, address, addressClass: 'reserved' };
  const addressClass = classifyIp(ip);
  if (addressClass === null || allow.ranges.some((r) => inCidr(ip, r))) return allowed;
  // An IPv4-mapped address allowed in its IPv4 form is allowed too.
  if (ip.version === 6 && inCidr(ip, ipv4Carriers[0]![0]) && allow.ranges.some((r) => inCidr(embeddedIpv4(ip, 12), r)))
    return allowed;
  return { allowed: false, address: formatIp(ip), addressClass };
}

/**
 * A request to an address recipe or trigger data chose was refused by the egress policy. Not
 * retryable: the address will not become public by waiting.
 */
export class EgressRefusedError extends DomainError {
  readonly address: string;
  readonly addressClass: AddressClass;
  constructor(verdict: Extract<EgressVerdict, { allowed: false }>) {
    super(
      'egress_refused',
      `refused: ${verdict.address} is ${described[verdict.addressClass]}; allow it with BATON_EGRESS_ALLOW`,
      { details: { address: verdict.address, addressClass: verdict.addressClass } },
    );
    this.address = verdict.address;
    this.addressClass = verdict.addressClass;
  }
}
