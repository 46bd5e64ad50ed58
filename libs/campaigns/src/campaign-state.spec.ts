import { describe, expect, it } from 'vitest';
import { allowedActions, illegalTransition, statesAllowing } from './campaign-state.js';

describe('campaign state machine', () => {
  it('refuses editing and deleting once sending started', () => {
    expect(allowedActions('sending')).not.toContain('edit');
    expect(allowedActions('paused')).not.toContain('edit');
    expect(statesAllowing('delete')).not.toContain('sending');
    expect(statesAllowing('delete')).not.toContain('paused');
  });

  it('pauses only while sending and resumes only while paused', () => {
    expect(statesAllowing('pause')).toEqual(['sending']);
    expect(statesAllowing('resume')).toEqual(['paused']);
    expect(statesAllowing('confirm')).toEqual(['needs_confirmation']);
  });

  it('names the current state and the allowed actions in a 409', () => {
    const error = illegalTransition('pause', 'draft');
    expect(error.kind).toBe('conflict');
    expect(error.message).toContain('draft');
    expect(error.message).toContain('schedule');
  });
});
