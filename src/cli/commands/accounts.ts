import { z } from 'zod';
import { createAccountAdmin } from '../../admin/account-admin.js';
import { LOCALES, type Account, type Identifier, type Locale } from '../../domain/account.js';
import type { Container } from '../../container.js';
import { GuichetError } from '../../errors/codes.js';
import { parseCommandArgs, UsageError } from '../args.js';
import type { Command, Session } from '../command.js';
import { formatFields, isoOrNull, yesNo } from '../output.js';

const REF = '<username | SUBSCRIPTION/USERNUMBER>';

/** A ref with a slash is tried as SUBSCRIPTION/USERNUMBER (split at the last slash) before as a username. */
function identifiersOf(ref: string): Identifier[] {
  const slash = ref.lastIndexOf('/');
  const byNumber: Identifier[] = slash > 0 && slash < ref.length - 1 ? [{ scheme: 'subscription', subscription: ref.slice(0, slash), userNumber: ref.slice(slash + 1) }] : [];
  return [...byNumber, { scheme: 'username', username: ref }];
}

async function findAccount(container: Container, ref: string): Promise<Account> {
  for (const identifier of identifiersOf(ref)) {
    const account = await container.repos.accounts.findByIdentifier(identifier);
    if (account) return account;
  }
  throw new GuichetError('not_found', `no such account ${ref}`);
}

/** Account fields and password metadata; the hash never leaves the database. */
async function describeAccount(container: Container, account: Account) {
  const subscription = account.subscriptionId ? await container.repos.subscriptions.findById(account.subscriptionId) : null;
  const credential = await container.repos.credentials.find(account.id, 'password');
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
    password: credential
      ? {
          setAt: credential.setAt.toISOString(),
          mustChange: credential.mustChange,
          expiresAt: isoOrNull(credential.expiresAt),
          failedCount: credential.failedCount,
          blocked: credential.blockedAt !== null,
          blockedAt: isoOrNull(credential.blockedAt),
          lastUsedAt: isoOrNull(credential.lastUsedAt),
        }
      : null,
  };
}

type AccountView = Awaited<ReturnType<typeof describeAccount>>;

const refOf = (a: Pick<AccountView, 'username' | 'subscription' | 'userNumber'>): string =>
  a.username ?? `${a.subscription}/${a.userNumber}`;

function formatAccount(a: AccountView): string {
  const p = a.password;
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
    ['password', p ? `set ${p.setAt}; must change: ${yesNo(p.mustChange)}; failed attempts: ${p.failedCount}; blocked: ${p.blockedAt ?? 'no'}${p.expiresAt ? `; expires ${p.expiresAt}` : ''}` : 'none'],
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
  synopsis: '(--username U | --subscription S --user-number N) [--email E] [--family-name F] [--given-name G] [--locale fr|en] [--role R…] [--profile P] [--password-stdin [--must-change]]',
  summary: 'Create an active account; with --password-stdin its password is read from stdin.',
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
      'must-change': { type: 'boolean' },
    });
    const { username, subscription, 'user-number': userNumber, locale } = values;
    if (Boolean(subscription) !== Boolean(userNumber)) throw new UsageError(`${this.name}: --subscription and --user-number go together`, this.name);
    if (!username && !subscription) throw new UsageError(`${this.name}: give --username, or --subscription and --user-number`, this.name);
    if (locale !== undefined && !(LOCALES as readonly string[]).includes(locale)) throw new UsageError(`${this.name}: --locale must be one of ${LOCALES.join(', ')}`, this.name);
    if (values.email !== undefined && !z.email().safeParse(values.email).success) throw new UsageError(`${this.name}: --email ${values.email} is not an e-mail address`, this.name);
    if (values['must-change'] && !values['password-stdin']) throw new UsageError(`${this.name}: --must-change needs --password-stdin`, this.name);

    return async (session) => {
      const password = values['password-stdin'] ? await session.readSecret() : null;
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
      if (password !== null) await admin.setPassword(account.id, password, values['must-change'] ?? false);
      const view = await describeAccount(container, account);
      return { text: `account ${refOf(view)} added (${account.id})${password === null ? '; no password set' : ''}`, json: { account: view } };
    };
  },
};

export const accountShowCommand: Command = {
  name: 'account show',
  synopsis: REF,
  summary: 'Show an account and its password metadata (never the hash).',
  parse(args) {
    const [ref] = parseCommandArgs(this.name, args, {}, { names: [REF] }).positionals as [string];
    return async (session) => {
      const container = await session.container();
      const view = await describeAccount(container, await findAccount(container, ref));
      return { text: formatAccount(view), json: { account: view } };
    };
  },
};

export const accountSetPasswordCommand: Command = {
  name: 'account set-password',
  synopsis: `${REF} --password-stdin [--must-change]`,
  summary: 'Replace the password with the one read from stdin; resets the failure count and unblocks it.',
  parse(args) {
    const { values, positionals } = parseCommandArgs(this.name, args, { 'password-stdin': { type: 'boolean' }, 'must-change': { type: 'boolean' } }, { names: [REF] });
    if (!values['password-stdin']) throw new UsageError(`${this.name}: --password-stdin is required (a password is never taken from the arguments)`, this.name);
    const mustChange = values['must-change'] ?? false;
    return withAccount(positionals[0]!, async (container, account, session) => {
      const password = await session.readSecret();
      await createAccountAdmin(container, 'cli').setPassword(account.id, password, mustChange);
      return { text: `password of ${positionals[0]} set${mustChange ? ' (to be changed at next login)' : ''}` };
    });
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

export const accountCommands: Command[] = [accountAddCommand, accountShowCommand, accountSetPasswordCommand, accountSuspendCommand, accountUnsuspendCommand];
