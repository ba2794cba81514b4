/**
 * Headless Chromium for the browser tests (TOOLCHAIN.md, "Browser tests"): Debian's chromium driven
 * by playwright-core, axe-core for WCAG 2.1 A/AA checks, and the relying party's callback intercepted.
 *
 * Usage in a test file:
 *   const chromium = useChromium();            // launches once per file (beforeAll / afterAll)
 *   const context = await chromium.newContext(); // a fresh context per test, closed after it
 */
import { afterAll, afterEach, beforeAll, expect } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { TEST_CLIENT } from './guichet.js';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The relying party's redirect URIs live here; no such host exists. */
export const RP_ORIGIN = new URL(TEST_CLIENT.redirect_uris[0]!).origin;

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // The RP's host never reaches real DNS: a navigation to it fails at once, offline and deterministically.
  `--host-resolver-rules=MAP ${new URL(RP_ORIGIN).hostname} ~NOTFOUND`,
];

/** Launches Chromium, or fails (never skips) with a message saying how to install it. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Browser tests need Chromium at ${CHROMIUM_PATH}, which does not exist. Install Debian's package ` +
        '(`apt-get update && apt-get install -y chromium`, see TOOLCHAIN.md "Browser tests") or set CHROMIUM_PATH. ' +
        'These tests fail rather than skip so that a missing browser is never mistaken for a pass.',
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/**
 * A context whose requests to the relying party are answered locally with a plain "callback" page.
 * Playwright routes only the first URL of a redirect chain, so the provider's 303 to the callback is
 * NOT fulfilled by this route (the navigation ends on Chromium's error page); read the callback with
 * `waitForCallback`, which watches the requests themselves.
 */
export async function newRpContext(browser: Browser, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  const context = await browser.newContext({ locale: 'fr-FR', ...options });
  context.setDefaultTimeout(10_000);
  context.setDefaultNavigationTimeout(15_000);
  await context.route(`${RP_ORIGIN}/**`, (route) => route.fulfill({ status: 200, contentType: 'text/plain', body: 'callback' }));
  return context;
}

export interface ChromiumHandle {
  readonly browser: Browser;
  /** A fresh context for the current test; it is closed after the test. */
  newContext(options?: BrowserContextOptions): Promise<BrowserContext>;
  /** A fresh context and one page in it. */
  newPage(options?: BrowserContextOptions): Promise<Page>;
}

/** Launches Chromium once for the file and closes every context a test opened when the test ends. */
export function useChromium(): ChromiumHandle {
  let browser: Browser | undefined;
  const open: BrowserContext[] = [];
  beforeAll(async () => {
    browser = await launchChromium();
  }, 30_000);
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close().catch(() => undefined)));
  });
  afterAll(async () => {
    await browser?.close();
  });
  const handle: ChromiumHandle = {
    get browser() {
      if (!browser) throw new Error('Chromium did not start (see the error in beforeAll)');
      return browser;
    },
    async newContext(options) {
      const context = await newRpContext(handle.browser, options);
      open.push(context);
      return context;
    },
    async newPage(options) {
      return (await handle.newContext(options)).newPage();
    },
  };
  return handle;
}

export interface AuthorizationRequest {
  url: string;
  verifier: string;
  state: string;
  nonce: string;
}

/** An authorization URL for TEST_CLIENT (or another client) on the given Guichet, with PKCE S256. */
export function authorizationUrl(guichetUrl: string, extra: Record<string, string> = {}): AuthorizationRequest {
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(12).toString('base64url');
  const nonce = randomBytes(12).toString('base64url');
  const search = new URLSearchParams({
    client_id: TEST_CLIENT.client_id,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: TEST_CLIENT.redirect_uris[0]!,
    state,
    nonce,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    ...extra,
  });
  return { url: `${guichetUrl}/auth?${search}`, verifier, state, nonce };
}

/**
 * Resolves with the query of the first request the page sends to the relying party (the redirect to
 * the callback), whether or not that navigation is then fulfilled. Call it before the action.
 */
export async function waitForCallback(page: Page, timeout = 10_000): Promise<URLSearchParams> {
  const request = await page.waitForRequest((r) => r.url().startsWith(`${RP_ORIGIN}/`) && r.isNavigationRequest(), { timeout });
  return new URL(request.url()).searchParams;
}

/** Redeems a code at the token endpoint as TEST_CLIENT; proves the code the browser carried is real. */
export async function redeemCode(guichetUrl: string, code: string, verifier: string, client: { client_id: string; client_secret: string } = TEST_CLIENT): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${guichetUrl}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: TEST_CLIENT.redirect_uris[0]!, code_verifier: verifier }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

let axeSource: string | undefined;
const loadAxe = () => (axeSource ??= readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8'));

interface AxeNode {
  target: unknown[];
  html: string;
  failureSummary?: string;
}
interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  helpUrl: string;
  nodes: AxeNode[];
}

export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/** Runs axe-core (WCAG 2.0/2.1 A and AA rules) on the page; the page keeps its own CSP. */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated through the DevTools protocol: not a page script, so the strict CSP does not block it.
  await page.evaluate(loadAxe());
  return page.evaluate(async (tags) => {
    const axe = (globalThis as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl, nodes: v.nodes.map((n) => ({ target: n.target, html: n.html, failureSummary: n.failureSummary })) }));
  }, WCAG_TAGS);
}

export function formatViolations(violations: AxeViolation[]): string {
  return violations
    .map((v) => `• [${v.impact ?? 'n/a'}] ${v.id}: ${v.help} (${v.helpUrl})\n` + v.nodes.map((n) => `    at ${JSON.stringify(n.target)}\n      ${n.html}\n      ${(n.failureSummary ?? '').replace(/\n/g, '\n      ')}`).join('\n'))
    .join('\n');
}

/** Fails with a readable list (rule, impact, element, fix) when axe finds any WCAG 2.1 A/AA violation. */
export async function expectNoAxeViolations(page: Page, label = page.url()): Promise<void> {
  const violations = await axeViolations(page);
  const report = violations.length === 0 ? '' : `axe found ${violations.length} WCAG 2.1 A/AA violation(s) on ${label}:\n${formatViolations(violations)}`;
  expect(report).toBe('');
}

/** Asserts the page shows the given `data-step`; on failure, says which step (and text) it shows instead. */
export async function expectStep(page: Page, step: string): Promise<void> {
  await page.locator(`[data-step="${step}"]`).first().waitFor({ state: 'attached', timeout: 5_000 }).catch(() => undefined);
  const actual = await page.locator('[data-step]').first().getAttribute('data-step').catch(() => null);
  if (actual !== step) {
    const text = await page.locator('body').innerText().catch(() => '');
    throw new Error(`expected the step "${step}" but the page at ${page.url()} shows "${actual}":\n${text.slice(0, 600)}`);
  }
}

/** Clicks the submit button of the form `selector` names and waits for the next document. */
export async function submitForm(page: Page, selector: string): Promise<void> {
  await Promise.all([page.waitForEvent('load'), page.locator(`${selector} button[type="submit"]`).first().click()]);
}
