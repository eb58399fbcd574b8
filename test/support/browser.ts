/**
 * A minimal browser for HTTP flows in tests: a cookie jar (cookies by name and path, shared across
 * ports of one host, as browsers do) and requests that never follow redirects on their own.
 */
export class TestBrowser {
  readonly #cookies = new Map<string, { value: string; path: string }>();

  /** Sends a request with the jar's cookies; stores the Set-Cookie headers of the answer. */
  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const path = new URL(url).pathname;
    const cookie = [...this.#cookies]
      .filter(([, c]) => path.startsWith(c.path))
      .map(([name, c]) => `${name}=${c.value}`)
      .join('; ');
    if (cookie !== '') headers.set('cookie', cookie);
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) this.#store(line);
    return response;
  }

  /**
   * Follows redirects from `url` until `stop(url)` says so or a non-redirect answers;
   * returns the last URL and response.
   */
  async follow(
    url: string,
    stop: (next: string) => boolean = () => false,
    init: RequestInit = {},
  ): Promise<{ url: string; response: Response }> {
    let current = url;
    let response = await this.request(current, init);
    for (let hops = 0; hops < 20; hops++) {
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || location === null) return { url: current, response };
      current = new URL(location, current).toString();
      if (stop(current)) return { url: current, response };
      response = await this.request(current);
    }
    throw new Error(`too many redirects from ${url}`);
  }

  /** The current value of a cookie. */
  cookie(name: string): string | undefined {
    return this.#cookies.get(name)?.value;
  }

  /** Sets a cookie by hand (to forge or replay one). */
  setCookie(name: string, value: string, path = '/'): void {
    this.#cookies.set(name, { value, path });
  }

  #store(line: string): void {
    const [pair = '', ...attributes] = line.split(';');
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const path =
      attributes
        .map((a) => a.trim())
        .find((a) => a.toLowerCase().startsWith('path='))
        ?.slice(5) ?? '/';
    const maxAge = attributes.map((a) => a.trim()).find((a) => a.toLowerCase().startsWith('max-age='));
    const expired = (maxAge !== undefined && Number(maxAge.slice(8)) <= 0) || /expires=thu, 01 jan 1970/i.test(line);
    if (expired || value === '') this.#cookies.delete(name);
    else this.#cookies.set(name, { value, path });
  }
}
