import { escapeHtml, type Language, type MessageBranding } from '@herald/tracking';
import { say } from './wording.js';

export interface ConfirmationMail {
  subject: string;
  html: string;
  text: string;
}

/**
 * The confirmation mail in the submitter's language: one link, as a button
 * and as text. The list's name and the address are escaped in the HTML part;
 * the subject goes through MessageSkeleton, which keeps any CR/LF out of it.
 */
export function confirmationMail(
  language: Language,
  values: { email: string; list: string; url: string },
  branding: MessageBranding,
): ConfirmationMail {
  const t = (key: Parameters<typeof say>[1]) => say(language, key, values);
  const h = (key: Parameters<typeof say>[1]) => say(language, key, values, escapeHtml);
  const url = escapeHtml(values.url);
  const footer = `${branding.senderName}\n${branding.postalAddress}`;
  const text = [t('mailIntro'), '', values.url, '', t('mailExpires'), t('mailIgnore'), '', '--', footer].join('\n');
  const html = `<!doctype html>
<html lang="${language}"><head><meta charset="utf-8"><title>${h('mailSubject')}</title></head>
<body style="font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1f2328;line-height:1.5">
<p>${h('mailIntro')}</p>
<p><a href="${url}" style="display:inline-block;padding:10px 18px;background:#1f6feb;color:#ffffff;border-radius:6px;text-decoration:none">${h('mailButton')}</a></p>
<p style="font-size:13px;color:#57606a">${url}</p>
<p>${h('mailExpires')} ${h('mailIgnore')}</p>
<p style="font-size:12px;color:#57606a">${escapeHtml(branding.senderName)}<br>${escapeHtml(branding.postalAddress).replace(/\r?\n/g, '<br>')}</p>
</body></html>`;
  return { subject: t('mailSubject'), html, text };
}
