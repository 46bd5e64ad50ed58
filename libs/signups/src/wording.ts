import type { Language, Wording } from '@herald/tracking';

/** What sign-up pages and the confirmation mail say. `{list}` is the list's name, escaped where it lands. */
export const WORDING: Wording<
  | 'thanksTitle'
  | 'thanksDoubleOptIn'
  | 'thanksSingleOptIn'
  | 'invalidTitle'
  | 'invalidIntro'
  | 'back'
  | 'tooManyTitle'
  | 'tooMany'
  | 'confirmTitle'
  | 'confirmIntro'
  | 'confirmButton'
  | 'confirmedTitle'
  | 'confirmed'
  | 'alreadyConfirmed'
  | 'refusedTitle'
  | 'refused'
  | 'expiredTitle'
  | 'expired'
  | 'notFoundTitle'
  | 'notFound'
  | 'mailSubject'
  | 'mailIntro'
  | 'mailButton'
  | 'mailIgnore'
  | 'mailExpires'
> = {
  en: {
    thanksTitle: 'Thank you',
    thanksDoubleOptIn:
      'Please check your inbox: we have sent you an email with a link to confirm your subscription to {list}.',
    thanksSingleOptIn:
      'Thank you for signing up to {list}. If your address needs confirming, we have sent you an email with a link.',
    invalidTitle: 'Please check the form',
    invalidIntro: 'Some of what you entered cannot be used:',
    back: 'Please go back, correct it and send the form again.',
    tooManyTitle: 'Too many sign-ups',
    tooMany: 'Too many sign-ups came from your network. Please try again later.',
    confirmTitle: 'Confirm your subscription',
    confirmIntro: 'Please confirm that {email} wants to receive {list}.',
    confirmButton: 'Yes, subscribe me',
    confirmedTitle: 'You are subscribed',
    confirmed: 'Thank you: {email} now receives {list}.',
    alreadyConfirmed: 'This subscription was already confirmed.',
    refusedTitle: 'We could not subscribe you',
    refused: 'This address cannot be subscribed here. Please contact the sender.',
    expiredTitle: 'This link has expired',
    expired: 'Confirmation links are valid for 7 days. Please sign up again to get a new one.',
    notFoundTitle: 'Link not valid',
    notFound: 'This link is not valid. It may have been copied incompletely.',
    mailSubject: 'Please confirm your subscription to {list}',
    mailIntro: 'Someone, hopefully you, asked to subscribe {email} to {list}. Please confirm:',
    mailButton: 'Confirm my subscription',
    mailIgnore: 'If you did not ask for this, ignore this email: you will not be subscribed.',
    mailExpires: 'The link is valid for 7 days.',
  },
  de: {
    thanksTitle: 'Vielen Dank',
    thanksDoubleOptIn:
      'Bitte sehen Sie in Ihr Postfach: Wir haben Ihnen eine E-Mail mit einem Link geschickt, mit dem Sie Ihr Abonnement von {list} bestätigen.',
    thanksSingleOptIn:
      'Vielen Dank für Ihre Anmeldung zu {list}. Falls Ihre Adresse bestätigt werden muss, haben wir Ihnen eine E-Mail mit einem Link geschickt.',
    invalidTitle: 'Bitte prüfen Sie das Formular',
    invalidIntro: 'Einige Angaben können wir nicht verwenden:',
    back: 'Bitte gehen Sie zurück, korrigieren Sie die Angaben und senden Sie das Formular erneut.',
    tooManyTitle: 'Zu viele Anmeldungen',
    tooMany: 'Aus Ihrem Netz kamen zu viele Anmeldungen. Bitte versuchen Sie es später noch einmal.',
    confirmTitle: 'Abonnement bestätigen',
    confirmIntro: 'Bitte bestätigen Sie, dass {email} {list} erhalten möchte.',
    confirmButton: 'Ja, ich möchte mich anmelden',
    confirmedTitle: 'Sie sind angemeldet',
    confirmed: 'Vielen Dank: {email} erhält jetzt {list}.',
    alreadyConfirmed: 'Dieses Abonnement wurde bereits bestätigt.',
    refusedTitle: 'Anmeldung nicht möglich',
    refused: 'Diese Adresse kann hier nicht angemeldet werden. Bitte wenden Sie sich an den Absender.',
    expiredTitle: 'Dieser Link ist abgelaufen',
    expired: 'Bestätigungslinks gelten 7 Tage. Bitte melden Sie sich erneut an, um einen neuen zu erhalten.',
    notFoundTitle: 'Link ungültig',
    notFound: 'Dieser Link ist ungültig. Vielleicht wurde er unvollständig kopiert.',
    mailSubject: 'Bitte bestätigen Sie Ihr Abonnement von {list}',
    mailIntro: 'Jemand, hoffentlich Sie, möchte {email} für {list} anmelden. Bitte bestätigen Sie:',
    mailButton: 'Abonnement bestätigen',
    mailIgnore: 'Falls Sie das nicht waren, ignorieren Sie diese E-Mail: Sie werden nicht angemeldet.',
    mailExpires: 'Der Link ist 7 Tage gültig.',
  },
};

export type WordingKey = keyof (typeof WORDING)['en'];

/**
 * A wording with its placeholders filled: `escape` is applied to every value
 * and to the wording (HTML escaping for pages and HTML mail, identity for
 * plain text).
 */
export function say(
  language: Language,
  key: WordingKey,
  values: Record<string, string> = {},
  escape: (s: string) => string = (s) => s,
): string {
  return escape(WORDING[language][key]).replace(/\{(\w+)\}/g, (_, name: string) => escape(values[name] ?? ''));
}
