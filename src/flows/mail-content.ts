import { escapeHtml } from '../lib/html.js';

/** A mail in plain text and the same words in minimal HTML (paragraphs from blank lines). */
export function renderMail(subject: string, text: string): { subject: string; text: string; html: string } {
  const paragraphs = text.split(/\n{2,}/).map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`);
  return { subject, text, html: `<!doctype html><html><body style="font-family:sans-serif">${paragraphs.join('')}</body></html>` };
}
