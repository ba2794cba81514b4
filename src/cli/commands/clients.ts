import { GuichetError } from '../../errors/codes.js';
import type { ClientRecord } from '../../domain/client.js';
import { randomToken } from '../../lib/random.js';
import { parseCommandArgs, UsageError } from '../args.js';
import type { Command } from '../command.js';
import { formatTable, yesNo } from '../output.js';

const EXTRA_GRANTS = ['refresh_token', 'client_credentials'] as const;
/** Per-client login settings (client metadata read by the login pages), over the deployment's `login` configuration. */
const IDENTIFIER_SCHEMES = ['username', 'subscription'] as const;
const FIRST_FACTORS = ['password', 'pin', 'card'] as const;

/** Redirect URIs are absolute and carry no fragment (RFC 6749 §3.1.2). */
function checkRedirectUri(command: string, option: string, uri: string): string {
  if (!URL.canParse(uri)) throw new UsageError(`${command}: ${option} ${uri} is not an absolute URL`, command);
  if (uri.includes('#')) throw new UsageError(`${command}: ${option} ${uri} must not have a fragment`, command);
  return uri;
}

/** What `client list` and `client add` show: the metadata without the secret. */
function describeClient(record: ClientRecord) {
  const { client_secret: _secret, ...metadata } = record.metadata;
  return {
    clientId: record.clientId,
    name: typeof metadata.client_name === 'string' ? metadata.client_name : null,
    public: metadata.token_endpoint_auth_method === 'none',
    firstParty: record.firstParty,
    /** Null: the deployment's `login.identifierSchemes` and `login.firstFactor` apply. */
    identifierSchemes: Array.isArray(metadata.guichet_identifier_schemes) ? (metadata.guichet_identifier_schemes as string[]) : null,
    firstFactor: typeof metadata.guichet_first_factor === 'string' ? metadata.guichet_first_factor : null,
    createdAt: record.createdAt.toISOString(),
    metadata,
  };
}

/** Shown for a login setting the client leaves to the configuration. */
const DEFAULT = '(default)';

const list = (v: unknown): string => (Array.isArray(v) ? v.join(' ') : '');

export const clientAddCommand: Command = {
  name: 'client add',
  synopsis:
    '--id ID --redirect-uri URI [--redirect-uri URI…] [--post-logout-uri URI…] [--name NAME] [--public] [--first-party] [--grant refresh_token|client_credentials…] [--identifier-scheme username|subscription…] [--first-factor password|pin|card]',
  summary:
    'Register a client. A confidential client gets a secret, printed this once only; --public makes a client without one (PKCE only). --identifier-scheme and --first-factor set how its users log in (default: the configuration).',
  parse(args) {
    const { values } = parseCommandArgs(this.name, args, {
      id: { type: 'string' },
      'redirect-uri': { type: 'string', multiple: true },
      'post-logout-uri': { type: 'string', multiple: true },
      name: { type: 'string' },
      public: { type: 'boolean' },
      'first-party': { type: 'boolean' },
      grant: { type: 'string', multiple: true },
      'identifier-scheme': { type: 'string', multiple: true },
      'first-factor': { type: 'string' },
    });
    const clientId = values.id;
    if (!clientId) throw new UsageError(`${this.name}: --id is required`, this.name);
    if (clientId.length > 128 || /\s/.test(clientId)) throw new UsageError(`${this.name}: --id must be at most 128 characters without spaces`, this.name);
    const redirectUris = (values['redirect-uri'] ?? []).map((u) => checkRedirectUri(this.name, '--redirect-uri', u));
    if (redirectUris.length === 0) throw new UsageError(`${this.name}: at least one --redirect-uri is required`, this.name);
    const postLogoutUris = (values['post-logout-uri'] ?? []).map((u) => checkRedirectUri(this.name, '--post-logout-uri', u));
    const grants = [...new Set(values.grant ?? [])];
    for (const grant of grants) {
      if (!(EXTRA_GRANTS as readonly string[]).includes(grant)) throw new UsageError(`${this.name}: --grant must be one of ${EXTRA_GRANTS.join(', ')}`, this.name);
    }
    const schemes = [...new Set(values['identifier-scheme'] ?? [])];
    for (const scheme of schemes) {
      if (!(IDENTIFIER_SCHEMES as readonly string[]).includes(scheme)) throw new UsageError(`${this.name}: --identifier-scheme must be one of ${IDENTIFIER_SCHEMES.join(', ')}`, this.name);
    }
    const firstFactor = values['first-factor'];
    if (firstFactor !== undefined && !(FIRST_FACTORS as readonly string[]).includes(firstFactor)) throw new UsageError(`${this.name}: --first-factor must be one of ${FIRST_FACTORS.join(', ')}`, this.name);
    const isPublic = values.public ?? false;
    if (isPublic && grants.includes('client_credentials')) throw new UsageError(`${this.name}: a --public client cannot use client_credentials`, this.name);

    return async (session) => {
      const { repos } = await session.container();
      if (await repos.clients.find(clientId)) throw new GuichetError('conflict', `client ${clientId} exists (remove it first to replace it)`);
      const secret = isPublic ? null : randomToken(32);
      const metadata: Record<string, unknown> = {
        ...(values.name ? { client_name: values.name } : {}),
        redirect_uris: redirectUris,
        ...(postLogoutUris.length > 0 ? { post_logout_redirect_uris: postLogoutUris } : {}),
        grant_types: ['authorization_code', ...grants],
        response_types: ['code'],
        token_endpoint_auth_method: isPublic ? 'none' : 'client_secret_basic',
        ...(secret ? { client_secret: secret } : {}),
        ...(schemes.length > 0 ? { guichet_identifier_schemes: schemes } : {}),
        ...(firstFactor ? { guichet_first_factor: firstFactor } : {}),
      };
      const record = await repos.clients.save({ clientId, metadata, firstParty: values['first-party'] ?? false });
      await repos.audit.record({ action: 'admin.client.add', result: 'success', actor: 'cli', clientId, details: { public: isPublic, firstParty: record.firstParty, ...(schemes.length > 0 ? { identifierSchemes: schemes } : {}), ...(firstFactor ? { firstFactor } : {}) } });
      const client = describeClient(record);
      const text = [
        `client ${clientId} added (${isPublic ? 'public' : 'confidential'})${schemes.length > 0 || firstFactor ? `; login: ${schemes.join(', ') || 'default identifiers'}, then ${firstFactor ?? 'the default first factor'}` : ''}`,
        ...(secret ? [`client secret: ${secret}`, 'Store it now: it is shown this once and cannot be read back.'] : []),
      ].join('\n');
      return { text, json: { client, clientSecret: secret } };
    };
  },
};

export const clientListCommand: Command = {
  name: 'client list',
  synopsis: '',
  summary: 'List the registered clients (never their secrets).',
  parse(args) {
    parseCommandArgs(this.name, args, {});
    return async (session) => {
      const clients = (await (await session.container()).repos.clients.list()).map(describeClient);
      const text =
        clients.length === 0
          ? 'no clients'
          : formatTable(
              ['CLIENT', 'TYPE', 'FIRST PARTY', 'IDENTIFIER SCHEMES', 'FIRST FACTOR', 'NAME', 'REDIRECT URIS'],
              clients.map((c) => [
                c.clientId,
                c.public ? 'public' : 'confidential',
                yesNo(c.firstParty),
                c.identifierSchemes?.join(',') ?? DEFAULT,
                c.firstFactor ?? DEFAULT,
                c.name ?? '',
                list(c.metadata.redirect_uris),
              ]),
            );
      return { text, json: { clients } };
    };
  },
};

export const clientRemoveCommand: Command = {
  name: 'client remove',
  synopsis: '<client-id>',
  summary: 'Remove a client.',
  parse(args) {
    const [clientId] = parseCommandArgs(this.name, args, {}, { names: ['<client-id>'] }).positionals as [string];
    return async (session) => {
      const { repos } = await session.container();
      if (!(await repos.clients.remove(clientId))) throw new GuichetError('not_found', `no such client ${clientId}`);
      await repos.audit.record({ action: 'admin.client.remove', result: 'success', actor: 'cli', clientId });
      return { text: `client ${clientId} removed`, json: { removed: clientId } };
    };
  },
};

export const clientCommands: Command[] = [clientAddCommand, clientListCommand, clientRemoveCommand];
