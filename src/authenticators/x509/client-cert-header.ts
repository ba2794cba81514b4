import { BlockList, isIPv4, isIPv6 } from 'node:net';

/** RFC 9440 §2.2: the proxy's copy of the client certificate, as a Structured Field byte sequence. */
export const CLIENT_CERT_HEADER = 'client-cert';

/** RFC 8941 §3.3.5: `:` base64 `:`; padding optional on input, nothing else tolerated. */
const BYTE_SEQUENCE = /^:([A-Za-z0-9+/]*={0,2}):$/;

/** The DER bytes of a `Client-Cert` value, or null when it is not one byte sequence. */
export function parseClientCertHeader(value: string): Buffer | null {
  const match = BYTE_SEQUENCE.exec(value.trim());
  if (!match || match[1]!.length === 0) return null;
  const der = Buffer.from(match[1]!, 'base64');
  return der.length > 0 ? der : null;
}

/** `:base64:`, what a proxy (and the tests) send. */
export const formatClientCertHeader = (der: Uint8Array): string => `:${Buffer.from(der).toString('base64')}:`;

/** An IPv4 client seen on a dual-stack socket (`::ffff:192.0.2.1`) is that IPv4 address. */
const unmapped = (address: string): string => (address.toLowerCase().startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address);

/**
 * Whether a TCP peer is one of the configured proxies (addresses or CIDR subnets, as validated by
 * the configuration schema). An empty list trusts nobody.
 */
export function createProxyMatcher(trusted: readonly string[]): (peerAddress: string | undefined) => boolean {
  const list = new BlockList();
  for (const entry of trusted) {
    const [address, bits] = entry.split('/') as [string, string | undefined];
    const family = isIPv6(address) ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(unmapped(address), isIPv4(unmapped(address)) ? 'ipv4' : family);
    else list.addSubnet(address, Number(bits), family);
  }
  return (peerAddress) => {
    if (!peerAddress || trusted.length === 0) return false;
    const address = unmapped(peerAddress);
    if (isIPv4(address)) return list.check(address, 'ipv4');
    return isIPv6(address) && list.check(address, 'ipv6');
  };
}

export type ForwardedCertificate =
  | { kind: 'absent' }
  /** A header from a peer that is not a trusted proxy: ignored, and audited as forged. */
  | { kind: 'forged' }
  /** From a trusted proxy, but not one byte sequence (or sent twice). */
  | { kind: 'malformed' }
  | { kind: 'present'; der: Buffer };

/**
 * The certificate a trusted reverse proxy forwarded (RFC 9440 §2). The header is honoured only
 * when the TCP peer itself is a configured proxy: `X-Forwarded-For` and the like are not looked at,
 * since anyone can send them.
 */
export function forwardedCertificateOf(peerAddress: string | undefined, header: string | string[] | undefined, isTrustedProxy: (peer: string | undefined) => boolean): ForwardedCertificate {
  if (header === undefined) return { kind: 'absent' };
  if (!isTrustedProxy(peerAddress)) return { kind: 'forged' };
  if (Array.isArray(header)) return header.length === 1 ? forwardedCertificateOf(peerAddress, header[0], isTrustedProxy) : { kind: 'malformed' };
  const der = parseClientCertHeader(header);
  return der ? { kind: 'present', der } : { kind: 'malformed' };
}
