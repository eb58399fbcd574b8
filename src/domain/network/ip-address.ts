/**
 * IP addresses as bytes, parsed without packages or I/O (the domain runs in workerd too), and CIDR
 * ranges over them. Only the standard textual forms are accepted: dotted-quad IPv4 with decimal
 * parts, and RFC 4291 IPv6 (with `::` and an IPv4 tail). The WHATWG URL parser already turns the odd
 * IPv4 spellings a URL may use (`0x7f.1`, `2130706433`) into dotted quads before they get here.
 */
export interface IpAddress {
  readonly version: 4 | 6;
  /** 4 or 16 bytes, network order. */
  readonly bytes: Uint8Array;
}

/** A range of addresses: those whose first `prefix` bits equal the base's. */
export interface Cidr {
  readonly base: IpAddress;
  readonly prefix: number;
}

/** Parses an IPv4 or IPv6 address (brackets and an IPv6 zone such as `%eth0` are allowed); else undefined. */
export function parseIp(text: string): IpAddress | undefined {
  let t = text.trim();
  if (t.startsWith('[') && t.endsWith(']')) t = t.slice(1, -1);
  const zone = t.indexOf('%');
  if (zone !== -1 && t.includes(':')) t = t.slice(0, zone);
  if (t.includes(':')) {
    const bytes = parseIpv6(t);
    return bytes === undefined ? undefined : { version: 6, bytes };
  }
  const bytes = parseIpv4(t);
  return bytes === undefined ? undefined : { version: 4, bytes };
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (const [i, part] of parts.entries()) {
    // Decimal only, no leading zeros: "010" is octal to some parsers and decimal to others.
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    bytes[i] = n;
  }
  return bytes;
}

function parseIpv6(text: string): Uint8Array | undefined {
  if (text.length > 45) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (half: string): number[] | undefined => {
    if (half === '') return [];
    const out: number[] = [];
    const pieces = half.split(':');
    for (const [i, piece] of pieces.entries()) {
      if (i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIpv4(piece);
        if (v4 === undefined) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return undefined;
      out.push(parseInt(piece, 16));
    }
    return out;
  };
  const head = groupsOf(halves[0]!);
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : [];
  if (head === undefined || tail === undefined) return undefined;
  // An IPv4 tail is only allowed at the very end.
  if (halves.length === 2 && halves[0]!.includes('.')) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...new Array<number>(halves.length === 1 ? 0 : missing).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  for (const [i, g] of groups.entries()) {
    bytes[i * 2] = g >> 8;
    bytes[i * 2 + 1] = g & 0xff;
  }
  return bytes;
}

/** Parses `10.0.0.0/8`, `fc00::/7` or a bare address (a range of one); else undefined. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const base = parseIp(slash === -1 ? text : text.slice(0, slash));
  if (base === undefined) return undefined;
  const bits = base.bytes.length * 8;
  if (slash === -1) return { base, prefix: bits };
  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  return prefix > bits ? undefined : { base, prefix };
}

/** Whether `ip` is in `range` (an IPv4 range never contains an IPv6 address, nor the reverse). */
export function inCidr(ip: IpAddress, range: Cidr): boolean {
  if (ip.version !== range.base.version) return false;
  let left = range.prefix;
  for (let i = 0; left > 0; i++, left -= 8) {
    const mask = left >= 8 ? 0xff : (0xff << (8 - left)) & 0xff;
    if ((ip.bytes[i]! & mask) !== (range.base.bytes[i]! & mask)) return false;
  }
  return true;
}

/** The IPv4 address inside bytes `from`..`from + 3` of an IPv6 address. */
export function embeddedIpv4(ip: IpAddress, from: number): IpAddress {
  return { version: 4, bytes: ip.bytes.slice(from, from + 4) };
}

/** The usual text of an address: dotted quad, or RFC 5952 IPv6 (lowercase, the longest zero run as `::`). */
export function formatIp(ip: IpAddress): string {
  if (ip.version === 4) return Array.from(ip.bytes).join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((ip.bytes[i]! << 8) | ip.bytes[i + 1]!);
  let best = { at: -1, length: 0 };
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length && j - i > 1) best = { at: i, length: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.at === -1) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.length).join(':')}`;
}
