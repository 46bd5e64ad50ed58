import { footer, head, MUTED, PAGE, type StarterTemplate } from './shared.js';

const ACCENT = '#0f766e';

const feature = (icon: string, title: string, text: string) => `
      <mj-column width="33.33%" padding="0 8px">
        <mj-text align="center" font-size="28px" padding="8px 16px 0">${icon}</mj-text>
        <mj-text align="center" font-size="16px" font-weight="700" padding="4px 16px 4px">${title}</mj-text>
        <mj-text align="center" font-size="14px" color="#4b5563" padding="0 16px 16px">${text}</mj-text>
      </mj-column>`;

export const announcement: StarterTemplate = {
  key: 'announcement',
  name: 'Product announcement',
  subject: 'Introducing Version 3: built around how you work',
  preheader: 'Available today for every account, at no extra cost.',
  body: `<mjml>
  ${head('Announcement', ACCENT)}
  <mj-body background-color="${PAGE}" width="600px">
    <mj-section padding="32px 0 0">
      <mj-column>
        <mj-text align="center" font-size="13px" font-weight="700" letter-spacing="2px" color="${ACCENT}">NEW TODAY</mj-text>
      </mj-column>
    </mj-section>
    <mj-section background-color="#ffffff" border-radius="12px" padding="40px 0 16px">
      <mj-column>
        <mj-text css-class="hero-title" align="center" font-size="36px" font-weight="800" line-height="1.15" padding="0 40px 16px">
          Version 3 is here
        </mj-text>
        <mj-text align="center" font-size="18px" color="#374151" padding="0 48px 24px">
          {{default first_name "Hi"}}{{#if first_name}},{{/if}} we rebuilt the editor from the ground up. It is faster, it works offline, and it finally has the dark mode you asked for.
        </mj-text>
        <mj-button href="https://example.com/whats-new" font-size="17px">See what's new</mj-button>
        <mj-divider padding="8px 40px 24px" />
      </mj-column>
    </mj-section>
    <mj-section background-color="#ffffff" padding="0 16px 24px">${feature(
      '&#9889;',
      'Twice as fast',
      'Large documents open instantly.',
    )}${feature('&#9992;', 'Works offline', 'Edit anywhere; changes sync later.')}${feature(
      '&#127769;',
      'Dark mode',
      'Easy on the eyes, day or night.',
    )}
    </mj-section>
    <mj-section background-color="#f0fdfa" border-radius="12px" padding="24px 0" css-class="note">
      <mj-column>
        <mj-text align="center" font-size="15px" color="#134e4a" padding="0 40px">
          Nothing to install: Version 3 is already live in your account. Questions? Just reply to this email.
        </mj-text>
      </mj-column>
    </mj-section>
    <mj-section padding="16px 0 0"><mj-column><mj-text align="center" font-size="13px" color="${MUTED}">Read the full <a href="https://example.com/changelog">release notes</a>.</mj-text></mj-column></mj-section>
    ${footer}
  </mj-body>
</mjml>
`,
};
