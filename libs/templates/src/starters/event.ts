import { footer, head, PAGE, type StarterTemplate } from './shared.js';

const ACCENT = '#7c3aed';

const detail = (label: string, value: string) => `
        <mj-text font-size="12px" font-weight="700" letter-spacing="1px" color="${ACCENT}" padding="0 32px 2px">${label}</mj-text>
        <mj-text font-size="16px" padding="0 32px 16px">${value}</mj-text>`;

export const eventInvitation: StarterTemplate = {
  key: 'event-invitation',
  name: 'Event invitation',
  subject: '{{default first_name "You"}}, you\'re invited: Builders\' Evening',
  preheader: 'Talks, demos and good food. Thursday 12 June, doors at 6 pm. Seats are limited.',
  body: `<mjml>
  ${head('Invitation', ACCENT)}
  <mj-body background-color="${PAGE}" width="600px">
    <mj-section padding="32px 0 0"><mj-column><mj-spacer height="8px" /></mj-column></mj-section>
    <mj-section background-color="${ACCENT}" border-radius="12px 12px 0 0" padding="48px 0 40px">
      <mj-column>
        <mj-text align="center" font-size="13px" font-weight="700" letter-spacing="3px" color="#ddd6fe" padding="0 32px 12px">YOU'RE INVITED</mj-text>
        <mj-text css-class="hero-title" align="center" font-size="38px" font-weight="800" line-height="1.15" color="#ffffff" padding="0 32px 12px">Builders' Evening</mj-text>
        <mj-text align="center" font-size="17px" color="#ede9fe" padding="0 48px">An evening of short talks, live demos and conversation with the people who make the product.</mj-text>
      </mj-column>
    </mj-section>
    <mj-section background-color="#ffffff" padding="32px 0 8px">
      <mj-column width="50%">${detail('WHEN', 'Thursday 12 June<br />18:00 – 21:30')}
      </mj-column>
      <mj-column width="50%">${detail('WHERE', 'The Old Print Works<br />14 Harbour Street')}
      </mj-column>
    </mj-section>
    <mj-section background-color="#ffffff" padding="0">
      <mj-column>
        <mj-divider />
        <mj-text>Dear {{default first_name "guest"}},</mj-text>
        <mj-text>We are opening our doors for one evening and would love to see you there. Expect three 15-minute talks, a hands-on demo corner and plenty of time to meet the team. Food and drinks are on us.</mj-text>
        <mj-text padding="0 32px 24px">Seats are limited, so please let us know if you can make it.</mj-text>
      </mj-column>
    </mj-section>
    <mj-section background-color="#ffffff" border-radius="0 0 12px 12px" padding="0 0 32px">
      <mj-column width="50%">
        <mj-button href="https://example.com/events/builders-evening/rsvp" align="right" padding="0 8px 8px 32px">Yes, I'll be there</mj-button>
      </mj-column>
      <mj-column width="50%">
        <mj-button href="https://example.com/events/builders-evening/calendar.ics" align="left" background-color="#ede9fe" color="${ACCENT}" padding="0 32px 8px 8px">Add to calendar</mj-button>
      </mj-column>
    </mj-section>
    ${footer}
  </mj-body>
</mjml>
`,
};
