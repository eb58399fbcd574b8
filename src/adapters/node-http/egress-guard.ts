import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { DomainError } from '../../domain/errors.ts';
import {
  checkHost,
  checkResolvedAddress,
  EgressRefusedError,
  type EgressAllowList,
} from '../../domain/network/address-policy.ts';
import { EgressUnreachableError, type Egress, type OutboundAnswer, type OutboundRequest } from '../../ports/egress.ts';

/** How a host name is resolved: `dns.lookup` with `all: true` (tests pass their own resolver). */
export type ResolveAll = (
  hostname: string,
  options: LookupAllOptions,
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

/** Options of the Node egress guard. */
export interface NodeEgressOptions {
  /** What `BATON_EGRESS_ALLOW` lets through besides public addresses. */
  readonly allow: EgressAllowList;
  /** Defaults to `dns.lookup` (the system resolver, /etc/hosts included). */
  readonly resolve?: ResolveAll;
}

/** How much of an answer's body is kept (for error messages); the rest is not read. */
const excerptBytes = 4_096;

/**
 * The egress guard on Node: node:http(s) with a `lookup` of its own, so the policy judges every
 * address a host name resolves to at connect time and the socket connects to an address it judged
 * (no second resolution that a rebinding DNS server could answer differently). A fresh connection
 * per request (no agent's pool), and redirects are not followed.
 */
export function createNodeEgress(options: NodeEgressOptions): Egress {
  const resolve = options.resolve ?? dnsLookup;
  const guardedLookup = (host: string): LookupFunction =>
    ((
      hostname: string,
      lookupOptions: { all?: boolean; family?: number },
      callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void,
    ) => {
      resolve(hostname, { family: lookupOptions.family ?? 0, all: true }, (error, addresses) => {
        if (error !== null) return callback(error, []);
        // Refused when any address is: a name that mixes public and private addresses is not a receiver.
        for (const { address } of addresses) {
          const verdict = checkResolvedAddress(host, address, options.allow);
          if (!verdict.allowed) return callback(new EgressRefusedError(verdict), []);
        }
        if (addresses.length === 0)
          return callback(Object.assign(new Error(`${hostname} resolved to no address`), { code: 'ENOTFOUND' }), []);
        if (lookupOptions.all === true) return callback(null, addresses);
        return callback(null, addresses[0]!.address, addresses[0]!.family);
      });
    }) as LookupFunction;

  return {
    send(request) {
      const url = new URL(request.url);
      if (url.protocol !== 'http:' && url.protocol !== 'https:')
        return Promise.reject(
          new DomainError('egress_refused', `refused: ${url.protocol} URLs are not sent (only http and https)`),
        );
      const verdict = checkHost(url.hostname, options.allow);
      if (verdict !== 'resolve' && !verdict.allowed) return Promise.reject(new EgressRefusedError(verdict));
      return exchange(url, request, guardedLookup(url.hostname));
    },
  };
}

function exchange(url: URL, request: OutboundRequest, lookup: LookupFunction): Promise<OutboundAnswer> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const timeout = AbortSignal.timeout(request.timeoutMs);
  return new Promise<OutboundAnswer>((resolve, reject) => {
    const fail = (error: unknown) => {
      if (error instanceof EgressRefusedError) reject(error);
      else reject(new EgressUnreachableError(timeout.aborted, error));
    };
    const req = send(
      url,
      { method: request.method, headers: request.headers, lookup, agent: false, signal: timeout },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        const finish = () => resolve({ status: res.statusCode ?? 0, excerpt: Buffer.concat(chunks).toString('utf8') });
        res.on('data', (chunk: Buffer) => {
          if (kept >= excerptBytes) return;
          chunks.push(chunk.subarray(0, excerptBytes - kept));
          kept += Math.min(chunk.length, excerptBytes - kept);
          // Enough read: the rest of a large answer is not waited for.
          if (kept >= excerptBytes) {
            finish();
            res.destroy();
          }
        });
        res.on('end', finish);
        res.on('error', (error) => (kept >= excerptBytes ? undefined : fail(error)));
      },
    );
    req.on('error', fail);
    req.end(request.body);
  });
}
