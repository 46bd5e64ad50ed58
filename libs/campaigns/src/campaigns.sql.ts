/**
 * The campaign statements that matter for correctness or speed: the
 * scheduler's claims, the start, state changes. Every state change is a
 * conditional UPDATE on the current state, so concurrent callers (two
 * workers' ticks, an API pause racing a delivery job) cannot both win.
 */

export const CAMPAIGN_COLUMNS = `
  c.id, c.name, c.state, c.state_reason, c.template_id, c.subject, c.preheader, c.list_ids, c.segment_id,
  c.exclude_segment_id, c.track_opens, c.track_clicks, c.send_at, c.send_at_local, c.time_zone,
  c.audience_count, c.waiting_for_quota_until, c.started_at, c.finished_at, c.created_at, c.updated_at,
  ARRAY(SELECT s.sender_id FROM campaign_senders s WHERE s.campaign_id = c.id ORDER BY s.position) AS sender_ids`;

export const campaignsSql = {
  /**
   * The scheduler's claim, on the database's clock: every due scheduled
   * campaign leaves `scheduled` in this one statement, so of several ticks
   * (workers, installations sharing the database) exactly one gets each. A
   * campaign due longer ago than the grace ($1 minutes) was missed while
   * Herald was down and waits for a marketer's confirmation.
   */
  claimDue: `
    UPDATE campaigns SET
      state = CASE WHEN send_at < now() - make_interval(mins => $1::int) THEN 'needs_confirmation' ELSE 'sending' END,
      state_reason = CASE WHEN send_at < now() - make_interval(mins => $1::int)
        THEN 'The scheduled time passed while Herald was not running; confirm to send now' ELSE NULL END,
      updated_at = now()
    WHERE state = 'scheduled' AND send_at <= now()
    RETURNING id, state`,

  /**
   * A state change from one of the states $2 (text[]); $3 is the reason
   * shown (or null). A resume also keeps its report's figures at that moment
   * ($5, `GuardCounters`; null leaves them), so that its guards judge what
   * comes after.
   */
  transition: `
    UPDATE campaigns SET state = $4, state_reason = $3, updated_at = now(),
      waiting_for_quota_until = CASE WHEN $4 = 'sending' THEN waiting_for_quota_until ELSE NULL END,
      guard_since = COALESCE($5::jsonb, guard_since)
    WHERE id = $1 AND state = ANY($2::text[])
    RETURNING id`,

  /** What the start needs of a campaign that is sending and not started yet. */
  startable: `
    SELECT id, template_id, subject, preheader, list_ids, segment_id, exclude_segment_id, track_opens, track_clicks,
      ARRAY(SELECT s.sender_id FROM campaign_senders s WHERE s.campaign_id = campaigns.id ORDER BY s.position) AS sender_ids
    FROM campaigns WHERE id = $1 AND state = 'sending' AND started_at IS NULL`,

  /**
   * The start claims the campaign inside its transaction: still sending and
   * not started. A second start waits for the first's lock and then finds
   * `started_at` set. The content it froze cannot have changed meanwhile:
   * editing is refused once a campaign is sending.
   */
  lockForStart: `SELECT id FROM campaigns WHERE id = $1 AND state = 'sending' AND started_at IS NULL FOR UPDATE`,

  /** The frozen content, the audience size and the start time, in the start's transaction. */
  markStarted: `
    UPDATE campaigns SET content = $2::jsonb, audience_count = $3, started_at = now(), updated_at = now()
    WHERE id = $1`,

  /** The click destinations by index, from the compiled template's link table. */
  insertLinks: `
    INSERT INTO campaign_links (campaign_id, index, url)
    SELECT $1, i, u FROM unnest($2::int[], $3::text[]) AS l (i, u)
    ON CONFLICT (campaign_id, index) DO NOTHING`,

  /** One stored click destination: what `/t/c/<token>.<index>` redirects to. */
  linkUrl: `SELECT url FROM campaign_links WHERE campaign_id = $1 AND index = $2`,

  /** Every tracked link of a campaign, for the report's clicks per link. */
  links: `SELECT index, url FROM campaign_links WHERE campaign_id = $1 ORDER BY index`,

  /** What a draft's test-send links are compiled from (the template as it is now, with the campaign's overrides). */
  testSource: `
    SELECT c.template_id, c.subject, c.preheader, c.track_clicks,
      ARRAY(SELECT s.sender_id FROM campaign_senders s WHERE s.campaign_id = c.id ORDER BY s.position) AS sender_ids
    FROM campaigns c WHERE c.id = $1`,

  /** Names and tracked links of campaigns $1, for a contact's history. */
  namesAndLinks: `
    SELECT c.id, c.name,
      coalesce((SELECT jsonb_object_agg(l.index, l.url) FROM campaign_links l WHERE l.campaign_id = c.id), '{}') AS links
    FROM campaigns c WHERE c.id = ANY($1::bigint[])`,

  /** What the web view needs to render a started campaign's message again. */
  webViewSource: `
    SELECT c.content, c.track_clicks,
      ARRAY(SELECT s.sender_id FROM campaign_senders s WHERE s.campaign_id = c.id ORDER BY s.position) AS sender_ids
    FROM campaigns c WHERE c.id = $1 AND c.content IS NOT NULL`,

  /** What a delivery job needs of its campaign; re-read at most every second for pause and cancel. */
  sendingState: `
    SELECT c.state, c.content, c.track_opens, c.track_clicks, c.waiting_for_quota_until, c.guard_since,
      ARRAY(SELECT s.sender_id FROM campaign_senders s WHERE s.campaign_id = c.id ORDER BY s.position) AS sender_ids
    FROM campaigns c WHERE c.id = $1`,

  /** Campaigns the reconciler looks after: sending (and paused, whose stale claims it returns). */
  active: `
    SELECT id, state, started_at, waiting_for_quota_until FROM campaigns
    WHERE state IN ('sending', 'paused') ORDER BY id`,

  /** Every sender's quota is spent: the campaign waits until $2 with the reason shown. */
  waitForQuota: `
    UPDATE campaigns SET waiting_for_quota_until = $2, state_reason = $3, updated_at = now()
    WHERE id = $1 AND state = 'sending'`,

  /** The quota wait is over; only the process that clears it re-enqueues delivery. */
  endQuotaWait: `
    UPDATE campaigns SET waiting_for_quota_until = NULL, state_reason = NULL, updated_at = now()
    WHERE id = $1 AND state = 'sending' AND waiting_for_quota_until = $2`,

  /** Nothing left to send: done. */
  finish: `
    UPDATE campaigns SET state = 'sent', state_reason = NULL, waiting_for_quota_until = NULL,
      finished_at = now(), updated_at = now()
    WHERE id = $1 AND state = 'sending' AND started_at IS NOT NULL
    RETURNING id`,

  /** The start could not build the campaign (a list or segment gone, no sender): failed, with why. */
  fail: `
    UPDATE campaigns SET state = 'failed', state_reason = $2, finished_at = now(), updated_at = now()
    WHERE id = $1 AND state = 'sending' AND started_at IS NULL`,
};
