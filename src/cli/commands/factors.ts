import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { createOathEnrolment, hotpTokenImport, type HotpTokenImport } from '../../authenticators/oath/enrolment.js';
import { decodeBase32, generateTotp, OATH_ALGORITHMS, timeStepAt } from '../../authenticators/oath/oath-codes.js';
import { createX509Enrolment, revokeX509Credential, type EnrolmentFailure } from '../../authenticators/x509/enrolment.js';
import { loadTrustStore } from '../../authenticators/x509/trust-store.js';
import { readCodePair, resynchroniseFactor, type ResyncRefusal } from '../../admin/resynchronise-factor.js';
import { createSoftwareCardKeyOperations } from '../../authenticators/emv-cap/software-card-keys.js';
import type { Account } from '../../domain/account.js';
import type { Container } from '../../container.js';
import { GuichetError, isGuichetError } from '../../errors/codes.js';
import { systemClock } from '../../lib/clock.js';
import { findAccount, REF } from '../account-ref.js';
import { parseCommandArgs, UsageError } from '../args.js';
import type { Command } from '../command.js';
import { describeFactor, formatFactorBlock } from '../factor-view.js';
import { formatFields, formatTable } from '../output.js';

/** The name authenticator apps show above the account (otpauth `issuer`), unless --issuer says otherwise. */
const DEFAULT_TOTP_ISSUER = 'Guichet';

const oathOf = (container: Container) => createOathEnrolment({ factors: container.repos.factors, clock: container.clock, policy: container.config.oath });

/** How an account is named in an otpauth URI: its username, else SUBSCRIPTION/USERNUMBER. */
async function accountName(container: Container, account: Account): Promise<string> {
  if (account.username) return account.username;
  const subscription = account.subscriptionId ? await container.repos.subscriptions.findById(account.subscriptionId) : null;
  return [subscription?.identifier, account.userNumber].filter(Boolean).join('/') || account.id;
}

async function factorsOf(container: Container, account: Account) {
  const now = container.clock.now();
  return (await container.repos.factors.listForAccount(account.id)).map((f) => describeFactor(f, now));
}

/** A bad_request from the enrolment (zod issues) is shown as the CLI shows refusals: one line per problem. */
function withProblems(e: unknown): unknown {
  if (isGuichetError(e) && Array.isArray(e.details.issues)) return new GuichetError(e.code, e.message, { problems: e.details.issues });
  return e;
}

export const factorListCommand: Command = {
  name: 'factor list',
  synopsis: REF,
  summary: "List the account's strong-factor credentials (id, kind, label, serial, created, last used, blocked); never a seed.",
  parse(args) {
    const [ref] = parseCommandArgs(this.name, args, {}, { names: [REF] }).positionals as [string];
    return async (session) => {
      const container = await session.container();
      const account = await findAccount(container, ref);
      const factors = await factorsOf(container, account);
      const text =
        factors.length === 0
          ? `account ${ref} has no strong-factor credentials`
          : formatTable(
              ['ID', 'KIND', 'LABEL', 'SERIAL', 'CREATED', 'LAST USED', 'BLOCKED'],
              factors.map((f) => [f.id, f.kind, f.label ?? '', f.serial ?? '', f.createdAt, f.lastUsedAt ?? 'never', formatFactorBlock(f)]),
            );
      return { text, json: { accountId: account.id, factors } };
    };
  },
};

const DIGITS = ['6', '8'] as const;
const ENCODINGS = ['hex', 'base32'] as const;

export const factorImportHotpCommand: Command = {
  name: 'factor import-hotp',
  synopsis: `${REF} --serial S --secret-stdin [--encoding hex|base32] [--counter N] [--digits 6|8] [--algorithm SHA1|SHA256|SHA512] [--label L]`,
  summary:
    "Import a hardware HOTP token (RFC 4226) for the account: its seed (hex or base32, 128 bits or more) is read from stdin; --counter is the counter of the token's next code (0 when new). A serial already enrolled is refused.",
  parse(args) {
    const { values, positionals } = parseCommandArgs(
      this.name,
      args,
      {
        serial: { type: 'string' },
        'secret-stdin': { type: 'boolean' },
        encoding: { type: 'string' },
        counter: { type: 'string' },
        digits: { type: 'string' },
        algorithm: { type: 'string' },
        label: { type: 'string' },
      },
      { names: [REF] },
    );
    const ref = positionals[0]!;
    const serial = values.serial?.trim();
    if (!serial) throw new UsageError(`${this.name}: --serial is required (the number printed on the token)`, this.name);
    if (!values['secret-stdin']) throw new UsageError(`${this.name}: --secret-stdin is required (a seed is never taken from the arguments)`, this.name);
    const { encoding, digits, algorithm } = values;
    if (encoding !== undefined && !(ENCODINGS as readonly string[]).includes(encoding)) throw new UsageError(`${this.name}: --encoding must be one of ${ENCODINGS.join(', ')}`, this.name);
    if (digits !== undefined && !(DIGITS as readonly string[]).includes(digits)) throw new UsageError(`${this.name}: --digits must be one of ${DIGITS.join(', ')}`, this.name);
    if (algorithm !== undefined && !(OATH_ALGORITHMS as readonly string[]).includes(algorithm)) throw new UsageError(`${this.name}: --algorithm must be one of ${OATH_ALGORITHMS.join(', ')}`, this.name);
    const counter = values.counter === undefined ? undefined : Number(values.counter);
    if (counter !== undefined && (!/^\d+$/.test(values.counter!) || !Number.isSafeInteger(counter))) throw new UsageError(`${this.name}: --counter must be a whole number (0 for a new token)`, this.name);
    const token: Omit<HotpTokenImport, 'secret'> = {
      serial,
      ...(encoding ? { encoding: encoding as 'hex' | 'base32' } : {}),
      ...(counter !== undefined ? { counter } : {}),
      ...(digits ? { digits: Number(digits) as 6 | 8 } : {}),
      ...(algorithm ? { algorithm: algorithm as HotpTokenImport['algorithm'] } : {}),
      ...(values.label !== undefined ? { label: values.label } : {}),
    };
    // Everything but the seed is checked now, so that a mistake is a usage error, before stdin is read.
    const checked = hotpTokenImport.omit({ secret: true }).safeParse(token);
    if (!checked.success) throw new UsageError(`${this.name}: ${checked.error.issues.map((i) => `--${String(i.path[0] ?? '')} ${i.message}`).join('; ')}`, this.name);

    return async (session) => {
      const secret = await session.readSecret('oath-secret');
      const container = await session.container();
      const account = await findAccount(container, ref);
      const credential = await oathOf(container)
        .importHotpToken(account.id, { ...token, secret })
        .catch((e: unknown) => {
          if (isGuichetError(e) && e.code === 'conflict') throw new GuichetError('conflict', `serial ${serial} already enrolled (HOTP token)`);
          throw withProblems(e);
        });
      await container.repos.audit.record({ action: 'admin.factor.import', result: 'success', actor: 'cli', accountId: account.id, details: { kind: 'hotp', serial } });
      const view = (await factorsOf(container, account)).find((f) => f.id === credential.id)!;
      return { text: `HOTP token ${serial} imported for ${ref} (${credential.id})`, json: { changed: true, credential: view } };
    };
  },
};

export const factorEnrolTotpCommand: Command = {
  name: 'factor enrol-totp',
  synopsis: `${REF} --code-stdin [--label L] [--issuer NAME]`,
  summary:
    "Enrol an authenticator app at the counter: prints the otpauth URI (for a QR code) and the base32 secret, this once, then reads the app's first code from stdin (a terminal will do) and stores the credential only if that code is right. A new TOTP credential replaces the account's previous one.",
  parse(args) {
    const { values, positionals } = parseCommandArgs(this.name, args, { 'code-stdin': { type: 'boolean' }, label: { type: 'string' }, issuer: { type: 'string' } }, { names: [REF] });
    const ref = positionals[0]!;
    if (!values['code-stdin']) throw new UsageError(`${this.name}: --code-stdin is required (the app's first code confirms the enrolment)`, this.name);
    const label = values.label?.trim();
    if (label !== undefined && (label.length === 0 || label.length > 100)) throw new UsageError(`${this.name}: --label must be 1 to 100 characters`, this.name);
    const issuer = values.issuer?.trim() || DEFAULT_TOTP_ISSUER;
    if (issuer.length > 100 || issuer.includes(':')) throw new UsageError(`${this.name}: --issuer must be at most 100 characters, without ':'`, this.name);

    return async (session) => {
      const container = await session.container();
      const account = await findAccount(container, ref);
      const oath = oathOf(container);
      const { secret, otpauthUri } = oath.beginTotpEnrolment(await accountName(container, account), issuer);
      // Shown this once, and kept only in this process until the first code confirms it.
      await session.print({
        text: [
          `TOTP enrolment for ${ref}: add this to the authenticator app (shown this once; nothing is stored until its first code is confirmed)`,
          formatFields([
            ['otpauth URI', otpauthUri],
            ['secret', secret],
          ]),
        ].join('\n'),
        json: { enrolment: { secret, otpauthUri } },
      });
      const code = await session.readCode('--code-stdin', 'first code shown by the app: ');
      const result = await oath.confirmTotpEnrolment(account.id, secret, code, { label: label ?? null });
      if (result.kind !== 'enrolled') {
        await container.repos.audit.record({ action: 'admin.factor.enrol', result: 'failure', actor: 'cli', accountId: account.id, reason: 'wrong_code', details: { kind: 'totp' } });
        throw new GuichetError('bad_request', `the first code does not match: nothing was stored (run factor enrol-totp again for a new secret)`);
      }
      const { credential, revoked } = result;
      await container.repos.audit.record({ action: 'admin.factor.enrol', result: 'success', actor: 'cli', accountId: account.id, details: { kind: 'totp', credentialId: credential.id, revoked } });
      const view = (await factorsOf(container, account)).find((f) => f.id === credential.id)!;
      const text = [`TOTP credential enrolled for ${ref} (${credential.id})`, ...revoked.map((id) => `previous TOTP credential ${id} revoked`)].join('\n');
      return { text, json: { changed: true, credential: view, revoked } };
    };
  },
};

export const factorRevokeCommand: Command = {
  name: 'factor revoke',
  synopsis: `${REF} <credential-id>`,
  summary: 'Revoke a TOTP, HOTP, passkey or X.509 credential of the account (a lost phone, token or certificate): its row and sealed data are deleted.',
  parse(args) {
    const [ref, credentialId] = parseCommandArgs(this.name, args, {}, { names: [REF, '<credential-id>'] }).positionals as [string, string];
    return async (session) => {
      const container = await session.container();
      const account = await findAccount(container, ref);
      const credential = await container.repos.factors.findById(credentialId);
      const view = credential ? describeFactor(credential, container.clock.now()) : null;
      const revoked =
        view?.kind === 'x509'
          ? await revokeX509Credential(container.repos.factors, account.id, credentialId)
          : view?.kind === 'webauthn'
            ? // A passkey: the row and its public key go, so its next assertion finds no credential (PSD2 RTS art. 27).
              credential!.accountId === account.id && (await container.repos.factors.remove(credentialId))
            : view !== null && (await oathOf(container).revokeOathCredential(account.id, credentialId));
      if (!view || !revoked) {
        throw new GuichetError('not_found', `account ${ref} has no TOTP or HOTP credential ${credentialId}, and no passkey or X.509 certificate of that id`);
      }
      await container.repos.audit.record({ action: 'admin.factor.revoke', result: 'success', actor: 'cli', accountId: account.id, details: { kind: view.kind, credentialId, ...(view.serial ? { serial: view.serial } : {}) } });
      return { text: `${view.kind === 'x509' ? 'X.509' : view.kind === 'webauthn' ? 'Passkey' : view.kind.toUpperCase()} credential ${credentialId}${view.serial ? ` (serial ${view.serial})` : ''} of ${ref} revoked`, json: { changed: true, revoked: view } };
    };
  },
};

/** How long `--codes-stdin` waits for the two codes. */
const CODES_TIMEOUT_MS = 10 * 60_000;

/**
 * Two codes from stdin (`--codes-stdin`): on one line or on two. Unlike a secret, a terminal is
 * accepted (the person at the counter types what the token shows; the codes are spent here).
 */
async function readCodesFromStdin(stdin: NodeJS.ReadStream = process.stdin): Promise<readonly [string, string]> {
  if (stdin.isTTY) process.stderr.write('two consecutive codes shown by the token or card reader (one line or two): ');
  const lines = createInterface({ input: stdin, crlfDelay: Infinity, terminal: false });
  const seen: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve) => {
      lines.on('line', (line) => {
        seen.push(...line.split(/[\s,;]+/).filter(Boolean));
        if (seen.length >= 2) resolve();
      });
      lines.once('close', resolve);
      timer = setTimeout(resolve, CODES_TIMEOUT_MS);
    });
  } finally {
    clearTimeout(timer);
    lines.close();
  }
  const codes = readCodePair(seen.join(' '));
  if (!codes) throw new GuichetError('bad_request', 'two codes of digits are needed on stdin, made one after the other (--codes-stdin)');
  return codes;
}

/** Why two codes did not resynchronise, in the operator's words. */
const RESYNC_REFUSAL: Readonly<Record<ResyncRefusal, string>> = {
  no_credential: 'the account has no credential of that id',
  not_resynchronisable: 'only an HOTP token or an EMV-CAP card can be resynchronised',
  malformed_codes: 'the codes are not codes of this token or card',
  credential_blocked: 'the credential is blocked',
  no_match: 'the two codes are not consecutive codes of this token or card within the resynchronisation window',
  replayed: 'these codes were already used',
  counter_exhausted: 'the card has used its last ATC: it must be replaced',
};

export const factorResyncCommand: Command = {
  name: 'factor resync',
  synopsis: `${REF} <credential-id> --codes-stdin`,
  summary:
    "Resynchronise an HOTP token (RFC 4226 §7.4) or an EMV-CAP card (Identify codes) that ran ahead of its counter: two codes the user made one after the other are read from stdin (one line or two) and searched over the larger resynchronisation window; the counter then moves past the second code, atomically.",
  parse(args) {
    const { values, positionals } = parseCommandArgs(this.name, args, { 'codes-stdin': { type: 'boolean' } }, { names: [REF, '<credential-id>'] });
    const [ref, credentialId] = positionals as [string, string];
    if (!values['codes-stdin']) throw new UsageError(`${this.name}: --codes-stdin is required (two consecutive codes, never in the arguments)`, this.name);
    return async (session) => {
      const codes = await readCodesFromStdin();
      const container = await session.container();
      const account = await findAccount(container, ref);
      const deps = { factors: container.repos.factors, clock: container.clock, oath: container.config.oath, cardKeys: createSoftwareCardKeyOperations({ issuerKeys: container.config.emvCap.issuerKeys }) };
      const outcome = await resynchroniseFactor(deps, account, credentialId, codes);
      const kind = outcome.credential?.kind ?? null;
      const audit = (result: 'success' | 'failure', details: Record<string, unknown>, reason?: string) =>
        container.repos.audit.record({ action: 'admin.factor.resync', result, actor: 'cli', accountId: account.id, ...(reason ? { reason } : {}), details: { kind, credentialId, environment: 'cli', ...details } });
      if (outcome.kind === 'refused') {
        await audit('failure', {}, outcome.reason);
        throw new GuichetError(outcome.reason === 'no_credential' ? 'not_found' : 'bad_request', `${RESYNC_REFUSAL[outcome.reason]}: nothing changed (${outcome.reason})`);
      }
      await audit('success', { counter: outcome.counter });
      const counterName = kind === 'emv-cap' ? 'ATC' : 'counter';
      return { text: `${kind === 'emv-cap' ? 'EMV-CAP card' : 'HOTP token'} ${credentialId} of ${ref} resynchronised: ${counterName} ${outcome.counter} is now the last used`, json: { changed: true, credentialId, kind, counter: outcome.counter } };
    };
  },
};

/** Why a certificate was not bound, in the operator's words. */
const ENROL_CERT_REFUSAL: Readonly<Record<EnrolmentFailure, string>> = {
  malformed: 'the file is not one X.509 certificate (PEM or DER)',
  untrusted_issuer: 'the certificate is not issued by a configured CA (GUICHET_X509_CA_FILES, GUICHET_X509_INTERMEDIATE_FILES)',
  expired: 'the certificate (or a CA of its chain) has expired',
  not_yet_valid: 'the certificate (or a CA of its chain) is not valid yet',
  wrong_usage: 'the certificate is not for client authentication (keyUsage digitalSignature and extendedKeyUsage clientAuth are required; a CA certificate is refused)',
  revoked: "the certificate is revoked in its CA's CRL",
  crl_stale: "the CA's CRL is missing or out of date (GUICHET_X509_CRL_FILES): revocation cannot be checked",
  already_enrolled: 'this certificate is already enrolled (a certificate opens one account)',
  sca_required: 'an SCA is required',
};

export const factorEnrolCertCommand: Command = {
  name: 'factor enrol-cert',
  synopsis: `${REF} --cert FILE [--label L]`,
  summary:
    "Bind an X.509 client certificate (PEM or DER file) to the account, after validating it as at login against the configured CAs and CRLs (GUICHET_X509_CA_FILES, GUICHET_X509_CRL_FILES); prints its SHA-256 thumbprint, subject, issuer and expiry. A certificate opens one account; the label defaults to the subject's CN.",
  parse(args) {
    const { values, positionals } = parseCommandArgs(this.name, args, { cert: { type: 'string' }, label: { type: 'string' } }, { names: [REF] });
    const ref = positionals[0]!;
    const file = values.cert?.trim();
    if (!file) throw new UsageError(`${this.name}: --cert is required (the certificate file, PEM or DER)`, this.name);
    const label = values.label?.trim();
    if (label !== undefined && (label.length === 0 || label.length > 100)) throw new UsageError(`${this.name}: --label must be 1 to 100 characters`, this.name);

    return async (session) => {
      let bytes: Buffer;
      try {
        bytes = await readFile(file);
      } catch (e) {
        throw new GuichetError('bad_request', `cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
      const container = await session.container();
      const account = await findAccount(container, ref);
      const settings = container.config.x509;
      if (settings.caFiles.length === 0) throw new GuichetError('invalid_config', 'no CA certificate is configured: set GUICHET_X509_CA_FILES (and GUICHET_X509_CRL_FILES)');
      const trust = await loadTrustStore(settings);
      const enrolment = createX509Enrolment({ factors: container.repos.factors, clock: container.clock, trust: { current: () => trust }, settings });
      const outcome = await enrolment.enrolCertificate(account.id, bytes, { label: label ?? null });
      if (outcome.kind === 'refused') {
        await container.repos.audit.record({ action: 'admin.factor.enrol', result: 'failure', actor: 'cli', accountId: account.id, reason: outcome.reason, details: { kind: 'x509', ...(outcome.thumbprint ? { thumbprint: outcome.thumbprint } : {}) } });
        throw new GuichetError(outcome.reason === 'already_enrolled' ? 'conflict' : 'bad_request', `${ENROL_CERT_REFUSAL[outcome.reason]}: nothing was stored (${outcome.reason})`);
      }
      const { credential } = outcome;
      await container.repos.audit.record({ action: 'admin.factor.enrol', result: 'success', actor: 'cli', accountId: account.id, details: { kind: 'x509', credentialId: credential.id, thumbprint: credential.thumbprint } });
      const certificate = { thumbprint: credential.thumbprint, subject: credential.subject, issuer: credential.issuer, serial: credential.serial, notAfter: credential.notAfter };
      const text = [
        `X.509 certificate enrolled for ${ref} (${credential.id})`,
        formatFields([
          ['label', credential.label ?? ''],
          ['thumbprint (SHA-256)', credential.thumbprint],
          ['subject', credential.subject],
          ['issuer', credential.issuer],
          ['serial', credential.serial],
          ['expires', credential.notAfter],
        ]),
      ].join('\n');
      const view = (await factorsOf(container, account)).find((f) => f.id === credential.id)!;
      return { text, json: { changed: true, credential: view, certificate } };
    };
  },
};

/** What authenticator apps use (Key URI Format defaults). */
const APP_PARAMETERS = { algorithm: 'SHA1', digits: 6, period: 30 } as const;

export const totpCodeCommand: Command = {
  name: 'totp-code',
  synopsis: '--secret-stdin',
  summary: "Print the current TOTP code (SHA-1, 6 digits, 30 s, this machine's clock) for the base32 secret read from stdin: an authenticator app for demos and integration tests.",
  parse(args) {
    const { values } = parseCommandArgs(this.name, args, { 'secret-stdin': { type: 'boolean' } });
    if (!values['secret-stdin']) throw new UsageError(`${this.name}: --secret-stdin is required (a secret is never taken from the arguments)`, this.name);
    return async (session) => {
      const secret = await session.readSecret('oath-secret');
      let key: Buffer;
      try {
        key = decodeBase32(secret);
      } catch {
        throw new GuichetError('bad_request', 'the OATH secret on stdin is not base32');
      }
      const now = systemClock.now();
      const code = generateTotp(key, now, APP_PARAMETERS);
      const validUntil = new Date((timeStepAt(now, APP_PARAMETERS.period) + 1) * APP_PARAMETERS.period * 1000);
      return { text: code, json: { code, validUntil: validUntil.toISOString(), ...APP_PARAMETERS } };
    };
  },
};

export const factorCommands: Command[] = [factorListCommand, factorImportHotpCommand, factorEnrolTotpCommand, factorEnrolCertCommand, factorRevokeCommand, factorResyncCommand, totpCodeCommand];
