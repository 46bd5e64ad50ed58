import { describe, expect, it } from 'vitest';
import { CLICK_AFTER_SEND_MS, LINK_BURST_MS, machineClick, machineOpen } from './machine.js';

const SAFARI =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';
const GMAIL = 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)';
const YAHOO = 'YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html';
const CUBOT_PHONE =
  'Mozilla/5.0 (Linux; Android 9; CUBOT P30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36';

const at = new Date('2026-03-01T10:00:00Z');
const later = (ms: number) => new Date(at.getTime() + ms);
const sentAnHourAgo = new Date(at.getTime() - 3_600_000);

describe('machine opens', () => {
  it('counts a browser, and Gmail’s and Yahoo’s image proxies (they fetch when a person opens), as human', () => {
    for (const userAgent of [SAFARI, GMAIL, YAHOO, CUBOT_PHONE]) {
      expect(machineOpen({ method: 'GET', userAgent }), userAgent).toBeNull();
    }
  });

  it('calls Apple Mail Privacy Protection (user agent exactly Mozilla/5.0) a privacy proxy', () => {
    expect(machineOpen({ method: 'GET', userAgent: 'Mozilla/5.0' })).toBe('privacy_proxy');
    expect(machineOpen({ method: 'GET', userAgent: 'Mozilla/5.0 (Macintosh)' })).toBeNull();
  });

  it('calls HEAD requests, missing user agents and bots machines', () => {
    expect(machineOpen({ method: 'HEAD', userAgent: SAFARI })).toBe('head_request');
    expect(machineOpen({ method: 'GET', userAgent: null })).toBe('no_user_agent');
    expect(machineOpen({ method: 'GET', userAgent: '   ' })).toBe('no_user_agent');
    for (const userAgent of [
      'curl/8.5.0',
      'python-requests/2.31',
      'Googlebot/2.1',
      'Go-http-client/1.1',
      'Barracuda Sentinel',
    ]) {
      expect(machineOpen({ method: 'GET', userAgent }), userAgent).toBe('bot_user_agent');
    }
  });
});

describe('machine clicks', () => {
  const click = (userAgent: string | null, linkIndex = 0, when = at, method: 'GET' | 'HEAD' = 'GET') => ({
    method,
    userAgent,
    linkIndex,
    at: when,
  });

  it('counts a browser click well after delivery as human', () => {
    expect(machineClick(click(SAFARI), sentAnHourAgo, [])).toBeNull();
    expect(machineClick(click(SAFARI), null, [])).toBeNull();
  });

  it('calls a click within seconds of delivery a link scanner', () => {
    expect(machineClick(click(SAFARI), later(-CLICK_AFTER_SEND_MS + 1), [])).toBe('click_right_after_send');
    expect(machineClick(click(SAFARI), later(-CLICK_AFTER_SEND_MS), [])).toBeNull();
  });

  it('calls clicks on different links of one message close together a scanner, but not the same link twice', () => {
    const other = [{ at: later(LINK_BURST_MS), linkIndex: 1 }];
    expect(machineClick(click(SAFARI, 0), sentAnHourAgo, other)).toBe('link_burst');
    expect(machineClick(click(SAFARI, 0), sentAnHourAgo, [{ at: later(LINK_BURST_MS + 1), linkIndex: 1 }])).toBeNull();
    expect(machineClick(click(SAFARI, 0), sentAnHourAgo, [{ at: later(100), linkIndex: 0 }])).toBeNull();
  });

  it('calls HEAD requests and bots machines before anything else', () => {
    expect(machineClick(click(SAFARI, 0, at, 'HEAD'), sentAnHourAgo, [])).toBe('head_request');
    expect(machineClick(click('Mimecast URL Protect'), sentAnHourAgo, [])).toBe('bot_user_agent');
    expect(machineClick(click(null), sentAnHourAgo, [])).toBe('no_user_agent');
  });
});
