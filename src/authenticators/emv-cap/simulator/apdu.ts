/** ISO 7816-4 command and response APDUs, as the simulated card and the reader exchange them. */
export interface Command {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  data: Buffer;
}

export const SW_OK = 0x9000;

export function encodeCommand(cla: number, ins: number, p1: number, p2: number, data?: Uint8Array, le = true): Buffer {
  const body = data && data.length ? [Buffer.from([data.length]), data] : [];
  return Buffer.concat([Buffer.from([cla, ins, p1, p2]), ...body, ...(le ? [Buffer.from([0])] : [])]);
}

/** Reads a short APDU (cases 1 to 4). */
export function decodeCommand(apdu: Uint8Array): Command {
  if (apdu.length < 4) throw new Error('APDU shorter than its header');
  const [cla, ins, p1, p2] = apdu as unknown as [number, number, number, number];
  let data = Buffer.alloc(0);
  if (apdu.length > 5) {
    const lc = apdu[4]!;
    if (apdu.length < 5 + lc) throw new Error('APDU shorter than its Lc');
    data = Buffer.from(apdu.subarray(5, 5 + lc));
  }
  return { cla, ins, p1, p2, data };
}

export const respond = (sw: number, data: Uint8Array = Buffer.alloc(0)): Buffer => Buffer.concat([data, Buffer.from([sw >> 8, sw & 0xff])]);

export function splitResponse(response: Uint8Array): { data: Buffer; sw: number } {
  if (response.length < 2) throw new Error('response without status word');
  const n = response.length - 2;
  return { data: Buffer.from(response.subarray(0, n)), sw: (response[n]! << 8) | response[n + 1]! };
}
