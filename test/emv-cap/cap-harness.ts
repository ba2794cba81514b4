import type { CapCardRecord } from '../../src/authenticators/emv-cap/cap-card-record.js';
import type { CapRequest } from '../../src/authenticators/emv-cap/cap-request.js';
import { createSoftwareCardKeyOperations } from '../../src/authenticators/emv-cap/software-card-keys.js';
import { verifyCapCode, type CapVerifyResult } from '../../src/authenticators/emv-cap/verify-cap-code.js';
import { resynchroniseCapCard } from '../../src/authenticators/emv-cap/resynchronise-cap-card.js';
import { createDemoCard, type DemoCardOptions } from '../../src/authenticators/emv-cap/simulator/demo-card.js';
import { createSimulatedCard } from '../../src/authenticators/emv-cap/simulator/simulated-card.js';
import { createCapReader, type CapReaderOptions } from '../../src/authenticators/emv-cap/simulator/cap-reader.js';

/** A demo card in a reader, and a verifier that keeps the last accepted ATC the way the repository does. */
export function capHarness(options: DemoCardOptions = {}, readerOptions: Partial<CapReaderOptions> = {}) {
  const demo = createDemoCard(options);
  const card = createSimulatedCard(demo.card);
  const reader = createCapReader({ reader: demo.enrolment.profile.reader, ...readerOptions });
  const keys = createSoftwareCardKeyOperations({ issuerKeys: demo.issuerKeys });
  const record: CapCardRecord = { version: 1, pan: demo.enrolment.pan, psn: demo.enrolment.psn, key: demo.enrolment.key, kcv: '', profile: demo.enrolment.profile };
  const state = { lastAtc: demo.enrolment.lastAtc as number | null };
  const keep = (r: CapVerifyResult) => {
    if (r.kind === 'verified') state.lastAtc = r.evidence.atc;
    return r;
  };
  return {
    demo,
    card,
    reader,
    keys,
    record,
    state,
    /** The code the reader shows, or an error when it refuses. */
    async press(request: CapRequest, pin = '1234'): Promise<string> {
      const r = await reader.generateCode(card, { pin, request });
      if (r.kind !== 'code') throw new Error(`reader refused: ${r.reason}`);
      return r.code;
    },
    async verify(code: string, request: CapRequest, window?: number) {
      return keep(await verifyCapCode(keys, { card: record, lastAtc: state.lastAtc, code, request, window }));
    },
    async resynchronise(codes: [string, string], window?: number) {
      return keep(await resynchroniseCapCard(keys, { card: record, lastAtc: state.lastAtc, codes, ...(window ? { window } : {}) }));
    },
  };
}
