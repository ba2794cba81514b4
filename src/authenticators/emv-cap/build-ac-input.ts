import { uint16 } from './bytes.js';
import type { CapCardProfile } from './cap-profile.js';
import { fillDol, readDolValues, TERMINAL_DATA, type DataObjectList } from './data-object-list.js';

/** The bytes the card MACs for its AC (EMV-CAP.md §4.2): T-data (or all CDOL data) ‖ AIP ‖ ATC ‖ tail. */
export function buildAcInput(
  profile: Pick<CapCardProfile, 'aip' | 'macData' | 'macTail'>,
  input: { cdol: DataObjectList; cdolData: Uint8Array; atc: number; iad: Uint8Array; cvr?: Uint8Array | undefined },
): Buffer {
  const head = profile.macData === 'all-cdol1' ? Buffer.from(input.cdolData) : fillDol(TERMINAL_DATA, readDolValues(input.cdol, input.cdolData));
  return Buffer.concat([head, Buffer.from(profile.aip, 'hex'), uint16(input.atc), macTail(profile.macTail, input.iad, input.cvr)]);
}

function macTail(tail: CapCardProfile['macTail'], iad: Uint8Array, cvr: Uint8Array | undefined): Buffer {
  const slice = (from: number, to: number) => {
    if (iad.length < to) throw new Error(`IAD too short for the ${tail} MAC template`);
    return Buffer.from(iad.subarray(from, to));
  };
  switch (tail) {
    case 'visa-cvr':
      return slice(3, 7);
    case 'iad':
      return Buffer.from(iad);
    case 'mc-cvr':
      return slice(2, 8);
    case 'mc-cvr-counters':
      return Buffer.concat([slice(2, 8), slice(10, 18)]);
    case 'separate-cvr':
      if (!cvr) throw new Error('the separate-cvr MAC template needs the CVR');
      return Buffer.from(cvr);
  }
}
