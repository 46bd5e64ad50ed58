import { describe, expect, it } from 'vitest';
import { trackableLinks } from './compile-template.js';
import { addTracking } from './render.js';

const TOKEN = 'AbCdEfGhIjKlMnOpQrStUv';
const HTML =
  '<html><body><a href="https://shop.example/a?x=1&amp;y=2">A</a> <a href="mailto:x@example.com">m</a> ' +
  '<a href="https://shop.example/b/{{id}}">B</a> <a href="#top">t</a> <a href="https://shop.example/a?x=1&y=2">A again</a>' +
  '</body></html>';

describe('tracking finished HTML (relayed and API mail)', () => {
  it('takes the http(s) links once each, decoded, in order, and keeps {{ in a URL literally', () => {
    expect(trackableLinks(HTML)).toEqual(['https://shop.example/a?x=1&y=2', 'https://shop.example/b/{{id}}']);
  });

  it('rewrites only the stored links to click URLs under the token and adds the pixel before </body>', () => {
    const links = trackableLinks(HTML);
    const out = addTracking(HTML, { publicUrl: 'https://herald.example/', token: TOKEN, links, opens: true });
    expect(out).toContain(`<a href="https://herald.example/t/c/${TOKEN}.0">A</a>`);
    expect(out).toContain(`<a href="https://herald.example/t/c/${TOKEN}.1">B</a>`);
    expect(out).toContain(`<a href="https://herald.example/t/c/${TOKEN}.0">A again</a>`);
    expect(out).toContain('href="mailto:x@example.com"');
    expect(out).toContain('href="#top"');
    expect(out).toMatch(new RegExp(`<img src="https://herald.example/t/o/${TOKEN}" [^>]*/></body>`));
  });

  it('leaves a link that is not stored as written, and adds no pixel when opens are off', () => {
    const out = addTracking(HTML, {
      publicUrl: 'https://herald.example',
      token: TOKEN,
      links: ['https://shop.example/b/{{id}}'],
      opens: false,
    });
    expect(out).toContain('href="https://shop.example/a?x=1&amp;y=2"');
    expect(out).toContain(`href="https://herald.example/t/c/${TOKEN}.0">B</a>`);
    expect(out).not.toContain('/t/o/');
    expect(addTracking(HTML, { publicUrl: 'https://h.example', token: TOKEN, links: [], opens: false })).toBe(HTML);
  });
});
