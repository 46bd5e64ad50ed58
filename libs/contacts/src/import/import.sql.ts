import { statusForReasonSql } from '../status.js';
import { emailHashSql } from '../suppressions/email-hash.js';

/**
 * The SQL of CSV imports, in one place. Each batch of parsed rows goes
 * through, on its lane's connection: COPY into the session's staging table,
 * one merge statement into `contacts` (+ `list_members`), the bad rows into
 * `import_errors`, the lane's checkpoint and the counts on `imports`; all in
 * one transaction, so a batch is either wholly applied and counted or not
 * at all.
 */

/** Columns of the staging table, in the order the COPY text lines are written. */
export const STAGING_COLUMNS = [
  'row_no',
  'email',
  'first_name',
  'last_name',
  'status',
  'attributes',
  'consent_source',
  'consent_at',
] as const;

/**
 * A temp table of the import's own connection. `ON COMMIT DELETE ROWS`
 * empties it after every batch without a TRUNCATE or DELETE statement; no
 * indexes, since it is read once by a sort.
 */
export const CREATE_STAGING = `
  CREATE TEMP TABLE IF NOT EXISTS import_staging (
    row_no bigint NOT NULL,
    email text NOT NULL,
    first_name text,
    last_name text,
    status text,
    attributes jsonb NOT NULL,
    consent_source text,
    consent_at timestamptz
  ) ON COMMIT DELETE ROWS`;

/**
 * Each lane's connection commits without waiting for the WAL flush: the
 * checkpoint commits with each batch, so a batch whose commit is lost in a
 * database crash is read and merged again on resume; nothing is lost or
 * doubled. The merge sorts a whole batch twice; in memory, not on disk.
 */
export const TUNE_SESSION = `SET synchronous_commit = off; SET work_mem = '64MB'`;

export const COPY_STAGING = `COPY import_staging (${STAGING_COLUMNS.join(', ')}) FROM STDIN`;

/**
 * Rows of the batch that survive in-file deduplication: one per
 * lower(email), the last one in the file wins. Each carries the status it
 * would get: a suppressed address (by its hash, which outlives an erased
 * contact) gets the status of its suppression whatever the file says, so an
 * import can never opt such an address back in.
 */
const READY = `
  batch AS (
    SELECT DISTINCT ON (lower(s.email) COLLATE "C") s.*, lower(s.email) AS email_key
    FROM import_staging s
    ORDER BY lower(s.email) COLLATE "C", s.row_no DESC
  ),
  ready AS (
    SELECT b.*,
           CASE WHEN sup.reason IS NULL THEN coalesce(b.status, 'subscribed')
                ELSE ${statusForReasonSql('sup.reason')} END AS new_status
    FROM batch b
    LEFT JOIN suppressions sup ON sup.email_hash = ${emailHashSql('b.email')}
  )`;

const INSERT_CONTACTS = `
  INSERT INTO contacts AS c (email, first_name, last_name, status, attributes, consent_source, consent_at)
  SELECT email, first_name, last_name, new_status, attributes, consent_source, consent_at
  FROM ready
  -- A stable order makes concurrent imports and lanes lock conflicting rows in the same
  -- order (no deadlock). Byte order ("C") is the order of the text_pattern_ops email
  -- index, so each batch walks it from one end to the other, and compares faster.
  ORDER BY email_key COLLATE "C"`;

/**
 * An opt-out the file brings in (a row whose status is unsubscribed, bounced
 * or complained, stored on a contact this batch wrote) is recorded as a
 * suppression, as the API does, so no later call can quietly resubscribe it.
 */
const RECORD_OPT_OUTS = `
  opt_outs AS (
    INSERT INTO suppressions (email, email_hash, reason, source)
    SELECT m.email, ${emailHashSql('m.email')}, m.status, 'import'
    FROM merged m WHERE m.status <> 'subscribed'
    ON CONFLICT (email_hash) DO NOTHING
  )`;

/**
 * mode = upsert. Empty cells were left out of the batch, so coalesce keeps
 * what the contact already has; attributes merge key by key. A contact that
 * is not subscribed stays as it is: only a subscribed one may move to the
 * (possibly suppressed) status of the row. `xmax = 0` tells a fresh insert
 * from an update. $1 = list id or null.
 */
export const MERGE_UPSERT = `
  WITH ${READY},
  merged AS (
    ${INSERT_CONTACTS}
    ON CONFLICT ((lower(email))) DO UPDATE SET
      first_name = coalesce(EXCLUDED.first_name, c.first_name),
      last_name = coalesce(EXCLUDED.last_name, c.last_name),
      status = CASE WHEN c.status = 'subscribed' THEN EXCLUDED.status ELSE c.status END,
      attributes = c.attributes || EXCLUDED.attributes,
      consent_source = coalesce(EXCLUDED.consent_source, c.consent_source),
      consent_at = coalesce(EXCLUDED.consent_at, c.consent_at),
      updated_at = now()
    RETURNING c.id, c.email, c.status, (c.xmax = 0) AS inserted
  ),
  ${RECORD_OPT_OUTS},
  members AS (
    INSERT INTO list_members (list_id, contact_id)
    SELECT $1::bigint, id FROM merged WHERE $1::bigint IS NOT NULL
    ON CONFLICT DO NOTHING
  )
  SELECT (SELECT count(*) FROM batch)::int AS distinct_rows,
         count(*) FILTER (WHERE inserted)::int AS inserted,
         count(*) FILTER (WHERE NOT inserted)::int AS updated
  FROM merged`;

/**
 * mode = skip-existing: existing contacts are left untouched (counted as
 * skipped) but still join the list, found through the statement's snapshot
 * of `contacts` (which does not see the rows this statement inserts).
 */
export const MERGE_SKIP_EXISTING = `
  WITH ${READY},
  merged AS (
    ${INSERT_CONTACTS}
    ON CONFLICT ((lower(email))) DO NOTHING
    RETURNING c.id, c.email, c.status
  ),
  ${RECORD_OPT_OUTS},
  existing AS (
    SELECT c.id FROM contacts c JOIN ready r ON lower(c.email) = r.email_key
    WHERE $1::bigint IS NOT NULL
  ),
  members AS (
    INSERT INTO list_members (list_id, contact_id)
    SELECT $1::bigint, id FROM (SELECT id FROM merged UNION SELECT id FROM existing) ids
    WHERE $1::bigint IS NOT NULL
    ON CONFLICT DO NOTHING
  )
  SELECT (SELECT count(*) FROM batch)::int AS distinct_rows,
         count(*)::int AS inserted,
         0 AS updated
  FROM merged`;

/** Bad rows of a batch, in one statement. Re-running a batch cannot duplicate them. */
export const INSERT_ERRORS = `
  INSERT INTO import_errors (import_id, row_number, email, reason)
  SELECT $1, r, e, m FROM unnest($2::bigint[], $3::text[], $4::text[]) AS t (r, e, m)
  ON CONFLICT (import_id, row_number) DO NOTHING`;

/**
 * The lane's checkpoint, committed with its batch: every row of the lane up
 * to `checkpoint_row` is in. It only moves forward from where this runner
 * started the batch: if another runner took over the import meanwhile, no
 * row matches and the batch is rolled back.
 */
export const ADVANCE_LANE = `
  UPDATE import_lanes SET checkpoint_row = $3, bytes_read = $4
  WHERE import_id = $1 AND lane = $2 AND checkpoint_row = $5`;

/**
 * The batch's counts, added to the import in the same transaction. Progress
 * in bytes is the slowest lane's: everything before it is in.
 */
export const COUNT_BATCH = `
  UPDATE imports SET
    rows_read = rows_read + $2, inserted = inserted + $3, updated = updated + $4,
    skipped = skipped + $5, failed = failed + $6,
    bytes_read = (SELECT min(bytes_read) FROM import_lanes WHERE import_id = $1)
  WHERE id = $1 AND status = 'running'`;

/**
 * The import's lanes, created on its first start. An import begun before
 * lanes existed resumes with every lane at its old single checkpoint.
 */
export const OPEN_LANES = `
  INSERT INTO import_lanes (import_id, lane, checkpoint_row, bytes_read)
  SELECT i.id, l, i.rows_read, i.bytes_read FROM imports i, generate_series(0, $2::int - 1) AS l
  WHERE i.id = $1 AND NOT EXISTS (SELECT 1 FROM import_lanes WHERE import_id = $1)`;

export const LANES = `
  SELECT lane, checkpoint_row::float8 AS checkpoint_row FROM import_lanes WHERE import_id = $1 ORDER BY lane`;

/** Claims a queued or interrupted import for this runner; returns its row. */
export const START_IMPORT = `
  UPDATE imports SET status = 'running', started_at = coalesce(started_at, now())
  WHERE id = $1 AND status IN ('queued', 'running')
  RETURNING upload_id, size_bytes::float8 AS size_bytes, list_id, mode, options`;

/**
 * The import's end, `done` or `failed` ($2, with $3 the reason), and the end
 * of its upload, in one statement: no file outlives its import, and none
 * goes while it may still be read.
 */
export const END_IMPORT = `
  WITH ended AS (
    UPDATE imports SET status = $2::text, error = $3::text, finished_at = now(),
      bytes_read = CASE WHEN $2::text = 'done' THEN size_bytes ELSE bytes_read END
    WHERE id = $1 AND status IN ('queued', 'running')
    RETURNING upload_id
  )
  DELETE FROM import_uploads WHERE id IN (SELECT upload_id FROM ended)`;

/** Text fields for columns that go to attributes and have no definition yet. */
export const ENSURE_TEXT_FIELDS = `
  INSERT INTO fields (name, type, label)
  SELECT n, 'text', l FROM unnest($1::text[], $2::text[]) AS t (n, l)
  ON CONFLICT (name) DO NOTHING`;

/** Advisory lock namespace of imports (first key of the two-key form). */
const LOCK_SPACE = 0x48524c44; // "HRLD"

/** The advisory lock a runner holds on its own connection while it runs an import. */
export function importLockKey(importId: string): [number, number] {
  return [LOCK_SPACE, Number(BigInt(importId) % 2147483647n)];
}

export const TRY_LOCK_IMPORT = `SELECT pg_try_advisory_lock($1, $2::int) AS ok`;

/**
 * Imports a worker should be running, and whether a live runner holds each
 * one's lock (the lock goes with a dead worker's connection). In pg_locks a
 * two-key advisory lock shows its keys as classid and objid, objsubid 2.
 */
export const UNFINISHED_IMPORTS = `
  SELECT i.id,
         EXISTS (SELECT 1 FROM pg_locks l
                 WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
                   AND l.classid = $1::bigint::oid AND l.objid = (i.id % 2147483647)::oid) AS locked
  FROM imports i WHERE i.status IN ('queued', 'running') ORDER BY i.id`;

/*
 * Uploads: the file of an import, kept as numbered chunks in Postgres from
 * the upload until the import ends, readable by a worker on any machine.
 */

export const CREATE_UPLOAD = `INSERT INTO import_uploads DEFAULT VALUES RETURNING id`;

export const INSERT_UPLOAD_CHUNK = `INSERT INTO import_upload_chunks (upload_id, seq, data) VALUES ($1, $2, $3)`;

/** Marks the upload whole: a reader expects exactly `chunks` chunks. */
export const COMPLETE_UPLOAD = `UPDATE import_uploads SET size_bytes = $2, chunks = $3 WHERE id = $1`;

export const UPLOAD_CHUNKS = `SELECT chunks FROM import_uploads WHERE id = $1 AND chunks IS NOT NULL`;

/**
 * One chunk in COPY's binary format: its bytes as stored, where a SELECT
 * would hand bytea over as hex text for the driver to decode. COPY takes
 * no parameters: `uploadId` passed `parseId` and `seq` is an integer.
 */
export const uploadChunkCopy = (uploadId: string, seq: number): string =>
  `COPY (SELECT data FROM import_upload_chunks WHERE upload_id = '${uploadId}' AND seq = ${seq}) TO STDOUT (FORMAT binary)`;

/** Its chunks go with it (ON DELETE CASCADE); an import that pointed at it keeps its counts. */
export const DELETE_UPLOAD = `DELETE FROM import_uploads WHERE id = $1`;

/**
 * Uploads no unfinished import needs, a day after they began: those of an
 * api that stopped mid-upload, and any a failed request left behind.
 */
export const DELETE_ABANDONED_UPLOADS = `
  DELETE FROM import_uploads u
  WHERE u.created_at < now() - interval '1 day'
    AND NOT EXISTS (SELECT 1 FROM imports i WHERE i.upload_id = u.id AND i.status IN ('queued', 'running'))`;
