import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';

/**
 * A software authenticator and browser, written from WebAuthn L2 §6.1 (authenticator data), §6.5
 * (attestation object, "none" format), §5.8.1 (client data) and RFC 9053 (COSE EC2 key): it shares
 * no code with the verifier, so a round trip proves both sides read the standard the same way.
 */

type Cbor = number | string | Uint8Array | Cbor[] | Map<number | string, Cbor>;

function head(major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 0x100) return Buffer.from([(major << 5) | 24, n]);
  if (n < 0x10000) return Buffer.from([(major << 5) | 25, n >> 8, n & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = (major << 5) | 26;
  b.writeUInt32BE(n, 1);
  return b;
}

/** RFC 8949 §3: the few major types a COSE key and an attestation object need. */
export function encodeCbor(value: Cbor): Buffer {
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([head(3, bytes.length), bytes]);
  }
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), value]);
  if (Array.isArray(value)) return Buffer.concat([head(4, value.length), ...value.map(encodeCbor)]);
  return Buffer.concat([head(5, value.size), ...[...value].flatMap(([k, v]) => [encodeCbor(k), encodeCbor(v)])]);
}

export const FLAG = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40 } as const;
const b64u = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');
const sha256 = (data: Uint8Array | string): Buffer => createHash('sha256').update(data).digest();

export interface SoftCredential {
  id: Buffer;
  rpId: string;
  privateKey: KeyObject;
  cosePublicKey: Buffer;
  userHandle: string;
  counter: number;
  backupEligible: boolean;
  backedUp: boolean;
}

export interface CeremonyTweaks {
  origin?: string;
  /** Signs this challenge instead of the one in the options. */
  challenge?: string;
  /** Hashes this RP ID into authenticatorData instead of the options' one. */
  rpId?: string;
  up?: boolean;
  uv?: boolean;
}

/** COSE_Key (RFC 9053 §7.1.1): kty EC2 (2), alg ES256 (-7), crv P-256 (1), x, y. */
function coseKeyOf(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: 'jwk' });
  return encodeCbor(
    new Map<number, Cbor>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, Buffer.from(jwk.x!, 'base64url')],
      [-3, Buffer.from(jwk.y!, 'base64url')],
    ]),
  );
}

function authenticatorData(rpId: string, flags: number, counter: number, attested?: Buffer): Buffer {
  const count = Buffer.alloc(4);
  count.writeUInt32BE(counter);
  return Buffer.concat([sha256(rpId), Buffer.from([flags]), count, ...(attested ? [attested] : [])]);
}

const clientData = (type: 'webauthn.create' | 'webauthn.get', challenge: string, origin: string): Buffer =>
  Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }), 'utf8');

export class SoftwareAuthenticator {
  readonly credentials: SoftCredential[] = [];
  /** 1: a security key's global counter; 0: a synced passkey that keeps none. */
  constructor(
    readonly origin: string,
    readonly options: { counterStep?: number; backupEligible?: boolean; backedUp?: boolean; aaguid?: Buffer } = {},
  ) {}

  /** navigator.credentials.create() with attestation "none", ES256. */
  create(options: PublicKeyCredentialCreationOptionsJSON, tweaks: CeremonyTweaks & { reuse?: SoftCredential } = {}): { response: RegistrationResponseJSON; credential: SoftCredential } {
    if (!options.pubKeyCredParams.some((p) => p.alg === -7)) throw new Error('ES256 not offered');
    const rpId = options.rp.id!;
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const id = tweaks.reuse?.id ?? randomBytes(32);
    const credential: SoftCredential = tweaks.reuse ?? {
      id,
      rpId,
      privateKey,
      cosePublicKey: coseKeyOf(publicKey),
      userHandle: options.user.id,
      counter: 0,
      backupEligible: this.options.backupEligible ?? false,
      backedUp: this.options.backedUp ?? false,
    };
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(id.length);
    const attested = Buffer.concat([this.options.aaguid ?? Buffer.alloc(16), idLength, id, credential.cosePublicKey]);
    const flags = this.#flags(tweaks, credential) | FLAG.AT;
    const authData = authenticatorData(tweaks.rpId ?? rpId, flags, credential.counter, attested);
    const attestationObject = encodeCbor(
      new Map<string, Cbor>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', authData],
      ]),
    );
    const data = clientData('webauthn.create', tweaks.challenge ?? options.challenge, tweaks.origin ?? this.origin);
    if (!tweaks.reuse) this.credentials.push(credential);
    return {
      credential,
      response: {
        id: b64u(id),
        rawId: b64u(id),
        type: 'public-key',
        authenticatorAttachment: 'platform',
        clientExtensionResults: {},
        response: { clientDataJSON: b64u(data), attestationObject: b64u(attestationObject), transports: ['internal'] },
      },
    };
  }

  /**
   * navigator.credentials.get(): the first allowed credential, or (discoverable) the last one made
   * for the RP ID. The counter moves by counterStep unless `counter` says what to report.
   */
  get(options: PublicKeyCredentialRequestOptionsJSON, tweaks: CeremonyTweaks & { credential?: SoftCredential; counter?: number; userHandle?: string | null } = {}): AuthenticationResponseJSON {
    const rpId = options.rpId!;
    const allowed = (options.allowCredentials ?? []).map((c) => c.id);
    const credential =
      tweaks.credential ??
      (allowed.length > 0 ? this.credentials.find((c) => allowed.includes(b64u(c.id))) : [...this.credentials].reverse().find((c) => c.rpId === rpId));
    if (!credential) throw new Error('no credential for these options');
    credential.counter = tweaks.counter ?? credential.counter + (this.options.counterStep ?? 1);
    const authData = authenticatorData(tweaks.rpId ?? rpId, this.#flags(tweaks, credential), credential.counter);
    const data = clientData('webauthn.get', tweaks.challenge ?? options.challenge, tweaks.origin ?? this.origin);
    const signature = sign('sha256', Buffer.concat([authData, sha256(data)]), credential.privateKey);
    const userHandle = tweaks.userHandle === undefined ? credential.userHandle : tweaks.userHandle;
    return {
      id: b64u(credential.id),
      rawId: b64u(credential.id),
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
      response: { clientDataJSON: b64u(data), authenticatorData: b64u(authData), signature: b64u(signature), ...(userHandle ? { userHandle } : {}) },
    };
  }

  #flags(tweaks: CeremonyTweaks, credential: Pick<SoftCredential, 'backupEligible' | 'backedUp'>): number {
    let flags = 0;
    if (tweaks.up ?? true) flags |= FLAG.UP;
    if (tweaks.uv ?? true) flags |= FLAG.UV;
    if (credential.backupEligible) flags |= FLAG.BE;
    if (credential.backedUp) flags |= FLAG.BS;
    return flags;
  }
}
