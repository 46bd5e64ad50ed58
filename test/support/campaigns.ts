import { simpleParser } from 'mailparser';
import type { TestApp } from './app.js';
import type { SinkMessage } from './smtp-sink.js';

export const TEMPLATE_BODY = `<mjml><mj-body><mj-section><mj-column>
  <mj-text>Hello {{default first_name "friend"}}</mj-text>
  <mj-button href="https://shop.example.com/sale">Shop</mj-button>
</mj-column></mj-section></mj-body></mjml>`;

/** Polls `read` until `done` holds for its value; fails with the last value after `timeoutMs`. */
export async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value)) {
    if (Date.now() > deadline) throw new Error(`condition not met in time; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  return value;
}

export async function createTemplate(t: TestApp, subject = 'News for {{default first_name "you"}}'): Promise<string> {
  const res = await t.request('POST', '/api/v1/templates', {
    body: { name: 'Campaign', subject, body: TEMPLATE_BODY },
  });
  if (res.status !== 201) throw new Error(res.text);
  return res.body.id as string;
}

/** A sender pointing at `port` on loopback, fast unless told otherwise. */
export async function createSender(t: TestApp, port: number, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await t.request('POST', '/api/v1/senders', {
    body: {
      name: `sink ${port} ${Math.random().toString(36).slice(2, 6)}`,
      host: '127.0.0.1',
      port,
      security: 'none',
      fromEmail: 'news@herald-test.example.com',
      fromName: 'Herald Test',
      postalAddress: '1 Test Street, Testville',
      ratePerSecond: 500,
      poolSize: 2,
      ...extra,
    },
  });
  if (res.status !== 201) throw new Error(res.text);
  return res.body.id as string;
}

/** `count` subscribed contacts `<prefix><i>@example.com` (i from 1) in a fresh list; returns the list id and emails. */
export async function createAudience(
  t: TestApp,
  prefix: string,
  count: number,
): Promise<{ listId: string; emails: string[] }> {
  const listId = (await t.request('POST', '/api/v1/lists', { body: { name: `${prefix} list` } })).body.id as string;
  const emails = Array.from({ length: count }, (_, i) => `${prefix}${i + 1}@example.com`);
  await t.db.query(
    `WITH c AS (
       INSERT INTO contacts (email, first_name) SELECT e, 'Name' || n FROM unnest($1::text[]) WITH ORDINALITY AS x (e, n)
       RETURNING id)
     INSERT INTO list_members (list_id, contact_id) SELECT $2, id FROM c`,
    [emails, listId],
  );
  return { listId, emails };
}

export async function createCampaign(t: TestApp, body: Record<string, unknown>): Promise<string> {
  const res = await t.request('POST', '/api/v1/campaigns', { body: { name: 'Campaign', ...body } });
  if (res.status !== 201) throw new Error(res.text);
  return res.body.id as string;
}

export async function report(t: TestApp, id: string): Promise<Record<string, any>> {
  const res = await t.request('GET', `/api/v1/campaigns/${id}/report`);
  if (res.status !== 200) throw new Error(res.text);
  return res.body as Record<string, any>;
}

export const waitForState = (t: TestApp, id: string, state: string, timeoutMs?: number) =>
  until(
    () => report(t, id),
    (r) => r.state === state,
    timeoutMs,
  );

/** The sink's messages to `emails` (by envelope recipient), counted per recipient. */
export function copiesPerRecipient(messages: SinkMessage[]): Map<string, number> {
  const copies = new Map<string, number>();
  for (const m of messages)
    for (const to of m.to) copies.set(to.toLowerCase(), (copies.get(to.toLowerCase()) ?? 0) + 1);
  return copies;
}

export async function parse(message: SinkMessage) {
  return simpleParser(message.raw);
}
