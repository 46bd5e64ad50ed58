/**
 * Bulk list membership: one set-based statement per request, whatever the
 * number of ids (up to MAX_MEMBERSHIP_BATCH).
 */

/**
 * Adds contacts $2 (bigint[]) to list $1, all or nothing: when any id names
 * no contact, nothing is inserted and those ids come back in `missing`
 * (the first 20). Existing memberships are left alone, so repeating a call
 * adds nothing.
 */
export const ADD_MEMBERS = `
  WITH wanted AS (SELECT DISTINCT id FROM unnest($2::bigint[]) AS id),
  missing AS (
    SELECT w.id FROM wanted w WHERE NOT EXISTS (SELECT 1 FROM contacts c WHERE c.id = w.id)
  ),
  added AS (
    INSERT INTO list_members (list_id, contact_id)
    SELECT $1::bigint, w.id FROM wanted w
    WHERE NOT EXISTS (SELECT 1 FROM missing)
    ON CONFLICT (list_id, contact_id) DO NOTHING
    RETURNING contact_id
  )
  SELECT (SELECT count(*) FROM added)::int AS added,
         ARRAY(SELECT id FROM missing ORDER BY id LIMIT 20) AS missing`;

/** Removes contacts $2 (bigint[]) from list $1; ids not in the list are ignored (and not counted). */
export const REMOVE_MEMBERS = `
  DELETE FROM list_members WHERE list_id = $1::bigint AND contact_id = ANY($2::bigint[])`;

/**
 * A page of lists with their member counts. The count is an index-only scan
 * of list_members' primary key per list: fine for pages of lists with up to a
 * few million members each.
 */
export const LIST_COLUMNS = `
  l.id, l.name, l.description, l.created_at, l.updated_at,
  (SELECT count(*) FROM list_members m WHERE m.list_id = l.id)::int AS member_count`;

/**
 * Which of the list ids $1 (bigint[]) name no list, each once, in the order
 * first given (rules and audiences naming a deleted list are refused).
 */
export const MISSING_LISTS = `
  SELECT x AS id FROM unnest($1::bigint[]) WITH ORDINALITY AS u (x, n)
  WHERE NOT EXISTS (SELECT 1 FROM lists l WHERE l.id = u.x)
  GROUP BY x ORDER BY min(n)`;

/** The lists contact $1 is in, by name then id: what a preference centre offers to leave. */
export const CONTACT_LISTS = `
  SELECT l.id, l.name FROM list_members m JOIN lists l ON l.id = m.list_id
  WHERE m.contact_id = $1::bigint ORDER BY l.name, l.id`;

/** Takes contact $1 out of the lists $2 (bigint[]) it is in; returns the lists it left. */
export const LEAVE_LISTS = `
  DELETE FROM list_members WHERE contact_id = $1::bigint AND list_id = ANY($2::bigint[])
  RETURNING list_id AS id`;
