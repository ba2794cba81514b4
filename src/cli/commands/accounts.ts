import { z } from 'zod';
import { createAccountAdmin } from '../../admin/account-admin.js';
import { issueTemporaryCode, type TemporaryCodeDelivery } from '../../admin/temporary-codes.js';
import { LOCALES, type Account, type Locale } from '../../domain/account.js';
import type { Container } from '../../container.js';
import type { CredentialKind, SecretCredential } from '../../domain/credential.js';
import { GuichetError } from '../../errors/codes.js';
import { findAccount, REF } from '../account-ref.js';
import { parseCommandArgs, UsageError } from '../args.js';
import type { Command, Session } from '../command.js';
import { describeFactor, formatFactorBlock, type FactorView } from '../factor-view.js';
import { formatFields, isoOrNull, yesNo } from '../output.js';
import { enforceSecretPolicy } from '../secret-rules.js';

/** The credentials set with a secret (password, confidential code): those `set-*` and `unblock` handle. */
const SECRET_KINDS: readonly CredentialKind[] = ['password', 'pin'];

/** How text output names a kind of credential. */
const kindLabel = (kind: string): string => (kind === 'pin' ? 'PIN' : kind);

/** A credential's metadata; the hash never leaves the database. */
function describeCredential(c: SecretCredential, now: Date) {
  const temporarilyUntil = !c.blockedAt && c.blockedUntil && c.blockedUntil > now ? c.blockedUntil : null;
  return {
    kind: c.kind,
    setAt: c.setAt.toISOString(),
    mustChange: c.mustChange,
    expiresAt: isoOrNull(c.expiresAt),
    failedCount: c.failedCount,
    blocked: c.blockedAt !== null || temporarilyUntil !== null,
    /** Blocked for good since then: only an administrator's unblock lifts it. */
    blockedAt: isoOrNull(c.blockedAt),
    /** Blocked for a while, until then. */
    blockedUntil: isoOrNull(temporarilyUntil),
    /** Temporary blocks since the last success; past the policy's number the next one is permanent. */
    blockCount: c.blockCount,
    lastUsedAt: isoOrNull(c.lastUsedAt),
  };
}

type CredentialView = ReturnType<typeof describeCredential>;

/** What the password policy compares a secret with: the account's username, user number, subscription and e-mail. */
async function identifiersOfAccount(container: Container, account: Account): Promise<Array<string | null>> {
  const subscription = account.subscriptionId ? await container.repos.subscriptions.findById(account.subscriptionId) : null;
  return [account.username, account.userNumber, subscription?.identifier ?? null, account.email];
}

/** Account fields and the metadata of each of its credentials. */
async function describeAccount(container: Container, account: Account) {
  const subscription = account.subscriptionId ? await container.repos.subscriptions.findById(account.subscriptionId) : null;
  const now = container.clock.now();
  const credentials = (await container.repos.credentials.listForAccount(account.id)).filter((c) => SECRET_KINDS.includes(c.kind)).map((c) => describeCredential(c, now));
  // Strong factors (guichet factor list): their metadata only, never their seeds.
  const factors = (await container.repos.factors.listForAccount(account.id)).map((f) => describeFactor(f, now));
  return {
    id: account.id,
    username: account.username,
    subscription: subscription?.identifier ?? null,
    userNumber: account.userNumber,
    status: account.status,
    familyName: account.familyName,
    givenName: account.givenName,
    email: account.email,
    emailVerified: account.emailVerified,
    locale: account.locale,
    roles: account.roles,
    profile: account.profile,
    preferences: account.preferences,
    createdAt: account.createdAt.toISOString(),
    updatedAt: account.updatedAt.toISOString(),
    credentials,
    factors,
  };
}

type AccountView = Awaited<ReturnType<typeof describeAccount>>;

const refOf = (a: Pick<AccountView, 'username' | 'subscription' | 'userNumber'>): string =>
  a.username ?? `${a.subscription}/${a.userNumber}`;

function formatBlock(c: CredentialView): string {
  if (c.blockedAt) return `permanently since ${c.blockedAt}`;
  if (c.blockedUntil) return `temporarily until ${c.blockedUntil}`;
  return 'no';
}

const formatCredential = (c: CredentialView): string =>
  [
    `set ${c.setAt}`,
    `must change: ${yesNo(c.mustChange)}`,
    `failed attempts: ${c.failedCount}`,
    `blocked: ${formatBlock(c)}`,
    `blocks: ${c.blockCount}`,
    ...(c.expiresAt ? [`expires ${c.expiresAt}`] : []),
    ...(c.lastUsedAt ? [`last used ${c.lastUsedAt}`] : []),
  ].join('; ');

const formatFactor = (f: FactorView): string =>
  [`${f.id}${f.label ? ` "${f.label}"` : ''}${f.serial ? ` serial ${f.serial}` : ''}`, `created ${f.createdAt}`, `blocked: ${formatFactorBlock(f)}`, ...(f.lastUsedAt ? [`last used ${f.lastUsedAt}`] : [])].join('; ');

function formatAccount(a: AccountView): string {
  return formatFields([
    ['id', a.id],
    ['username', a.username],
    ['subscription', a.subscription],
    ['user number', a.userNumber],
    ['status', a.status],
    ['name', [a.givenName, a.familyName].filter(Boolean).join(' ')],
    ['email', a.email && `${a.email}${a.emailVerified ? ' (verified)' : ''}`],
    ['locale', a.locale],
    ['roles', a.roles.join(', ')],
    ['profile', a.profile],
    ['created', a.createdAt],
    ...(a.credentials.length === 0 ? [['credentials', 'none'] as const] : a.credentials.map((c) => [kindLabel(c.kind), formatCredential(c)] as const)),
    ...a.factors.map((f) => [f.kind.toUpperCase(), formatFactor(f)] as const),
  ]);
}

const withAccount = (ref: string, work: (container: Container, account: Account, session: Session) => Promise<{ text: string; changed?: boolean }>) =>
  async (session: Session) => {
    const container = await session.container();
    const account = await findAccount(container, ref);
    const { text, changed = true } = await work(container, account, session);
    const view = await describeAccount(container, (await container.repos.accounts.findById(account.id)) ?? account);
    return { text, json: { changed, account: view } };
  };

export const accountAddCommand: Command = {
  name: 'account add',
  synopsis: '(--username U | --subscription S --user-number N) [--email E] [--family-name F] [--given-name G] [--locale fr|en] [--role R…] [--profile P] [--password-stdin | --pin-stdin] [--must-change]',
  summary: 'Create an active account; with --password-stdin (or --pin-stdin) its password (or confidential code) is read from stdin and checked against the policy.',
  parse(args) {
    const { values } = parseCommandArgs(this.name, args, {
      username: { type: 'string' },
      subscription: { type: 'string' },
      'user-number': { type: 'string' },
      email: { type: 'string' },
      'family-name': { type: 'string' },
      'given-name': { type: 'string' },
      locale: { type: 'string' },
      role: { type: 'string', multiple: true },
      profile: { type: 'string' },
      'password-stdin': { type: 'boolean' },
      'pin-stdin': { type: 'boolean' },
      'must-change': { type: 'boolean' },
    });
    const { username, subscription, 'user-number': userNumber, locale } = values;
    if (Boolean(subscription) !== Boolean(userNumber)) throw new UsageError(`${this.name}: --subscription and --user-number go together`, this.name);
    if (!username && !subscription) throw new UsageError(`${this.name}: give --username, or --subscription and --user-number`, this.name);
    if (locale !== undefined && !(LOCALES as readonly string[]).includes(locale)) throw new UsageError(`${this.name}: --locale must be one of ${LOCALES.join(', ')}`, this.name);
    if (values.email !== undefined && !z.email().safeParse(values.email).success) throw new UsageError(`${this.name}: --email ${values.email} is not an e-mail address`, this.name);
    if (values['password-stdin'] && values['pin-stdin']) {
      throw new UsageError(`${this.name}: --password-stdin and --pin-stdin both read stdin; give one, and set the other with account set-password or account set-pin`, this.name);
    }
    const kind: CredentialKind | null = values['password-stdin'] ? 'password' : values['pin-stdin'] ? 'pin' : null;
    const mustChange = values['must-change'] ?? false;
    if (mustChange && !kind) throw new UsageError(`${this.name}: --must-change needs --password-stdin or --pin-stdin`, this.name);

    return async (session) => {
      const secret = kind ? await session.readSecret(kind) : null;
      // Checked before the account exists, so that a refused secret leaves nothing behind.
      if (kind && secret !== null) enforceSecretPolicy(session.config, kind, secret, { identifiers: [username, userNumber, subscription, values.email], mustChange });
      const container = await session.container();
      const admin = createAccountAdmin(container, 'cli');
      const account = await admin.addAccount({
        username: username ?? null,
        subscription,
        userNumber: userNumber ?? null,
        email: values.email ?? null,
        familyName: values['family-name'] ?? null,
        givenName: values['given-name'] ?? null,
        locale: (locale as Locale | undefined) ?? container.config.defaultLocale,
        roles: values.role ?? [],
        profile: values.profile ?? null,
      });
      if (kind && secret !== null) await admin.setSecret(account.id, kind, secret, mustChange);
      const view = await describeAccount(container, account);
      const set = kind ? `; ${kind === 'pin' ? 'confidential code' : 'password'} set${mustChange ? ' (to be changed at next login)' : ''}` : '; no password set';
      return { text: `account ${refOf(view)} added (${account.id})${set}`, json: { account: view } };
    };
  },
};

export const accountShowCommand: Command = {
  name: 'account show',
  synopsis: REF,
  summary: 'Show an account and, for each credential, when it was set, its failures and blocks (never the hash).',
  parse(args) {
    const [ref] = parseCommandArgs(this.name, args, {}, { names: [REF] }).positionals as [string];
    return async (session) => {
      const container = await session.container();
      const view = await describeAccount(container, await findAccount(container, ref));
      return { text: formatAccount(view), json: { account: view } };
    };
  },
};

/** `account set-password` and `account set-pin`: the secret from stdin, checked against the policy. */
function setSecretCommand(kind: CredentialKind): Command {
  const option = kind === 'pin' ? 'pin-stdin' : 'password-stdin';
  const noun = kind === 'pin' ? 'confidential code' : 'password';
  return {
    name: `account set-${kind}`,
    synopsis: `${REF} --${option} [--must-change]`,
    summary: `Replace the ${noun} with the one read from stdin, checked against the ${kind === 'pin' ? 'PIN' : 'password'} policy (with --must-change, a temporary one: ${kind === 'pin' ? 'its length and digits' : 'its length'} only); resets the failure count and unblocks it.`,
    parse(args) {
      const { values, positionals } = parseCommandArgs(this.name, args, { [option]: { type: 'boolean' }, 'must-change': { type: 'boolean' } }, { names: [REF] });
      if (!values[option]) throw new UsageError(`${this.name}: --${option} is required (a ${noun} is never taken from the arguments)`, this.name);
      const mustChange = values['must-change'] === true;
      const ref = positionals[0]!;
      return withAccount(ref, async (container, account, session) => {
        const secret = await session.readSecret(kind);
        enforceSecretPolicy(container.config, kind, secret, { identifiers: await identifiersOfAccount(container, account), mustChange });
        const previous = await container.repos.credentials.find(account.id, kind);
        await createAccountAdmin(container, 'cli').setSecret(account.id, kind, secret, mustChange);
        // The new secret starts with no failures: the lockout's counters for the old one go too.
        if (previous) await container.lockout.reset(previous);
        return { text: `${noun} of ${ref} set${mustChange ? ' (to be changed at next login)' : ''}` };
      });
    },
  };
}

export const accountSetPasswordCommand = setSecretCommand('password');
export const accountSetPinCommand = setSecretCommand('pin');

export const accountUnblockCommand: Command = {
  name: 'account unblock',
  synopsis: `${REF} [--kind password|pin]`,
  summary: 'Lift the blocks on the password and PIN (or on the one --kind names) and forget their failures; a blocked account becomes active again.',
  parse(args) {
    const { values, positionals } = parseCommandArgs(this.name, args, { kind: { type: 'string' } }, { names: [REF] });
    const only = values.kind;
    if (only !== undefined && !(SECRET_KINDS as readonly string[]).includes(only)) throw new UsageError(`${this.name}: --kind must be one of ${SECRET_KINDS.join(', ')}`, this.name);
    const ref = positionals[0]!;
    return async (session) => {
      const container = await session.container();
      const account = await findAccount(container, ref);
      const credentials = (await container.repos.credentials.listForAccount(account.id)).filter((c) => (only ? c.kind === only : SECRET_KINDS.includes(c.kind)));
      if (only && credentials.length === 0) throw new GuichetError('not_found', `account ${ref} has no ${kindLabel(only)}`);
      const now = container.clock.now();
      const lines: string[] = [];
      const unblocked: Array<{ kind: CredentialKind; was: CredentialView }> = [];
      for (const credential of credentials) {
        const was = describeCredential(credential, now);
        // Anything the lockout remembers: a block, past temporary blocks counting towards the permanent one, failures.
        if (!was.blocked && credential.blockedUntil === null && credential.blockCount === 0 && credential.failedCount === 0) {
          await container.lockout.reset(credential); // attempts counted in the store but not yet recorded
          lines.push(`${kindLabel(credential.kind)} of ${ref} was not blocked`);
          continue;
        }
        await container.lockout.unblock(credential);
        await container.repos.audit.record({ action: 'admin.credential.unblock', result: 'success', actor: 'cli', accountId: account.id, details: { kind: credential.kind } });
        unblocked.push({ kind: credential.kind, was });
        lines.push(`${kindLabel(credential.kind)} of ${ref} unblocked (was blocked: ${formatBlock(was)}; failed attempts: ${was.failedCount}; blocks: ${was.blockCount})`);
      }
      const reactivated = account.status === 'blocked';
      if (reactivated) {
        await createAccountAdmin(container, 'cli').setStatus(account.id, 'active');
        lines.push(`account ${ref} is active again`);
      }
      if (credentials.length === 0 && !reactivated) lines.push(`account ${ref} has no password or PIN to unblock`);
      const view = await describeAccount(container, (await container.repos.accounts.findById(account.id)) ?? account);
      return {
        text: lines.join('\n'),
        json: { changed: unblocked.length > 0 || reactivated, unblocked: unblocked.map(({ kind, was }) => ({ kind, before: was })), reactivated, account: view },
      };
    };
  },
};

export const accountSuspendCommand: Command = {
  name: 'account suspend',
  synopsis: REF,
  summary: 'Suspend an account: it can no longer log in, and its tokens stop working.',
  parse(args) {
    const [ref] = parseCommandArgs(this.name, args, {}, { names: [REF] }).positionals as [string];
    return withAccount(ref, async (container, account) => {
      if (account.status === 'suspended') return { text: `account ${ref} is already suspended`, changed: false };
      await createAccountAdmin(container, 'cli').setStatus(account.id, 'suspended');
      return { text: `account ${ref} suspended` };
    });
  },
};

export const accountUnsuspendCommand: Command = {
  name: 'account unsuspend',
  synopsis: REF,
  summary: 'Make a suspended account active again.',
  parse(args) {
    const [ref] = parseCommandArgs(this.name, args, {}, { names: [REF] }).positionals as [string];
    return withAccount(ref, async (container, account) => {
      if (account.status === 'active') return { text: `account ${ref} is already active`, changed: false };
      if (account.status !== 'suspended') throw new GuichetError('conflict', `account ${ref} is ${account.status}, not suspended`);
      await createAccountAdmin(container, 'cli').setStatus(account.id, 'active');
      return { text: `account ${ref} is active again` };
    });
  },
};

const DELIVERIES: readonly TemporaryCodeDelivery[] = ['show', 'mail'];

export const accountTempCodeCommand: Command = {
  name: 'account temp-code',
  synopsis: `${REF} [--kind pin|password] [--deliver show|mail]`,
  summary:
    'Issue a temporary confidential code (or password) for a user: random, single use, expiring; at the next login it only lets the user choose their own. Printed once (--deliver show) or e-mailed to the user (--deliver mail); the default kind is the one the account has, PIN first.',
  parse(args) {
    const { values, positionals } = parseCommandArgs(this.name, args, { kind: { type: 'string' }, deliver: { type: 'string' } }, { names: [REF] });
    const { kind, deliver } = values;
    if (kind !== undefined && !(SECRET_KINDS as readonly string[]).includes(kind)) throw new UsageError(`${this.name}: --kind must be one of ${SECRET_KINDS.join(', ')}`, this.name);
    if (deliver !== undefined && !(DELIVERIES as readonly string[]).includes(deliver)) throw new UsageError(`${this.name}: --deliver must be one of ${DELIVERIES.join(', ')}`, this.name);
    const ref = positionals[0]!;
    return async (session) => {
      const container = await session.container();
      const account = await findAccount(container, ref);
      const issued = await issueTemporaryCode(
        { ...container, temporarySecrets: container.repos.temporarySecrets, audit: container.repos.audit },
        { actor: { kind: 'operator', id: 'cli' }, targetAccount: account, kind: kind as CredentialKind | undefined, delivery: deliver as TemporaryCodeDelivery | undefined, environment: 'cli' },
      );
      const noun = issued.kind === 'pin' ? 'confidential code' : 'password';
      const expiresAt = issued.expiresAt.toISOString();
      const text =
        issued.code !== null
          ? `temporary ${noun} for ${ref}: ${issued.code}\nexpires ${expiresAt}; it works once, and only lets the user choose their own ${noun}. It is not shown again.`
          : `temporary ${noun} for ${ref} sent to the account's e-mail address; expires ${expiresAt}`;
      return { text, json: { code: issued.code, kind: issued.kind, delivery: issued.delivery, expiresAt } };
    };
  },
};

export const accountCommands: Command[] = [
  accountAddCommand,
  accountShowCommand,
  accountSetPasswordCommand,
  accountSetPinCommand,
  accountUnblockCommand,
  accountTempCodeCommand,
  accountSuspendCommand,
  accountUnsuspendCommand,
];
