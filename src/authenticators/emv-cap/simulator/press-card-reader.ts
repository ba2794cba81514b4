import type { CapReaderProfile } from '../cap-profile.js';
import type { CapRequest } from '../cap-request.js';
import { createCapReader, type CapReaderResult } from './cap-reader.js';
import { createSimulatedCard, type SimulatedCardState } from './simulated-card.js';

/** What the `guichet cap-reader` command keeps in a file between runs: the card and the reader model issued with it. */
export interface CardInReader {
  card: SimulatedCardState;
  reader: CapReaderProfile;
  padDigits?: number;
}

/** One use of the reader: the code (or the refusal) and the card's new state (ATC, PIN tries) to save. */
export async function pressCardReader(kit: CardInReader, input: { pin: string; request: CapRequest }): Promise<{ result: CapReaderResult; kit: CardInReader }> {
  const card = createSimulatedCard(kit.card);
  const reader = createCapReader({ reader: kit.reader, ...(kit.padDigits === undefined ? {} : { padDigits: kit.padDigits }) });
  const result = await reader.generateCode(card, input);
  return { result, kit: { ...kit, card: card.state() } };
}
