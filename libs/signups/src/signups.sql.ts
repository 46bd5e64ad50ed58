/**
 * All SQL on `signup_forms` and `signups`. A submission's row moves on only
 * through the conditional statements here, so a job that runs twice, or a
 * tick that re-adds a job already done, changes nothing.
 */

export const FORM_COLUMNS = `list_id, enabled, double_opt_in, sender_id, success_url, confirmed_url,
  consent_text, consent_version, updated_at`;

export const GET_FORM = `SELECT ${FORM_COLUMNS} FROM signup_forms WHERE list_id = $1`;

export const PUT_FORM = `
  INSERT INTO signup_forms (list_id, enabled, double_opt_in, sender_id, success_url, confirmed_url,
                            consent_text, consent_version)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
  ON CONFLICT (list_id) DO UPDATE SET
    enabled = EXCLUDED.enabled, double_opt_in = EXCLUDED.double_opt_in, sender_id = EXCLUDED.sender_id,
    success_url = EXCLUDED.success_url, confirmed_url = EXCLUDED.confirmed_url,
    consent_text = EXCLUDED.consent_text, consent_version = EXCLUDED.consent_version, updated_at = now()
  RETURNING ${FORM_COLUMNS}`;

/** A submission as the form took it; the worker decides it. */
export const INSERT_SIGNUP = `
  INSERT INTO signups (list_id, email, first_name, last_name, attributes, language,
                       consent_ip, consent_text, consent_version, consent_hash, expires_at)
  VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7::inet, $8, $9, $10, now() + make_interval(secs => $11))
  RETURNING id`;

export const SIGNUP_COLUMNS = `s.id, s.list_id, s.email, s.first_name, s.last_name, s.attributes, s.language, s.state,
  s.mail_status, s.sender_id, s.mail_attempts, s.created_at, s.expires_at, s.consent_version`;

/** Locks a submission still to be decided, with its form. */
export const LOCK_RECEIVED = `
  SELECT ${SIGNUP_COLUMNS}, f.enabled, f.double_opt_in, f.sender_id AS form_sender_id
  FROM signups s LEFT JOIN signup_forms f ON f.list_id = s.list_id
  WHERE s.id = $1 AND s.state = 'received'
  FOR UPDATE OF s`;

/** Confirmation mails asked for this address on this list in the last day, this one left out. */
export const RECENT_MAILS = `
  SELECT count(*)::int AS n FROM signups
  WHERE lower(email) = lower($1) AND list_id = $2 AND created_at > now() - interval '1 day'
    AND mail_status IS NOT NULL AND id <> $3`;

export const DECIDE = `
  UPDATE signups SET state = $2, note = $3, mail_status = $4, sender_id = $5, next_attempt_at = now()
  WHERE id = $1 AND state = 'received'`;

/**
 * Takes a due confirmation mail for this worker: queued or deferred and due,
 * or left `sending` by a worker that died (past the lease). Counts the attempt.
 */
export const CLAIM_MAIL = `
  UPDATE signups s SET mail_status = 'sending', claimed_at = now(), mail_attempts = mail_attempts + 1
  FROM (SELECT id FROM signups WHERE id = $1 AND state = 'pending'
          AND ((mail_status IN ('queued', 'deferred') AND next_attempt_at <= now())
            OR (mail_status = 'sending' AND claimed_at < now() - make_interval(secs => $2)))
        FOR UPDATE SKIP LOCKED) due
  WHERE s.id = due.id
  RETURNING ${SIGNUP_COLUMNS}`;

/** Records a mail's outcome, only while this worker holds it. */
export const MAIL_OUTCOME = `
  UPDATE signups SET mail_status = $2, last_reply = $3, next_attempt_at = COALESCE($4, next_attempt_at),
    mail_sent_at = CASE WHEN $2 = 'sent' THEN now() ELSE mail_sent_at END, claimed_at = NULL
  WHERE id = $1 AND mail_status = 'sending'`;

/** Gives a claimed mail back without counting the attempt (quota spent, shutting down). */
export const RELEASE_MAIL = `
  UPDATE signups SET mail_status = 'deferred', next_attempt_at = $2, mail_attempts = greatest(mail_attempts - 1, 0),
    last_reply = COALESCE($3, last_reply), claimed_at = NULL
  WHERE id = $1 AND mail_status = 'sending'`;

/** Submissions to decide and mails due, for the tick to (re-)add their jobs. */
export const DUE = `
  SELECT id FROM signups
  WHERE (state = 'received' AND next_attempt_at <= now())
     OR (state = 'pending' AND mail_status IN ('queued', 'deferred') AND next_attempt_at <= now())
     OR (state = 'pending' AND mail_status = 'sending' AND claimed_at < now() - make_interval(secs => $1))
  ORDER BY next_attempt_at LIMIT $2`;

/** A submission with what its confirmation page shows. */
export const FIND_FOR_PAGE = `
  SELECT ${SIGNUP_COLUMNS}, f.sender_id AS form_sender_id, f.confirmed_url
  FROM signups s LEFT JOIN signup_forms f ON f.list_id = s.list_id
  WHERE s.id = $1`;

export const LOCK_FOR_CONFIRM = `${FIND_FOR_PAGE} FOR UPDATE OF s`;

export const CONFIRM = `
  UPDATE signups SET state = $2, note = $3, confirmed_at = now(), confirmed_ip = $4::inet
  WHERE id = $1 AND state = 'pending'`;
