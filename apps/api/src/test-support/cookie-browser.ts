/**
 * @module test-support/cookie-browser — an HTTP client that behaves like a browser for redirect flows:
 * follows redirects one by one, keeps cookies per host (with Path, Max-Age and Expires), submits forms.
 */

interface StoredCookie {
  value: string;
  path: string;
  expiresAt: number | undefined;
}

export interface Visit {
  status: number;
  url: URL;
  body: string;
  /** Every URL visited on the way, the first request included. */
  trail: URL[];
  headers: Headers;
}

export class CookieBrowser {
  /** host → cookie name → cookie. */
  readonly jar = new Map<string, Map<string, StoredCookie>>();

  /** When it returns true for the next URL, `go` stops before requesting it (status 0, that URL). */
  stopBefore: ((url: URL) => boolean) | undefined;

  constructor(private readonly extraHeaders: Record<string, string> = {}) {}

  cookiesFor(url: URL): string {
    const now = Date.now();
    const cookies = this.jar.get(url.host) ?? new Map<string, StoredCookie>();
    return [...cookies]
      .filter(([, c]) => (c.expiresAt === undefined || c.expiresAt > now) && url.pathname.startsWith(c.path))
      .map(([name, c]) => `${name}=${c.value}`)
      .join('; ');
  }

  cookie(url: string, name: string): string | undefined {
    return this.jar.get(new URL(url).host)?.get(name)?.value;
  }

  setCookie(url: string, name: string, value: string, path = '/'): void {
    const host = new URL(url).host;
    const cookies = this.jar.get(host) ?? new Map<string, StoredCookie>();
    cookies.set(name, { value, path, expiresAt: undefined });
    this.jar.set(host, cookies);
  }

  private store(url: URL, headers: Headers): void {
    const cookies = this.jar.get(url.host) ?? new Map<string, StoredCookie>();
    for (const line of headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = '/';
      let expiresAt: number | undefined;
      for (const attribute of attributes) {
        const [key = '', val = ''] = attribute.split('=');
        if (key.toLowerCase() === 'path') path = val;
        if (key.toLowerCase() === 'max-age') expiresAt = Date.now() + Number(val) * 1000;
        if (key.toLowerCase() === 'expires' && expiresAt === undefined) expiresAt = Date.parse(val);
      }
      if (expiresAt !== undefined && expiresAt <= Date.now()) cookies.delete(name);
      else cookies.set(name, { value, path, expiresAt });
    }
    this.jar.set(url.host, cookies);
  }

  /** Requests `url` and follows redirects (303/302 as GET) until a page answers. */
  async go(
    url: string | URL,
    init: { method?: string; form?: Record<string, string>; maxRedirects?: number } = {},
  ): Promise<Visit> {
    let current = new URL(url);
    let method = init.method ?? (init.form ? 'POST' : 'GET');
    let body: string | undefined = init.form ? new URLSearchParams(init.form).toString() : undefined;
    const trail: URL[] = [];
    for (let hop = 0; hop <= (init.maxRedirects ?? 20); hop++) {
      if (hop > 0 && this.stopBefore?.(current))
        return { status: 0, url: current, body: '', trail, headers: new Headers() };
      trail.push(current);
      const headers: Record<string, string> = { accept: 'text/html', ...this.extraHeaders };
      const cookie = this.cookiesFor(current);
      if (cookie) headers.cookie = cookie;
      if (body !== undefined) {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        headers.origin = current.origin;
      }
      const res = await fetch(current, { method, headers, body, redirect: 'manual' });
      this.store(current, res.headers);
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        await res.body?.cancel();
        if (hop === (init.maxRedirects ?? 20))
          return { status: res.status, url: current, body: '', trail, headers: res.headers };
        current = new URL(location, current);
        if (res.status !== 307 && res.status !== 308) {
          method = 'GET';
          body = undefined;
        }
        continue;
      }
      return { status: res.status, url: current, body: await res.text(), trail, headers: res.headers };
    }
    throw new Error(`unreachable: redirects from ${String(url)}`);
  }

  /** Submits the first form of `page` whose action matches, with its hidden inputs plus `fields`. */
  async submit(page: Visit, fields: Record<string, string>, actionIncludes = ''): Promise<Visit> {
    const forms = [...page.body.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)];
    for (const [, attributes = '', inner = ''] of forms) {
      const action = /action="([^"]*)"/.exec(attributes)?.[1]?.replaceAll('&amp;', '&');
      if (action === undefined || !action.includes(actionIncludes)) continue;
      const form: Record<string, string> = {};
      for (const [input = ''] of inner.matchAll(/<input\b[^>]*>/g)) {
        const name = /name="([^"]*)"/.exec(input)?.[1];
        const value = /value="([^"]*)"/.exec(input)?.[1] ?? '';
        if (name && /type="hidden"/.test(input)) form[name] = value;
      }
      return this.go(new URL(action, page.url), { form: { ...form, ...fields } });
    }
    throw new Error(
      `no form with action containing "${actionIncludes}" on ${page.url.href}:\n${page.body.slice(0, 800)}`,
    );
  }
}
