const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\s]*?)-----END \1-----/g;

/** The DER contents of the PEM blocks (RFC 7468) labelled one of `labels`, in file order. */
export function decodePemBlocks(text: string, labels: readonly string[]): Buffer[] {
  const blocks: Buffer[] = [];
  for (const match of text.matchAll(PEM_BLOCK)) {
    if (labels.includes(match[1]!)) blocks.push(Buffer.from(match[2]!.replace(/\s+/g, ''), 'base64'));
  }
  return blocks;
}

export const isPem = (bytes: Uint8Array): boolean => Buffer.from(bytes.subarray(0, 64)).toString('latin1').includes('-----BEGIN ');

export const encodePem = (der: Uint8Array, label = 'CERTIFICATE'): string =>
  `-----BEGIN ${label}-----\n${(Buffer.from(der).toString('base64').match(/.{1,64}/g) ?? []).join('\n')}\n-----END ${label}-----\n`;
