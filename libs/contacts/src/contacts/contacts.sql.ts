import { likeEscape } from '@herald/common';

/**
 * The contact queries that matter for speed, in one place.
 */

/** A contact as the API shows it; `c` is `contacts`. The list ids come from `list_members_contact_id_idx`. */
export const CONTACT_COLUMNS = `
  c.id, c.email, c.first_name, c.last_name, c.status, c.attributes, c.consent_source,
  c.consent_at, c.created_at, c.updated_at,
  ARRAY(SELECT m.list_id FROM list_members m WHERE m.contact_id = c.id ORDER BY m.list_id) AS list_ids`;

/**
 * What `?q=` searches: email, first and last name joined by newlines, as a
 * case-insensitive substring. It has no index on purpose: a trigram index
 * would make every imported row markedly more expensive, while a scan stays
 * fast at the sizes Herald targets, and a frequent term ends early on the
 * keyset LIMIT.
 */
export const SEARCH_TEXT_SQL = `(c.email || E'\\n' || coalesce(c.first_name, '') || E'\\n' || coalesce(c.last_name, ''))`;

/** `%text%` for ILIKE, with the pattern characters of `text` taken literally. */
export function containsPattern(text: string): string {
  return `%${likeEscape(text)}%`;
}

/**
 * One page of contacts. Filters are appended only when given so the planner
 * sees plain predicates (the list_members primary key (list_id, contact_id)
 * for a list) and walks the primary key in keyset order.
 */
export function pageQuery(filter: { after?: string; status?: string; listId?: string; q?: string; limit: number }): {
  text: string;
  params: unknown[];
} {
  const params: unknown[] = [];
  const where: string[] = [];
  const bind = (value: unknown) => `$${params.push(value)}`;
  if (filter.after !== undefined) where.push(`c.id > ${bind(filter.after)}::bigint`);
  if (filter.status !== undefined) where.push(`c.status = ${bind(filter.status)}`);
  if (filter.listId !== undefined) {
    where.push(
      `EXISTS (SELECT 1 FROM list_members m WHERE m.list_id = ${bind(filter.listId)}::bigint AND m.contact_id = c.id)`,
    );
  }
  if (filter.q !== undefined && filter.q !== '')
    where.push(`${SEARCH_TEXT_SQL} ILIKE ${bind(containsPattern(filter.q))}`);
  const text = `SELECT ${CONTACT_COLUMNS} FROM contacts c
    ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY c.id LIMIT ${bind(filter.limit + 1)}`;
  return { text, params };
}

/** Statements over a `ContactFilter` (its SQL over `contacts c`, its values bound as $n). */
export const contactsSql = {
  count: (filter: string) => `SELECT count(*)::int AS count FROM contacts c WHERE ${filter}`,

  /** The first few matches by id: stable between calls, cheap with the primary key. */
  sample: (filter: string, limit: number) =>
    `SELECT c.id, c.email, c.first_name, c.last_name, c.status
     FROM contacts c WHERE ${filter} ORDER BY c.id LIMIT ${Math.trunc(limit)}`,

  /** What a template renders for contact $1. */
  renderData: `SELECT email, first_name, last_name, attributes FROM contacts WHERE id = $1`,

  /** The same for the ids in $1 (a bigint[]): one query per delivery batch. */
  renderDataMany: `SELECT id, email, first_name, last_name, attributes FROM contacts WHERE id = ANY($1::bigint[])`,
};
