import { Parser } from 'htmlparser2';
import { decodeEntities, forEachStartTag } from './html.js';

export type SpamRule =
  | 'subject_empty'
  | 'subject_length'
  | 'subject_all_caps'
  | 'subject_fake_reply'
  | 'exclamation_marks'
  | 'trigger_phrases'
  | 'url_shortener'
  | 'image_heavy'
  | 'missing_preheader';

export interface SpamFinding {
  rule: SpamRule;
  /** `fail`: filters weigh it heavily, change it before sending; `warn`: worth a look. */
  severity: 'fail' | 'warn';
  title: string;
  /** Why it matters and what to change, naming what was found. */
  reason: string;
}

/** One message as a recipient gets it: rendered subject, preheader, HTML and text. */
export interface LintedMessage {
  subject: string;
  preheader: string;
  html: string;
  text: string;
  /** Link destinations as written (before click tracking rewrote them in `html`). */
  links?: string[];
}

/**
 * Phrases content filters have long scored as spam. Kept short on purpose:
 * each one is common in spam and rare in mail people asked for.
 */
const TRIGGER_PHRASES = [
  '100% free',
  'act now',
  'risk-free',
  'risk free',
  'click here',
  'winner',
  'you have been selected',
  'congratulations, you',
  'no credit check',
  'earn extra cash',
  'double your',
  'cash bonus',
  'free gift',
  'limited time only',
  'once in a lifetime',
  'urgent response',
  'guaranteed income',
  'no strings attached',
];

/** Hosts that hide a link's destination; filters distrust them because spam uses them to hide its own. */
const URL_SHORTENERS = new Set([
  'bit.ly',
  'tinyurl.com',
  'goo.gl',
  't.co',
  'ow.ly',
  'is.gd',
  'buff.ly',
  'rebrand.ly',
  'cutt.ly',
  'shorturl.at',
  'tiny.cc',
  'bit.do',
  'rb.gy',
  't.ly',
]);

/** Mail clients show about this many characters of a subject on a phone. */
const SUBJECT_VISIBLE_CHARS = 60;
/** Below this many words of text next to images, a message reads to filters as an image with a caption. */
const MIN_WORDS_WITH_IMAGES = 50;

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const phrasePattern = (phrase: string) =>
  new RegExp(`(^|[^\\p{L}\\p{N}])${escapeRegExp(phrase)}($|[^\\p{L}\\p{N}])`, 'iu');
const PHRASES = TRIGGER_PHRASES.map((phrase) => ({ phrase, pattern: phrasePattern(phrase) }));
const URL_IN_TEXT = /https?:\/\/[^\s<>"')]+/gi;

const quoteList = (items: string[]) => items.map((i) => `"${i}"`).join(', ');

/**
 * A short list of what content filters and readers hold against a message,
 * each with the reason and what to change. Pure: the campaign preflight and
 * anything else that has a rendered message call it.
 */
export function lintMessage(message: LintedMessage): SpamFinding[] {
  const findings: SpamFinding[] = [];
  const subject = message.subject.trim();
  const add = (rule: SpamRule, severity: SpamFinding['severity'], title: string, reason: string) =>
    findings.push({ rule, severity, title, reason });

  if (subject === '') {
    add('subject_empty', 'fail', 'Empty subject', 'A message without a subject looks careless and is often filtered.');
  } else if ([...subject].length > SUBJECT_VISIBLE_CHARS) {
    add(
      'subject_length',
      'warn',
      'Long subject',
      `The subject is ${[...subject].length} characters; phones show about ${SUBJECT_VISIBLE_CHARS}. Put the point first.`,
    );
  }
  const letters = subject.replace(/[^\p{L}]/gu, '');
  const upper = letters.replace(/[^\p{Lu}]/gu, '');
  if (letters.length >= 8 && upper.length / letters.length > 0.7) {
    add(
      'subject_all_caps',
      'fail',
      'Subject in capitals',
      'A subject written in capital letters reads as shouting and is a classic spam signal. Write it in sentence case.',
    );
  }
  if (/^(re|fwd?|aw|wg)\s*:/i.test(subject)) {
    add(
      'subject_fake_reply',
      'fail',
      'Subject poses as a reply',
      `The subject starts with "${subject.split(':')[0]}:", which pretends to continue a conversation; filters and readers treat that as deception.`,
    );
  }

  const subjectBangs = (subject.match(/!/g) ?? []).length;
  const bodyShouts = /!{3,}/.test(message.text);
  if (subjectBangs > 1 || bodyShouts) {
    add(
      'exclamation_marks',
      subjectBangs > 1 ? 'fail' : 'warn',
      'Too many exclamation marks',
      subjectBangs > 1
        ? `The subject has ${subjectBangs} exclamation marks; one at most reads as enthusiasm, more as spam.`
        : 'The body has runs of "!!!", which filters score as spam. Use one.',
    );
  }

  const inSubject = PHRASES.filter((p) => p.pattern.test(subject)).map((p) => p.phrase);
  // Both parts: a hand-written text part can differ from the HTML, and filters read both.
  const body = `${message.preheader}\n${message.text}\n${visibleText(message.html)}`;
  const inBody = PHRASES.filter((p) => !inSubject.includes(p.phrase) && p.pattern.test(body)).map((p) => p.phrase);
  if (inSubject.length > 0 || inBody.length > 0) {
    const where = [
      inSubject.length > 0 ? `the subject has ${quoteList(inSubject)}` : '',
      inBody.length > 0 ? `the body has ${quoteList(inBody)}` : '',
    ]
      .filter((s) => s !== '')
      .join('; ');
    add(
      'trigger_phrases',
      inSubject.length > 0 ? 'fail' : 'warn',
      'Spam trigger phrases',
      `${where[0].toUpperCase()}${where.slice(1)}: phrases content filters score as spam. Say what the reader gets in your own words${inBody.includes('click here') || inSubject.includes('click here') ? ' (and name the link: "click here" also tells screen-reader users nothing)' : ''}.`,
    );
  }

  const shortened = [...new Set(destinations(message).filter(isShortened))];
  if (shortened.length > 0) {
    add(
      'url_shortener',
      'fail',
      'Shortened links',
      `${quoteList(shortened.slice(0, 3))} ${shortened.length === 1 ? 'hides its' : 'hide their'} destination behind a link shortener, which spam uses to hide its own; filters distrust them. Link to the real address.`,
    );
  }

  const images = contentImages(message.html);
  const words = message.text.replace(URL_IN_TEXT, ' ').match(/[\p{L}\p{N}]+/gu)?.length ?? 0;
  if (images > 0 && words < MIN_WORDS_WITH_IMAGES) {
    add(
      'image_heavy',
      'warn',
      'Mostly images',
      `${images} image${images > 1 ? 's' : ''} and only ${words} words of text: filters cannot read images and suspect them, and readers who block images see almost nothing. Put the message in text.`,
    );
  }

  if (message.preheader.trim() === '') {
    add(
      'missing_preheader',
      'warn',
      'No preheader',
      'Without a preheader, mail clients show the first words of the body (often "View in browser") after the subject. Write one line that makes people open.',
    );
  }
  return findings;
}

/** Every http(s) address the message links to or shows: the written destinations, hrefs and URLs in the text. */
function destinations(message: LintedMessage): string[] {
  const found = [...(message.links ?? [])];
  forEachStartTag(message.html, (tag) => {
    if (tag.name !== 'a') return;
    const href = tag.attributes.find((a) => a.name === 'href');
    if (href) found.push(decodeEntities(href.raw).trim());
  });
  found.push(...(message.text.match(URL_IN_TEXT) ?? []));
  return found;
}

function isShortened(url: string): boolean {
  try {
    const host = new URL(url).hostname.toLowerCase().replace(/^www\./, '');
    return URL_SHORTENERS.has(host);
  } catch {
    return false;
  }
}

/** The text of an HTML document as a reader sees it, without style and script contents. */
function visibleText(html: string): string {
  const parts: string[] = [];
  let hidden = 0;
  const parser = new Parser(
    {
      onopentagname: (name) => {
        if (name === 'style' || name === 'script') hidden++;
      },
      onclosetag: (name) => {
        if ((name === 'style' || name === 'script') && hidden > 0) hidden--;
        parts.push(' ');
      },
      ontext: (text) => {
        if (hidden === 0) parts.push(text);
      },
    },
    { decodeEntities: true },
  );
  parser.end(html);
  return parts.join('').replace(/\s+/g, ' ');
}

/** Images a reader sees: a 1×1 tracking pixel is not content. */
function contentImages(html: string): number {
  let count = 0;
  forEachStartTag(html, (tag) => {
    if (tag.name !== 'img') return;
    const size = (name: string) => tag.attributes.find((a) => a.name === name)?.raw.trim();
    if (size('width') === '1' && size('height') === '1') return;
    count++;
  });
  return count;
}
