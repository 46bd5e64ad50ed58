import { footer, head, MUTED, PAGE, type StarterTemplate } from './shared.js';

const ACCENT = '#4f46e5';

const story = (kicker: string, title: string, text: string, url: string) => `
    <mj-section background-color="#ffffff" padding="0">
      <mj-column>
        <mj-text font-size="12px" font-weight="700" color="${ACCENT}" letter-spacing="1px" padding="8px 32px 4px">${kicker}</mj-text>
        <mj-text font-size="20px" font-weight="700" line-height="1.3" padding="0 32px 8px">${title}</mj-text>
        <mj-text color="#374151">${text}</mj-text>
        <mj-text padding="0 32px 24px"><a href="${url}" style="font-weight:600;text-decoration:none;">Read more &rarr;</a></mj-text>
        <mj-divider />
      </mj-column>
    </mj-section>`;

export const newsletter: StarterTemplate = {
  key: 'newsletter',
  name: 'Newsletter',
  subject: 'This month at {{default company "our studio"}}: three things worth your time',
  preheader: 'A short read: what we shipped, what we learned, and one thing to try this week.',
  body: `<mjml>
  ${head('Newsletter', ACCENT)}
  <mj-body background-color="${PAGE}" width="600px">
    <mj-section padding="32px 0 16px">
      <mj-column>
        <mj-text align="center" font-size="13px" color="${MUTED}" padding="0 32px">
          The Monthly Letter &nbsp;&middot;&nbsp; <a href="{{webview_url}}" style="color:${MUTED};">Read online</a>
        </mj-text>
      </mj-column>
    </mj-section>
    <mj-section background-color="${ACCENT}" border-radius="12px 12px 0 0" padding="40px 0 32px">
      <mj-column>
        <mj-text css-class="hero-title" font-size="34px" font-weight="800" line-height="1.15" color="#ffffff">
          Hello {{default first_name "there"}}, here is what's new
        </mj-text>
        <mj-text font-size="17px" color="#e0e7ff" padding="0 32px">
          Three stories from the past month, picked for people who build things.
        </mj-text>
      </mj-column>
    </mj-section>
    <mj-section background-color="#ffffff" padding="24px 0 0">
      <mj-column><mj-spacer height="8px" /></mj-column>
    </mj-section>${story(
      'PRODUCT',
      'Faster reports, fewer clicks',
      'Reports now load in under a second, even for the largest accounts. Filters remember your last choice, and every chart can be exported with one click.',
      'https://example.com/blog/faster-reports',
    )}${story(
      'GUIDE',
      'Five habits of teams that ship every week',
      'We asked twenty teams how they keep a weekly rhythm without burning out. Their answers were surprisingly simple, and most of them start on Monday morning.',
      'https://example.com/blog/weekly-habits',
    )}${story(
      'COMMUNITY',
      'Meet the people behind the plugins',
      'This month we talk to three community maintainers about the tools they built, the bugs they chased and what they would do differently.',
      'https://example.com/blog/community',
    )}
    <mj-section background-color="#ffffff" border-radius="0 0 12px 12px" padding="8px 0 32px">
      <mj-column>
        <mj-text align="center" font-size="18px" font-weight="700" padding="0 32px 8px">Enjoying the letter?</mj-text>
        <mj-text align="center" color="#374151">Forward it to a colleague who would like it too.</mj-text>
        <mj-button href="https://example.com/newsletter">Browse the archive</mj-button>
      </mj-column>
    </mj-section>
    ${footer}
  </mj-body>
</mjml>
`,
};
