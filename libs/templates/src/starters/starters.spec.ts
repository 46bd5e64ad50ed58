import { MessageTokens } from '@herald/common';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { compileTemplate } from '../compile-template.js';
import { renderMessage } from '../render.js';
import { STARTER_TEMPLATES } from './index.js';

describe('starter templates', () => {
  it('has the six designs with unique keys', () => {
    expect(STARTER_TEMPLATES.map((s) => s.key).sort()).toEqual(
      ['announcement', 'event-invitation', 'newsletter', 'plain-letter', 'promotion', 'welcome'].sort(),
    );
  });

  it.each(STARTER_TEMPLATES.map((s) => [s.key, s] as const))(
    '%s compiles under strict MJML validation and renders without warnings',
    async (_key, starter) => {
      const compiled = await compileTemplate(
        { subject: starter.subject, preheader: starter.preheader, format: 'mjml', body: starter.body },
        { publicUrl: 'https://mail.example.org', sender: { name: 'Acme', address: '1 Main Street, Springfield' } },
      );
      expect(compiled.warnings).toEqual([]);
      expect(compiled.addedUnsubscribeFooter).toBe(false);
      const msg = renderMessage(
        compiled,
        { messageId: '1', contact: { email: 'jane@example.com', first_name: 'Jane' } },
        new MessageTokens(randomBytes(32)),
      );
      expect(msg.html).toContain('Jane');
      expect(msg.html).toContain('1 Main Street, Springfield');
      expect(msg.html).toContain(`https://mail.example.org/u/${msg.token}`);
      expect(msg.html).not.toContain('{{');
      expect(msg.text).not.toContain('{{');
      expect(msg.subject).not.toContain('{{');
      expect(Buffer.byteLength(msg.html)).toBeLessThan(102 * 1024);
    },
  );
});
