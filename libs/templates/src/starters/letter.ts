import { head, MUTED, type StarterTemplate } from './shared.js';

/** A letter, not a layout: one column of text on white, the way a person writes. */
export const plainLetter: StarterTemplate = {
  key: 'plain-letter',
  name: 'Plain letter',
  subject: 'A quick note, {{default first_name "friend"}}',
  preheader: '',
  body: `<mjml>
  ${head('A note', '#1d4ed8')}
  <mj-body background-color="#ffffff" width="600px">
    <mj-section padding="32px 0 0">
      <mj-column>
        <mj-text font-size="17px" line-height="1.7">Hi {{default first_name "there"}},</mj-text>
        <mj-text font-size="17px" line-height="1.7">
          I wanted to write to you personally. Over the last few months we have listened to hundreds of customers, and one thing came up again and again: you want fewer emails, and better ones.
        </mj-text>
        <mj-text font-size="17px" line-height="1.7">
          So from now on, we will only write when we have something genuinely useful to share. No filler, no countdown timers.
        </mj-text>
        <mj-text font-size="17px" line-height="1.7">
          If there is anything you would like to hear about, or anything we could do better, just hit reply. I read every answer.
        </mj-text>
        <mj-text font-size="17px" line-height="1.7" padding="8px 32px 32px">
          Warmly,<br />
          Alex<br />
          <span style="color:${MUTED};">Founder{{#if sender.name}}, {{sender.name}}{{/if}}</span>
        </mj-text>
        <mj-divider border-color="#e5e7eb" padding="0 32px 16px" />
        <mj-text font-size="12px" color="${MUTED}" css-class="footer">
          {{sender.address}}<br />
          <a href="{{unsubscribe_url}}">Unsubscribe</a> &nbsp;&middot;&nbsp; <a href="{{webview_url}}">View in your browser</a>
        </mj-text>
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>
`,
};
