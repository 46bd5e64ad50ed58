/**
 * Pieces every starter design shares: one type scale, one palette and the
 * legally required footer (postal address, unsubscribe link), so the six
 * designs read as one family and each is ready to send as is.
 */
export interface StarterTemplate {
  /** Stable key, stored in `templates.starter`. */
  key: string;
  name: string;
  subject: string;
  preheader: string;
  body: string;
}

export const FONT = "-apple-system, BlinkMacSystemFont, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";
export const INK = '#111827';
export const MUTED = '#6b7280';
export const PAGE = '#f3f4f6';

export function head(title: string, accent: string, extra = ''): string {
  return `<mj-head>
    <mj-title>${title}</mj-title>
    <mj-attributes>
      <mj-all font-family="${FONT}" />
      <mj-text font-size="16px" line-height="1.6" color="${INK}" padding="0 32px 16px" />
      <mj-button background-color="${accent}" color="#ffffff" font-size="16px" font-weight="600" border-radius="8px" inner-padding="14px 28px" padding="8px 32px 24px" />
      <mj-section padding="0" />
      <mj-divider border-width="1px" border-color="#e5e7eb" padding="8px 32px 24px" />
    </mj-attributes>
    <mj-style>
      a { color: ${accent}; }
      .footer a { color: ${MUTED}; }
      @media only screen and (max-width: 480px) {
        .hero-title div { font-size: 28px !important; line-height: 1.2 !important; }
      }
    </mj-style>${extra}
  </mj-head>`;
}

export const footer = `<mj-section padding="24px 0 40px">
      <mj-column>
        <mj-text css-class="footer" align="center" font-size="12px" line-height="1.6" color="${MUTED}" padding="0 32px">
          {{#if sender.name}}{{sender.name}}<br />{{/if}}{{sender.address}}<br /><br />
          You receive this email because you signed up for it.<br />
          <a href="{{unsubscribe_url}}">Unsubscribe</a> &nbsp;&middot;&nbsp; <a href="{{webview_url}}">View in your browser</a>
        </mj-text>
      </mj-column>
    </mj-section>`;
