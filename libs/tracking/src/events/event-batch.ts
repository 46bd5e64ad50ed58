import type { Sql } from '@herald/common';
import { domainOf } from '@herald/contacts';
import type { TrackedMessage } from '../message-source.js';
import * as q from './events.sql.js';
import type { MachineReason } from './machine.js';

/** One open or click as a request left it, before its message is known. */
export interface Hit {
  type: 'open' | 'click';
  messageId: string;
  /** The link of a click. */
  linkIndex: number | null;
  method: 'GET' | 'HEAD';
  userAgent: string | null;
  at: Date;
}

/** A hit whose message was found and which counts: ready to be written. */
export interface ClassifiedHit extends Hit {
  message: TrackedMessage;
  machine: MachineReason | null;
}

type CampaignMessage = TrackedMessage & { campaignId: string };

/** What a written batch added, for the metrics. */
export interface BatchOutcome {
  opens: number;
  clicks: number;
  machine: number;
}

/** The domain of an address, lower-cased; the part after the last `@`. */

const hourOf = (at: Date): string => {
  const hour = new Date(at);
  hour.setUTCMinutes(0, 0, 0);
  return hour.toISOString();
};

/** Adds `n` to the counter row `key` of `map`, creating it as `size` zeros. */
function add<K>(map: Map<K, number[]>, key: K, size: number, index: number, n = 1): void {
  let row = map.get(key);
  if (row === undefined) map.set(key, (row = new Array<number>(size).fill(0)));
  row[index] += n;
}

/** The earliest time per key. */
function earliest<K>(map: Map<K, Date>, key: K, at: Date): void {
  const known = map.get(key);
  if (known === undefined || at < known) map.set(key, at);
}

const column = <T>(rows: T[][], i: number) => rows.map((r) => r[i]);

/**
 * Writes one batch in the caller's transaction: the events with one
 * statement, and for campaign messages the first opens and clicks of each
 * message and link (which return which of them are new, making the unique
 * counts) and every counter the report reads. Nothing here reads events back.
 */
export async function writeBatch(tx: Sql, hits: readonly ClassifiedHit[]): Promise<BatchOutcome> {
  if (hits.length === 0) return { opens: 0, clicks: 0, machine: 0 };
  await tx.execute(q.INSERT_EVENTS, [
    hits.map((h) => h.type),
    hits.map((h) => h.messageId),
    hits.map((h) => h.message.campaignId),
    hits.map((h) => h.message.contactId),
    hits.map((h) => h.linkIndex),
    hits.map((h) => h.machine !== null),
    hits.map((h) => h.machine),
    hits.map((h) => h.userAgent),
    hits.map((h) => h.at),
  ]);

  const messages = new Map<string, CampaignMessage>();
  const firsts = {
    first_open_at: new Map<string, Date>(),
    first_human_open_at: new Map<string, Date>(),
    first_click_at: new Map<string, Date>(),
    first_human_click_at: new Map<string, Date>(),
  };
  const linkFirsts = { first_click_at: new Map<string, Date>(), first_human_click_at: new Map<string, Date>() };
  // Counters by campaign: opens, human opens, unique opens, unique human opens, clicks, human clicks, unique clicks, unique human clicks.
  const campaigns = new Map<string, number[]>();
  // By `campaign|link`: clicks, human clicks, unique clicks, unique human clicks.
  const links = new Map<string, number[]>();
  // By `campaign|hour`: opens, human opens, clicks, human clicks.
  const hours = new Map<string, number[]>();
  // By `campaign|domain`: unique opens, unique human opens, unique clicks, unique human clicks.
  const domains = new Map<string, number[]>();

  for (const hit of hits) {
    const { campaignId } = hit.message;
    // A message of no campaign (relayed or API mail) has its events only: its figures are counted from them.
    if (campaignId === null) continue;
    const human = hit.machine === null;
    messages.set(hit.messageId, { ...hit.message, campaignId });
    const hourKey = `${campaignId}|${hourOf(hit.at)}`;
    if (hit.type === 'open') {
      earliest(firsts.first_open_at, hit.messageId, hit.at);
      if (human) earliest(firsts.first_human_open_at, hit.messageId, hit.at);
      add(campaigns, campaignId, 8, 0);
      add(campaigns, campaignId, 8, 1, human ? 1 : 0);
      add(hours, hourKey, 4, 0);
      add(hours, hourKey, 4, 1, human ? 1 : 0);
    } else {
      const linkKey = `${hit.messageId}|${hit.linkIndex}`;
      earliest(firsts.first_click_at, hit.messageId, hit.at);
      earliest(linkFirsts.first_click_at, linkKey, hit.at);
      if (human) {
        earliest(firsts.first_human_click_at, hit.messageId, hit.at);
        earliest(linkFirsts.first_human_click_at, linkKey, hit.at);
      }
      add(campaigns, campaignId, 8, 4);
      add(campaigns, campaignId, 8, 5, human ? 1 : 0);
      add(links, `${campaignId}|${hit.linkIndex}`, 4, 0);
      add(links, `${campaignId}|${hit.linkIndex}`, 4, 1, human ? 1 : 0);
      add(hours, hourKey, 4, 2);
      add(hours, hourKey, 4, 3, human ? 1 : 0);
    }
  }

  // Firsts, in a fixed order of columns; each returns the messages it was new for.
  const uniqueSlots = [
    ['first_open_at', 2, 0],
    ['first_human_open_at', 3, 1],
    ['first_click_at', 6, 2],
    ['first_human_click_at', 7, 3],
  ] as const;
  for (const [name, campaignSlot, domainSlot] of uniqueSlots) {
    const entries = [...firsts[name]];
    if (entries.length === 0) continue;
    const rows = await tx.rows<{ message_id: string }>(q.firstOfMessage(name), [
      entries.map(([id]) => id),
      entries.map(([id]) => messages.get(id)!.campaignId),
      entries.map(([id]) => messages.get(id)!.contactId),
      entries.map(([, at]) => at),
    ]);
    for (const { message_id } of rows) {
      const message = messages.get(message_id)!;
      add(campaigns, message.campaignId, 8, campaignSlot);
      add(domains, `${message.campaignId}|${domainOf(message.email)}`, 4, domainSlot);
    }
  }
  for (const [name, slot] of [
    ['first_click_at', 2],
    ['first_human_click_at', 3],
  ] as const) {
    const entries = [...linkFirsts[name]].map(([key, at]) => [...key.split('|'), at] as [string, string, Date]);
    if (entries.length === 0) continue;
    const rows = await tx.rows<{ message_id: string; link_index: number }>(q.firstOfLink(name), [
      column(entries, 0),
      column(entries, 1).map(Number),
      column(entries, 2),
    ]);
    for (const row of rows) add(links, `${messages.get(row.message_id)!.campaignId}|${row.link_index}`, 4, slot);
  }

  const campaignRows = [...campaigns];
  await tx.execute(q.ADD_CAMPAIGN_STATS, [
    campaignRows.map(([id]) => id),
    ...Array.from({ length: 8 }, (_, i) => campaignRows.map(([, counts]) => counts[i])),
  ]);
  await addKeyed(tx, q.ADD_LINK_STATS, links, Number);
  await addKeyed(tx, q.ADD_HOURLY_STATS, hours, (hour) => hour);
  if (domains.size > 0) await addKeyed(tx, q.ADD_DOMAIN_STATS, domains, (domain) => domain);

  const machine = hits.filter((h) => h.machine !== null).length;
  const opens = hits.filter((h) => h.type === 'open').length;
  return { opens, clicks: hits.length - opens, machine };
}

/** Counter rows keyed `campaign|second key`, as ($1 campaigns, $2 second keys, $3.. one array per counter). */
async function addKeyed(
  tx: Sql,
  sql: string,
  rows: Map<string, number[]>,
  secondKey: (value: string) => unknown,
): Promise<void> {
  if (rows.size === 0) return;
  const entries = [...rows].map(([key, counts]) => {
    const split = key.indexOf('|');
    return { campaignId: key.slice(0, split), key: secondKey(key.slice(split + 1)), counts };
  });
  await tx.execute(sql, [
    entries.map((e) => e.campaignId),
    entries.map((e) => e.key),
    ...entries[0].counts.map((_, i) => entries.map((e) => e.counts[i])),
  ]);
}
