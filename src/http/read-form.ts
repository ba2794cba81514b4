import type { Context } from 'koa';
import { GuichetError } from '../errors/codes.js';

/**
 * Reads an application/x-www-form-urlencoded body: bounded in size, strict UTF-8, no repeated
 * fields (a repeated field is a tampered form). Oversized or malformed input is a clear 4xx.
 */
export async function readForm(ctx: Context, maxBytes: number): Promise<Record<string, string>> {
  const type = ctx.request.type;
  if (type !== 'application/x-www-form-urlencoded') throw new GuichetError('bad_request', `unsupported content type ${type || 'none'}`);
  const declared = Number(ctx.get('content-length') || 0);
  if (declared > maxBytes) throw new GuichetError('body_too_large');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new GuichetError('body_too_large');
    chunks.push(chunk as Buffer);
  }
  const raw = Buffer.concat(chunks);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
    const fields: Record<string, string> = {};
    for (const part of text.split('&')) {
      if (!part) continue;
      const eq = part.indexOf('=');
      const name = decodeURIComponent((eq < 0 ? part : part.slice(0, eq)).replace(/\+/g, ' '));
      const value = eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1).replace(/\+/g, ' '));
      if (Object.hasOwn(fields, name)) throw new GuichetError('bad_request', `repeated field ${name}`);
      fields[name] = value;
    }
    return fields;
  } catch (e) {
    if (e instanceof GuichetError) throw e;
    throw new GuichetError('bad_encoding');
  }
}

export function requireField(form: Record<string, string>, name: string, maxLength = 1024): string {
  const value = form[name];
  if (value === undefined || value.trim() === '') throw new GuichetError('missing_field', `missing ${name}`, { field: name });
  if (value.length > maxLength) throw new GuichetError('bad_request', `${name} too long`, { field: name });
  return value;
}
