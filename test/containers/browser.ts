import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';

/** An answer as the browser saw it. */
export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly url: string;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** Resolves localhost and *.localhost to loopback, as browsers do (glibc does not resolve *.localhost). */
function loopbackLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) {
    if (options.all === true) callback(null, [{ address: '127.0.0.1', family: 4 }]);
    else callback(null, '127.0.0.1', 4);
    return;
  }
  dnsLookup(hostname, options, callback as never);
}

/**
 * A minimal browser on this machine: cookies per host (ports shared, as browsers do), redirects
 * followed by hand, and *.localhost names reaching published ports, so the stack's sign-in runs as a
 * person's browser runs it.
 */
export class LocalBrowser {
  readonly #cookies = new Map<string, Map<string, string>>();

  /** One request with this host's cookies; stores the cookies the answer sets. */
  request(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Answer> {
    const target = new URL(url);
    const body = init.form === undefined ? undefined : new URLSearchParams(init.form).toString();
    const jar = this.#jar(target.hostname);
    const headers: Record<string, string> = { accept: 'text/html,application/json' };
    if (jar.size > 0) headers.cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          hostname: target.hostname,
          port: target.port,
          path: `${target.pathname}${target.search}`,
          method: init.method ?? 'GET',
          headers,
          lookup: loopbackLookup,
          timeout: 30_000,
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
          res.on('end', () => {
            for (const line of res.headers['set-cookie'] ?? []) this.#store(jar, line);
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, url });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${url} timed out`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Follows redirects from `url` until `stop(next)` or an answer that is not a redirect. */
  async follow(
    url: string,
    stop: (next: string) => boolean = () => false,
    init: { method?: string; form?: Record<string, string> } = {},
  ): Promise<Answer> {
    let answer = await this.request(url, init);
    for (let hops = 0; hops < 20; hops++) {
      const location = answer.headers.location;
      if (answer.status < 300 || answer.status >= 400 || location === undefined) return answer;
      const next = new URL(location, answer.url).toString();
      if (stop(next)) return { ...answer, url: next };
      answer = await this.request(next);
    }
    throw new Error(`too many redirects from ${url}`);
  }

  /** This host's cookies as a Cookie header value. */
  cookieHeader(host: string): string {
    return [...this.#jar(host)].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  #jar(host: string): Map<string, string> {
    let jar = this.#cookies.get(host);
    if (jar === undefined) this.#cookies.set(host, (jar = new Map()));
    return jar;
  }

  #store(jar: Map<string, string>, line: string): void {
    const [pair = ''] = line.split(';');
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const expired = /max-age=(0|-)/i.test(line) || /expires=thu, 01 jan 1970/i.test(line);
    if (expired || value === '') jar.delete(name);
    else jar.set(name, value);
  }
}
