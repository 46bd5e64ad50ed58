import { footer, head, PAGE, type StarterTemplate } from './shared.js';

const ACCENT = '#dc2626';

const product = (name: string, was: string, now: string, url: string) => `
      <mj-column width="50%" padding="0 8px">
        <mj-text align="center" font-size="17px" font-weight="700" padding="16px 16px 4px">${name}</mj-text>
        <mj-text align="center" font-size="15px" padding="0 16px 8px">
          <span style="color:#9ca3af;text-decoration:line-through;">${was}</span> &nbsp;<strong style="color:${ACCENT};font-size:20px;">${now}</strong>
        </mj-text>
        <mj-button href="${url}" background-color="#111827" font-size="14px" inner-padding="10px 20px" padding="0 16px 16px">Shop now</mj-button>
      </mj-column>`;

export const promotion: StarterTemplate = {
  key: 'promotion',
  name: 'Promotion',
  subject: '{{default first_name "Hey"}}, 30% off everything ends Sunday',
  preheader: 'Use code SPRING30 at checkout. Free shipping on every order.',
  body: `<mjml>
  ${head('Promotion', ACCENT)}
  <mj-body background-color="${PAGE}" width="600px">
    <mj-section padding="32px 0 0">
      <mj-column><mj-text align="center" font-size="13px" font-weight="700" letter-spacing="2px" color="${ACCENT}">SPRING SALE</mj-text></mj-column>
    </mj-section>
    <mj-section background-color="#111827" border-radius="12px 12px 0 0" padding="48px 0 40px">
      <mj-column>
        <mj-text css-class="hero-title" align="center" font-size="56px" font-weight="900" line-height="1" color="#ffffff" padding="0 32px 8px">30% OFF</mj-text>
        <mj-text align="center" font-size="18px" color="#d1d5db" padding="0 40px 24px">{{default first_name "Friend"}}, everything in the store is yours for less, until Sunday midnight.</mj-text>
        <mj-text align="center" padding="0 32px 24px">
          <span style="display:inline-block;border:2px dashed #fca5a5;border-radius:8px;padding:10px 22px;color:#ffffff;font-size:20px;font-weight:800;letter-spacing:3px;">SPRING30</span>
        </mj-text>
        <mj-button href="https://example.com/sale" font-size="17px">Shop the sale</mj-button>
      </mj-column>
    </mj-section>
    <mj-section background-color="#ffffff" padding="24px 16px 8px">${product(
      'Everyday tote',
      '$60',
      '$42',
      'https://example.com/products/tote',
    )}${product('Canvas sneakers', '$90', '$63', 'https://example.com/products/sneakers')}
    </mj-section>
    <mj-section background-color="#ffffff" border-radius="0 0 12px 12px" padding="0 0 24px">
      <mj-column>
        <mj-text align="center" font-size="13px" color="#6b7280" padding="8px 40px 0">
          Free shipping on every order. Discount applied at checkout with code SPRING30; not combinable with other offers.
        </mj-text>
      </mj-column>
    </mj-section>
    ${footer}
  </mj-body>
</mjml>
`,
};
