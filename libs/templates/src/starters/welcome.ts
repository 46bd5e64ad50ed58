import { footer, head, PAGE, type StarterTemplate } from './shared.js';

const ACCENT = '#2563eb';

const step = (n: number, title: string, text: string) => `
    <mj-section background-color="#ffffff" padding="0 0 8px">
      <mj-column width="15%">
        <mj-text align="center" font-size="18px" font-weight="800" color="#ffffff" padding="2px 0 0 24px">
          <span style="display:inline-block;width:36px;height:36px;line-height:36px;border-radius:18px;background:${ACCENT};text-align:center;">${n}</span>
        </mj-text>
      </mj-column>
      <mj-column width="85%">
        <mj-text font-size="16px" font-weight="700" padding="4px 32px 2px 8px">${title}</mj-text>
        <mj-text font-size="15px" color="#4b5563" padding="0 32px 16px 8px">${text}</mj-text>
      </mj-column>
    </mj-section>`;

export const welcome: StarterTemplate = {
  key: 'welcome',
  name: 'Welcome',
  subject: 'Welcome aboard, {{default first_name "friend"}}',
  preheader: 'Three small steps to get the most out of your first week.',
  body: `<mjml>
  ${head('Welcome', ACCENT)}
  <mj-body background-color="${PAGE}" width="600px">
    <mj-section padding="40px 0 0">
      <mj-column>
        <mj-text align="center" font-size="40px" padding="0">&#128075;</mj-text>
      </mj-column>
    </mj-section>
    <mj-section background-color="#ffffff" border-radius="12px 12px 0 0" padding="32px 0 8px">
      <mj-column>
        <mj-text css-class="hero-title" align="center" font-size="32px" font-weight="800" line-height="1.2" padding="0 40px 12px">
          Welcome, {{default first_name "friend"}}!
        </mj-text>
        <mj-text align="center" font-size="17px" color="#374151" padding="0 48px 24px">
          We are glad you are here. Your account is ready; here is how to get going in about ten minutes.
        </mj-text>
      </mj-column>
    </mj-section>${step(1, 'Complete your profile', 'Add a photo and a short bio so your team knows who they are working with.')}${step(
      2,
      'Create your first project',
      'Start from a template or a blank page; you can change everything later.',
    )}${step(3, 'Invite your team', 'Work is better together. Invitations are free and take a few seconds.')}
    <mj-section background-color="#ffffff" border-radius="0 0 12px 12px" padding="8px 0 32px">
      <mj-column>
        <mj-button href="https://example.com/get-started">Get started</mj-button>
        <mj-text align="center" font-size="14px" color="#6b7280">
          Need a hand? Our <a href="https://example.com/help">help centre</a> has answers, and a real person reads every reply to this email.
        </mj-text>
      </mj-column>
    </mj-section>
    ${footer}
  </mj-body>
</mjml>
`,
};
