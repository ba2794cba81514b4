import { fromHex } from './bytes.js';
import type { CapProfile } from './cap-profile.js';
import { stateShowsOfflinePinVerified } from './card-verification-results.js';
import { parseDol, TERMINAL_DATA } from './data-object-list.js';
import { countIpbBits, ipbFits } from './extract-cap-code.js';

const hexOf = (value: unknown, bytes?: number): boolean => {
  try {
    const b = fromHex(String(value));
    return bytes === undefined ? b.length > 0 : b.length === bytes;
  } catch {
    return false;
  }
};

/**
 * Everything that must hold before a card is enrolled, as named problems (empty = fine):
 * the IPB within the buffer and at most `maxDigits` digits (EMV-CAP.md §5.4, §10.12), only card
 * states that show a successful offline PIN (§6.7), T-data present for the standard CVNs (§4.2).
 */
export function checkCapProfile(profile: CapProfile, card: { psn: string | null }, options: { maxDigits?: number } = {}): string[] {
  const maxDigits = options.maxDigits ?? 8;
  const problems: string[] = [];
  if (!hexOf(profile.aip, 2)) problems.push('aip: 2 bytes');
  let cdolOk = true;
  for (const name of ['cdol1', 'cdol2'] as const) {
    try {
      parseDol(profile[name]);
    } catch {
      cdolOk = false;
      problems.push(`${name}: not a data object list`);
    }
  }
  if (cdolOk && profile.macData === 'terminal-data') {
    const dol = parseDol(profile.cdol1);
    for (const t of TERMINAL_DATA) if (!dol.some((e) => e.tag === t.tag && e.length === t.length)) problems.push(`cdol1: lacks ${t.tag} (${t.length} bytes), which standard CVNs MAC`);
  }
  if (profile.padding !== 1 && profile.padding !== 2) problems.push('padding: 1 or 2');
  if (profile.keyScheme.kind === 'tree') {
    const { branch, height, iv } = profile.keyScheme;
    if (!(Number.isInteger(branch) && Number.isInteger(height) && branch >= 2 && height >= 1 && branch ** height >= 0x10000)) problems.push('keyScheme: the tree must cover 65536 counters (b^H ≥ 65536, EMV-CAP.md §3.2)');
    if (!hexOf(iv, 16)) problems.push('keyScheme.iv: 16 bytes');
  }
  if (!Number.isInteger(profile.iaf) || profile.iaf < 0 || profile.iaf > 0xff) problems.push('iaf: one byte');
  if (profile.iaf & 0x40 && card.psn === null) problems.push('iaf: puts the PSN in the buffer, but the card has no PSN');
  const readerLengths = { date: 3, tvr: 5, country: 2, terminalType: 1, cvmResults: 3, terminalCapabilities: 3, arc: 2 } as const;
  for (const [field, n] of Object.entries(readerLengths)) if (!hexOf(profile.reader[field as keyof typeof readerLengths], n)) problems.push(`reader.${field}: ${n} bytes`);
  if (!hexOf(profile.ipb)) {
    problems.push('ipb: missing (cards without an IPB are not supported, EMV-CAP.md §5.4)');
    return problems;
  }
  const ipb = fromHex(profile.ipb);
  const bits = countIpbBits(ipb);
  if (bits === 0) problems.push('ipb: selects no bit');
  if (2n ** BigInt(bits) > 10n ** BigInt(maxDigits)) problems.push(`ipb: selects ${bits} bits, which can make codes of more than ${maxDigits} digits (EMV-CAP.md §10.12)`);
  if (profile.cardStates.length === 0) problems.push('cardStates: at least one');
  for (const [i, state] of profile.cardStates.entries()) {
    if (!hexOf(state.iad)) {
      problems.push(`cardStates[${i}].iad: hex`);
      continue;
    }
    if (profile.macTail === 'separate-cvr' && !hexOf(state.cvr)) problems.push(`cardStates[${i}].cvr: needed by the separate-cvr template`);
    const iadLength = fromHex(state.iad).length;
    const needed = { 'visa-cvr': 7, 'mc-cvr': 8, 'mc-cvr-counters': 18, iad: 1, 'separate-cvr': 0 }[profile.macTail];
    if (iadLength < needed) problems.push(`cardStates[${i}].iad: ${needed} bytes at least for ${profile.macTail}`);
    if (!stateShowsOfflinePinVerified(profile, state)) problems.push(`cardStates[${i}]: its CVR does not show "ARQC, offline PIN performed and successful" (EMV-CAP.md §6.7)`);
    const buffer = (profile.iaf & 0x40 ? 1 : 0) + 1 + 2 + 8 + iadLength;
    if (!ipbFits(ipb, buffer)) problems.push(`ipb: selects bits past the ${buffer}-byte buffer of cardStates[${i}] (EMV-CAP.md §5.4)`);
  }
  return problems;
}
