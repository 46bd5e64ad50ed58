import type { ListName } from '@herald/contacts';
import { escapeHtml, type Language, type Page, type Wording } from '../pages/page.js';
import type { UnsubscribeState } from './unsubscribe.service.js';

type Key =
  | 'title'
  | 'intro'
  | 'introAnonymous'
  | 'all'
  | 'listsLegend'
  | 'listsHint'
  | 'leave'
  | 'noneChosen'
  | 'doneTitle'
  | 'done'
  | 'doneAnonymous'
  | 'leftTitle'
  | 'left'
  | 'remaining'
  | 'testTitle'
  | 'test';

/** `{sender}` and `{email}` are filled in escaped; the rest is plain text. */
const WORDING: Wording<Key> = {
  en: {
    title: 'Unsubscribe',
    intro: 'Do you no longer want emails from {sender} to {email}?',
    introAnonymous: 'Do you no longer want these emails to {email}?',
    all: 'Unsubscribe from all emails',
    listsLegend: 'Or leave only some lists',
    listsHint: 'You stay on the lists you do not tick.',
    leave: 'Leave the selected lists',
    noneChosen: 'Tick at least one list to leave.',
    doneTitle: 'You are unsubscribed',
    done: '{email} will get no more emails from {sender}.',
    doneAnonymous: '{email} will get no more of these emails.',
    leftTitle: 'Your lists are updated',
    left: 'You have left:',
    remaining: 'You are still on:',
    testTitle: 'This was a test email',
    test: 'This email was a test sent to {email}. Unsubscribing from a test changes nothing.',
  },
  de: {
    title: 'Abmelden',
    intro: 'Möchten Sie keine E-Mails mehr von {sender} an {email} erhalten?',
    introAnonymous: 'Möchten Sie diese E-Mails an {email} nicht mehr erhalten?',
    all: 'Von allen E-Mails abmelden',
    listsLegend: 'Oder nur einzelne Listen verlassen',
    listsHint: 'Listen ohne Häkchen behalten Sie.',
    leave: 'Ausgewählte Listen verlassen',
    noneChosen: 'Wählen Sie mindestens eine Liste aus, die Sie verlassen möchten.',
    doneTitle: 'Sie sind abgemeldet',
    done: '{email} erhält keine E-Mails mehr von {sender}.',
    doneAnonymous: '{email} erhält diese E-Mails nicht mehr.',
    leftTitle: 'Ihre Listen sind aktualisiert',
    left: 'Sie haben verlassen:',
    remaining: 'Sie bleiben auf:',
    testTitle: 'Dies war eine Test-E-Mail',
    test: 'Diese E-Mail war ein Test an {email}. Eine Abmeldung von einem Test ändert nichts.',
  },
};

/** A sentence of the wording with the sender and the address filled in, escaped. */
function sentence(text: string, state: UnsubscribeState): string {
  const values: Record<string, string> = {
    sender: `<strong>${escapeHtml(state.branding?.senderName ?? '')}</strong>`,
    email: `<strong>${escapeHtml(state.message.email)}</strong>`,
  };
  return escapeHtml(text).replace(/\{(sender|email)\}/g, (_, name: string) => values[name]);
}

/** The sentence naming the sender when the page knows it, else the one that does not. */
const named = (state: UnsubscribeState, withSender: string, without: string) =>
  sentence(state.branding ? withSender : without, state);

function allForm(w: Record<Key, string>): string {
  return `<form method="post">
<input type="hidden" name="action" value="all">
<button type="submit">${escapeHtml(w.all)}</button>
</form>`;
}

function listsForm(w: Record<Key, string>, lists: ListName[], error: boolean): string {
  const boxes = lists
    .map((l) => `<label><input type="checkbox" name="lists" value="${escapeHtml(l.id)}"> ${escapeHtml(l.name)}</label>`)
    .join('\n');
  const describedBy = error ? 'lists-error lists-hint' : 'lists-hint';
  return `<form method="post">
<input type="hidden" name="action" value="lists">
<fieldset aria-describedby="${describedBy}">
<legend>${escapeHtml(w.listsLegend)}</legend>
${error ? `<p id="lists-error" role="alert"><strong>${escapeHtml(w.noneChosen)}</strong></p>\n` : ''}<p id="lists-hint">${escapeHtml(w.listsHint)}</p>
${boxes}
</fieldset>
<button type="submit">${escapeHtml(w.leave)}</button>
</form>`;
}

const listItems = (lists: ListName[]) => `<ul>${lists.map((l) => `<li>${escapeHtml(l.name)}</li>`).join('')}</ul>`;

/** The preference centre: leave everything, or tick lists to leave. `noneChosen` after a form posted with no list ticked. */
export function choicePage(language: Language, state: UnsubscribeState, noneChosen = false): Page {
  const w = WORDING[language];
  const body = [`<p>${named(state, w.intro, w.introAnonymous)}</p>`, allForm(w)];
  if (state.lists.length > 0) body.push(listsForm(w, state.lists, noneChosen));
  return { language, title: w.title, body: body.join('\n'), branding: state.branding };
}

/** After an unsubscribe from everything, or on a visit once the address is suppressed. */
export function unsubscribedPage(language: Language, state: UnsubscribeState): Page {
  const w = WORDING[language];
  return {
    language,
    title: w.doneTitle,
    body: `<p>${named(state, w.done, w.doneAnonymous)}</p>`,
    branding: state.branding,
  };
}

/** After leaving some lists: which ones, which stay, and still the way out of everything. */
export function leftListsPage(language: Language, state: UnsubscribeState, left: ListName[]): Page {
  const w = WORDING[language];
  const leftIds = new Set(left.map((l) => l.id));
  const remaining = state.lists.filter((l) => !leftIds.has(l.id));
  // Empty when the form is posted again: the lists were left the first time.
  const body = left.length > 0 ? [`<p>${escapeHtml(w.left)}</p>`, listItems(left)] : [];
  if (remaining.length > 0) body.push(`<p>${escapeHtml(w.remaining)}</p>`, listItems(remaining));
  body.push(allForm(w));
  return { language, title: w.leftTitle, body: body.join('\n'), branding: state.branding };
}

/** A test send: nothing to unsubscribe from. */
export function testPage(language: Language, state: UnsubscribeState): Page {
  const w = WORDING[language];
  return { language, title: w.testTitle, body: `<p>${sentence(w.test, state)}</p>`, branding: state.branding };
}
