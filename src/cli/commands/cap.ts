import { randomInt } from 'node:crypto';
import { chmod, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { enrolCapCard, revokeCapCard } from '../../authenticators/emv-cap/enrol-cap-card.js';
import { CAP_PROFILE_PRESETS, capCardImport, maskPan, toCapEnrolment, type CapCardImport } from '../../authenticators/emv-cap/cap-card-import.js';
import { checkCapRequest, type CapRequest } from '../../authenticators/emv-cap/cap-request.js';
import { createDemoCard, DEMO_ISSUER_KEY, DEMO_ISSUER_KEY_ID } from '../../authenticators/emv-cap/simulator/demo-card.js';
import { pressCardReader, type CardInReader } from '../../authenticators/emv-cap/simulator/press-card-reader.js';
import { createSoftwareCardKeyOperations } from '../../authenticators/emv-cap/software-card-keys.js';
import { GuichetError, isGuichetError } from '../../errors/codes.js';
import { findAccount, REF } from '../account-ref.js';
import { parseCommandArgs, UsageError } from '../args.js';
import type { Command, Session } from '../command.js';
import { describeFactor } from '../factor-view.js';
import { formatFields } from '../output.js';

/** The PIN of a demo card when none is piped (--pin-stdin). */
const DEFAULT_DEMO_PIN = '1234';
/** What the server needs to verify the codes of a demo card derived from the demo issuer key. */
const DEMO_ISSUER_KEYS_ENV = `GUICHET_CAP_ISSUER_KEYS='${JSON.stringify({ [DEMO_ISSUER_KEY_ID]: DEMO_ISSUER_KEY })}'`;

/** A random Visa-like PAN: 49 and 14 random digits. */
const randomDemoPan = (): string => `49${Array.from({ length: 14 }, () => randomInt(10)).join('')}`;

/**
 * Writes the card file readable by its owner only (it holds the card's key and PIN): a new file
 * beside it, then a rename, so that a failed write never leaves half a card.
 */
async function writeCardFile(file: string, kit: CardInReader): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, `${JSON.stringify(kit, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    await chmod(temporary, 0o600);
    await rename(temporary, file);
  } catch (e) {
    await rm(temporary, { force: true });
    throw new GuichetError('bad_request', `cannot write the card file ${file}: ${(e as Error).message}`);
  }
}

async function readCardFile(file: string): Promise<CardInReader> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new GuichetError('not_found', `cannot read the card file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let kit: unknown;
  try {
    kit = JSON.parse(text);
  } catch {
    throw new GuichetError('bad_request', `the card file ${file} is not JSON`);
  }
  const k = kit as Partial<CardInReader> | null;
  const card = k?.card as unknown as Record<string, unknown> | undefined;
  if (
    typeof k !== 'object' ||
    k === null ||
    typeof card !== 'object' ||
    card === null ||
    typeof k.reader !== 'object' ||
    k.reader === null ||
    typeof card.iccKey !== 'string' ||
    typeof card.pin !== 'string' ||
    typeof card.atc !== 'number' ||
    typeof card.pinTries !== 'number' ||
    typeof card.profile !== 'object'
  ) {
    throw new GuichetError('bad_request', `the card file ${file} does not hold a card and a reader (made by guichet cap enrol-demo)`);
  }
  return k as CardInReader;
}

export const capEnrolDemoCommand: Command = {
  name: 'cap enrol-demo',
  synopsis: `${REF} --out FILE [--pin-stdin] [--label L]`,
  summary:
    `Make a software EMV-CAP card (a random PAN starting 49; PIN from stdin, else ${DEFAULT_DEMO_PIN}), enrol it for the account and write the card and its reader to FILE (mode 0600) for guichet cap-reader; prints the KCV and the label. Demo and tests only: the card is derived from the public demo issuer key, which the server must hold to verify its codes: ${DEMO_ISSUER_KEYS_ENV}.`,
  parse(args) {
    const { values, positionals } = parseCommandArgs(this.name, args, { out: { type: 'string' }, 'pin-stdin': { type: 'boolean' }, label: { type: 'string' } }, { names: [REF] });
    const ref = positionals[0]!;
    const out = values.out?.trim();
    if (!out) throw new UsageError(`${this.name}: --out FILE is required (where the card is written)`, this.name);
    const label = values.label?.trim();
    if (label !== undefined && (label.length === 0 || label.length > 100)) throw new UsageError(`${this.name}: --label must be 1 to 100 characters`, this.name);

    return async (session) => {
      const pin = values['pin-stdin'] ? await session.readSecret('pin') : DEFAULT_DEMO_PIN;
      if (!/^\d{4,12}$/.test(pin)) throw new GuichetError('bad_request', 'the card PIN on stdin must be 4 to 12 digits');
      const container = await session.container();
      const account = await findAccount(container, ref);
      const demo = createDemoCard({ pan: randomDemoPan(), pin });
      const keys = createSoftwareCardKeyOperations({ issuerKeys: { ...session.config.emvCap.issuerKeys, ...demo.issuerKeys } });
      const { credential, kcv } = await enrolCapCard({ factors: container.repos.factors, keys }, { accountId: account.id, ...demo.enrolment, ...(label ? { label } : {}) });
      try {
        await writeCardFile(out, { card: demo.card, reader: demo.enrolment.profile.reader });
      } catch (e) {
        // No card file, no card: the credential would be of no use to anyone.
        await revokeCapCard({ factors: container.repos.factors }, credential.id);
        throw e;
      }
      await container.repos.audit.record({ action: 'admin.factor.enrol', result: 'success', actor: 'cli', accountId: account.id, details: { kind: 'emv-cap', credentialId: credential.id } });
      const view = describeFactor(credential, container.clock.now());
      const serverKey = session.config.emvCap.issuerKeys[DEMO_ISSUER_KEY_ID];
      const serverHasKey = demo.enrolment.key.kind !== 'issuer' || serverKey?.toUpperCase() === DEMO_ISSUER_KEY;
      const text = [
        `EMV-CAP demo card enrolled for ${ref} (${credential.id})`,
        formatFields([
          ['label', credential.label ?? ''],
          ['KCV', kcv],
          ['card file', out],
        ]),
        ...(serverHasKey ? [] : [`note: the server verifies this card's codes only with ${DEMO_ISSUER_KEYS_ENV}`]),
      ].join('\n');
      return { text, json: { changed: true, credential: view, kcv, cardFile: out, issuerKeyId: demo.enrolment.key.kind === 'issuer' ? demo.enrolment.key.issuerKeyId : null } };
    };
  },
};

/** Stands for the card key while the arguments are checked, before stdin is read. */
const KEY_PLACEHOLDER = '0'.repeat(32);

/** The card key from stdin (--key-stdin): one line of 32 hex digits; the messages name the card key. */
async function readCardKey(session: Session): Promise<string> {
  try {
    return (await session.readSecret('oath-secret')).trim();
  } catch (e) {
    if (isGuichetError(e)) throw new GuichetError(e.code, e.message.replaceAll('--secret-stdin', '--key-stdin').replaceAll('OATH secret', 'card key'));
    throw e;
  }
}

export const capEnrolCommand: Command = {
  name: 'cap enrol',
  synopsis: `${REF} --pan P --psn NN|none (--key-stdin | --issuer-key ID [--derivation a|b]) --profile ${CAP_PROFILE_PRESETS.join('|')} [--atc N] --kcv HEX [--label L]`,
  summary:
    "Enrol a real EMV-CAP card from the issuer's card record: its ICC key MK_AC (32 hex digits) read from stdin with --key-stdin, or derived from the configured issuer master key ID (GUICHET_CAP_ISSUER_KEYS) by option A or B; --atc is the card's last used ATC when known. The key must match the key check value --kcv (2 or 3 bytes) or nothing is stored. Prints the credential id, the masked PAN, the profile and the KCV; the same fields as POST /admin/api/accounts/{id}/factors/emv-cap.",
  parse(args) {
    const { values, positionals } = parseCommandArgs(
      this.name,
      args,
      {
        pan: { type: 'string' },
        psn: { type: 'string' },
        'key-stdin': { type: 'boolean' },
        'issuer-key': { type: 'string' },
        derivation: { type: 'string' },
        profile: { type: 'string' },
        atc: { type: 'string' },
        kcv: { type: 'string' },
        label: { type: 'string' },
      },
      { names: [REF] },
    );
    const ref = positionals[0]!;
    const usage = (message: string) => new UsageError(`${this.name}: ${message}`, this.name);
    for (const required of ['pan', 'psn', 'profile', 'kcv'] as const) if (values[required] === undefined) throw usage(`--${required} is required`);
    const issuerKeyId = values['issuer-key'];
    if (Boolean(values['key-stdin']) === (issuerKeyId !== undefined)) throw usage('give either --key-stdin (the card key on stdin, never in the arguments) or --issuer-key ID');
    if (values.derivation !== undefined && issuerKeyId === undefined) throw usage('--derivation goes with --issuer-key');
    const derivation = (values.derivation ?? 'a').toUpperCase();
    if (derivation !== 'A' && derivation !== 'B') throw usage('--derivation must be a or b (EMV option A or B)');
    if (values.atc !== undefined && !/^\d{1,5}$/.test(values.atc)) throw usage('--atc must be a whole number (the last ATC the card used)');
    const card = {
      pan: values.pan!.replace(/\s/g, ''),
      psn: values.psn === 'none' ? null : values.psn!,
      key: issuerKeyId === undefined ? { kind: 'imported', key: KEY_PLACEHOLDER } : { kind: 'issuer', issuerKeyId, derivation },
      profile: values.profile!,
      ...(values.atc !== undefined ? { lastAtc: Number(values.atc) } : {}),
      kcv: values.kcv!,
      ...(values.label !== undefined ? { label: values.label } : {}),
    };
    // Everything but the key is checked now, with the API's own schema: a mistake is a usage error, before stdin is read.
    const OPTION: Record<string, string> = { lastAtc: 'atc', key: 'issuer-key' };
    const checked = capCardImport.safeParse(card);
    if (!checked.success) throw usage(checked.error.issues.map((i) => `--${OPTION[String(i.path[0])] ?? String(i.path[0] ?? '')} ${i.message}`).join('; '));

    return async (session) => {
      let parsed: CapCardImport = checked.data;
      if (parsed.key.kind === 'imported') {
        const key = capCardImport.shape.key.safeParse({ kind: 'imported', key: await readCardKey(session) });
        if (!key.success) throw new GuichetError('bad_request', 'the card key on stdin must be 16 bytes (32 hex digits)');
        parsed = { ...parsed, key: key.data };
      }
      const container = await session.container();
      const account = await findAccount(container, ref);
      const keys = createSoftwareCardKeyOperations({ issuerKeys: session.config.emvCap.issuerKeys });
      const audit = (result: 'success' | 'failure', details: Record<string, unknown>, reason?: string) =>
        container.repos.audit.record({ action: 'admin.factor.enrol', result, actor: 'cli', accountId: account.id, ...(reason ? { reason } : {}), details: { kind: 'emv-cap', environment: 'cli', ...details } });
      let enrolled: Awaited<ReturnType<typeof enrolCapCard>>;
      try {
        enrolled = await enrolCapCard({ factors: container.repos.factors, keys }, toCapEnrolment(account.id, parsed));
      } catch (e) {
        // The message names what is wrong (a digit count, the KCV), never a key.
        if (isGuichetError(e)) await audit('failure', { pan: maskPan(parsed.pan) }, /key check value/.test(e.message) ? 'wrong_kcv' : e.code);
        throw e;
      }
      const { credential, kcv } = enrolled;
      await audit('success', { credentialId: credential.id, kcv });
      const profile = typeof parsed.profile === 'string' ? parsed.profile : 'custom';
      const text = [
        `EMV-CAP card enrolled for ${ref} (${credential.id})`,
        formatFields([
          ['card', maskPan(parsed.pan)],
          ['label', credential.label ?? ''],
          ['profile', profile],
          ['KCV', kcv],
        ]),
      ].join('\n');
      return { text, json: { changed: true, credential: describeFactor(credential, container.clock.now()), pan: maskPan(parsed.pan), profile, kcv } };
    };
  },
};

const MODES = ['identify', 'respond', 'sign'] as const;

export const capReaderCommand: Command = {
  name: 'cap-reader',
  synopsis: '--card FILE --mode identify|respond|sign [--challenge N] [--amount A] [--currency C] [--field F ...] --pin-stdin',
  summary:
    'A CAP/DPA reader for a software card made by cap enrol-demo: reads the PIN from stdin, prints the code the reader shows (or "the card refused: <reason>", exit 1) and saves the card\'s new state (ATC, PIN tries) to FILE. respond takes --challenge (and --amount in minor units, --currency), sign one --field per value. Opens no database.',
  parse(args) {
    const { values } = parseCommandArgs(this.name, args, {
      card: { type: 'string' },
      mode: { type: 'string' },
      challenge: { type: 'string' },
      amount: { type: 'string' },
      currency: { type: 'string' },
      field: { type: 'string', multiple: true },
      'pin-stdin': { type: 'boolean' },
    });
    const file = values.card?.trim();
    if (!file) throw new UsageError(`${this.name}: --card FILE is required (made by guichet cap enrol-demo)`, this.name);
    const mode = values.mode;
    if (!mode || !(MODES as readonly string[]).includes(mode)) throw new UsageError(`${this.name}: --mode must be one of ${MODES.join(', ')}`, this.name);
    if (!values['pin-stdin']) throw new UsageError(`${this.name}: --pin-stdin is required (a PIN is never taken from the arguments)`, this.name);
    const fields = values.field ?? [];
    const misplaced = [
      ...(mode !== 'respond' && values.challenge !== undefined ? ['--challenge'] : []),
      ...(mode !== 'respond' && values.amount !== undefined ? ['--amount'] : []),
      ...(mode !== 'respond' && values.currency !== undefined ? ['--currency'] : []),
      ...(mode !== 'sign' && fields.length > 0 ? ['--field'] : []),
    ];
    if (misplaced.length > 0) throw new UsageError(`${this.name}: ${misplaced.join(', ')} not taken in mode ${mode}`, this.name);
    let request: CapRequest;
    if (mode === 'respond') {
      if (values.challenge === undefined) throw new UsageError(`${this.name}: --challenge is required in mode respond`, this.name);
      request = { mode, challenge: values.challenge, ...(values.amount !== undefined ? { amount: values.amount } : {}), ...(values.currency !== undefined ? { currency: values.currency } : {}) };
    } else if (mode === 'sign') {
      request = { mode, fields };
    } else {
      request = { mode: 'identify' };
    }
    const problems = checkCapRequest(request);
    if (problems.length > 0) throw new UsageError(`${this.name}: ${problems.join('; ')}`, this.name);

    return async (session) => {
      const pin = await session.readSecret('pin');
      const kit = await readCardFile(file);
      let pressed: Awaited<ReturnType<typeof pressCardReader>>;
      try {
        pressed = await pressCardReader(kit, { pin, request });
      } catch (e) {
        if (isGuichetError(e)) throw e;
        throw new GuichetError('bad_request', `the reader failed: ${(e as Error).message}`);
      }
      // Saved whatever the outcome: a wrong PIN uses a try, a session uses an ATC, as on a real card.
      await writeCardFile(file, pressed.kit);
      const { result } = pressed;
      const { atc, pinTries } = pressed.kit.card;
      if (result.kind !== 'code') {
        const left = result.triesLeft === undefined ? '' : ` (${result.triesLeft} PIN ${result.triesLeft === 1 ? 'try' : 'tries'} left)`;
        throw new GuichetError('bad_request', `the card refused: ${result.reason}${left}`);
      }
      return { text: result.code, json: { code: result.code, mode, atc, pinTries } };
    };
  },
};

export const capCommands: Command[] = [capEnrolCommand, capEnrolDemoCommand, capReaderCommand];
