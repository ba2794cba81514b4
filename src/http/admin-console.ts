import Router from '@koa/router';
import type { Context } from 'koa';
import type { Config } from '../config/schema.js';
import type { Account } from '../domain/account.js';
import type { CredentialKind } from '../domain/credential.js';
import type { ExpiringStore, Mailer, Repositories } from '../domain/ports.js';
import type { PasswordHasher } from '../domain/password-hasher.js';
import { GuichetError } from '../errors/codes.js';
import type { MessageId } from '../i18n/messages.js';
import type { Clock } from '../lib/clock.js';
import type { SecretBox } from '../lib/encryption.js';
import { randomToken } from '../lib/random.js';
import { formatExpiry, issueTemporaryCode, reasonOf, SUBSCRIPTION_ADMIN_ROLE } from '../admin/temporary-codes.js';
import { adminForbiddenPage, adminGonePage, adminIssuedPage, adminUsersPage, displayName } from '../../views/admin.js';
import { pageContext } from './page-context.js';
import type { PortalSessions, PortalUser } from './portal-session.js';
import { readForm, requireField } from './read-form.js';

export interface AdminConsoleDependencies {
  portal: PortalSessions;
  repos: Repositories;
  store: ExpiringStore;
  config: Readonly<Config>;
  clock: Clock;
  box: SecretBox;
  hasher: PasswordHasher;
  mailer: Mailer;
}

/** How long the one-time result page can be opened after the POST that issued the code. */
const RESULT_TTL = 120;
const LIST_LIMIT = 1000;

interface IssuedResult {
  viewer: string;
  /** Sealed (AES-GCM) while it waits in the store for its one showing. */
  sealed: string;
}

/**
 * The subscription administrators' page (`/admin`): the users of their subscription and, per user,
 * a temporary code shown once. It needs the administrator's own fresh login (RTS art. 24: the
 * association happens in the bank's web environment, evidenced in the audit as `admin-page` with
 * the login's time and methods). No page here takes a secret: the administrator never chooses nor
 * learns the user's own code, only a one-time code that makes the user choose it (ASVS 5.0 6.4.6).
 */
export function adminConsole(deps: AdminConsoleDependencies): Router {
  const { portal, repos, store, config, box } = deps;
  const router = new Router({ prefix: '/admin' });
  const fresh = { maxAgeSeconds: config.temporaryCodes.freshLoginSeconds };
  const issueDeps = { ...deps, temporarySecrets: repos.temporarySecrets, audit: repos.audit };
  const page = (ctx: Context, account: Account) => pageContext(ctx, config.defaultLocale, { account: account.locale, here: '/admin' });
  const resultKey = (ref: string) => `admin:issued:${ref}`;

  /** The signed-in subscription administrator; otherwise a login redirect or the 403 page, and null. */
  async function administrator(ctx: Context): Promise<PortalUser | null> {
    const user = await portal.require(ctx, fresh);
    if (!user) return null;
    ctx.set('Cache-Control', 'no-store');
    if (!user.account.roles.includes(SUBSCRIPTION_ADMIN_ROLE) || !user.account.subscriptionId) {
      ctx.status = 403;
      ctx.type = 'html';
      ctx.body = adminForbiddenPage(page(ctx, user.account));
      return null;
    }
    return user;
  }

  async function renderUsers(ctx: Context, user: PortalUser, error?: { message: MessageId; account?: string }): Promise<void> {
    const subscription = await repos.subscriptions.findById(user.account.subscriptionId!);
    const accounts = await repos.accounts.listBySubscription(user.account.subscriptionId!, LIST_LIMIT);
    const users = await Promise.all(
      accounts.map(async (account) => {
        const kinds = (await repos.credentials.listForAccount(account.id)).map((c) => c.kind);
        const kind: CredentialKind = kinds.includes('pin') || (!kinds.includes('password') && config.login.firstFactor === 'pin') ? 'pin' : 'password';
        return { account, kind, self: account.id === user.account.id };
      }),
    );
    const p = page(ctx, user.account);
    ctx.type = 'html';
    ctx.body = adminUsersPage(p, {
      subscription: subscription?.name ?? subscription?.identifier ?? '',
      users,
      csrf: user.csrf,
      action: '/admin/temp-code',
      delivery: config.temporaryCodes.delivery,
      shownTtlMinutes: config.temporaryCodes.shownTtlMinutes,
      postedTtlDays: config.temporaryCodes.postedTtlDays,
      error: error ? p.t(error.message) : undefined,
      errorAccount: error?.account,
    });
  }

  router.get('/', async (ctx) => {
    const user = await administrator(ctx);
    if (user) await renderUsers(ctx, user);
  });

  router.post('/temp-code', async (ctx) => {
    const user = await administrator(ctx);
    if (!user) return;
    const form = await readForm(ctx, 4096);
    portal.checkCsrf(user, form.csrf);
    const accountId = requireField(form, 'account', 200);
    const kind = form.kind;
    if (kind !== undefined && kind !== 'pin' && kind !== 'password') throw new GuichetError('bad_request', 'unknown kind');
    const target = await repos.accounts.findById(accountId);
    // An unknown account reads as one of another subscription: the form reveals no other account.
    if (!target) {
      ctx.status = 403;
      return renderUsers(ctx, user, { message: 'admin.refused.other_subscription' });
    }
    let issued;
    try {
      issued = await issueTemporaryCode(issueDeps, {
        actor: { kind: 'subscription-admin', account: user.account, proof: { session: 'portal', authTime: user.authTime, acr: user.acr, amr: user.amr } },
        targetAccount: target,
        kind,
        environment: 'admin-page',
        ip: ctx.ip,
        userAgent: ctx.get('user-agent') || null,
      });
    } catch (e) {
      const reason = reasonOf(e);
      if (!reason) throw e;
      ctx.status = (e as GuichetError).status;
      return renderUsers(ctx, user, { message: `admin.refused.${reason}` as MessageId, account: target.id });
    }
    const ref = randomToken(24);
    const shown = { name: displayName(target), code: issued.code, expiresAt: issued.expiresAt.toISOString() };
    await store.set(resultKey(ref), JSON.stringify({ viewer: user.account.id, sealed: box.seal(JSON.stringify(shown)) } satisfies IssuedResult), RESULT_TTL);
    ctx.status = 303;
    ctx.redirect(`/admin/temp-code/${ref}`);
  });

  /** The result, once: the first GET claims it, any later one (a reload, the back button) finds it gone. */
  router.get('/temp-code/:ref', async (ctx) => {
    const user = await administrator(ctx);
    if (!user) return;
    const key = resultKey(String(ctx.params.ref));
    const raw = await store.get(key);
    const result = raw ? (JSON.parse(raw) as IssuedResult) : null;
    const claimed = result !== null && result.viewer === user.account.id && (await store.setIfAbsent(`${key}:shown`, '1', RESULT_TTL));
    const p = page(ctx, user.account);
    ctx.type = 'html';
    if (!claimed) {
      ctx.status = 410;
      ctx.body = adminGonePage(p, '/admin');
      return;
    }
    await store.delete(key);
    const shown = JSON.parse(box.open(result.sealed)) as { name: string; code: string | null; expiresAt: string };
    ctx.body = adminIssuedPage(p, { name: shown.name, code: shown.code, expires: formatExpiry(new Date(shown.expiresAt), p.locale), backHref: '/admin' });
  });

  return router;
}
