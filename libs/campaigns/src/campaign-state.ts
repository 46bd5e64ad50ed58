import { conflict } from '@herald/common';

export const CAMPAIGN_STATES = [
  'draft',
  'scheduled',
  'needs_confirmation',
  'sending',
  'paused',
  'sent',
  'cancelled',
  'failed',
] as const;
export type CampaignState = (typeof CAMPAIGN_STATES)[number];

export const CAMPAIGN_ACTIONS = [
  'edit',
  'delete',
  'schedule',
  'send',
  'confirm',
  'pause',
  'resume',
  'cancel',
  'test',
  'duplicate',
] as const;
export type CampaignAction = (typeof CAMPAIGN_ACTIONS)[number];

/**
 * What a marketer may do in each state. Editing stops once sending started
 * (the content is frozen then); deleting is refused while messages may be in
 * flight or queued (cancel first).
 */
const ALLOWED: Record<CampaignState, readonly CampaignAction[]> = {
  draft: ['edit', 'delete', 'schedule', 'send', 'test', 'duplicate'],
  scheduled: ['edit', 'schedule', 'send', 'cancel', 'test', 'duplicate'],
  needs_confirmation: ['edit', 'delete', 'schedule', 'confirm', 'cancel', 'test', 'duplicate'],
  sending: ['pause', 'cancel', 'duplicate'],
  paused: ['resume', 'cancel', 'test', 'duplicate'],
  sent: ['delete', 'duplicate'],
  cancelled: ['delete', 'duplicate'],
  failed: ['delete', 'duplicate'],
};

export function allowedActions(state: CampaignState): readonly CampaignAction[] {
  return ALLOWED[state];
}

/** The states in which `action` is allowed: the `WHERE state = ANY(...)` of its conditional update. */
export function statesAllowing(action: CampaignAction): CampaignState[] {
  return CAMPAIGN_STATES.filter((state) => ALLOWED[state].includes(action));
}

/** The 409 for `action` on a campaign in `state`, naming the state and what is allowed there. */
export function illegalTransition(action: CampaignAction, state: CampaignState) {
  const allowed = ALLOWED[state];
  return conflict(
    `Cannot ${action} a campaign that is ${state}; allowed now: ${allowed.length > 0 ? allowed.join(', ') : 'nothing'}`,
    { state: `is ${state}` },
  );
}
