import type { Language, Page, Wording } from './page.js';

const WORDING: Wording<'title' | 'body'> = {
  en: {
    title: 'This link is not valid',
    body:
      'The link may be incomplete, or it no longer leads anywhere. If you copied it from an email, ' +
      'check that you copied all of it.',
  },
  de: {
    title: 'Dieser Link ist ungültig',
    body:
      'Der Link ist möglicherweise unvollständig oder führt nirgends mehr hin. Wenn Sie ihn aus einer ' +
      'E-Mail kopiert haben, prüfen Sie bitte, ob er vollständig ist.',
  },
};

/**
 * The one answer to a recipient link that leads nowhere: a forged, altered,
 * truncated or unknown token, or a part of a message that does not exist.
 * Every such case gets this same page (sent with status 404), so that no
 * answer tells a well-formed token from a guess.
 */
export function notFoundPage(language: Language): Page {
  const w = WORDING[language];
  return { language, title: w.title, body: `<p>${w.body}</p>` };
}
