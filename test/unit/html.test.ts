import { describe, test, expect } from '@jest/globals';
import { escapeHtml, html, SafeHtml } from '../../src/lib/html.js';

describe('html', () => {
  test('escapeHtml escapes the five significant characters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });

  test('interpolated strings are escaped; the template itself is kept', () => {
    const name = '<script>alert("x")</script>';
    const out = html`<p class="greeting">Bonjour ${name}</p>`;
    expect(out).toBeInstanceOf(SafeHtml);
    expect(out.value).toBe('<p class="greeting">Bonjour &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</p>');
  });

  test('an attribute value cannot be broken out of', () => {
    const value = `" onmouseover="alert(1)`;
    expect(html`<input value="${value}">`.value).toBe('<input value="&quot; onmouseover=&quot;alert(1)">');
    expect(html`<input value='${"' autofocus '"}'>`.value).toBe(`<input value='&#39; autofocus &#39;'>`);
  });

  test('SafeHtml is inserted as is, never escaped twice', () => {
    const inner = html`<b>${'R&D'}</b>`;
    expect(inner.value).toBe('<b>R&amp;D</b>');
    expect(html`<p>${inner}</p>`.value).toBe('<p><b>R&amp;D</b></p>');
    expect(html`<div>${html`<p>${inner}</p>`}</div>`.value).toBe('<div><p><b>R&amp;D</b></p></div>');
  });

  test('arrays are joined, each element escaped or kept', () => {
    const items = ['<1>', '&2'].map((i) => html`<li>${i}</li>`);
    expect(html`<ul>${items}</ul>`.value).toBe('<ul><li>&lt;1&gt;</li><li>&amp;2</li></ul>');
    expect(html`${['<a>', new SafeHtml('<b>')]}`.value).toBe('&lt;a&gt;<b>');
  });

  test('null, undefined and false render nothing; numbers and true render as text', () => {
    expect(html`[${null}${undefined}${false}]`.value).toBe('[]');
    expect(html`${0} ${42} ${true}`.value).toBe('0 42 true');
  });

  test('SafeHtml converts to its value as a string', () => {
    expect(String(html`<i>${'a<b'}</i>`)).toBe('<i>a&lt;b</i>');
  });
});
