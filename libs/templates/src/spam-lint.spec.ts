import { describe, expect, it } from 'vitest';
import { lintMessage, type LintedMessage } from './spam-lint.js';

const prose =
  'Our spring catalogue is out. This season we added forty new garden tools, a range of seeds from local growers, ' +
  'and a guide to planting tomatoes in small spaces. Members get early access to the workshop calendar, which opens ' +
  'on Monday. Thank you for gardening with us this year; we read every reply you send.';

const clean: LintedMessage = {
  subject: 'The spring catalogue is here',
  preheader: 'Forty new tools and a tomato guide',
  html: `<html><body><img src="https://shop.example.com/hero.jpg" alt="Garden"><p>${prose}</p><a href="https://shop.example.com/spring">See the catalogue</a><img src="https://herald.example.com/t/o/abc" width="1" height="1" alt=""></body></html>`,
  text: `${prose}\n\nSee the catalogue: https://shop.example.com/spring`,
  links: ['https://shop.example.com/spring'],
};

const rules = (m: LintedMessage) => lintMessage(m).map((f) => `${f.rule}:${f.severity}`);

describe('lintMessage', () => {
  it('finds nothing in a plain, honest message (a tracking pixel is not an image)', () => {
    expect(lintMessage(clean)).toEqual([]);
  });

  it('fails a subject in capitals, posing as a reply, or with several exclamation marks', () => {
    expect(rules({ ...clean, subject: 'HUGE SPRING SALE STARTS NOW' })).toEqual(['subject_all_caps:fail']);
    // A single acronym is not shouting.
    expect(rules({ ...clean, subject: 'Our NYC store opens in May' })).toEqual([]);
    expect(rules({ ...clean, subject: 'RE: your order' })).toEqual(['subject_fake_reply:fail']);
    const bangs = lintMessage({ ...clean, subject: 'Spring is here!!' });
    expect(bangs).toEqual([expect.objectContaining({ rule: 'exclamation_marks', severity: 'fail' })]);
    expect(bangs[0].reason).toMatch(/2 exclamation marks/);
    expect(rules({ ...clean, text: `${clean.text} Hurry!!!` })).toEqual(['exclamation_marks:warn']);
  });

  it('names trigger phrases, failing in the subject and warning in the body', () => {
    const subject = lintMessage({ ...clean, subject: 'Act now: 100% FREE seeds' });
    expect(subject.map((f) => f.rule)).toEqual(['trigger_phrases']);
    expect(subject[0].severity).toBe('fail');
    expect(subject[0].reason).toMatch(/subject has "100% free", "act now"/);
    const body = lintMessage({ ...clean, text: `${clean.text}\nClick here to claim your risk-free trial. Winner!` });
    expect(body[0]).toMatchObject({ rule: 'trigger_phrases', severity: 'warn' });
    expect(body[0].reason).toMatch(/body has "risk-free", "click here", "winner"/);
    expect(body[0].reason).toMatch(/screen-reader/);
    // The HTML is read too (a hand-written text part can differ), but not its styles.
    const html = `<html><head><style>.winner{color:red}</style></head><body><p>Act&nbsp;now</p></body></html>`;
    expect(lintMessage({ ...clean, html }).find((f) => f.rule === 'trigger_phrases')?.reason).toMatch(
      /body has "act now":/,
    );
    // Whole words only: "winners" and "reactnow" are not the phrases.
    expect(rules({ ...clean, text: `${clean.text} Our winners list is up. reactnow` })).toEqual([]);
  });

  it('fails shortened links, wherever they are', () => {
    const inHref = lintMessage({
      ...clean,
      html: clean.html.replace('https://shop.example.com/spring', 'https://bit.ly/3xYz'),
    });
    expect(inHref.map((f) => f.rule)).toEqual(['url_shortener']);
    expect(inHref[0].reason).toMatch(/"https:\/\/bit\.ly\/3xYz" hides its destination/);
    // Click tracking rewrote the href: the written destination still counts.
    expect(rules({ ...clean, links: ['https://www.tinyurl.com/abc'] })).toEqual(['url_shortener:fail']);
    expect(rules({ ...clean, text: `${clean.text} https://t.co/xyz` })).toEqual(['url_shortener:fail']);
    expect(rules({ ...clean, links: ['https://not-bit.ly.example.com/a'] })).toEqual([]);
  });

  it('warns about an image with little text, a missing preheader and a long subject', () => {
    const imageOnly = lintMessage({ ...clean, text: 'Spring sale. Unsubscribe: https://x.example/u/abc' });
    expect(imageOnly.map((f) => f.rule)).toEqual(['image_heavy']);
    expect(imageOnly[0].reason).toMatch(/1 image and only 3 words/);
    expect(rules({ ...clean, preheader: '  ' })).toEqual(['missing_preheader:warn']);
    expect(
      rules({ ...clean, subject: 'The spring catalogue is here with forty new tools and a guide to tomatoes' }),
    ).toEqual(['subject_length:warn']);
    expect(rules({ ...clean, subject: ' ' })).toEqual(['subject_empty:fail']);
  });
});
