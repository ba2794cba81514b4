/**
 * A minimal browser over fetch: a cookie jar and manual redirects, enough to drive Guichet's
 * server-rendered login pages the way a relying party's integration test would.
 */
export class CookieJar {
  readonly cookies = new Map<string, string>();
  store(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair = ''] = header.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(header) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

export interface Page {
  status: number;
  url: string;
  body: string;
  headers: Headers;
}

export class Browser {
  readonly jar = new CookieJar();
  constructor(readonly origin: string, readonly headers: Record<string, string> = {}) {}

  async request(url: string, init: { method?: string; form?: Record<string, string>; body?: string; contentType?: string } = {}): Promise<Response> {
    const absolute = new URL(url, this.origin).href;
    const body = init.form ? new URLSearchParams(init.form).toString() : init.body;
    const response = await fetch(absolute, {
      method: init.method ?? (body !== undefined ? 'POST' : 'GET'),
      redirect: 'manual',
      headers: {
        ...this.headers,
        cookie: this.jar.header(),
        ...(body !== undefined ? { 'content-type': init.contentType ?? 'application/x-www-form-urlencoded' } : {}),
      },
      body,
    });
    this.jar.store(response);
    return response;
  }

  /** Follows redirects on this origin; stops at the first one leaving it (the relying party's callback). */
  async follow(url: string, init: Parameters<Browser['request']>[1] = {}): Promise<Page> {
    let response = await this.request(url, init);
    let current = new URL(url, this.origin).href;
    for (let hops = 0; hops < 20 && response.status >= 300 && response.status < 400; hops++) {
      const location = new URL(response.headers.get('location')!, current).href;
      if (!location.startsWith(this.origin)) return { status: response.status, url: location, body: await response.text(), headers: response.headers };
      current = location;
      response = await this.request(location);
    }
    return { status: response.status, url: current, body: await response.text(), headers: response.headers };
  }
}

export const formOf = (body: string, step: string): { action: string; csrf: string } => {
  const form = new RegExp(`<form[^>]*action="([^"]+)"[^>]*data-step="${step}"`).exec(body);
  if (!form) throw new Error(`no form with data-step="${step}" in:\n${body.slice(0, 2000)}`);
  const csrf = /name="csrf" value="([^"]+)"/.exec(body)?.[1] ?? '';
  return { action: form[1]!.replace(/&amp;/g, '&'), csrf };
};

export const stepOf = (body: string): string | undefined => /data-step="([^"]+)"/.exec(body)?.[1];

/** identify → password with the given secrets; returns the page (or the redirect out) after the password. */
export async function loginWithPassword(browser: Browser, authorizationUrl: string, identifier: string, password: string): Promise<Page> {
  const first = await browser.follow(authorizationUrl);
  const identify = formOf(first.body, 'identify');
  const second = await browser.follow(identify.action, { form: { csrf: identify.csrf, identifier } });
  const pw = formOf(second.body, 'password');
  return browser.follow(pw.action, { form: { csrf: pw.csrf, password } });
}
